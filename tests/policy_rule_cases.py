"""What the rule tests (tests/test_policy_rules_<area>.py) share: resource types,
hand-built documents and compliant resources, and one case run both through the
engine-neutral `run_resource_rule` (as the offline plan runs a rule) and through
pulumi-policy's own ResourceValidationArgs (as a preview runs it); for the stack rules, a
hand-built stack shaped like the program's that passes every stack rule, and one way to
break it per case."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

from policy import engine, rules
from policy.model import Finding, Resource, StackContext
from policy.testing import TAGS, res

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


# --- stack rules: the compliant stack ----------------------------------------------------

NET = "ecs-platform:network:Network"
BG = "ecs-platform:bluegreen:BlueGreen"
SVC = "ecs-platform:ecs:EcsService"
DBC = "ecs-platform:database:Database"
BAST = "ecs-platform:bastion:Bastion"


def tagged(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "tags": {"Name": "x"}, "tagsAll": {**TAGS, "Name": "x"}}


def ingress(name: str, group: str, parents: tuple[str, ...], **props: Any) -> Resource:
    return res(INGRESS, name, tagged({"securityGroupId": group, **props}), parents=parents)


def ssl_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        }
    )


def good_stack(stack: str = "stage") -> list[Resource]:
    def r(
        type_: str, name: str, props: dict[str, Any], parents: tuple[str, ...], id: str
    ) -> Resource:
        return res(type_, name, tagged(props), parents=parents, stack=stack, id=id)

    tcp = {"ipProtocol": "tcp"}
    return [
        r("aws:ec2/vpc:Vpc", "net-vpc", {"cidrBlock": "10.10.0.0/16"}, (NET,), "vpc-1"),
        r(
            "aws:ec2/flowLog:FlowLog",
            "net-flow",
            {"vpcId": "vpc-1", "trafficType": "ALL"},
            (NET,),
            "fl-1",
        ),
        r(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "net-default",
            {"vpcId": "vpc-1"},
            (NET,),
            "sg-d",
        ),
        r(
            "aws:ec2/internetGateway:InternetGateway",
            "net-igw",
            {"vpcId": "vpc-1"},
            (NET,),
            "igw-1",
        ),
        r("aws:ec2/subnet:Subnet", "net-public-0", {"vpcId": "vpc-1"}, (NET,), "subnet-pub"),
        r("aws:ec2/subnet:Subnet", "net-private-0", {"vpcId": "vpc-1"}, (NET,), "subnet-priv"),
        r("aws:ec2/routeTable:RouteTable", "net-public-rt", {"vpcId": "vpc-1"}, (NET,), "rtb-pub"),
        r(
            "aws:ec2/routeTable:RouteTable",
            "net-private-rt",
            {"vpcId": "vpc-1"},
            (NET,),
            "rtb-priv",
        ),
        res(
            "aws:ec2/route:Route",
            "net-public-default",
            {"routeTableId": "rtb-pub", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
            parents=(NET,),
            stack=stack,
        ),
        res(
            "aws:ec2/route:Route",
            "net-private-default",
            {
                "routeTableId": "rtb-priv",
                "destinationCidrBlock": "0.0.0.0/0",
                "natGatewayId": "nat-1",
            },
            parents=(NET,),
            stack=stack,
        ),
        res(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "net-public-assoc",
            {"subnetId": "subnet-pub", "routeTableId": "rtb-pub"},
            parents=(NET,),
            stack=stack,
        ),
        res(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "net-private-assoc",
            {"subnetId": "subnet-priv", "routeTableId": "rtb-priv"},
            parents=(NET,),
            stack=stack,
        ),
        # Load balancer: the only thing open to the internet, on 80 and 443.
        r(SG, "web-alb-sg", {"vpcId": "vpc-1", "description": "load balancer"}, (BG,), "sg-alb"),
        ingress(
            "web-alb-http", "sg-alb", (BG,), cidrIpv4="0.0.0.0/0", fromPort=80.0, toPort=80.0, **tcp
        ),
        ingress(
            "web-alb-https",
            "sg-alb",
            (BG,),
            cidrIpv4="0.0.0.0/0",
            fromPort=443.0,
            toPort=443.0,
            **tcp,
        ),
        ingress(
            "web-alb-https6", "sg-alb", (BG,), cidrIpv6="::/0", fromPort=443.0, toPort=443.0, **tcp
        ),
        r(
            "aws:lb/loadBalancer:LoadBalancer",
            "web-alb",
            {"securityGroups": ["sg-alb"], "subnets": ["subnet-pub"], "internal": False},
            (BG,),
            "alb-1",
        ),
        res(
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "web-waf",
            {"resourceArn": "alb-1", "webAclArn": "acl"},
            parents=(BG,),
            stack=stack,
        ),
        # Service: private subnets only, reached from the load balancer.
        r(SG, "svc-sg", {"vpcId": "vpc-1", "description": "tasks"}, (SVC,), "sg-svc"),
        ingress(
            "svc-from-alb",
            "sg-svc",
            (SVC,),
            referencedSecurityGroupId="sg-alb",
            fromPort=8080.0,
            toPort=8080.0,
            **tcp,
        ),
        r(
            "aws:ecs/service:Service",
            "svc",
            {
                "networkConfiguration": {
                    "subnets": ["subnet-priv"],
                    "securityGroups": ["sg-svc"],
                    "assignPublicIp": False,
                }
            },
            (SVC,),
            "svc-1",
        ),
        # Bastion: SSH from an operator range only.
        r(SG, "bastion-sg", {"vpcId": "vpc-1", "description": "bastion"}, (BAST,), "sg-bastion"),
        ingress(
            "bastion-ssh",
            "sg-bastion",
            (BAST,),
            cidrIpv4="81.2.69.0/24",
            fromPort=22.0,
            toPort=22.0,
            **tcp,
        ),
        r(
            "aws:ec2/instance:Instance",
            "bastion",
            {
                "vpcSecurityGroupIds": ["sg-bastion"],
                "subnetId": "subnet-pub",
                "associatePublicIpAddress": True,
            },
            (BAST,),
            "i-1",
        ),
        # Database: from the service and the bastion only, TLS forced.
        r(SG, "db-sg", {"vpcId": "vpc-1", "description": "database"}, (DBC,), "sg-db"),
        ingress(
            "db-from-svc",
            "sg-db",
            (DBC,),
            referencedSecurityGroupId="sg-svc",
            fromPort=5432.0,
            toPort=5432.0,
            **tcp,
        ),
        ingress(
            "db-from-bastion",
            "sg-db",
            (DBC,),
            referencedSecurityGroupId="sg-bastion",
            fromPort=5432.0,
            toPort=5432.0,
            **tcp,
        ),
        r(
            "aws:rds/parameterGroup:ParameterGroup",
            "db-params",
            {
                "family": "postgres17",
                "name": "db-params-1",
                "parameters": [{"name": "rds.force_ssl", "value": "1"}],
            },
            (DBC,),
            "db-params-1",
        ),
        r(
            "aws:rds/instance:Instance",
            "db",
            {
                "engine": "postgres",
                "vpcSecurityGroupIds": ["sg-db"],
                "parameterGroupName": "db-params-1",
                "deletionProtection": True,
                "skipFinalSnapshot": False,
            },
            (DBC,),
            "db-1",
        ),
        # A bucket with every companion.
        r("aws:s3/bucket:Bucket", "logs", {}, (), "logs-bucket"),
        res(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "logs-pab",
            {f: True for f in rules.PAB_FLAGS} | {"bucket": "logs-bucket"},
            stack=stack,
        ),
        res(
            "aws:s3/bucketVersioning:BucketVersioning",
            "logs-versioning",
            {"bucket": "logs-bucket", "versioningConfiguration": {"status": "Enabled"}},
            stack=stack,
        ),
        res(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "logs-sse",
            {
                "bucket": "logs-bucket",
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
            },
            stack=stack,
        ),
        res(
            "aws:s3/bucketPolicy:BucketPolicy",
            "logs-policy",
            {"bucket": "logs-bucket", "policy": ssl_only_policy("logs")},
            stack=stack,
        ),
        res(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "logs-lifecycle",
            {"bucket": "logs-bucket", "rules": [{"id": "old", "status": "Enabled"}]},
            stack=stack,
        ),
        res(
            "aws:s3/bucketLogging:BucketLogging",
            "logs-logging",
            {"bucket": "logs-bucket", "targetBucket": "logs-bucket"},
            stack=stack,
        ),
        r("aws:ecr/repository:Repository", "repo", {"name": "web"}, (), "web"),
        res(
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "repo-lifecycle",
            {"repository": "web"},
            stack=stack,
        ),
        r("aws:secretsmanager/secret:Secret", "secret", {}, (), "secret-1"),
        res(
            "aws:secretsmanager/secretRotation:SecretRotation",
            "secret-rotation",
            {"secretId": "secret-1"},
            stack=stack,
        ),
        res(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "untaggable",
            {"role": "r"},
            stack=stack,
        ),
    ]


def stack_findings(resources: list[Resource], ctx: StackContext = STAGE) -> list[Finding]:
    return [f for rule in rules.STACK_RULES for f in rules.run_stack_rule(rule, resources, ctx)]


def replace(resources: list[Resource], name: str, **props: Any) -> list[Resource]:
    return [
        dataclasses.replace(r, props={**r.props, **props}) if r.name == name else r
        for r in resources
    ]


def without(resources: list[Resource], *names: str) -> list[Resource]:
    return [r for r in resources if r.name not in names]


def violations(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and not f.excepted]


StackCase = tuple[str, Callable[[list[Resource]], list[Resource]]]
"""A stack rule's id and a way to break the compliant stack that the rule must catch."""


def check_broken_stack(rule_id: str, break_it: Callable[[list[Resource]], list[Resource]]) -> None:
    """The compliant stack passes the rule; broken by `break_it`, it fails it."""
    assert violations(stack_findings(good_stack()), rule_id) == []
    assert violations(stack_findings(break_it(good_stack())), rule_id)
