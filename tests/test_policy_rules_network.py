"""Resource rules on security groups and subnets (policy/rules/network.py): for each rule one
resource that passes and one that fails, run offline and as the policy pack runs it."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import network
from tests.policy_rule_cases import (
    DEFAULT_SG,
    INGRESS,
    SG,
    STAGE,
    WEB,
    Case,
    StackCase,
    check_broken_stack,
    check_case,
    replace,
    resource_rule_ids,
    without,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
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
}


def test_every_network_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(network)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


# --- stack rules, over the compliant stack of tests/policy_rule_cases.py ------------------

STACK_CASES: list[StackCase] = [
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
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)
