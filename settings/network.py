"""The network: the VPC's declaration, the subnet plan cut from it, and the checks of both."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from aws_facts import AZ_COUNT, LOG_RETENTION_DAYS, VPC_IPV4_PREFIX_LENGTHS
from settings.engine import Issue, setting
from settings.fields import arm_ec2_class_problem, cidr_problem

# AWS's widest VPC and narrowest subnet (aws_facts).
_WIDEST_VPC, _NARROWEST_SUBNET = VPC_IPV4_PREFIX_LENGTHS
# The subnet plan cuts the VPC into 16 blocks and one block into 16 public subnets (4 bits
# each), so the narrowest VPC it can plan is the one whose public subnets are AWS's narrowest.
_PLAN_CUT_BITS = 4
_NARROWEST_VPC = _NARROWEST_SUBNET - 2 * _PLAN_CUT_BITS


@dataclass(frozen=True)
class NetworkSettings:
    """The VPC, its subnets and how private subnets reach the internet."""

    cidr: str = setting(
        "10.0.0.0/16",
        f"IPv4 range of the VPC, /{_WIDEST_VPC} to /{_NARROWEST_VPC} (a /{_NARROWEST_VPC} "
        f"needs publicSubnetCidrs: the /{_NARROWEST_SUBNET} public subnets computed from it "
        "are too small for the load balancer).",
        check=cidr_problem,
    )
    az_count: int = setting(
        2,
        "Availability zones the VPC spans: 2 or more (the load balancer and the database "
        "subnet group need two), at most what the region offers a new account.",
        minimum=1,
        maximum=max(AZ_COUNT.values()),
    )
    nat_strategy: Literal["none", "single", "per-az", "instance"] = setting(
        "instance",
        "Outbound path of private subnets: none, one NAT Gateway (single), one per AZ "
        "(per-az), or a NAT instance per AZ on a small ARM instance (instance, cheapest).",
    )
    nat_instance_type: str = setting(
        "t4g.nano", "Graviton instance type of the NAT instances.", check=arm_ec2_class_problem
    )
    public_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit public subnet CIDRs, one per AZ; empty computes them from cidr."
    )
    private_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit private (task) subnet CIDRs, one per AZ; empty computes them."
    )
    database_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit database subnet CIDRs, one per AZ; empty computes them."
    )
    ipv6: bool = setting(
        True,
        "Dual-stack public tier: an Amazon IPv6 block, IPv6 public subnets, the load balancer "
        "reachable over IPv6 (AAAA record). Private and database subnets stay IPv4. Free.",
    )
    interface_endpoints: bool = setting(
        False,
        "Interface endpoints for ECR api/dkr, Logs and Secrets Manager (0.01 USD/AZ-hour "
        "each; required with natStrategy none); the S3 gateway endpoint is always there, free.",
    )
    flow_log_retention_days: int = setting(
        30, "Days VPC flow logs are kept.", one_of=LOG_RETENTION_DAYS
    )


@dataclass(frozen=True)
class SubnetPlan:
    """CIDR blocks of each tier, one per availability zone, in AZ order."""

    public: tuple[str, ...]
    private: tuple[str, ...]
    database: tuple[str, ...]


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Splits the VPC into private subnets (large, for tasks) and public and database subnets.

    The VPC is cut into 16 blocks: blocks 0-5 are the private subnets of up to six AZs, block 14
    is cut into 16 public subnets and block 15 into 16 database subnets. Tasks get the big
    blocks because every Fargate task takes an address; the other tiers hold a few ENIs each.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(vpc.subnets(prefixlen_diff=_PLAN_CUT_BITS))
    public = list(blocks[14].subnets(prefixlen_diff=_PLAN_CUT_BITS))
    database = list(blocks[15].subnets(prefixlen_diff=_PLAN_CUT_BITS))
    return SubnetPlan(
        public=tuple(str(public[i]) for i in range(az_count)),
        private=tuple(str(blocks[i]) for i in range(az_count)),
        database=tuple(str(database[i]) for i in range(az_count)),
    )


def network_issues(net: NetworkSettings, issues: list[Issue]) -> SubnetPlan | None:
    """Checks the VPC block and the subnet lists; returns the subnets of each tier (given or
    planned), or None when the VPC block itself is unusable."""
    if cidr_problem(net.cidr) is not None:
        return None
    vpc = ipaddress.ip_network(net.cidr)
    if not isinstance(vpc, ipaddress.IPv4Network) or not (
        _WIDEST_VPC <= vpc.prefixlen <= _NARROWEST_VPC
    ):
        issues.append(
            Issue(
                "network.cidr",
                net.cidr,
                f"must be an IPv4 block from /{_WIDEST_VPC} to /{_NARROWEST_VPC}",
            )
        )
        return None
    planned = plan_subnets(net.cidr, net.az_count)
    tiers: dict[str, tuple[str, ...]] = {}
    for tier, given, default in (
        ("public", net.public_subnet_cidrs, planned.public),
        ("private", net.private_subnet_cidrs, planned.private),
        ("database", net.database_subnet_cidrs, planned.database),
    ):
        key = f"network.{tier}SubnetCidrs"
        if not given:
            tiers[tier] = default
            continue
        if len(given) != net.az_count:
            issues.append(
                Issue(
                    key,
                    list(given),
                    f"must list exactly one CIDR per AZ ({net.az_count}, from azCount)",
                )
            )
        for cidr in given:
            problem = cidr_problem(cidr)
            subnet = None if problem is not None else ipaddress.ip_network(cidr)
            if problem is not None:
                issues.append(Issue(key, cidr, problem))
            elif not isinstance(subnet, ipaddress.IPv4Network) or not subnet.subnet_of(vpc):
                issues.append(Issue(key, cidr, f"must lie inside the VPC {net.cidr}"))
            elif subnet.prefixlen > _NARROWEST_SUBNET:
                issues.append(
                    Issue(
                        key,
                        cidr,
                        f"must be /{_NARROWEST_SUBNET} or larger (AWS's smallest subnet)",
                    )
                )
        tiers[tier] = given
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for tier, cidrs in tiers.items():
        for cidr in cidrs:
            if cidr_problem(cidr) is not None:
                continue
            network = ipaddress.ip_network(cidr)
            for other_tier, other in seen:
                if network.overlaps(other):
                    issues.append(
                        Issue(
                            f"network.{tier}SubnetCidrs",
                            cidr,
                            f"overlaps {other} of the {other_tier} subnets",
                        )
                    )
            seen.append((tier, network))
    return SubnetPlan(tiers["public"], tiers["private"], tiers["database"])
