"""Stack rules and named exceptions over a hand-built stack shaped like the program's.

A compliant stack passes every stack rule; each test then breaks one thing and shows the
rule that catches it. The same stack also runs through pulumi-policy's StackValidationArgs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from policy import engine, rules
from policy.graph import strings
from policy.model import Finding, Resource, StackContext
from policy.testing import TAGS, res

NET = "ecs-platform:network:Network"
BG = "ecs-platform:bluegreen:BlueGreen"
SVC = "ecs-platform:ecs:EcsService"
DBC = "ecs-platform:database:Database"
BAST = "ecs-platform:bastion:Bastion"
STAGE = StackContext(stack="stage")
PROD = StackContext(stack="prod", production=True)

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


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


def test_the_compliant_stack_breaks_no_stack_rule() -> None:
    findings = stack_findings(good_stack())
    assert [f.line() for f in findings if not f.excepted] == []


def test_the_load_balancer_and_bastion_openings_are_visible_as_named_exceptions() -> None:
    excepted = {(f.name, f.exception) for f in stack_findings(good_stack()) if f.excepted}
    assert excepted == {
        ("web-alb-http", "ALB_PUBLIC_HTTP_HTTPS"),
        ("web-alb-https", "ALB_PUBLIC_HTTP_HTTPS"),
        ("web-alb-https6", "ALB_PUBLIC_HTTP_HTTPS"),
        ("bastion-ssh", "BASTION_PUBLIC_SSH"),
    }
    assert all(f.reason for f in stack_findings(good_stack()) if f.excepted)


BROKEN_CASES: list[tuple[str, Any]] = [
    ("vpc-flow-logs-enabled", lambda s: without(s, "net-flow")),
    ("vpc-default-security-group-managed", lambda s: without(s, "net-default")),
    # The load balancer's exception covers 80 and 443 only.
    (
        "internet-ingress-only-load-balancer",
        lambda s: replace(s, "web-alb-http", fromPort=8080.0, toPort=8080.0),
    ),
    # ... and only on the load balancer's own group.
    (
        "internet-ingress-only-load-balancer",
        lambda s: replace(s, "svc-from-alb", referencedSecurityGroupId=None, cidrIpv4="0.0.0.0/0"),
    ),
    # The bastion's exception never covers SSH from the whole internet.
    (
        "internet-ingress-only-load-balancer",
        lambda s: replace(s, "bastion-ssh", cidrIpv4="0.0.0.0/0"),
    ),
    (
        "ecs-tasks-in-private-subnets",
        lambda s: replace(
            s,
            "svc",
            networkConfiguration={"subnets": ["subnet-pub"], "securityGroups": ["sg-svc"]},
        ),
    ),
    (
        "ecs-tasks-in-private-subnets",
        lambda s: replace(s, "net-private-0", mapPublicIpOnLaunch=True),
    ),
    (
        "private-subnets-route-via-nat",
        lambda s: replace(s, "net-private-default", gatewayId="igw-1", natGatewayId=None),
    ),
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(s, "db-from-svc", referencedSecurityGroupId="sg-alb"),
    ),
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(
            s, "db-from-svc", referencedSecurityGroupId=None, cidrIpv4="10.10.0.0/16"
        ),
    ),
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(s, "db", vpcSecurityGroupIds=[]),
    ),
    (
        "rds-force-ssl",
        lambda s: replace(s, "db-params", parameters=[{"name": "rds.force_ssl", "value": "0"}]),
    ),
    ("rds-force-ssl", lambda s: replace(s, "db", parameterGroupName=None)),
    (
        "stack-tags",
        lambda s: replace(s, "repo", tagsAll={"Name": "repo", "Project": "ecs-platform"}),
    ),
    ("s3-public-access-block", lambda s: replace(s, "logs-pab", restrictPublicBuckets=False)),
    ("s3-public-access-block", lambda s: without(s, "logs-pab")),
    (
        "s3-bucket-versioning",
        lambda s: replace(s, "logs-versioning", versioningConfiguration={"status": "Suspended"}),
    ),
    ("s3-bucket-kms-encryption", lambda s: without(s, "logs-sse")),
    ("s3-bucket-ssl-requests-only", lambda s: without(s, "logs-policy")),
    ("s3-bucket-lifecycle", lambda s: without(s, "logs-lifecycle")),
    ("s3-bucket-logging-enabled", lambda s: without(s, "logs-logging")),
    ("ecr-lifecycle-policy", lambda s: without(s, "repo-lifecycle")),
    ("alb-waf", lambda s: without(s, "web-waf")),
    ("secrets-rotation", lambda s: without(s, "secret-rotation")),
]


@pytest.mark.parametrize(("rule_id", "break_it"), BROKEN_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    assert violations(stack_findings(good_stack()), rule_id) == []
    assert violations(stack_findings(break_it(good_stack())), rule_id)


def test_every_stack_rule_has_a_failing_case() -> None:
    broken = {rule_id for rule_id, _ in BROKEN_CASES}
    broken |= {"prod-deletion-protection", "rds-private-subnet-group"}  # tested below
    broken |= {"metrics-port-unreachable"}  # tested below, on a stack with a task definition
    assert {r.id for r in rules.STACK_RULES} <= broken


def test_prod_requires_deletion_protection_on_stateful_resources() -> None:
    stack = good_stack("prod")
    assert violations(stack_findings(stack, PROD), "prod-deletion-protection") == []
    broken = replace(stack, "db", deletionProtection=False, skipFinalSnapshot=True)
    broken = replace(broken, "logs", forceDestroy=True)
    found = violations(stack_findings(broken, PROD), "prod-deletion-protection")
    assert sorted(f.name for f in found) == ["db", "db", "logs"]
    assert violations(stack_findings(broken, STAGE), "prod-deletion-protection") == []


def test_database_subnet_group_must_be_private() -> None:
    group = res(
        "aws:rds/subnetGroup:SubnetGroup", "db-subnets", {"subnetIds": ["subnet-priv"]}, id="dbsn"
    )
    stack = replace([*good_stack(), group], "db", dbSubnetGroupName="dbsn")
    assert violations(stack_findings(stack), "rds-private-subnet-group") == []
    public = replace(stack, "db-subnets", subnetIds=["subnet-priv", "subnet-pub"])
    assert violations(stack_findings(public), "rds-private-subnet-group")


def test_resources_without_tags_in_aws_are_exempt_from_the_tag_rule() -> None:
    assert rules.taggable("aws:iam/rolePolicyAttachment:RolePolicyAttachment") is False
    assert rules.taggable("aws:ec2/routeTableAssociation:RouteTableAssociation") is False
    assert rules.taggable("aws:rds/instance:Instance") is True
    assert rules.taggable("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") is True


def test_provider_default_tags_count_when_tags_all_is_absent() -> None:
    provider = res(
        "pulumi:providers:aws",
        "aws",
        {"defaultTags": json.dumps({"tags": TAGS})},
    )
    repo = dataclasses.replace(
        res("aws:ecr/repository:Repository", "repo", {"tags": {"Name": "repo"}}),
        provider=f"{provider.urn}::provider-id",
    )
    assert violations(stack_findings([provider, repo]), "stack-tags") == []
    bare = dataclasses.replace(repo, provider=None)
    assert violations(stack_findings([provider, bare]), "stack-tags")


def test_preview_references_are_followed_through_property_dependencies() -> None:
    """In a real preview new ids are unknown; the engine's property dependencies link them."""
    stack = good_stack()
    by_name = {r.name: r for r in stack}
    from policy.model import UNKNOWN

    rewired = []
    for r in stack:
        if r.name in ("db-from-svc", "db-from-bastion"):
            source = "svc-sg" if r.name == "db-from-svc" else "bastion-sg"
            r = dataclasses.replace(
                r,
                props={**r.props, "securityGroupId": UNKNOWN, "referencedSecurityGroupId": UNKNOWN},
                dependencies={
                    "securityGroupId": [by_name["db-sg"].urn],
                    "referencedSecurityGroupId": [by_name[source].urn],
                },
            )
        rewired.append(r)
    assert (
        violations(stack_findings(rewired), "database-reachable-only-from-service-and-bastion")
        == []
    )
    bad = [
        dataclasses.replace(
            r,
            dependencies={
                **r.dependencies,
                "referencedSecurityGroupId": [by_name["web-alb-sg"].urn],
            },
        )
        if r.name == "db-from-svc"
        else r
        for r in rewired
    ]
    assert violations(stack_findings(bad), "database-reachable-only-from-service-and-bastion")


