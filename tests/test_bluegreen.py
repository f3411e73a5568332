"""The BlueGreen component's contract: load balancer, listeners, rules, target groups, security
group rules, access-log bucket, infrastructure role and WAF."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from aws_facts import ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY
from components.bluegreen import (
    TLS_POLICY,
    BlueGreen,
    BlueGreenArgs,
)
from components.network import Subnets
from mock_engine import Recording
from settings import DeploymentSettings, SettingsError, load_settings

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
BG = "ecs-platform:bluegreen:BlueGreen"


DEPLOYMENT_FIELDS = {f.name for f in dataclasses.fields(DeploymentSettings)}


def args(**overrides: Any) -> BlueGreenArgs:
    """The load balancer's arguments; an override names a field of the arguments or of the
    deployment settings (`deletion_protection` is the settings' load balancer deletion
    protection)."""
    deployment: dict[str, Any] = {}
    if "deletion_protection" in overrides:
        deployment["load_balancer_deletion_protection"] = overrides.pop("deletion_protection")
    deployment.update({k: overrides.pop(k) for k in list(overrides) if k in DEPLOYMENT_FIELDS})
    base: dict[str, Any] = {
        "network": Subnets(
            vpc_id="vpc-1",
            vpc_cidr="10.10.0.0/16",
            public=["subnet-a", "subnet-b"],
            private=["subnet-p1", "subnet-p2"],
            database=["subnet-d1", "subnet-d2"],
        ),
        "container_port": 8080,
        "dualstack": False,
        "access_log_bucket_prefix": "ecs-platform-alb-logs-",
        "config": DeploymentSettings(**deployment),
        "certificate_arn": CERT,
    }
    base.update(overrides)
    return BlueGreenArgs(**base)


def build_bg(build: Callable[..., Recording], **overrides: Any) -> Recording:
    def program() -> None:
        bg = BlueGreen("web", args(**overrides))
        bg.forward_to("service", "sg-service")

    return build(program)


@pytest.fixture
def https(build: Callable[..., Recording]) -> Recording:
    return build_bg(build)


def test_https_load_balancer_declares_exactly_these_resources(https: Recording) -> None:
    assert https.counts() == {
        BG: 1,
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 1,
        "aws:s3/bucket:Bucket": 1,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
        "aws:s3/bucketVersioning:BucketVersioning": 1,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
        "aws:s3/bucketPolicy:BucketPolicy": 1,
        "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:lb/targetGroup:TargetGroup": 2,
        "aws:lb/listener:Listener": 3,
        "aws:lb/listenerRule:ListenerRule": 2,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:wafv2/webAcl:WebAcl": 1,
        "aws:wafv2/webAclAssociation:WebAclAssociation": 1,
    }


def test_every_child_is_parented_to_the_component_and_named_uniquely(https: Recording) -> None:
    children = [r for r in https.resources if r.type != BG]
    assert {r.parent_type for r in children} == {BG}
    assert all(r.name.startswith("web-") for r in children)
    assert len({r.urn for r in https.resources}) == len(https.resources)


TAGGABLE = {
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:s3/bucket:Bucket",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:iam/role:Role",
    "aws:wafv2/webAcl:WebAcl",
}


def test_every_taggable_child_has_a_name_tag(https: Recording) -> None:
    tagged = [r for r in https.resources if r.type in TAGGABLE]
    assert len(tagged) == 12
    assert all(r.inputs["tags"]["Name"].startswith("web-") for r in tagged)


def rules(rec: Recording) -> list[tuple[str, Any, Any, Any, Any, str]]:
    out = []
    for kind in ("Ingress", "Egress"):
        for r in rec.of_type(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule"):
            i = r.inputs
            source = i.get("cidrIpv4") or i.get("cidrIpv6") or i.get("referencedSecurityGroupId")
            out.append(
                (
                    kind,
                    i["ipProtocol"],
                    i.get("fromPort"),
                    i.get("toPort"),
                    source,
                    i["description"],
                )
            )
    return sorted(out)


def test_only_https_and_the_redirect_port_are_open_to_the_internet(https: Recording) -> None:
    assert rules(https) == [
        ("Egress", "tcp", 8080, 8080, "sg-service", "HTTP to the service tasks on 8080"),
        ("Ingress", "tcp", 80, 80, "0.0.0.0/0", "HTTP from the internet (redirected to HTTPS)"),
        ("Ingress", "tcp", 443, 443, "0.0.0.0/0", "HTTPS from the internet"),
    ]


def test_the_vpc_range_is_not_admitted_on_the_internet_facing_test_listener(
    https: Recording,
) -> None:
    # An internet-facing load balancer never sees a VPC source address (clients inside the
    # VPC arrive through the NAT), so admitting the VPC's range would admit nobody.
    assert [r for r in rules(https) if r[2] == 8443] == []


def test_the_test_listener_admits_each_nat_address_alone(build: Callable[..., Recording]) -> None:
    rec = build_bg(build, test_listener_nat_ips=("203.0.113.10", "203.0.113.11"))
    assert [r for r in rules(rec) if r[2] == 8443] == [
        ("Ingress", "tcp", 8443, 8443, "203.0.113.10/32", "Test listener from the VPC's NAT 0"),
        ("Ingress", "tcp", 8443, 8443, "203.0.113.11/32", "Test listener from the VPC's NAT 1"),
    ]


def test_the_test_listener_admits_nat_addresses_and_operator_ranges_together(
    build: Callable[..., Recording],
) -> None:
    rec = build_bg(
        build, test_listener_nat_ips=("203.0.113.10",), test_listener_cidrs=("198.51.100.0/24",)
    )
    sources = sorted(r[4] for r in rules(rec) if r[2] == 8443)
    assert sources == ["198.51.100.0/24", "203.0.113.10/32"]


def test_a_test_client_may_open_connections_to_the_test_listener_only(
    build: Callable[..., Recording],
) -> None:
    def program() -> None:
        BlueGreen("web", args()).admit_test_client("bastion", "sg-bastion")

    rec = build(program)
    (egress,) = [
        r.inputs
        for r in rec.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == "sg-bastion"
    ]
    assert (egress["ipProtocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 8443, 8443)


def test_test_listener_admits_only_the_configured_ranges(build: Callable[..., Recording]) -> None:
    rec = build_bg(build, test_listener_cidrs=("198.51.100.0/24", "2001:db8::/32"))
    test_rules = [r for r in rules(rec) if r[2] == 8443]
    assert test_rules == [
        ("Ingress", "tcp", 8443, 8443, "198.51.100.0/24", "Test listener from 198.51.100.0/24"),
        ("Ingress", "tcp", 8443, 8443, "2001:db8::/32", "Test listener from 2001:db8::/32"),
    ]


def listener(rec: Recording, name: str) -> dict[str, Any]:
    return rec.named(name).inputs


def test_port_80_only_redirects_to_https(https: Recording) -> None:
    http = listener(https, "web-http")
    assert http["port"] == 80 and http["protocol"] == "HTTP"
    assert http["defaultActions"] == [
        {
            "type": "redirect",
            "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
        }
    ]


def test_production_listener_is_https_with_tls13_policy_and_the_certificate(
    https: Recording,
) -> None:
    prod = listener(https, "web-production")
    assert (prod["port"], prod["protocol"], prod["sslPolicy"], prod["certificateArn"]) == (
        443,
        "HTTPS",
        TLS_POLICY,
        CERT,
    )
    assert prod["defaultActions"][0]["type"] == "fixed-response"


def test_test_listener_is_https_on_its_own_port(https: Recording) -> None:
    test = listener(https, "web-test")
    assert (test["port"], test["protocol"], test["sslPolicy"]) == (8443, "HTTPS", TLS_POLICY)


def test_plain_http_needs_the_explicit_option(build: Callable[..., Recording]) -> None:
    with pytest.raises(ValueError, match="certificate_arn is required"):
        args(certificate_arn=None)


def test_plain_http_serves_port_80_without_redirect(build: Callable[..., Recording]) -> None:
    rec = build_bg(build, certificate_arn=None, insecure_allow_plain_http=True)
    ports = sorted(
        (r.inputs["port"], r.inputs["protocol"]) for r in rec.of_type("aws:lb/listener:Listener")
    )
    assert ports == [(80, "HTTP"), (8443, "HTTP")]
    internet = [r for r in rules(rec) if r[4] == "0.0.0.0/0"]
    assert internet == [
        ("Ingress", "tcp", 80, 80, "0.0.0.0/0", "INSECURE plain HTTP from the internet (no domain)")
    ]


def test_rules_forward_only_to_blue_and_green_and_ecs_owns_their_actions(
    https: Recording,
) -> None:
    groups = {r.name: r.outputs["arn"] for r in https.of_type("aws:lb/targetGroup:TargetGroup")}
    listeners = {r.name: r.outputs["arn"] for r in https.of_type("aws:lb/listener:Listener")}
    for kind in ("production", "test"):
        rule = https.named(f"web-{kind}-rule")
        assert rule.ignore_changes == ("actions",)
        assert rule.inputs["listenerArn"] == listeners[f"web-{kind}"]
        assert rule.inputs["priority"] == 10
        assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
        assert rule.inputs["actions"] == [
            {
                "type": "forward",
                "forward": {
                    "targetGroups": [
                        {"arn": groups["web-blue"], "weight": 100},
                        {"arn": groups["web-green"], "weight": 0},
                    ]
                },
            }
        ]


def test_target_groups_are_ip_with_fast_readiness_checks(https: Recording) -> None:
    for color in ("blue", "green"):
        tg = https.named(f"web-{color}").inputs
        assert (tg["targetType"], tg["port"], tg["protocol"], tg["vpcId"]) == (
            "ip",
            8080,
            "HTTP",
            "vpc-1",
        )
        assert tg["deregistrationDelay"] == 15
        assert tg["healthCheck"] == {
            "enabled": True,
            "path": "/readyz",
            "port": "traffic-port",
            "protocol": "HTTP",
            "matcher": "200",
            "interval": 10,
            "timeout": 5,
            "healthyThreshold": 2,
            "unhealthyThreshold": 2,
        }


def test_load_balancer_is_public_hardened_and_logs_access(https: Recording) -> None:
    alb = https.one("aws:lb/loadBalancer:LoadBalancer")
    i = alb.inputs
    assert (i["loadBalancerType"], i["internal"], i["subnets"]) == (
        "application",
        False,
        ["subnet-a", "subnet-b"],
    )
    assert i["dropInvalidHeaderFields"] is True
    assert i["desyncMitigationMode"] == "defensive"
    assert i["enableDeletionProtection"] is True
    bucket = https.one("aws:s3/bucket:Bucket").outputs["bucket"]
    assert i["accessLogs"] == {"bucket": bucket, "prefix": "alb", "enabled": True}
    assert https.one("aws:s3/bucketPolicy:BucketPolicy").urn in alb.depends_on


def test_deletion_protection_follows_the_setting(build: Callable[..., Recording]) -> None:
    rec = build_bg(build, deletion_protection=False)
    assert rec.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is False
    assert rec.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_access_log_bucket_is_private_encrypted_versioned_and_expires_logs(
    https: Recording,
) -> None:
    block = https.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    sse = https.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    versioning = https.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    lifecycle = https.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 90}


def test_access_log_bucket_policy_admits_only_elb_delivery_over_tls(https: Recording) -> None:
    bucket = https.one("aws:s3/bucket:Bucket").outputs["bucket"]
    policy = json.loads(https.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "ElbWritesAccessLogs",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
            "Resource": f"arn:aws:s3:::{bucket}/alb/AWSLogs/123456789012/*",
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Action": ["s3:*"],
            "Principal": {"AWS": "*"},
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]


def test_ecs_infrastructure_role_is_trusted_by_ecs_with_the_managed_policy(
    https: Recording,
) -> None:
    role = https.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Sid": "AssumedByEcs",
            "Effect": "Allow",
            "Principal": {"Service": "ecs.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    attachment = https.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert attachment["policyArn"] == ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY
    assert attachment["role"] == role.outputs["name"]


# The ARN as the AWS Managed Policy Reference gives it ("Policy details", ARN):
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
MANAGED_POLICY_REFERENCE_ARN = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
)


def test_infrastructure_role_gets_the_policy_at_the_arn_aws_publishes(https: Recording) -> None:
    attachment = https.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == MANAGED_POLICY_REFERENCE_ARN


def test_whatever_takes_the_infrastructure_role_waits_for_its_policy_attachment(
    build: Callable[..., Recording],
) -> None:
    import pulumi_aws as aws

    def program() -> None:
        bg = BlueGreen("web", args())
        aws.ecs.Service(
            "svc",
            cluster="c",
            load_balancers=bg.service_load_balancers("web"),
            deployment_controller={"type": "ECS"},
        )

    rec = build(program)
    attachment = rec.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    service = rec.one("aws:ecs/service:Service")
    assert attachment.urn in service.depends_on
    role = rec.one("aws:iam/role:Role").outputs["arn"]
    assert service.inputs["loadBalancers"][0]["advancedConfiguration"]["roleArn"] == role


def test_waf_has_managed_rule_groups_and_a_rate_limit(https: Recording) -> None:
    acl = https.one("aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL"
    assert acl["defaultAction"] == {"allow": {}}
    names = [(r["name"], r["priority"]) for r in acl["rules"]]
    assert names == [
        ("AWSManagedRulesCommonRuleSet", 1),
        ("AWSManagedRulesKnownBadInputsRuleSet", 2),
        ("AWSManagedRulesAmazonIpReputationList", 3),
        ("rate-limit-per-ip", 4),
    ]
    assert acl["rules"][3]["statement"]["rateBasedStatement"] == {
        "limit": 2000,
        "aggregateKeyType": "IP",
    }
    association = https.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert (
        association["resourceArn"] == https.one("aws:lb/loadBalancer:LoadBalancer").outputs["arn"]
    )


def test_waf_is_left_out_when_off(build: Callable[..., Recording]) -> None:
    rec = build_bg(build, waf=False)
    assert not rec.of_type("aws:wafv2/webAcl:WebAcl")
    assert not rec.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")


def test_test_listener_refuses_the_whole_internet() -> None:
    # The operators' ranges are the stack's settings: settings refuse them before anything
    # is declared.
    config = {
        "tags": {"owner": "web", "costCentre": "cc-1"},
        "dns": {"domain": "www.example.com"},
        "deployment": {"testListenerCidrs": ["0.0.0.0/0"]},
    }
    with pytest.raises(SettingsError) as caught:
        load_settings("test", config)
    [issue] = [str(i) for i in caught.value.issues if i.path == "deployment.testListenerCidrs"]
    assert "the whole internet" in issue


def test_traffic_shifting_service_gets_green_as_alternate_with_both_rules(
    build: Callable[..., Recording],
) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        import pulumi

        bg = BlueGreen("web", args())
        entry = bg.service_load_balancers("web")[0]
        advanced = entry["advanced_configuration"]
        pulumi.export(
            "entry",
            pulumi.Output.all(
                entry["target_group_arn"],
                advanced["alternate_target_group_arn"],
                advanced["production_listener_rule"],
                advanced["test_listener_rule"],
                advanced["role_arn"],
            ),
        )
        seen["keys"] = sorted(entry)

    rec = build(program)
    blue, green, prod, test, role = rec.outputs["entry"]
    assert seen["keys"] == [
        "advanced_configuration",
        "container_name",
        "container_port",
        "target_group_arn",
    ]
    assert blue == rec.named("web-blue").outputs["arn"]
    assert green == rec.named("web-green").outputs["arn"]
    assert prod == rec.named("web-production-rule").outputs["arn"]
    assert test == rec.named("web-test-rule").outputs["arn"]
    assert role == rec.one("aws:iam/role:Role").outputs["arn"]


def test_rolling_service_gets_one_target_group_and_no_advanced_configuration(
    build: Callable[..., Recording],
) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        bg = BlueGreen("web", args(strategy="rolling"))
        seen["entries"] = bg.service_load_balancers("web")

    build(program)
    (entry,) = seen["entries"]
    assert sorted(entry) == ["container_name", "container_port", "target_group_arn"]


def test_urls_are_https_on_the_domain_or_plain_http_on_the_load_balancer(
    build: Callable[..., Recording],
) -> None:
    import pulumi

    def program() -> None:
        secure = BlueGreen("a", args())
        plain = BlueGreen("b", args(certificate_arn=None, insecure_allow_plain_http=True))
        pulumi.export(
            "secure",
            pulumi.Output.all(secure.url("www.example.com"), secure.test_url("www.example.com")),
        )
        pulumi.export("plain", pulumi.Output.all(plain.url(), plain.test_url()))

    rec = build(program)
    host = rec.named("b-alb").outputs["dnsName"]
    assert rec.outputs["secure"] == ["https://www.example.com", "https://www.example.com:8443"]
    assert rec.outputs["plain"] == [f"http://{host}", f"http://{host}:8443"]


def test_ecs_listeners_carry_no_rule_but_the_forward_rule_ecs_shifts(https: Recording) -> None:
    # ECS's guide (Application Load Balancer resources for blue/green deployments, Limitations):
    # listener rules that mix forward and non-forward actions make the deployment fail.
    listeners = {r.outputs["arn"]: r.name for r in https.of_type("aws:lb/listener:Listener")}
    by_listener: dict[str, list[str]] = {}
    for rule in https.of_type("aws:lb/listenerRule:ListenerRule"):
        by_listener.setdefault(listeners[rule.inputs["listenerArn"]], []).append(rule.name)
        assert {a["type"] for a in rule.inputs["actions"]} == {"forward"}, rule.name
    assert by_listener == {
        "web-production": ["web-production-rule"],
        "web-test": ["web-test-rule"],
    }


def test_target_groups_never_reach_the_metrics_port(https: Recording) -> None:
    from components.ecs_service import METRICS_PORT

    for group in https.of_type("aws:lb/targetGroup:TargetGroup"):
        assert group.inputs["port"] == 8080 != METRICS_PORT
        assert group.inputs["healthCheck"]["port"] == "traffic-port"
    ports = {r.inputs["port"] for r in https.of_type("aws:lb/listener:Listener")}
    assert METRICS_PORT not in ports


def test_dualstack_load_balancer_admits_the_ipv6_internet_on_80_and_443_only(build) -> None:
    rec = build_bg(build, dualstack=True)
    assert rec.one("aws:lb/loadBalancer:LoadBalancer").inputs["ipAddressType"] == "dualstack"
    public = sorted(
        (r.inputs.get("cidrIpv4", ""), r.inputs.get("cidrIpv6", ""), r.inputs["fromPort"])
        for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.startswith("web-from-internet-")
    )
    assert public == [
        ("", "::/0", 80),
        ("", "::/0", 443),
        ("0.0.0.0/0", "", 80),
        ("0.0.0.0/0", "", 443),
    ]


def test_ipv4_only_load_balancer_has_no_ipv6_rules(https: Recording) -> None:
    assert https.one("aws:lb/loadBalancer:LoadBalancer").inputs["ipAddressType"] == "ipv4"
    rules = https.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert all("cidrIpv6" not in r.inputs for r in rules)


# CreateLoadBalancer / CreateTargetGroup `Name` (Elastic Load Balancing API Reference): at most
# 32 characters, alphanumerics and hyphens, not beginning or ending with a hyphen, and unique
# per account and region; a load balancer's may not begin with "internal-".
ELB_NAME = re.compile(r"(?!-)(?!internal-)[A-Za-z0-9-]{1,32}(?<!-)")


def test_load_balancer_and_target_groups_are_auto_named_within_the_elb_rules(
    https: Recording,
) -> None:
    # No fixed name: Pulumi's auto-name (logical name and a random suffix) is unique per
    # stack, so stage and prod never collide in one account.
    for r in [
        https.one("aws:lb/loadBalancer:LoadBalancer"),
        *https.of_type("aws:lb/targetGroup:TargetGroup"),
    ]:
        assert "name" not in r.inputs, r.name
        assert ELB_NAME.fullmatch(r.outputs["name"]), r.outputs["name"]
