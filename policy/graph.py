"""Cross-resource lookups the stack rules and exceptions share.

A reference between resources is found two ways: by value (a prop equal to another
resource's id, arn or name: what the offline plan's mocks produce) and by the engine's
property dependencies (what a real preview provides while ids are still unknown).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from address_space import scope
from policy.model import UNKNOWN, Resource

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
ECS_SERVICE = "aws:ecs/service:Service"
EC2_INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")

BASTION_COMPONENT = "ecs-platform:bastion:Bastion"
BLUEGREEN_COMPONENT = "ecs-platform:bluegreen:BlueGreen"
NETWORK_COMPONENT = "ecs-platform:network:Network"
DATABASE_COMPONENT = "ecs-platform:database:Database"


def strings(value: Any) -> Iterator[str]:
    """Every string inside a nested value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, Sequence):
        for item in value:
            yield from strings(item)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def internet_wide(cidrs: Iterable[str]) -> set[str]:
    """The ranges among `cidrs` that open a rule to the internet: every public range of an IP
    version whose union admits more public space than one rule may (address_space), so
    `0.0.0.0/1` plus `128.0.0.0/1` count as much as `0.0.0.0/0`."""
    listed = [c for c in cidrs if isinstance(c, str)]
    reach = scope(listed)
    wide: set[str] = set()
    for cidr in listed:
        try:
            version = ipaddress.ip_network(cidr, strict=False).version
        except ValueError:
            wide.add(cidr)  # unreadable: judged open rather than trusted
            continue
        if reach.too_wide(version) and is_public_cidr(cidr):
            wide.add(cidr)
    return wide