def _policy_resources(resources: list[Resource]) -> StackValidationArgs:
    """The stack as the engine hands it to a stack policy: no ids, but property
    dependencies linking each prop to the resources it was computed from."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    by_id = {r.id: r.urn for r in resources if r.id}
    policy_resources = {
        r.urn: PolicyResource(r.type, dict(r.props), r.urn, r.name, options, None, None, [], {})
        for r in resources
    }
    for r in resources:
        for key, value in r.props.items():
            deps = [policy_resources[by_id[v]] for v in strings(value) if v in by_id]
            if deps:
                policy_resources[r.urn].property_dependencies[key] = deps
    return StackValidationArgs(list(policy_resources.values()))


def test_the_pack_reports_stack_violations_and_excepted_findings_separately(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(engine, "context_for_stack", lambda stack: STAGE)
    rule = rules.BY_ID["internet-ingress-only-load-balancer"]
    broken = replace(good_stack(), "bastion-ssh", cidrIpv4="0.0.0.0/0")
    blocking: list[tuple[str, str | None]] = []
    excepted: list[tuple[str, str | None]] = []
    engine.stack_policy(rule).validate(
        _policy_resources(broken), lambda m, u=None: blocking.append((m, u))
    )
    engine.stack_policy(rule, excepted=True).validate(
        _policy_resources(broken), lambda m, u=None: excepted.append((m, u))
    )
    assert [u.rsplit("::", 1)[-1] for _, u in blocking if u] == ["bastion-ssh"]
    assert sorted(u.rsplit("::", 1)[-1] for _, u in excepted if u) == [
        "web-alb-http",
        "web-alb-https",
        "web-alb-https6",
    ]
    assert all("ALB_PUBLIC_HTTP_HTTPS" in m for m, _ in excepted)


def test_the_pack_has_one_policy_per_rule_and_a_visible_twin_per_exception() -> None:
    names = [p.name for p in engine.policies()]
    assert len(names) == len(set(names))
    assert {r.id for r in rules.RULES} <= set(names)
    assert "internet-ingress-only-load-balancer-excepted" in names


# --- the website's metrics port --------------------------------------------------------------


def with_metrics_port(port: str = "9102") -> list[Resource]:
    """The compliant stack plus the website's task definition (metrics on `port`), its blue
    target group on 8080 and the service's load balancer entry."""
    task = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web-task",
        tagged(
            {
                "containerDefinitions": json.dumps(
                    [
                        {
                            "name": "web",
                            "environment": [
                                {"name": "PORT", "value": "8080"},
                                {"name": "METRICS_PORT", "value": port},
                            ],
                        }
                    ]
                )
            }
        ),
        parents=(SVC,),
        id="td-1",
    )
    group = res(
        "aws:lb/targetGroup:TargetGroup",
        "web-blue",
        tagged({"port": 8080.0, "protocol": "HTTP", "healthCheck": {"port": "traffic-port"}}),
        parents=(BG,),
        id="tg-blue",
    )
    stack = replace(
        good_stack(),
        "svc",
        loadBalancers=[
            {"containerName": "web", "containerPort": 8080.0, "targetGroupArn": "tg-blue"}
        ],
    )
    return [*stack, task, group]


