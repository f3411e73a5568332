"""The EcsService component's contract: cluster, task definition, roles, security group rules,
service, autoscaling and capacity; and the service as the stack files render it."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import cfnlint
import pulumi
import pytest
import yaml

from components.bluegreen import LoadBalancerOffer
from components.database import DatabaseEndpoint
from components.ecs_service import (
    ECS_AMI_PARAMETER,
    ContainerDefinition,
    EcsService,
    EcsServiceArgs,
    capacity_provider_strategy,
    release_timeout_minutes,
    watches_release,
)
from components.network import Subnets
from mock_engine import Recording
from settings import ServiceSettings, SettingsError, load_settings

SVC = "ecs-platform:ecs:EcsService"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k-1"
REPO = "arn:aws:ecr:us-east-1:123456789012:repository/web"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64
WORKSPACE = "arn:aws:aps:us-east-1:123456789012:workspace/ws-1"
ALARMS = ["obs-5xx-rate", "obs-p99-latency", "obs-unhealthy-blue", "obs-unhealthy-green"]
LOAD_BALANCERS = [
    {
        "container_name": "web",
        "container_port": 8080,
        "target_group_arn": "arn:tg/blue",
        "advanced_configuration": {
            "alternate_target_group_arn": "arn:tg/green",
            "production_listener_rule": "arn:rule/prod",
            "test_listener_rule": "arn:rule/test",
            "role_arn": "arn:role/infra",
        },
    }
]


SERVICE_FIELDS = {f.name for f in dataclasses.fields(ServiceSettings)}


def args(**overrides: Any) -> EcsServiceArgs:
    """The service's arguments; an override names a field of the arguments, of the service
    settings, of the database endpoint (database_*) or of the load balancer's offer."""
    database = {
        "address": overrides.pop("database_address", "db.example.internal"),
        "port": overrides.pop("database_port", 5432),
        "name": overrides.pop("database_name", "app"),
        "secret_arn": overrides.pop("database_secret_arn", SECRET),
        "security_group_id": overrides.pop("database_security_group_id", "sg-db"),
    }
    load_balancer = {
        "security_group_id": overrides.pop("load_balancer_security_group_id", "sg-alb"),
        "load_balancers": overrides.pop("load_balancers", LOAD_BALANCERS),
        "deployment_configuration": overrides.pop(
            "deployment_configuration", {"strategy": "BLUE_GREEN", "bake_time_in_minutes": "2"}
        ),
        "arn_suffix": overrides.pop("load_balancer_arn_suffix", "app/web/1"),
        "target_group_arn_suffixes": overrides.pop(
            "target_group_arn_suffixes", ["targetgroup/blue/1", "targetgroup/green/2"]
        ),
        "dns_name": overrides.pop("load_balancer_dns_name", "web-1.us-east-1.elb.amazonaws.com"),
        "zone_id": overrides.pop("load_balancer_zone_id", "Z35SXDOTRQ7X7K"),
        "dualstack": overrides.pop("ipv6", False),
    }
    service = {k: overrides.pop(k) for k in list(overrides) if k in SERVICE_FIELDS}
    base: dict[str, Any] = {
        "network": Subnets(
            vpc_id=overrides.pop("vpc_id", "vpc-1"),
            vpc_cidr="10.0.0.0/16",
            public=["subnet-a1", "subnet-a2"],
            private=overrides.pop("private_subnet_ids", ["subnet-p1", "subnet-p2"]),
            database=["subnet-d1", "subnet-d2"],
        ),
        "cluster_name": "ecs-platform-test",
        "service_name": "ecs-platform-test-web",
        "image": IMAGE,
        "repository_arn": REPO,
        "kms_key_arn": KEY,
        "database": DatabaseEndpoint(**database),
        "load_balancer": LoadBalancerOffer(**load_balancer),
        "config": ServiceSettings(**service),
        "rollback_alarm_names": ALARMS,
        "app_version": "1.2.3",
        "app_color": "green",
        "stack_name": "test",
    }
    base.update(overrides)
    return EcsServiceArgs(**base)


def build_service(build: Callable[..., Recording], **overrides: Any) -> Recording:
    return build(lambda: EcsService("web", args(**overrides)))


@pytest.fixture
def fargate(build: Callable[..., Recording]) -> Recording:
    return build_service(build)


def containers(rec: Recording) -> list[dict[str, Any]]:
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition")
    return json.loads(task.inputs["containerDefinitions"])


