"""Every resource rule: one resource that passes and one that fails, built by hand and
run through pulumi-policy's own ResourceValidationArgs (as a preview runs them) and
through the engine-neutral `run_resource_rule` (as the offline plan runs them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from policy import engine, rules
from policy.model import Enforcement, StackContext
from policy.testing import res

PROD = StackContext(stack="prod", production=True)
STAGE = StackContext(stack="stage", production=False)

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LISTENER = "aws:lb/listener:Listener"
LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
REPO = "aws:ecr/repository:Repository"
DB = "aws:rds/instance:Instance"
INSTANCE = "aws:ec2/instance:Instance"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"

WEB = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "description": "https"}


def container(**overrides: Any) -> str:
    base = {
        "name": "web",
        "image": "repo@sha256:" + "a" * 64,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": "10001",
        "logConfiguration": {"logDriver": "awslogs", "options": {}},
        "environment": [{"name": "PORT", "value": "8080"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:x:password::"}],
    }
    return json.dumps([{**base, **overrides}])


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


GITHUB = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def oidc_trust(sub: str, aud: str = "sts.amazonaws.com") -> str:
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": aud},
                "StringLike": {"token.actions.githubusercontent.com:sub": sub},
            },
        }
    )


SCOPED = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
GOOD_DB = {
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "multiAz": True,
    "backupRetentionPeriod": 7.0,
    "monitoringInterval": 60.0,
    "enabledCloudwatchLogsExports": ["postgresql"],
    "iamDatabaseAuthenticationEnabled": True,
    "copyTagsToSnapshot": True,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": "arn:aws:kms:k",
    "username": "webadmin",
    "manageMasterUserPassword": True,
}
GOOD_LT = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
    "iamInstanceProfile": {"arn": "arn:aws:iam::1:instance-profile/p"},
    "userData": "IyEvYmluL3NoCmVjaG8gaGk=",
}

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], StackContext]] = {
    "default-security-group-closed": (
        DEFAULT_SG,
        {"vpcId": "vpc-1"},
        {"ingress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}]},
        STAGE,
    ),
    "sg-no-world-ssh-rdp": (
        INGRESS,
        {"cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0},
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 20.0, "toPort": 3390.0},
        STAGE,
    ),
    "sg-no-world-all-ports": (
        SG,
        {"ingress": [{**WEB, "cidrBlocks": ["0.0.0.0/0"]}]},
        {
            "ingress": [
                {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "ipv6CidrBlocks": ["::/0"]}
            ]
        },
        STAGE,
    ),
    "sg-world-ingress-web-ports": (
        SG,
        {"ingress": [{**WEB, "cidrBlocks": ["10.0.0.0/8"]}]},
        {"ingress": [{**WEB, "cidrBlocks": ["0.0.0.0/0"]}]},
        STAGE,
    ),
    "sg-descriptions": (
        SG,
        {"description": "web tasks", "ingress": [{**WEB, "description": "from the ALB"}]},
        {"description": "Managed by Pulumi", "ingress": [{**WEB, "description": ""}]},
        STAGE,
    ),
    "subnet-no-auto-public-ip": (
        "aws:ec2/subnet:Subnet",
        {"mapPublicIpOnLaunch": False},
        {"mapPublicIpOnLaunch": True},
        STAGE,
    ),
    "alb-http-to-https-redirection": (
        LISTENER,
        {
            "protocol": "HTTP",
            "port": 80.0,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}
            ],
        },
        {
            "protocol": "HTTP",
            "port": 80.0,
            "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}],
        },
        STAGE,
    ),
    "alb-tls-policy": (
        LISTENER,
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        STAGE,
    ),
    "alb-drop-invalid-headers": (
        LB,
        {"loadBalancerType": "application", "dropInvalidHeaderFields": True},
        {"loadBalancerType": "application"},
        STAGE,
    ),
    "elb-access-logging-enabled": (
        LB,
        {"accessLogs": {"enabled": True, "bucket": "logs"}},
        {"accessLogs": {"enabled": False, "bucket": "logs"}},
        STAGE,
    ),
    "elb-deletion-protection-enabled": (LB, {"enableDeletionProtection": True}, {}, PROD),
    "alb-desync-mitigation": (
        LB,
        {"desyncMitigationMode": "strictest"},
        {"desyncMitigationMode": "monitor"},
        STAGE,
    ),
    "alb-multi-az": (LB, {"subnets": ["subnet-a", "subnet-b"]}, {"subnets": ["subnet-a"]}, STAGE),
    "target-group-health-check-path": (
        TG,
        {"protocol": "HTTP", "healthCheck": {"enabled": True, "path": "/readyz"}},
        {"protocol": "HTTP", "healthCheck": {"enabled": True}},
        STAGE,
    ),
    "ecs-cluster-container-insights": (
        CLUSTER,
        {"settings": [{"name": "containerInsights", "value": "enhanced"}]},
        {"settings": [{"name": "containerInsights", "value": "disabled"}]},
        STAGE,
    ),
    "ecs-cluster-exec-logging": (
        CLUSTER,
        {"configuration": {"executeCommandConfiguration": {"logging": "DEFAULT", "kmsKeyId": "k"}}},
        {"configuration": {"executeCommandConfiguration": {"logging": "NONE"}}},
        STAGE,
    ),
    "ecs-service-no-public-ip": (
        SERVICE,
        {"networkConfiguration": {"assignPublicIp": False, "subnets": ["subnet-a"]}},
        {"networkConfiguration": {"assignPublicIp": True, "subnets": ["subnet-a"]}},
        STAGE,
    ),
    "ecs-fargate-latest-platform": (
        SERVICE,
        {"launchType": "FARGATE", "platformVersion": "LATEST"},
        {"launchType": "FARGATE", "platformVersion": "1.3.0"},
        STAGE,
    ),
    "ecs-task-not-privileged": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(privileged=True)},
        STAGE,
    ),
    "ecs-task-read-only-root": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(readonlyRootFilesystem=False)},
        STAGE,
    ),
    "ecs-task-no-host-pid": (
        TASK,
        {"containerDefinitions": container(), "pidMode": "task"},
        {"containerDefinitions": container(), "pidMode": "host"},
        STAGE,
    ),
    "ecs-task-no-secrets-in-environment": (
        TASK,
        {"containerDefinitions": container()},
        {
            "containerDefinitions": container(
                environment=[{"name": "DB_PASSWORD", "value": "hunter2"}]
            )
        },
        STAGE,
    ),
    "ecs-task-log-configuration": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(logConfiguration=None)},
        STAGE,
    ),
    "ecs-task-non-root-user": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(user="0:0")},
        STAGE,
    ),
    "ecs-task-no-host-network": (
        TASK,
        {"containerDefinitions": container(), "networkMode": "awsvpc"},
        {"containerDefinitions": container(), "networkMode": "host"},
        STAGE,
    ),
    "ecs-task-separate-roles": (
        TASK,
        {"executionRoleArn": "arn:exec", "taskRoleArn": "arn:task"},
        {"executionRoleArn": "arn:same", "taskRoleArn": "arn:same"},
        STAGE,
    ),
    "ecr-scan-on-push": (
        REPO,
        {"imageScanningConfiguration": {"scanOnPush": True}},
        {"imageScanningConfiguration": {"scanOnPush": False}},
        STAGE,
    ),
    "ecr-immutable-tags": (
        REPO,
        {"imageTagMutability": "IMMUTABLE"},
        {"imageTagMutability": "MUTABLE"},
        STAGE,
    ),
    "ecr-kms-encryption": (
        REPO,
        {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "k"}]},
        {"encryptionConfigurations": [{"encryptionType": "AES256"}]},
        STAGE,
    ),
    "iam-no-admin-policy": (
        POLICY,
        {"policy": doc(SCOPED)},
        {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},
        STAGE,
    ),
    "iam-no-wildcard-actions": (
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": doc(SCOPED)},
        {"policy": doc({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b"]})},
        STAGE,
    ),
    "iam-scoped-resources": (
        POLICY,
        {
            "policy": doc(
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            )
        },
        {"policy": doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})},
        STAGE,
    ),
    "iam-no-escalation-or-exposure": (
        ROLE,
        {"inlinePolicies": [{"name": "p", "policy": doc(SCOPED)}]},
        {
            "inlinePolicies": [
                {
                    "name": "p",
                    "policy": doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
                }
            ]
        },
        STAGE,
    ),
    "iam-trust-no-wildcard-principal": (
        ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        {
            "assumeRolePolicy": doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            )
        },
        STAGE,
    ),
    "iam-github-oidc-trust-pinned": (
        ROLE,
        {"assumeRolePolicy": oidc_trust("repo:acme/ecs-platform:ref:refs/heads/main")},
        {"assumeRolePolicy": oidc_trust("repo:acme/*")},
        STAGE,
    ),
    "resource-policy-not-public": (
        "aws:sns/topicPolicy:TopicPolicy",
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                }
            )
        },
        {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"})},
        STAGE,
    ),
    "rds-instance-public-access-check": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "publiclyAccessible": True},
        STAGE,
    ),
    "rds-storage-encrypted": (DB, GOOD_DB, {**GOOD_DB, "storageEncrypted": False}, STAGE),
    "rds-instance-multi-az-enabled": (DB, GOOD_DB, {**GOOD_DB, "multiAz": False}, PROD),
    "rds-instance-backup-enabled": (DB, GOOD_DB, {**GOOD_DB, "backupRetentionPeriod": 0.0}, STAGE),
    "rds-enhanced-monitoring": (DB, GOOD_DB, {**GOOD_DB, "monitoringInterval": 0.0}, STAGE),
    "rds-log-exports": (DB, GOOD_DB, {**GOOD_DB, "enabledCloudwatchLogsExports": []}, STAGE),
    "rds-iam-authentication": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "iamDatabaseAuthenticationEnabled": False},
        STAGE,
    ),
    "rds-auto-minor-version-upgrade": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "autoMinorVersionUpgrade": False},
        STAGE,
    ),
    "rds-copy-tags-to-snapshot": (DB, GOOD_DB, {**GOOD_DB, "copyTagsToSnapshot": False}, STAGE),
    "rds-performance-insights-kms": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "performanceInsightsKmsKeyId": None},
        STAGE,
    ),
    "rds-non-default-username": (DB, GOOD_DB, {**GOOD_DB, "username": "postgres"}, STAGE),
    "rds-managed-master-password": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "manageMasterUserPassword": False, "password": "from-config"},
        STAGE,
    ),
    "ec2-imdsv2-required": (
        INSTANCE,
        {"metadataOptions": {"httpTokens": "required"}},
        {"metadataOptions": {"httpTokens": "optional"}},
        STAGE,
    ),
    "ec2-imds-hop-limit": (
        LT,
        GOOD_LT,
        {**GOOD_LT, "metadataOptions": {"httpPutResponseHopLimit": 2.0}},
        STAGE,
    ),
    "encrypted-volumes": (
        INSTANCE,
        {"rootBlockDevice": {"encrypted": True}},
        {"rootBlockDevice": {"encrypted": False}},
        STAGE,
    ),
    "ec2-instance-no-public-ip": (
        LT,
        {"networkInterfaces": [{"associatePublicIpAddress": "false"}]},
        {"networkInterfaces": [{"associatePublicIpAddress": "true"}]},
        STAGE,
    ),
    "ec2-instance-profile": (LT, GOOD_LT, {**GOOD_LT, "iamInstanceProfile": None}, STAGE),
    "ec2-user-data-no-secrets": (
        INSTANCE,
        {"userData": "#!/bin/sh\ntoken=$(curl -X PUT http://169.254.169.254/latest/api/token)\n"},
        {"userData": "#!/bin/sh\nexport DB_PASSWORD=hunter2-is-not-a-secret\n"},
        STAGE,
    ),
    "asg-launch-template": (
        ASG,
        {"launchTemplate": {"id": "lt-1"}},
        {"launchConfiguration": "lc"},
        STAGE,
    ),
    "asg-elb-health-check": (
        ASG,
        {"targetGroupArns": ["tg"], "healthCheckType": "ELB"},
        {"targetGroupArns": ["tg"], "healthCheckType": "EC2"},
        STAGE,
    ),
    "asg-multi-az": (ASG, {"vpcZoneIdentifiers": ["a", "b"]}, {"vpcZoneIdentifiers": ["a"]}, STAGE),
    "log-group-kms": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": "arn:aws:kms:k", "retentionInDays": 14.0},
        {"retentionInDays": 14.0},
        STAGE,
    ),
    "log-group-retention": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": "k", "retentionInDays": 14.0},
        {"kmsKeyId": "k", "retentionInDays": 0.0},
        STAGE,
    ),
    "sns-topic-encrypted": ("aws:sns/topic:Topic", {"kmsMasterKeyId": "k"}, {}, STAGE),
    "secret-customer-key": ("aws:secretsmanager/secret:Secret", {"kmsKeyId": "k"}, {}, STAGE),
    "cmk-backing-key-rotation-enabled": (
        "aws:kms/key:Key",
        {"enableKeyRotation": True},
        {"enableKeyRotation": False},
        STAGE,
    ),
    "acm-dns-validation": (
        "aws:acm/certificate:Certificate",
        {"domainName": "www.example.com", "validationMethod": "DNS"},
        {"domainName": "www.example.com", "validationMethod": "EMAIL"},
        STAGE,
    ),
}


def validation_args(resource: Any, stack: str) -> ResourceValidationArgs:
    options = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=None,
    )
    return ResourceValidationArgs(
        resource.type, dict(resource.props), resource.urn, resource.name, options, None
    )


def run_in_pack(rule: rules.Rule, resource: Any, ctx: StackContext, monkeypatch: Any) -> list[str]:
    """The rule as `pulumi preview --policy-pack policy` runs it, with the stack's context."""
    monkeypatch.setattr(engine, "context_for_stack", lambda stack: ctx)
    reported: list[str] = []
    policy = engine.resource_policy(rule)
    policy.validate(
        validation_args(resource, ctx.stack), lambda msg, urn=None: reported.append(msg)
    )
    return reported