METRICS_BREAKS: list[tuple[str, Any]] = [
    ("a target group on it", lambda s: replace(s, "web-blue", port=9102.0)),
    (
        "a health check on it",
        lambda s: replace(s, "web-blue", healthCheck={"port": "9102"}),
    ),
    (
        "a listener on it",
        lambda s: [
            *s,
            res("aws:lb/listener:Listener", "web-metrics", tagged({"port": 9102.0}), parents=(BG,)),
        ],
    ),
    (
        "the service mapping it",
        lambda s: replace(
            s,
            "svc",
            loadBalancers=[
                {"containerName": "web", "containerPort": 9102.0, "targetGroupArn": "tg-blue"}
            ],
        ),
    ),
    (
        "the tasks admitting every port",
        lambda s: replace(s, "svc-from-alb", ipProtocol="-1", fromPort=None, toPort=None),
    ),
    (
        "the tasks admitting a range around it",
        lambda s: replace(s, "svc-from-alb", fromPort=9000.0, toPort=9200.0),
    ),
]


def test_metrics_port_reached_by_nothing_passes() -> None:
    assert violations(stack_findings(with_metrics_port()), "metrics-port-unreachable") == []


@pytest.mark.parametrize(("what", "break_it"), METRICS_BREAKS, ids=[w for w, _ in METRICS_BREAKS])
def test_metrics_port_reached_from_outside_the_task_is_caught(what: str, break_it: Any) -> None:
    found = violations(stack_findings(break_it(with_metrics_port())), "metrics-port-unreachable")
    assert found, what


def test_the_rule_follows_the_port_the_task_definition_sets() -> None:
    # Metrics moved to 9200: a target group on 9102 is then fine, one on 9200 is not.
    moved = replace(with_metrics_port("9200"), "web-blue", port=9102.0)
    assert violations(stack_findings(moved), "metrics-port-unreachable") == []
    onto = replace(with_metrics_port("9200"), "web-blue", port=9200.0)
    assert violations(stack_findings(onto), "metrics-port-unreachable")