def policy_statements(rec: Recording, name: str) -> list[dict[str, Any]]:
    return json.loads(rec.named(name).inputs["policy"])["Statement"]


def test_fargate_service_declares_exactly_these_resources(fargate: Recording) -> None:
    assert fargate.counts() == {
        SVC: 1,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:ecs/cluster:Cluster": 1,
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:ecs/taskDefinition:TaskDefinition": 1,
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
        "aws:ecs/service:Service": 1,
        "aws:appautoscaling/target:Target": 1,
        "aws:appautoscaling/policy:Policy": 2,
    }


def test_every_child_is_parented_to_the_component_and_named_uniquely(fargate: Recording) -> None:
    children = [r for r in fargate.resources if r.type != SVC]
    assert {r.parent_type for r in children} == {SVC}
    assert len({r.urn for r in fargate.resources}) == len(fargate.resources)


def test_cluster_has_container_insights_and_its_fixed_name(fargate: Recording) -> None:
    cluster = fargate.one("aws:ecs/cluster:Cluster").inputs
    assert cluster["name"] == "ecs-platform-test"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert "configuration" not in cluster


def test_task_definition_is_fargate_arm64_with_the_given_size(fargate: Recording) -> None:
    task = fargate.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["networkMode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert task["volumes"] == [{"name": "scratch"}]
    assert task["skipDestroy"] is True
    roles = {r.name: r.outputs["arn"] for r in fargate.of_type("aws:iam/role:Role")}
    assert task["executionRoleArn"] == roles["web-execution-role"]
    assert task["taskRoleArn"] == roles["web-task-role"]
    assert task["executionRoleArn"] != task["taskRoleArn"]


def test_website_container_is_locked_down(fargate: Recording) -> None:
    (web,) = containers(fargate)
    assert web["image"] == IMAGE
    assert web["user"] == "10001:10001"
    assert web["readonlyRootFilesystem"] is True
    assert web["privileged"] is False
    assert web["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert web["mountPoints"] == [
        {"sourceVolume": "scratch", "containerPath": "/tmp", "readOnly": False}
    ]
    assert web["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]
    assert web["healthCheck"]["command"] == ["CMD", "python", "-m", "website.healthcheck"]


def test_database_credentials_come_only_from_the_secret(fargate: Recording) -> None:
    (web,) = containers(fargate)
    assert web["secrets"] == [
        {"name": "DB_USER", "valueFrom": f"{SECRET}:username::"},
        {"name": "DB_PASSWORD", "valueFrom": f"{SECRET}:password::"},
    ]
    assert {e["name"]: e["value"] for e in web["environment"]} == {
        "PORT": "8080",
        "METRICS_PORT": "9102",
        "APP_VERSION": "1.2.3",
        "APP_COLOR": "green",
        "STACK_NAME": "test",
        "DB_HOST": "db.example.internal",
        "DB_PORT": "5432",
        "DB_NAME": "app",
        "DB_SSLMODE": "require",
    }


def test_logs_go_to_an_encrypted_log_group_with_retention(fargate: Recording) -> None:
    group = fargate.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (group["name"], group["retentionInDays"], group["kmsKeyId"]) == (
        "/ecs/ecs-platform-test-web",
        30,
        KEY,
    )
    (web,) = containers(fargate)
    assert web["logConfiguration"]["logDriver"] == "awslogs"
    assert web["logConfiguration"]["options"]["awslogs-group"] == "/ecs/ecs-platform-test-web"


def test_execution_role_may_do_exactly_what_starting_a_task_needs(fargate: Recording) -> None:
    log_arn = fargate.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    assert policy_statements(fargate, "web-execution-policy") == [
        {
            "Sid": "PullWebsiteImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": REPO,
        },
        {
            "Sid": "GetRegistryToken",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": "*",
        },
        {
            "Sid": "WriteTaskLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_arn}:*",
        },
        {
            "Sid": "ReadDatabaseSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": SECRET,
        },
        {
            "Sid": "DecryptDatabaseSecret",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": KEY,
            "Condition": {
                "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
            },
        },
    ]


def test_task_roles_are_assumed_only_by_ecs_tasks_of_this_account(fargate: Recording) -> None:
    for role in fargate.of_type("aws:iam/role:Role"):
        assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
            {
                "Sid": "AssumedByEcsTasks",
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
            }
        ]


def test_task_role_has_no_permissions_by_default(fargate: Recording) -> None:
    assert [r.name for r in fargate.of_type("aws:iam/rolePolicy:RolePolicy")] == [
        "web-execution-policy"
    ]


def sg_rules(rec: Recording, sg_name: str = "web-sg") -> list[tuple[Any, ...]]:
    sg_id = rec.named(sg_name).outputs["id"]
    out = []
    for kind in ("Ingress", "Egress"):
        for r in rec.of_type(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule"):
            i = r.inputs
            if i["securityGroupId"] != sg_id:
                continue
            peer = i.get("cidrIpv4") or i.get("referencedSecurityGroupId")
            out.append((kind, i["ipProtocol"], i["fromPort"], i["toPort"], peer, i["description"]))
    return sorted(out)


def test_tasks_admit_only_the_load_balancer_and_reach_only_database_and_https(
    fargate: Recording,
) -> None:
    assert sg_rules(fargate) == [
        ("Egress", "tcp", 443, 443, "0.0.0.0/0", "HTTPS to AWS APIs"),
        ("Egress", "tcp", 5432, 5432, "sg-db", "PostgreSQL to the database"),
        ("Ingress", "tcp", 8080, 8080, "sg-alb", "HTTP from the load balancer"),
    ]


def test_service_runs_in_private_subnets_without_public_ip(fargate: Recording) -> None:
    service = fargate.one("aws:ecs/service:Service").inputs
    assert service["networkConfiguration"] == {
        "subnets": ["subnet-p1", "subnet-p2"],
        "securityGroups": [fargate.named("web-sg").outputs["id"]],
        "assignPublicIp": False,
    }
    assert service["platformVersion"] == "LATEST"


def test_service_deploys_with_the_given_configuration_and_rolls_back_on_alarms(
    fargate: Recording,
) -> None:
    service = fargate.one("aws:ecs/service:Service")
    i = service.inputs
    assert i["name"] == "ecs-platform-test-web"
    assert i["deploymentController"] == {"type": "ECS"}
    assert i["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "2"}
    assert i["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert i["alarms"] == {"alarmNames": ALARMS, "enable": True, "rollback": True}
    assert i["loadBalancers"] == [
        {
            "containerName": "web",
            "containerPort": 8080,
            "targetGroupArn": "arn:tg/blue",
            "advancedConfiguration": {
                "alternateTargetGroupArn": "arn:tg/green",
                "productionListenerRule": "arn:rule/prod",
                "testListenerRule": "arn:rule/test",
                "roleArn": "arn:role/infra",
            },
        }
    ]
    assert i["desiredCount"] == 1
    assert service.ignore_changes == ("desiredCount", "loadBalancers")


def test_autoscaling_tracks_cpu_and_requests_per_task_between_min_and_max(
    build: Callable[..., Recording],
) -> None:
    rec = build_service(build, min_count=2, desired_count=3, max_count=6, cpu_target_percent=55)
    target = rec.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert target["resourceId"] == "service/ecs-platform-test/ecs-platform-test-web"
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    cpu = rec.named("web-cpu-scaling").inputs["targetTrackingScalingPolicyConfiguration"]
    assert cpu["targetValue"] == 55
    assert cpu["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    requests = rec.named("web-requests-scaling").inputs["targetTrackingScalingPolicyConfiguration"]
    assert requests["targetValue"] == 1000
    metrics = requests["customizedMetricSpecification"]["metrics"]
    assert [(m["id"], m["returnData"]) for m in metrics] == [
        ("blue", False),
        ("green", False),
        ("tasks", False),
        ("per_task", True),
    ]
    assert metrics[1]["metricStat"]["metric"]["dimensions"] == [
        {"name": "LoadBalancer", "value": "app/web/1"},
        {"name": "TargetGroup", "value": "targetgroup/green/2"},
    ]
    assert metrics[3]["expression"] == "(FILL(blue, 0) + FILL(green, 0)) / FILL(tasks, 1)"


def test_fargate_spot_share_splits_by_weight_with_one_task_on_demand() -> None:
    assert capacity_provider_strategy("fargate", 70) == [
        {"capacity_provider": "FARGATE", "weight": 30, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": 70, "base": 0},
    ]
    assert capacity_provider_strategy("fargate", 100) == [
        {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]


def test_service_uses_the_spot_strategy(build: Callable[..., Recording]) -> None:
    rec = build_service(build, fargate_spot_percent=50)
    strategy = rec.one("aws:ecs/service:Service").inputs["capacityProviderStrategies"]
    assert strategy == [
        {"capacityProvider": "FARGATE", "weight": 50, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 50, "base": 0},
    ]
    providers = rec.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


@pytest.fixture
def ec2(build: Callable[..., Recording]) -> Recording:
    return build_service(build, capacity="ec2", ec2_instance_type="t4g.small", max_count=4)


def test_ec2_capacity_adds_an_auto_scaling_group_behind_a_capacity_provider(
    ec2: Recording,
) -> None:
    counts = ec2.counts()
    assert counts["aws:ec2/launchTemplate:LaunchTemplate"] == 1
    assert counts["aws:autoscaling/group:Group"] == 1
    assert counts["aws:ecs/capacityProvider:CapacityProvider"] == 1
    assert counts["aws:iam/instanceProfile:InstanceProfile"] == 1
    assert counts["aws:iam/role:Role"] == 3
    assert counts["aws:ec2/securityGroup:SecurityGroup"] == 2
    provider = ec2.one("aws:ecs/capacityProvider:CapacityProvider")
    group = ec2.one("aws:autoscaling/group:Group")
    asg = provider.inputs["autoScalingGroupProvider"]
    assert asg["autoScalingGroupArn"] == group.outputs["arn"]
    assert asg["managedScaling"] == {
        "status": "ENABLED",
        "targetCapacity": 100,
        "minimumScalingStepSize": 1,
        "maximumScalingStepSize": 2,
        "instanceWarmupPeriod": 60,
    }
    assert asg["managedDraining"] == "ENABLED"
    service = ec2.one("aws:ecs/service:Service").inputs
    assert service["capacityProviderStrategies"] == [
        {"capacityProvider": provider.outputs["name"], "weight": 1, "base": 0}
    ]
    assert "platformVersion" not in service
    task = ec2.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["requiresCompatibilities"] == ["EC2"]


def test_ec2_instances_boot_the_ecs_arm_ami_with_imdsv2_and_encrypted_volumes(
    ec2: Recording,
) -> None:
    template = ec2.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["instanceType"] == "t4g.small"
    assert template["metadataOptions"] == {
        "httpTokens": "required",
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
    }
    assert template["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    user_data = base64.b64decode(template["userData"]).decode()
    assert "ECS_CLUSTER=ecs-platform-test\n" in user_data
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in user_data
    assert ECS_AMI_PARAMETER["arm64"].endswith("/arm64/recommended/image_id")
    group = ec2.one("aws:autoscaling/group:Group").inputs
    assert (group["minSize"], group["maxSize"]) == (0, 4)
    assert group["vpcZoneIdentifiers"] == ["subnet-p1", "subnet-p2"]
    assert group["launchTemplate"]["id"] == ec2.one("aws:ec2/launchTemplate:LaunchTemplate").id


def test_ec2_instances_admit_nothing_and_reach_only_https(ec2: Recording) -> None:
    assert sg_rules(ec2, "web-instances-sg") == [
        ("Egress", "tcp", 443, 443, "0.0.0.0/0", "HTTPS to ECS, ECR and SSM"),
    ]


def test_ecs_exec_logs_and_encrypts_sessions(build: Callable[..., Recording]) -> None:
    rec = build_service(build, ecs_exec=True)
    exec_group = rec.named("web-exec-logs")
    cluster = rec.one("aws:ecs/cluster:Cluster").inputs
    assert cluster["configuration"] == {
        "executeCommandConfiguration": {
            "kmsKeyId": KEY,
            "logging": "OVERRIDE",
            "logConfiguration": {
                "cloudWatchLogGroupName": "/ecs/ecs-platform-test-web/exec",
                "cloudWatchEncryptionEnabled": True,
            },
        }
    }
    assert rec.one("aws:ecs/service:Service").inputs["enableExecuteCommand"] is True
    assert policy_statements(rec, "web-task-exec-policy") == [
        {
            "Sid": "EcsExecChannels",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        },
        {
            "Sid": "EcsExecWriteSessionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": f"{exec_group.outputs['arn']}:*",
        },
        {
            "Sid": "EcsExecFindLogGroup",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups"],
            "Resource": "*",
        },
        {"Sid": "EcsExecSessionKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": KEY},
    ]


def test_collector_sidecar_remote_writes_with_its_own_scoped_permission(
    build: Callable[..., Recording],
) -> None:
    url = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write"
    rec = build_service(build, prometheus_remote_write_url=url, prometheus_workspace_arn=WORKSPACE)
    web, collector = containers(rec)
    assert collector["name"] == "collector"
    assert collector["essential"] is False
    assert collector["readonlyRootFilesystem"] is True
    (env,) = collector["environment"]
    assert env["name"] == "AOT_CONFIG_CONTENT" and url in env["value"]
    # The collector scrapes the metrics port on localhost, not the port the load balancer uses.
    scrape = yaml.safe_load(env["value"])["receivers"]["prometheus"]["config"]
    (job,) = scrape["scrape_configs"]
    assert job["static_configs"] == [{"targets": ["localhost:9102"]}]
    assert [m["containerPort"] for m in web["portMappings"]] == [8080]
    assert policy_statements(rec, "web-task-remote-write-policy") == [
        {
            "Sid": "RemoteWriteToWorkspace",
            "Effect": "Allow",
            "Action": ["aps:RemoteWrite"],
            "Resource": WORKSPACE,
        }
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prometheus_remote_write_url": "https://x"}, "go together"),
    ],
)
def test_invalid_arguments_are_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**fields)


def service_issues(service: dict[str, Any]) -> list[str]:
    """What settings report for a stack file whose `service` area holds `service`."""
    config = {
        "tags": {"owner": "web", "costCentre": "cc-1"},
        "dns": {"domain": "www.example.com"},
        "service": service,
    }
    with pytest.raises(SettingsError) as caught:
        load_settings("test", config)
    return [str(issue) for issue in caught.value.issues]


# Sizes and counts a user types are checked by settings, before anything is declared.
def test_a_task_size_fargate_does_not_offer_is_rejected_by_settings() -> None:
    assert any(
        "service.memory = 4096: must be a Fargate memory size for cpu 256" in issue
        for issue in service_issues({"cpu": 256, "memory": 4096})
    ), "cpu 256 / memory 4096 is not a Fargate size"


def test_spot_on_ec2_capacity_is_rejected_by_settings() -> None:
    # Settings hold this rule; the component's arguments do not check it again.
    assert any(
        "service.fargateSpotPercent = 20" in issue and "applies only to capacity fargate" in issue
        for issue in service_issues({"capacity": "ec2", "fargateSpotPercent": 20})
    ), "fargateSpotPercent applies only to capacity fargate"


def test_the_container_port_may_not_be_the_metrics_port() -> None:
    # A rule of the settings alone: the collector scrapes METRICS_PORT, which no target group
    # may reach, so the website's port must differ from it.
    assert any(
        "service.containerPort = 9102" in issue and "metrics" in issue
        for issue in service_issues({"containerPort": 9102})
    ), "containerPort must differ from the metrics port (9102)"


def test_a_floor_above_the_desired_count_is_rejected_by_settings() -> None:
    assert any(
        "service.desiredCount = 2" in issue and "minCount (3)" in issue
        for issue in service_issues({"minCount": 3, "desiredCount": 2, "maxCount": 4})
    ), "counts must satisfy 1 <= min_count (3) <= desired_count (2)"


# --- the stacks as their files render them ---------------------------------------------------


def test_stage_runs_blue_green_on_fargate_spot(stage: Recording) -> None:
    service = stage.one("aws:ecs/service:Service").inputs
    assert service["name"] == "ecs-platform-stage-web"
    assert service["deploymentConfiguration"] == {
        "strategy": "BLUE_GREEN",
        "bakeTimeInMinutes": "2",
    }
    assert service["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    assert stage.outputs["url"] == "https://stage.example.com"


def test_prod_runs_canary_with_an_approval_gate(prod: Recording) -> None:
    config = prod.one("aws:ecs/service:Service").inputs["deploymentConfiguration"]
    assert config == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "5",
        "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": "5"},
        "lifecycleHooks": [
            {
                "targetType": "PAUSE",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                "timeoutConfiguration": {"timeoutInMinutes": "60", "action": "ROLLBACK"},
            }
        ],
    }


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_service_rolls_back_on_the_observability_alarms(stack: str, request: Any) -> None:
    rec: Recording = request.getfixturevalue(stack)
    names = sorted(r.outputs["name"] for r in rec.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    alarms = rec.one("aws:ecs/service:Service").inputs["alarms"]
    assert alarms["rollback"] is True
    assert len(alarms["alarmNames"]) == 4
    assert set(alarms["alarmNames"]) <= set(names)


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_database_admits_the_service_tasks(stack: str, request: Any) -> None:
    rec: Recording = request.getfixturevalue(stack)
    service_sg = rec.named("web-sg").outputs["id"]
    rule = rec.named("db-from-service").inputs
    assert (rule["referencedSecurityGroupId"], rule["fromPort"]) == (service_sg, 5432)


def test_no_dns_zone_means_no_records(fargate: Recording) -> None:
    # The site's name is the zone's business (Dns.alias): the service declares no record.
    assert fargate.of_type("aws:route53/record:Record") == []


# --- names AWS requires unique per account and region ----------------------------------------


# CreateCapacityProvider, request parameter `name` (Amazon ECS API Reference): "Up to 255
# characters are allowed. They include letters (both upper and lowercase letters), numbers,
# underscores (_), and hyphens (-). The name can't be prefixed with "aws", "ecs", or "fargate"."
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html
def ecs_accepts_capacity_provider_name(name: str) -> bool:
    allowed = re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name) is not None
    return allowed and not name.lower().startswith(("aws", "ecs", "fargate"))


def test_the_reference_rule_refuses_the_old_capacity_provider_name() -> None:
    assert not ecs_accepts_capacity_provider_name("ecs-platform-stage-ec2")
    assert ecs_accepts_capacity_provider_name("cp-ecs-platform-stage-ec2")


def test_capacity_provider_name_is_one_ecs_accepts_and_carries_the_cluster(ec2: Recording) -> None:
    name = ec2.one("aws:ecs/capacityProvider:CapacityProvider").inputs["name"]
    assert ecs_accepts_capacity_provider_name(name), name
    assert "ecs-platform-test" in name


# CreateCluster, `clusterName`: "Up to 255 letters (uppercase and lowercase), numbers,
# underscores, and hyphens are allowed." (Amazon ECS API Reference, API_CreateCluster.html)
CLUSTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


def log_group_name_pattern() -> re.Pattern[str]:
    """AWS::Logs::LogGroup LogGroupName's pattern from the CloudFormation registry schema that
    cfn-lint ships (AWS's own resource contract)."""
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    digest = json.loads((schemas / "providers" / "us-east-1.json").read_text())[
        "AWS::Logs::LogGroup"
    ]
    schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
    return re.compile(schema["properties"]["LogGroupName"]["pattern"])


def explicit_names(rec: Recording) -> dict[str, str]:
    """The physical names the service's resources fix themselves (no auto-naming)."""
    names = {}
    for r in rec.resources:
        if r.parent_type == SVC and r.type in (
            "aws:ecs/cluster:Cluster",
            "aws:ecs/service:Service",
            "aws:ecs/capacityProvider:CapacityProvider",
            "aws:cloudwatch/logGroup:LogGroup",
        ):
            names[r.name] = r.inputs["name"]
    return names


def test_fixed_names_follow_the_api_rules(build: Callable[..., Recording]) -> None:
    rec = build_service(build, capacity="ec2", ecs_exec=True)
    log_group = log_group_name_pattern()
    assert CLUSTER_NAME.fullmatch(rec.one("aws:ecs/cluster:Cluster").inputs["name"])
    for group in rec.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert log_group.match(group.inputs["name"]), group.inputs["name"]


def test_every_fixed_name_carries_the_stack_so_stage_and_prod_never_collide(
    stage: Recording, prod: Recording
) -> None:
    for stack, rec in (("stage", stage), ("prod", prod)):
        names = explicit_names(rec)
        assert names, stack
        assert all(stack in name for name in names.values()), names
    assert not set(explicit_names(stage).values()) & set(explicit_names(prod).values())


# --- releases watched to their end -------------------------------------------------------------


def test_without_an_approval_gate_pulumi_up_waits_for_the_release(fargate: Recording) -> None:
    service = fargate.one("aws:ecs/service:Service").inputs
    assert service["waitForSteadyState"] is True


def test_behind_an_approval_gate_pulumi_up_does_not_wait(build: Callable[..., Recording]) -> None:
    gated = {
        "strategy": "CANARY",
        "bake_time_in_minutes": "5",
        "lifecycle_hooks": [
            {
                "target_type": "PAUSE",
                "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
                "timeout_configuration": {"timeout_in_minutes": "60", "action": "ROLLBACK"},
            }
        ],
    }
    seen: dict[str, Any] = {}

    def program() -> None:
        svc = EcsService("web", args(deployment_configuration=gated))
        seen["watches"] = svc.watches_release
        pulumi.export("serviceArn", svc.service_arn)
        pulumi.export("clusterName", svc.cluster_name)

    rec = build(program)
    service = rec.one("aws:ecs/service:Service")
    assert service.inputs.get("waitForSteadyState", False) is False
    assert seen["watches"] is False
    # What a workflow follows the paused deployment with.
    assert rec.outputs["serviceArn"] == service.outputs["arn"]
    assert rec.outputs["clusterName"] == "ecs-platform-test"


def test_a_pause_hook_is_what_stops_the_wait() -> None:
    assert watches_release({"strategy": "BLUE_GREEN"}) is True
    assert watches_release({"strategy": "ROLLING"}) is True
    hook = {"target_type": "PAUSE", "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"]}
    assert watches_release({"strategy": "LINEAR", "lifecycle_hooks": [hook]}) is False


def test_the_wait_lasts_the_bake_times_plus_a_margin() -> None:
    assert release_timeout_minutes({"strategy": "ROLLING"}) == 30
    assert release_timeout_minutes({"strategy": "BLUE_GREEN", "bake_time_in_minutes": "2"}) == 32
    canary = {"canary_percent": 10.0, "canary_bake_time_in_minutes": "5"}
    assert (
        release_timeout_minutes({"bake_time_in_minutes": "5", "canary_configuration": canary}) == 40
    )
    linear = {"step_percent": 30.0, "step_bake_time_in_minutes": "2"}
    # ceil(100 / 30) = 4 steps of 2 minutes.
    assert (
        release_timeout_minutes({"bake_time_in_minutes": "0", "linear_configuration": linear}) == 38
    )


def test_stage_waits_for_its_releases_and_prod_leaves_them_to_the_workflow(
    stage: Recording, prod: Recording
) -> None:
    assert stage.one("aws:ecs/service:Service").inputs["waitForSteadyState"] is True
    assert prod.one("aws:ecs/service:Service").inputs.get("waitForSteadyState", False) is False


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_the_service_waits_for_the_infrastructure_role_policy(stack: str, request: Any) -> None:
    rec: Recording = request.getfixturevalue(stack)
    attachment = rec.named("lb-ecs-infrastructure-policy")
    assert attachment.urn in rec.one("aws:ecs/service:Service").depends_on


# --- the load balancer block after a blue/green release --------------------------------------


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_pulumi_never_sends_the_load_balancer_block_back_after_creation(
    stack: str, request: Any
) -> None:
    # ECS swaps primary and alternate target groups with every release; a later `pulumi up`
    # must not restore the declared pair (that would move production back to blue).
    rec: Recording = request.getfixturevalue(stack)
    service = rec.one("aws:ecs/service:Service")
    assert "loadBalancers" in service.ignore_changes
    (entry,) = service.inputs["loadBalancers"]
    assert entry["advancedConfiguration"]["alternateTargetGroupArn"]


def test_ec2_capacity_launches_carry_the_stack_tags(build: Callable[..., Recording]) -> None:
    # Provider default tags reach neither an Auto Scaling group nor what it launches, and the
    # deploy role creates only what the request tags with its environment.
    tags = {"Project": "ecs-platform", "Environment": "test"}
    rec = build_service(build, capacity="ec2", stack_tags=tags)
    group = rec.one("aws:autoscaling/group:Group").inputs
    propagated = {t["key"]: t["value"] for t in group["tags"] if t["propagateAtLaunch"]}
    assert tags.items() <= propagated.items()
    template = rec.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    kinds = {spec["resourceType"]: spec["tags"] for spec in template["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    for spec_tags in kinds.values():
        assert tags.items() <= spec_tags.items()


# --- the container definitions against the ECS API model -------------------------------------
# botocore ships AWS's model of the ECS API (botocore/data/ecs/2014-11-13/service-2.json); its
# ContainerDefinition shape is what RegisterTaskDefinition reads from `containerDefinitions`.
ECS_MODEL = botocore.session.get_session().get_service_model("ecs")
PRIMITIVES: dict[str, type] = {"string": str, "integer": int, "boolean": bool}


def required_keys(typed: Any, hints: dict[str, Any]) -> set[str]:
    # Computed from the hints: under postponed annotations Python 3.11 does not see
    # `Required[...]` when it fills `__required_keys__`.
    qualifiers = {key: typing.get_origin(hint) for key, hint in hints.items()}
    return {
        key
        for key, origin in qualifiers.items()
        if origin is typing.Required or (typed.__total__ and origin is not typing.NotRequired)
    }


def type_problems(hint: Any, shape: Any, path: str) -> list[str]:
    """Where a type does not match the model's shape: names, kinds, enums, required members."""
    if typing.get_origin(hint) in (typing.Required, typing.NotRequired):
        hint = typing.get_args(hint)[0]
    if typing.is_typeddict(hint):
        hints = typing.get_type_hints(hint, include_extras=True)
        if shape.type_name == "map":
            # A driver's options: the keys are the driver's, each value one of the map's.
            return [
                p for k, h in hints.items() for p in type_problems(h, shape.value, f"{path}.{k}")
            ]
        if shape.type_name != "structure" or hint.__name__ != shape.name:
            return [f"{path}: {hint.__name__} stands for {shape.name} ({shape.type_name})"]
        problems = [
            f"{path}.{member} is required by {shape.name}"
            for member in shape.required_members
            if member not in required_keys(hint, hints)
        ]
        for key, item in hints.items():
            if key not in shape.members:
                problems.append(f"{path}.{key} is not a member of {shape.name}")
            else:
                problems += type_problems(item, shape.members[key], f"{path}.{key}")
        return problems
    if typing.get_origin(hint) is list:
        if shape.type_name != "list":
            return [f"{path}: a list where {shape.name} is a {shape.type_name}"]
        return type_problems(typing.get_args(hint)[0], shape.member, f"{path}[]")
    if typing.get_origin(hint) is typing.Literal:
        values = set(typing.get_args(hint))
        allowed = set(shape.enum) if shape.enum else None
        if shape.type_name != "string" or not all(isinstance(v, str) for v in values):
            return [f"{path}: string values where {shape.name} is a {shape.type_name}"]
        return (
            [f"{path}: {sorted(values - allowed)} not in {shape.name}"]
            if allowed and values - allowed
            else []
        )
    if PRIMITIVES.get(shape.type_name) is not hint:
        return [f"{path}: {hint} where {shape.name} is a {shape.type_name}"]
    return []


def test_container_definition_types_use_the_ecs_api_names() -> None:
    shape = ECS_MODEL.shape_for("ContainerDefinition")
    assert type_problems(ContainerDefinition, shape, "ContainerDefinition") == []


def test_the_type_check_catches_a_misspelt_member() -> None:
    class MountPoint(typing.TypedDict):
        sourceVolume: str
        containerPath: str
        readonly: bool

    shape = ECS_MODEL.shape_for("MountPoint")
    assert type_problems(MountPoint, shape, "m") == ["m.readonly is not a member of MountPoint"]


def model_problems(value: Any, shape: Any, path: str) -> list[str]:
    """Where a rendered value does not fit the model: unknown members, values not in an enum."""
    if shape.type_name == "structure":
        problems = [f"{path}.{m} is missing" for m in shape.required_members if m not in value]
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key} is not a member of {shape.name}")
            else:
                problems += model_problems(item, shape.members[key], f"{path}.{key}")
        return problems
    if shape.type_name == "list":
        return [
            p
            for i, item in enumerate(value)
            for p in model_problems(item, shape.member, f"{path}[{i}]")
        ]
    if shape.type_name == "map":
        return [f"{path}.{k} is not a string" for k, v in value.items() if not isinstance(v, str)]
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        return [f"{path}={value!r} is not one of {shape.enum}"]
    if not isinstance(value, PRIMITIVES.get(shape.type_name, object)):
        return [f"{path}={value!r} is not a {shape.type_name}"]
    return []


def test_rendered_containers_fit_the_ecs_api_model(build: Callable[..., Recording]) -> None:
    url = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write"
    rec = build_service(
        build, ecs_exec=True, prometheus_remote_write_url=url, prometheus_workspace_arn=WORKSPACE
    )
    rendered = containers(rec)
    assert [c["name"] for c in rendered] == ["web", "collector"]
    shape = ECS_MODEL.shape_for("ContainerDefinitions")
    assert model_problems(rendered, shape, "containerDefinitions") == []
