"""The policy pack judges a rule's sources on their union, not on a literal /0.

Pieces that add up to the internet (two /1s, four /2s, an IPv6 half and its other half) are as
open as 0.0.0.0/0: the world-ingress rules catch them and the bastion's named exception does
not cover them.
"""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from policy.graph import internet_wide
from policy.model import Resource
from policy.testing import res
from tests.policy_rule_cases import (
    BAST,
    BG,
    INGRESS,
    SG,
    good_stack,
    stack_findings,
    tagged,
    violations,
)

SSH = {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0}

# (case, source ranges of one group's SSH rules)
INTERNET_IN_PIECES = [
    ("two ipv4 halves", ["0.0.0.0/1", "128.0.0.0/1"]),
    ("four ipv4 quarters", ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]),
    ("uneven ipv4 pieces", ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]),
    ("two ipv6 halves", ["::/1", "8000::/1"]),
    ("an eighth of the ipv4 internet", ["32.0.0.0/3"]),
    ("a /15 and a /16", ["81.0.0.0/15", "83.0.0.0/16"]),
    ("a wide ipv6 block", ["2000::/16"]),
]

NARROW = [
    ("one operator range", ["81.2.69.0/24"]),
    ("two operator ranges", ["81.2.69.0/24", "198.51.7.0/24"]),
    ("a /16 exactly", ["81.2.0.0/16"]),
    ("private space of any size", ["10.0.0.0/8", "172.16.0.0/12"]),
    ("an ipv6 site", ["2001:db8:1234::/48"]),
]


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in INTERNET_IN_PIECES])
def test_ranges_that_add_up_to_the_internet_are_internet_wide(cidrs: list[str]) -> None:
    assert internet_wide(cidrs) == set(cidrs)


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in NARROW])
def test_narrow_ranges_are_not_internet_wide(cidrs: list[str]) -> None:
    assert internet_wide(cidrs) == set()


def _bastion_ssh_from(cidrs: list[str]) -> list[Resource]:
    stack = [r for r in good_stack() if r.name != "bastion-ssh"]
    for i, cidr in enumerate(cidrs):
        key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
        stack.append(
            res(
                INGRESS,
                f"bastion-ssh-{i}",
                tagged({"securityGroupId": "sg-bastion", key: cidr, **SSH}),
                parents=(BAST,),
            )
        )
    return stack


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in INTERNET_IN_PIECES])
def test_bastion_exception_does_not_cover_the_internet_in_pieces(cidrs: list[str]) -> None:
    found = violations(
        stack_findings(_bastion_ssh_from(cidrs)), "internet-ingress-only-load-balancer"
    )
    assert {f.name for f in found} == {f"bastion-ssh-{i}" for i in range(len(cidrs))}


@pytest.mark.parametrize(
    "cidrs", [pytest.param(c, id=i) for i, c in NARROW if i != "private space of any size"]
)
def test_bastion_exception_covers_narrow_operator_ranges(cidrs: list[str]) -> None:
    findings = stack_findings(_bastion_ssh_from(cidrs))
    assert violations(findings, "internet-ingress-only-load-balancer") == []
    excepted = {f.exception for f in findings if f.name.startswith("bastion-ssh")}
    assert excepted == {"BASTION_PUBLIC_SSH"}


def _group_with_ssh(cidrs: list[str]) -> Resource:
    entries: list[dict[str, Any]] = [
        {
            "protocol": "tcp",
            "fromPort": 22.0,
            "toPort": 22.0,
            ("ipv6CidrBlocks" if ":" in cidr else "cidrBlocks"): [cidr],
        }
        for cidr in cidrs
    ]
    return res(SG, "sg", tagged({"description": "ssh", "ingress": entries}))


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in INTERNET_IN_PIECES])
def test_world_ssh_rule_catches_the_internet_in_pieces(cidrs: list[str]) -> None:
    outcomes = rules.sg_no_world_ssh_rdp(_group_with_ssh(cidrs))
    assert len(outcomes) == len(cidrs)


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in NARROW])
def test_world_ssh_rule_passes_narrow_ranges(cidrs: list[str]) -> None:
    assert rules.sg_no_world_ssh_rdp(_group_with_ssh(cidrs)) == []


@pytest.mark.parametrize("cidrs", [pytest.param(c, id=i) for i, c in INTERNET_IN_PIECES])
def test_test_listener_open_in_pieces_is_not_excepted(cidrs: list[str]) -> None:
    stack = good_stack()
    for i, cidr in enumerate(cidrs):
        key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
        stack.append(
            res(
                INGRESS,
                f"web-alb-test-{i}",
                tagged(
                    {
                        "securityGroupId": "sg-alb",
                        key: cidr,
                        "ipProtocol": "tcp",
                        "fromPort": 8443.0,
                        "toPort": 8443.0,
                    }
                ),
                parents=(BG,),
            )
        )
    found = violations(stack_findings(stack), "internet-ingress-only-load-balancer")
    assert {f.name for f in found} == {f"web-alb-test-{i}" for i in range(len(cidrs))}
