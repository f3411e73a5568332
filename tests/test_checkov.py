"""checkov over the rendered stacks: the Terraform-plan JSON it reads, and the decisions on
what it finds (every failed check fixed or excepted by id, for a named stack)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from policy.checkov_plan import (
    CHECKOV_EXCEPTIONS,
    Failure,
    decide,
    plan_document,
    plan_resources,
    terraform_type,
    terraform_values,
)


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str


# Terraform resource types, as the Terraform AWS provider's documentation names them
# (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/<type without aws_>).
TERRAFORM_NAMES = {
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "aws_vpc_security_group_ingress_rule"
    ),
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:lb/listenerRule:ListenerRule": "aws_lb_listener_rule",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
        "aws_ecs_cluster_capacity_providers"
    ),
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "aws_wafv2_web_acl_association",
    "aws:amp/workspace:Workspace": "aws_prometheus_workspace",
    "aws:autoscaling/group:Group": "aws_autoscaling_group",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:route53/healthCheck:HealthCheck": "aws_route53_health_check",
}


@pytest.mark.parametrize(("pulumi_type", "expected"), sorted(TERRAFORM_NAMES.items()))
def test_pulumi_types_map_to_terraform_types(pulumi_type: str, expected: str) -> None:
    assert terraform_type(pulumi_type) == expected


@pytest.mark.parametrize(
    "pulumi_type",
    ["pulumi:providers:aws", "ecs-platform:network:Network", "docker:index/image:Image"],
)
def test_non_aws_resources_are_left_out(pulumi_type: str) -> None:
    assert terraform_type(pulumi_type) is None


def test_attributes_become_snake_case_and_blocks_lists() -> None:
    values, _ = terraform_values(
        {
            "healthCheck": {"healthyThreshold": 2.0, "path": "/readyz"},
            "tags": {"Name": "web", "CostCentre": "cc-1"},
        },
        {},
        "aws_lb_target_group.blue",
    )
    assert values == {
        "health_check": [{"healthy_threshold": 2, "path": "/readyz"}],
        "tags": {"Name": "web", "CostCentre": "cc-1"},
    }


@pytest.mark.parametrize(
    ("tf_type", "pulumi_key", "terraform_key"),
    [
        ("aws_lb_listener", "defaultActions", "default_action"),
        ("aws_ecs_service", "capacityProviderStrategies", "capacity_provider_strategy"),
        ("aws_ecs_cluster", "settings", "setting"),
        ("aws_launch_template", "networkInterfaces", "network_interfaces"),
        ("aws_launch_template", "tagSpecifications", "tag_specifications"),
    ],
)
def test_repeated_blocks_take_terraform_names(
    tf_type: str, pulumi_key: str, terraform_key: str
) -> None:
    values, _ = terraform_values({pulumi_key: [{"type": "a"}]}, {}, f"{tf_type}.x")
    assert list(values) == [terraform_key]


def test_another_resources_id_becomes_an_unknown_value_and_a_reference() -> None:
    bucket = Recorded("aws:s3/bucket:Bucket", "logs", {}, {"arn": "arn:aws:s3:::logs"}, "logs-id")
    block = Recorded(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "logs-block",
        {"bucket": "logs-id", "blockPublicAcls": True},
        {},
        "block-id",
    )
    _, resource = plan_resources([bucket, block])
    assert resource.values["bucket"] is None
    assert resource.expressions["bucket"] == {
        "references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]
    }


def test_plan_document_creates_every_resource_in_both_sections() -> None:
    resources = plan_resources(
        [Recorded("aws:ec2/vpc:Vpc", "net-vpc", {"cidrBlock": "10.0.0.0/16"}, {}, "vpc-1")]
    )
    document = plan_document(resources)
    change = document["resource_changes"][0]
    assert change["address"] == "aws_vpc.net_vpc"
    assert change["change"]["actions"] == ["create"]
    assert change["change"]["after"] == {"cidr_block": "10.0.0.0/16"}
    assert document["planned_values"]["root_module"]["resources"][0]["address"] == (
        "aws_vpc.net_vpc"
    )


def test_every_exception_names_a_check_a_reason_and_its_stacks() -> None:
    for exception in CHECKOV_EXCEPTIONS:
        assert re.fullmatch(r"CKV2?_AWS_\d+", exception.check), exception
        assert len(exception.reason) > 40, exception
        assert exception.stacks and exception.stacks <= {"stage", "prod"}, exception


def test_the_issue_findings_are_each_decided() -> None:
    decided = {e.check for e in CHECKOV_EXCEPTIONS}
    for check in (
        "CKV_AWS_338",
        "CKV2_AWS_31",
        "CKV_AWS_378",
        "CKV2_AWS_30",
        "CKV_AWS_300",
        "CKV_AWS_144",
        "CKV2_AWS_62",
        "CKV2_AWS_76",
    ):
        assert check in decided, check


def test_a_failure_nobody_decided_fails_the_run() -> None:
    failure = Failure("prod", "CKV_AWS_999", "aws_vpc.net_vpc", "made up")
    _, open_, _ = decide([failure], ["prod"])
    assert open_ == [failure]


def test_an_exception_applies_only_to_its_stacks_and_types() -> None:
    stage_only = Failure("prod", "CKV_AWS_157", "aws_db_instance.db_instance", "multi-az")
    other_type = Failure("stage", "CKV_AWS_144", "aws_s3_bucket_policy.p", "replication")
    _, open_, _ = decide([stage_only, other_type], ["stage", "prod"])
    assert open_ == [stage_only, other_type]


def test_an_exception_that_matches_nothing_is_reported_stale() -> None:
    _, _, stale = decide([], ["stage", "prod"])
    assert set(stale) == set(CHECKOV_EXCEPTIONS)
