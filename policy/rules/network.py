"""The network: security groups and what they admit from the internet, the VPC's default
security group and flow logs, subnets, which of them are public (their routes) and the ECS
tasks placed in them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from policy.graph import (
    DEFAULT_SECURITY_GROUP,
    ECS_SERVICE,
    SECURITY_GROUP,
    SG_EGRESS_RULE,
    SG_INGRESS_RULE,
    SG_RULE,
    SUBNET,
    Ingress,
    StackIndex,
    internet_wide,
    is_public_cidr,
)
from policy.model import Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    Violation,
    as_index,
    listing,
    resource_rule,
    stack_rule,
    truthy,
    without_companion,
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


# --- Stack rules: judged with every resource of the stack in view ----------------------

VPC = "aws:ec2/vpc:Vpc"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


@stack_rule(
    "vpc-flow-logs-enabled",
    M,
    "Every VPC has flow logs (checkov CKV2_AWS_11; FSBP EC2.6).",
)
def vpc_flow_logs(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources), VPC, "aws:ec2/flowLog:FlowLog", "vpcId", "VPC has no flow log"
    )


@stack_rule(
    "vpc-default-security-group-managed",
    M,
    "Every VPC's default security group is adopted and emptied (checkov CKV2_AWS_12; FSBP EC2.2).",
)
def vpc_default_sg(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources),
        VPC,
        DEFAULT_SECURITY_GROUP,
        "vpcId",
        "the VPC's default security group is not managed (it allows traffic)",
    )


@stack_rule(
    "internet-ingress-only-load-balancer",
    M,
    "Nothing but the load balancer is reachable from the internet: any ingress from outside "
    "the private address space needs a named exception (checkov CKV_AWS_260, CKV_AWS_24, "
    "CKV_AWS_25, CKV_AWS_277; FSBP EC2.18, EC2.19).",
)
def internet_ingress(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for e in index.rule_entries("ingress"):
        for cidr in e.cidrs:
            if is_public_cidr(cidr):
                out.append(
                    Violation(
                        f"ingress from {cidr} on {e.ports_text()} to {group_name(index, e.group)}",
                        e.detail(cidr),
                        e.resource,
                    )
                )
    return out


def group_name(index: StackIndex, urn: str | None) -> str:
    r = index.by_urn.get(urn or "")
    return r.name if r else "an unresolved security group"


def _routes(index: StackIndex, table: Resource) -> list[Mapping[str, Any]]:
    inline = [x for x in listing(table.get("routes")) if isinstance(x, Mapping)]
    separate = [
        route.props for route in index.of_type(ROUTE) if table in index.refs(route, "routeTableId")
    ]
    return inline + separate


def _default_route_to_igw(route: Mapping[str, Any]) -> bool:
    default = (
        route.get("cidrBlock", route.get("destinationCidrBlock")) == "0.0.0.0/0"
        or route.get("ipv6CidrBlock", route.get("destinationIpv6CidrBlock")) == "::/0"
    )
    gateway = route.get("gatewayId")
    return default and gateway is not None and not str(gateway).startswith("vgw-")


def route_tables_of(index: StackIndex, subnet: Resource) -> list[Resource]:
    return [
        table
        for assoc in index.of_type(ROUTE_TABLE_ASSOCIATION)
        if subnet in index.refs(assoc, "subnetId")
        for table in index.refs(assoc, "routeTableId", types=[ROUTE_TABLE])
    ]


def is_public_subnet(index: StackIndex, subnet: Resource) -> bool:
    if truthy(subnet.get("mapPublicIpOnLaunch")):
        return True
    return any(
        _default_route_to_igw(route)
        for table in route_tables_of(index, subnet)
        for route in _routes(index, table)
    )


@stack_rule(
    "ecs-tasks-in-private-subnets",
    M,
    "ECS tasks run only in private subnets, without public IPs (checkov CKV_AWS_333; FSBP ECS.2).",
)
def ecs_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for service in index.of_type(ECS_SERVICE):
        subnets = index.refs(service, "networkConfiguration", types=[SUBNET])
        if not subnets:
            out.append(
                Violation(
                    "tasks' subnets cannot be traced to subnets of this stack", resource=service
                )
            )
        out.extend(
            Violation(f"tasks run in public subnet {s.name}", resource=service)
            for s in subnets
            if is_public_subnet(index, s)
        )
    return out


@stack_rule(
    "private-subnets-route-via-nat",
    A,
    "Private subnets reach the internet through NAT, never an Internet Gateway (checkov CKV2_AWS_35).",
)
def private_routes(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for subnet in index.of_type(SUBNET):
        label = f"{subnet.name} {subnet.get('tags', 'Name')}".lower()
        if any(word in label for word in ("private", "database", "isolated")) and any(
            _default_route_to_igw(r)
            for t in route_tables_of(index, subnet)
            for r in _routes(index, t)
        ):
            out.append(
                Violation("private subnet routes 0.0.0.0/0 to an Internet Gateway", resource=subnet)
            )
    return out
