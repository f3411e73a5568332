"""What the resource-rule tests (tests/test_policy_rules_<area>.py) share: resource types,
hand-built documents and compliant resources, and one case run both through the
engine-neutral `run_resource_rule` (as the offline plan runs a rule) and through
pulumi-policy's own ResourceValidationArgs (as a preview runs it)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from policy import engine, rules
from policy.model import StackContext
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


Case = tuple[str, dict[str, Any], dict[str, Any], StackContext]
"""A rule's case: (resource type, passing props, failing props, context)."""


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


def resource_rule_ids(area: ModuleType) -> list[str]:
    """The ids of the resource rules the rule module `area` declares, sorted."""
    return sorted(r.id for r in rules.RESOURCE_RULES if rules.area_of(r) is area)


def check_case(rule_id: str, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The good resource passes the rule and the bad one fails it, offline and in the pack."""
    rule = rules.BY_ID[rule_id]
    type_, good, bad, ctx = case
    good_resource = res(type_, "good", good, stack=ctx.stack)
    bad_resource = res(type_, "bad", bad, stack=ctx.stack)

    assert rules.run_resource_rule(rule, good_resource, ctx) == []
    assert run_in_pack(rule, good_resource, ctx, monkeypatch) == []

    findings = rules.run_resource_rule(rule, bad_resource, ctx)
    assert findings and all(f.rule == rule_id and not f.excepted for f in findings)
    assert run_in_pack(rule, bad_resource, ctx, monkeypatch) == [f.message for f in findings]