def is_public_cidr(cidr: str) -> bool:
    """True for a range outside the VPC-internal address space (0.0.0.0/0 included)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return True
    # typeshed types subnet_of on the IPv4/IPv6 union as if the versions could differ; the
    # version test before it rules that out, which mypy cannot follow through `any`.
    return not any(
        network.version == internal.version and network.subnet_of(internal)  # type: ignore[arg-type]
        for internal in INTERNAL_NETWORKS
    )


@dataclass(frozen=True)
class Ingress:
    """One direction-normalised security group rule entry."""

    resource: Resource
    """The resource that declares it (a group with inline rules, or a rule resource)."""
    group: str | None
    """URN of the security group it belongs to, when it can be resolved."""
    direction: str
    protocol: str
    from_port: float | None
    to_port: float | None
    cidrs: tuple[str, ...]
    sources: tuple[str, ...]
    """URNs of referenced source security groups (resolved where possible)."""
    unresolved_sources: bool
    self_reference: bool
    description: str | None

    @property
    def all_ports(self) -> bool:
        if self.protocol in {"-1", "all"}:
            return True
        return (self.from_port in (None, 0.0, -1.0)) and (self.to_port in (None, 65535.0, -1.0))

    def covers(self, port: int) -> bool:
        if self.protocol in {"-1", "all"}:
            return True
        if self.from_port is None or self.to_port is None:
            return False
        return self.from_port <= port <= self.to_port

    def exactly(self, port: int) -> bool:
        return self.protocol in {"tcp", "6"} and self.from_port == port and self.to_port == port

    def detail(self, cidr: str | None = None) -> dict[str, Any]:
        return {
            "group": self.group,
            "cidr": cidr,
            "protocol": self.protocol,
            "fromPort": self.from_port,
            "toPort": self.to_port,
        }

    def ports_text(self) -> str:
        if self.all_ports:
            return "all ports"
        if self.from_port == self.to_port:
            return f"{self.protocol}/{int(self.from_port or 0)}"
        return f"{self.protocol}/{int(self.from_port or 0)}-{int(self.to_port or 0)}"


class StackIndex:
    """All resources of one stack, with reference resolution."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_value: dict[str, list[str]] = {}
        for r in self.resources:
            for key in (r.id, r.props.get("id"), r.props.get("arn"), r.props.get("name")):
                if isinstance(key, str) and key:
                    self._by_value.setdefault(key, []).append(r.urn)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def resolve(self, value: Any) -> list[Resource]:
        found: list[Resource] = []
        for text in strings(value):
            for urn in self._by_value.get(text, ()):
                if self.by_urn[urn] not in found:
                    found.append(self.by_urn[urn])
        return found

    def refs(
        self, resource: Resource, *path: str | int, types: Sequence[str] = ()
    ) -> list[Resource]:
        """Resources referenced by ``resource`` at ``path`` (by value, else by dependency)."""
        found = self.resolve(resource.get(*path))
        if path and isinstance(path[0], str):
            for urn in resource.dependencies.get(path[0], ()):
                target = self.by_urn.get(urn)
                if target is not None and target not in found and target is not resource:
                    found.append(target)
        if types:
            found = [r for r in found if r.type in types]
        return found

    def referencing(
        self, target: Resource, types: Sequence[str], *path: str | int
    ) -> list[Resource]:
        """Resources of ``types`` whose ``path`` references ``target``."""
        return [r for r in self.of_type(*types) if target in self.refs(r, *path)]

    # Security groups ---------------------------------------------------------------

    def rule_entries(self, direction: str = "ingress") -> list[Ingress]:
        entries: list[Ingress] = []
        for r in self.resources:
            entries.extend(self.entries_of(r, direction))
        return entries

    def entries_of(self, r: Resource, direction: str = "ingress") -> list[Ingress]:
        if r.type in SG_TYPES:
            return self._inline(r, direction)
        if r.type in (SG_INGRESS_RULE, SG_EGRESS_RULE):
            wanted = SG_INGRESS_RULE if direction == "ingress" else SG_EGRESS_RULE
            return [self._vpc_rule(r, direction)] if r.type == wanted else []
        if r.type == SG_RULE:
            return [self._legacy_rule(r)] if r.get("type") == direction else []
        return []

    def _group_sources(
        self, r: Resource, values: Any, dep_key: str
    ) -> tuple[tuple[str, ...], bool]:
        """Source groups of an inline entry: by value, else the prop's dependencies."""
        items = values if isinstance(values, Sequence) and not isinstance(values, str) else []
        has_unknown = values is UNKNOWN or any(v is UNKNOWN for v in items)
        listed = [v for v in items if isinstance(v, str)]
        if not listed and not has_unknown:
            return (), False
        resolved = [g.urn for g in self.resolve(listed) if g.type in SG_TYPES]
        if not has_unknown and len(resolved) == len(listed):
            return tuple(resolved), False
        deps = [
            u
            for u in r.dependencies.get(dep_key, ())
            if u in self.by_urn and self.by_urn[u].type in SG_TYPES and u != r.urn
        ]
        resolved.extend(u for u in deps if u not in resolved)
        return tuple(resolved), not deps

    def _inline(self, r: Resource, direction: str) -> list[Ingress]:
        out: list[Ingress] = []
        for entry in r.get(direction) or []:
            if not isinstance(entry, Mapping):
                continue
            cidrs = tuple(
                c
                for c in [*(entry.get("cidrBlocks") or []), *(entry.get("ipv6CidrBlocks") or [])]
                if isinstance(c, str)
            )
            sources, unresolved = self._group_sources(r, entry.get("securityGroups"), direction)
            out.append(
                Ingress(
                    resource=r,
                    group=r.urn,
                    direction=direction,
                    protocol=str(entry.get("protocol", "-1")).lower(),
                    from_port=number(entry.get("fromPort")),
                    to_port=number(entry.get("toPort")),
                    cidrs=cidrs,
                    sources=sources,
                    unresolved_sources=unresolved,
                    self_reference=bool(entry.get("self")),
                    description=entry.get("description"),
                )
            )
        return out

    def _target_group(self, r: Resource) -> str | None:
        groups = self.refs(r, "securityGroupId", types=SG_TYPES)
        return groups[0].urn if groups else None

    def _vpc_rule(self, r: Resource, direction: str) -> Ingress:
        cidrs = tuple(c for c in (r.get("cidrIpv4"), r.get("cidrIpv6")) if isinstance(c, str))
        ref = r.get("referencedSecurityGroupId")
        sources: tuple[str, ...] = ()
        unresolved = False
        if ref is not None:
            groups = self.refs(r, "referencedSecurityGroupId", types=SG_TYPES)
            sources = tuple(g.urn for g in groups)
            unresolved = not groups
        return Ingress(
            resource=r,
            group=self._target_group(r),
            direction=direction,
            protocol=str(r.get("ipProtocol", default="-1")).lower(),
            from_port=number(r.get("fromPort")),
            to_port=number(r.get("toPort")),
            cidrs=cidrs,
            sources=sources,
            unresolved_sources=unresolved,
            self_reference=False,
            description=r.get("description"),
        )

    def _legacy_rule(self, r: Resource) -> Ingress:
        cidrs = tuple(
            c
            for c in [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or [])]
            if isinstance(c, str)
        )
        sources: tuple[str, ...] = ()
        unresolved = False
        if r.get("sourceSecurityGroupId") is not None:
            groups = self.refs(r, "sourceSecurityGroupId", types=SG_TYPES)
            sources = tuple(g.urn for g in groups)
            unresolved = not groups
        return Ingress(
            resource=r,
            group=self._target_group(r),
            direction=str(r.get("type")),
            protocol=str(r.get("protocol", default="-1")).lower(),
            from_port=number(r.get("fromPort")),
            to_port=number(r.get("toPort")),
            cidrs=cidrs,
            sources=sources,
            unresolved_sources=unresolved,
            self_reference=bool(r.get("self")),
            description=r.get("description"),
        )

    # Who uses which security group -------------------------------------------------------

    def groups_of(self, r: Resource) -> list[Resource]:
        """Security groups attached to a load balancer, service, instance or database."""
        if r.type in LOAD_BALANCERS:
            return self.refs(r, "securityGroups", types=SG_TYPES)
        if r.type == ECS_SERVICE:
            return self.refs(r, "networkConfiguration", types=SG_TYPES)
        if r.type in (EC2_INSTANCE, RDS_INSTANCE, RDS_CLUSTER):
            return self.refs(r, "vpcSecurityGroupIds", types=SG_TYPES)
        if r.type == LAUNCH_TEMPLATE:
            return [
                *self.refs(r, "vpcSecurityGroupIds", types=SG_TYPES),
                *self.refs(r, "networkInterfaces", types=SG_TYPES),
            ]
        return []

    def users_of(self, group_urn: str | None) -> list[Resource]:
        if group_urn is None:
            return []
        users = (
            *LOAD_BALANCERS,
            ECS_SERVICE,
            EC2_INSTANCE,
            RDS_INSTANCE,
            RDS_CLUSTER,
            LAUNCH_TEMPLATE,
        )
        return [
            r for r in self.of_type(*users) if any(g.urn == group_urn for g in self.groups_of(r))
        ]

    def is_load_balancer_group(self, group_urn: str | None) -> bool:
        return any(u.type in LOAD_BALANCERS for u in self.users_of(group_urn))

    def is_bastion_group(self, group_urn: str | None) -> bool:
        group = self.by_urn.get(group_urn or "")
        if group is not None and group.under(BASTION_COMPONENT):
            return True
        return any(
            u.type == EC2_INSTANCE and u.under(BASTION_COMPONENT) for u in self.users_of(group_urn)
        )