def test_every_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == sorted(r.id for r in rules.RESOURCE_RULES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: Any
) -> None:
    rule = rules.BY_ID[rule_id]
    type_, good, bad, ctx = CASES[rule_id]
    good_resource = res(type_, "good", good, stack=ctx.stack)
    bad_resource = res(type_, "bad", bad, stack=ctx.stack)

    assert rules.run_resource_rule(rule, good_resource, ctx) == []
    assert run_in_pack(rule, good_resource, ctx, monkeypatch) == []

    findings = rules.run_resource_rule(rule, bad_resource, ctx)
    assert findings and all(f.rule == rule_id and not f.excepted for f in findings)
    assert run_in_pack(rule, bad_resource, ctx, monkeypatch) == [f.message for f in findings]


def test_every_rule_names_the_checks_it_stands_for() -> None:
    for rule in rules.RULES:
        assert any(tag in rule.description for tag in ("CKV", "FSBP", "awsguard")), rule.id


def test_starred_checks_are_mandatory() -> None:
    starred = {
        "vpc-flow-logs-enabled",
        "default-security-group-closed",
        "sg-no-world-ssh-rdp",
        "sg-no-world-all-ports",
        "alb-http-to-https-redirection",
        "alb-tls-policy",
        "alb-drop-invalid-headers",
        "ecs-cluster-container-insights",
        "ecs-service-no-public-ip",
        "ecs-task-not-privileged",
        "ecs-task-read-only-root",
        "ecs-task-no-host-pid",
        "ecs-task-no-secrets-in-environment",
        "ecs-task-log-configuration",
        "ecr-scan-on-push",
        "ecr-immutable-tags",
        "rds-instance-public-access-check",
        "rds-storage-encrypted",
        "rds-instance-multi-az-enabled",
        "rds-instance-backup-enabled",
        "prod-deletion-protection",
        "rds-force-ssl",
        "ec2-imdsv2-required",
        "encrypted-volumes",
        "ec2-instance-no-public-ip",
        "s3-public-access-block",
        "s3-bucket-versioning",
        "s3-bucket-kms-encryption",
        "s3-bucket-ssl-requests-only",
        "log-group-kms",
        "log-group-retention",
        "cmk-backing-key-rotation-enabled",
        "iam-no-admin-policy",
        "iam-no-wildcard-actions",
        "iam-github-oidc-trust-pinned",
    }
    assert {r.id for r in rules.RULES if r.enforcement is Enforcement.MANDATORY} >= starred


def test_production_only_rules_do_not_apply_to_stage() -> None:
    db = res(DB, "db", {**GOOD_DB, "multiAz": False})
    assert rules.run_resource_rule(rules.BY_ID["rds-instance-multi-az-enabled"], db, STAGE) == []


def test_unknown_values_in_a_preview_are_not_violations(monkeypatch: Any) -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    resource = res(LISTENER, "https", {"protocol": "HTTPS", "sslPolicy": UNKNOWN_STRING_VALUE})
    args = validation_args(resource, "stage")
    args.props = unknown_checking_proxy(dict(resource.props))
    monkeypatch.setattr(engine, "context_for_stack", lambda stack: STAGE)
    reported: list[str] = []
    engine.resource_policy(rules.BY_ID["alb-tls-policy"]).validate(
        args, lambda msg, urn=None: reported.append(msg)
    )
    assert reported == []
