"""Security groups, the default security group and subnets, one resource at a time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from policy.graph import (
    DEFAULT_SECURITY_GROUP,
    SECURITY_GROUP,
    SG_EGRESS_RULE,
    SG_INGRESS_RULE,
    SG_RULE,
    SUBNET,
    Ingress,
    StackIndex,
    internet_wide,
)
from policy.model import Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    Violation,
    listing,
    resource_rule,
    truthy,
)

SG_RESOURCES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SG_INGRESS_RULE, SG_RULE)


def _world_entries(
    r: Resource, select: Callable[[Ingress], bool] = lambda e: True
) -> list[tuple[Ingress, str]]:
    """Entries of `r` chosen by `select` whose source opens them to the internet, judged on the
    union of the chosen entries' ranges (two /1s are the internet as much as one /0)."""
    chosen = [e for e in StackIndex([r]).entries_of(r, "ingress") if select(e)]
    wide = internet_wide(c for e in chosen for c in e.cidrs)
    return [(e, cidr) for e in chosen for cidr in e.cidrs if cidr in wide]


@resource_rule(
    "default-security-group-closed",
    M,
    [DEFAULT_SECURITY_GROUP],
    "The VPC's default security group allows no traffic in or out "
    "(checkov CKV2_AWS_12; FSBP EC2.2).",
)
def default_security_group_closed(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"default security group has {direction} rules; it must allow nothing"
        for direction in ("ingress", "egress")
        if listing(r.get(direction))
    ]


@resource_rule(
    "sg-no-world-ssh-rdp",
    M,
    SG_RESOURCES,
    "No ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) to SSH (22) "
    "or RDP (3389) "
    "(checkov CKV_AWS_24, CKV_AWS_25; FSBP EC2.13, EC2.14, EC2.53, EC2.54).",
)
def sg_no_world_ssh_rdp(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} reaches port {port} ({e.ports_text()})", e.detail(cidr))
        for port in (22, 3389)
        for e, cidr in _world_entries(r, _covering(port))
    ]


def _covering(port: int) -> Callable[[Ingress], bool]:
    return lambda e: e.covers(port)


@resource_rule(
    "sg-no-world-all-ports",
    M,
    SG_RESOURCES,
    "No ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) to all ports "
    "or protocols "
    "(checkov CKV_AWS_277; FSBP EC2.18, EC2.19).",
)
def sg_no_world_all_ports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} on all ports", e.detail(cidr))
        for e, cidr in _world_entries(r, lambda e: e.all_ports)
    ]


@resource_rule(
    "sg-world-ingress-web-ports",
    A,
    SG_RESOURCES,
    "Ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) only to the load "
    "balancer on 80/443, under the named "
    "exception ALB_PUBLIC_HTTP_HTTPS (checkov CKV_AWS_260; FSBP EC2.18).",
)
def sg_world_ingress_web_ports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} on {e.ports_text()}", e.detail(cidr))
        for e, cidr in _world_entries(r, lambda e: not e.all_ports)
    ]


def _default_description(text: Any) -> bool:
    return not isinstance(text, str) or not text.strip() or text.strip() == "Managed by Pulumi"


@resource_rule(
    "sg-descriptions",
    A,
    [SECURITY_GROUP, SG_INGRESS_RULE, SG_EGRESS_RULE, SG_RULE],
    "Every security group and rule says what it is for (checkov CKV_AWS_23).",
)
def sg_descriptions(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if _default_description(r.get("description")):
        out.append("has no description of its own")
    if r.type == SECURITY_GROUP:
        for direction in ("ingress", "egress"):
            for i, entry in enumerate(listing(r.get(direction))):
                if isinstance(entry, Mapping) and _default_description(entry.get("description")):
                    out.append(f"{direction}[{i}] has no description")
    return out


@resource_rule(
    "subnet-no-auto-public-ip",
    A,
    [SUBNET],
    "Subnets do not give instances public IPs on launch, except the public tier under "
    "PUBLIC_SUBNET_TIER (checkov CKV_AWS_130; FSBP EC2.15).",
)
def subnet_no_auto_public_ip(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if truthy(r.get("mapPublicIpOnLaunch")):
        return ["mapPublicIpOnLaunch is true"]
    return []
