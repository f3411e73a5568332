"""The test listener's named exception: it takes the NAT addresses and the operators' ranges
on its own port, and never what adds up to the internet."""

from __future__ import annotations

import pytest

from policy.model import Resource
from policy.testing import res
from tests.policy_rule_cases import (
    BG,
    good_stack,
    ingress,
    stack_findings,
    tagged,
    violations,
)
from tests.test_policy_cidr_union import INTERNET_IN_PIECES

TEST_PORT = 8443.0
RULE = "internet-ingress-only-load-balancer"


def _test_listener_from(cidrs: list[str], port: float = TEST_PORT) -> list[Resource]:
    stack = [
        *good_stack(),
        res("aws:lb/listener:Listener", "web-test", tagged({"port": TEST_PORT}), parents=(BG,)),
    ]
    for i, cidr in enumerate(cidrs):
        key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
        stack.append(
            ingress(
                f"web-test-{i}",
                "sg-alb",
                (BG,),
                ipProtocol="tcp",
                fromPort=port,
                toPort=port,
                **{key: cidr},
            )
        )
    return stack


def test_nat_addresses_and_operator_ranges_on_the_test_port_are_the_named_exception() -> None:
    findings = stack_findings(_test_listener_from(["198.51.100.7/32", "81.2.69.0/24"]))
    assert violations(findings, RULE) == []
    excepted = {f.exception for f in findings if f.name.startswith("web-test-")}
    assert excepted == {"TEST_LISTENER_CLIENTS"}


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in INTERNET_IN_PIECES])
def test_the_test_listener_open_to_the_internet_in_pieces_is_a_violation(
    cidrs: list[str],
) -> None:
    found = violations(stack_findings(_test_listener_from(cidrs)), RULE)
    assert {f.name for f in found} == {f"web-test-{i}" for i in range(len(cidrs))}


def test_the_exception_holds_only_on_a_test_listener_port() -> None:
    # The same narrow range on a port no listener uses is not the test listener's client.
    found = violations(stack_findings(_test_listener_from(["198.51.100.7/32"], port=9000.0)), RULE)
    assert [f.name for f in found] == ["web-test-0"]


def test_prod_admits_its_nat_addresses_on_the_test_listener(prod) -> None:
    eips = {r.outputs["publicIp"] for r in prod.of_type("aws:ec2/eip:Eip") if r.parent_type}
    port = next(
        r.inputs["port"]
        for r in prod.of_type("aws:lb/listener:Listener")
        if r.inputs["port"] not in (80, 443)
    )
    admitted = {
        r.inputs["cidrIpv4"]
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") == port
    }
    assert admitted == {f"{ip}/32" for ip in eips}
    assert len(admitted) == 3
