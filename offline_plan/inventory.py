"""The inventory: every recorded resource grouped by the component that created it, with the
settings that matter read from the resources themselves (instance classes, counts, NAT
strategy, deployment strategy)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_engine import RecordedResource

STACK_GROUP = "(program)"
"""Group of resources declared at the top of the program (the provider)."""

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
RDS_INSTANCE = "aws:rds/instance:Instance"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
AMP_WORKSPACE = "aws:amp/workspace:Workspace"
GRAFANA_WORKSPACE = "aws:grafana/workspace:Workspace"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ZONE = "aws:route53/zone:Zone"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"
SNS_TOPIC = "aws:sns/topic:Topic"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
NETWORK_COMPONENT = "ecs-platform:network:Network"


def short_type(type_token: str) -> str:
    """`aws:ec2/natGateway:NatGateway` -> `ec2:NatGateway`; components keep their last parts."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    module = parts[1].split("/")[0]
    return f"{module}:{parts[2]}"


def num(value: Any, default: float = 0.0) -> float:
    """A number from a recorded input (numbers arrive as floats, some as strings)."""
    if isinstance(value, bool) or value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class StackView:
    """Lookups over one recording: component of a resource, resources by id, AZs."""

    def __init__(self, resources: Iterable[RecordedResource]) -> None:
        # Registration order varies between runs; the URN order does not.
        self.resources = sorted(resources, key=lambda r: r.urn)
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_id: dict[str, RecordedResource] = {}
        for r in self.resources:
            for key in ("id", "arn"):
                value = r.outputs.get(key) if key != "id" else r.id
                if isinstance(value, str) and value:
                    self.by_id.setdefault(value, r)

    def of_type(self, *types: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type in types]

    def component_of(self, r: RecordedResource) -> RecordedResource | None:
        """The top-level component (a child of the stack) that `r` belongs to."""
        current: RecordedResource | None = r
        top = None
        seen = set()
        while current is not None and current.urn not in seen:
            seen.add(current.urn)
            if not current.custom and not current.type.startswith("pulumi:providers:"):
                top = current
            current = self.by_urn.get(current.parent)
        return top

    def group_of(self, r: RecordedResource) -> str:
        component = self.component_of(r)
        return component.name if component is not None else STACK_GROUP

    def under(self, r: RecordedResource, component_type: str) -> bool:
        return component_type in r.urn.split("::")[2].split("$")[:-1]

    def availability_zones(self) -> list[str]:
        """Distinct AZs of the subnets, in order of first appearance."""
        zones: list[str] = []
        for s in self.of_type(SUBNET):
            az = s.inputs.get("availabilityZone") or s.outputs.get("availabilityZone")
            if isinstance(az, str) and az not in zones:
                zones.append(az)
        return zones

    def subnets_by_tier(self) -> dict[str, list[RecordedResource]]:
        tiers: dict[str, list[RecordedResource]] = {}
        for s in self.of_type(SUBNET):
            tier = (s.inputs.get("tags") or {}).get("Tier") or "other"
            tiers.setdefault(tier, []).append(s)
        return tiers

    def launch_template_of(self, group: RecordedResource) -> RecordedResource | None:
        spec = group.inputs.get("launchTemplate") or {}
        ref = spec.get("id") or spec.get("name") if isinstance(spec, dict) else None
        if not ref:
            mixed = group.inputs.get("mixedInstancesPolicy") or {}
            lt = ((mixed.get("launchTemplate") or {}).get("launchTemplateSpecification")) or {}
            ref = lt.get("launchTemplateId") or lt.get("launchTemplateName")
        if not ref:
            return None
        found = self.by_id.get(ref)
        if found is None:
            found = next(
                (t for t in self.of_type(LAUNCH_TEMPLATE) if t.outputs.get("name") == ref), None
            )
        return found

    def task_definition_of(self, service: RecordedResource) -> RecordedResource | None:
        ref = service.inputs.get("taskDefinition")
        if not isinstance(ref, str):
            return None
        found = self.by_id.get(ref)
        if found is not None:
            return found
        for td in self.of_type(TASK_DEFINITION):
            family = td.inputs.get("family")
            if ref in (family, td.outputs.get("arnWithoutRevision")) or (
                isinstance(family, str) and ref.split("/")[-1].split(":")[0] == family
            ):
                return td
        return None


@dataclass
class ComponentInventory:
    """What one component creates."""

    name: str
    type: str
    resources: list[RecordedResource] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(short_type(r.type) for r in self.resources if r.custom)
        return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def build_inventory(view: StackView) -> list[ComponentInventory]:
    """Resources grouped by top-level component, in wiring order, with their settings."""
    groups: dict[str, ComponentInventory] = {}
    for r in view.resources:
        component = view.component_of(r)
        if component is None:
            key, ctype = STACK_GROUP, "pulumi:pulumi:Stack"
        else:
            key, ctype = component.name, component.type
        group = groups.setdefault(key, ComponentInventory(key, ctype))
        if r is not component:
            group.resources.append(r)
    for group in groups.values():
        group.settings = settings_of(view, group.resources)
    return sorted(groups.values(), key=_wiring_position)


# The order __main__.py wires the components in; the inventory follows it.
COMPONENT_ORDER = (
    "pulumi:pulumi:Stack",
    "ecs-platform:kms:StackKey",
    "ecs-platform:network:Network",
    "ecs-platform:dns:Dns",
    "ecs-platform:registry:Registry",
    "ecs-platform:database:Database",
    "ecs-platform:bluegreen:BlueGreen",
    "ecs-platform:observability:Observability",
    "ecs-platform:ecs:EcsService",
    "ecs-platform:bastion:Bastion",
)


def _wiring_position(group: ComponentInventory) -> tuple[int, str]:
    known = group.type in COMPONENT_ORDER
    return (COMPONENT_ORDER.index(group.type) if known else len(COMPONENT_ORDER), group.name)


def nat_strategy(view: StackView) -> str:
    """How private subnets reach the internet, read from the routes' targets."""
    gateways = view.of_type(NAT_GATEWAY)
    nat_groups = [g for g in view.of_type(ASG) if view.under(g, NETWORK_COMPONENT)]
    azs = len(view.availability_zones())
    if gateways:
        kind = "per AZ" if len(gateways) >= azs > 1 else "single"
        return f"NAT Gateway x{len(gateways)} ({kind})"
    if nat_groups:
        types = {_instance_type(view, g) for g in nat_groups}
        return f"NAT instance x{len(nat_groups)} ({', '.join(sorted(types))}, one per AZ)"
    return "none"


def _instance_type(view: StackView, group: RecordedResource) -> str:
    template = view.launch_template_of(group)
    if template is None:
        return "?"
    return str(template.inputs.get("instanceType") or "?")


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def settings_of(view: StackView, resources: list[RecordedResource]) -> dict[str, str]:
    """The settings a reviewer looks at, for whatever types this group holds."""
    out: dict[str, str] = {}
    types = Counter(r.type for r in resources)
    if types[SUBNET]:
        tiers: dict[str, int] = {}
        for s in resources:
            if s.type == SUBNET:
                tier = (s.inputs.get("tags") or {}).get("Tier") or "other"
                tiers[tier] = tiers.get(tier, 0) + 1
        out["availability zones"] = str(len(view.availability_zones()))
        out["subnets"] = ", ".join(f"{n} {t}" for t, n in tiers.items())
        out["NAT"] = nat_strategy(view)
        endpoints = [r for r in resources if r.type == VPC_ENDPOINT]
        gateway = sum(1 for e in endpoints if e.inputs.get("vpcEndpointType") == "Gateway")
        interface = len(endpoints) - gateway
        out["VPC endpoints"] = f"{gateway} gateway (S3), {interface} interface"
    for r in resources:
        i = r.inputs
        if r.type == RDS_INSTANCE:
            out["database"] = (
                f"{i.get('engine', '?')} {i.get('engineVersion', '')} {i.get('instanceClass')}, "
                f"{'Multi-AZ' if i.get('multiAz') else 'single-AZ'}, "
                f"{num(i.get('allocatedStorage')):.0f} GB {i.get('storageType', '')}"
            ).replace("  ", " ")
            out["deletion protection"] = _yes(i.get("deletionProtection"))
            out["backups (days)"] = f"{num(i.get('backupRetentionPeriod')):.0f}"
        elif r.type == EC2_INSTANCE:
            out[f"instance {r.name}"] = (
                f"{i.get('instanceType')}, public IP {_yes(i.get('associatePublicIpAddress'))}"
            )
        elif r.type == ASG and not view.under(r, NETWORK_COMPONENT):
            out[f"auto scaling {r.name}"] = (
                f"{_instance_type(view, r)} x{num(i.get('desiredCapacity'), num(i.get('minSize'))):.0f}"
                f" ({num(i.get('minSize')):.0f}-{num(i.get('maxSize')):.0f})"
            )
        elif r.type in LOAD_BALANCERS:
            scheme = "internal" if i.get("internal") else "internet-facing"
            out["load balancer"] = f"{i.get('loadBalancerType', 'application')}, {scheme}"
        elif r.type == ECS_SERVICE:
            out["service"] = service_summary(view, r)
            strategy = deployment_strategy(r)
            if strategy:
                out["deployment"] = strategy
        elif r.type == WEB_ACL:
            out["WAF"] = f"web ACL with {len(i.get('rules') or [])} rules"
        elif r.type == AMP_WORKSPACE:
            out["Prometheus"] = "Managed Prometheus workspace"
        elif r.type == GRAFANA_WORKSPACE:
            out["Grafana"] = "Managed Grafana workspace"
        elif r.type == ECR_REPOSITORY:
            scan = (i.get("imageScanningConfiguration") or {}).get("scanOnPush")
            out["repository"] = (
                f"tags {str(i.get('imageTagMutability', 'MUTABLE')).lower()}, "
                f"scan on push {_yes(scan)}"
            )
    if types[ALARM]:
        out["alarms"] = str(types[ALARM])
    if types[DASHBOARD]:
        out["dashboards"] = str(types[DASHBOARD])
    if types[HEALTH_CHECK]:
        out["health checks"] = str(types[HEALTH_CHECK])
    if types[LOG_GROUP]:
        days = sorted(
            {
                f"{num(r.inputs.get('retentionInDays')):.0f}"
                for r in resources
                if r.type == LOG_GROUP
            }
        )
        out["log groups"] = f"{types[LOG_GROUP]} (retention {', '.join(days)} days)"
    return out


def task_shape(view: StackView, service: RecordedResource) -> dict[str, Any]:
    """cpu (vCPU), memory (GB), architecture, desired count and Fargate/Spot shares."""
    td = view.task_definition_of(service)
    i = service.inputs
    tdi = td.inputs if td is not None else {}
    platform = tdi.get("runtimePlatform") or {}
    arch = str(platform.get("cpuArchitecture") or "X86_64").upper()
    strategies = i.get("capacityProviderStrategies") or []
    weights: dict[str, float] = {}
    for s in strategies:
        if isinstance(s, Mapping):
            weights[str(s.get("capacityProvider"))] = num(s.get("weight"), 0)
    total = sum(weights.values())
    spot = weights.get("FARGATE_SPOT", 0) / total if total else 0.0
    launch = str(i.get("launchType") or "")
    fargate = launch == "FARGATE" or (
        not launch and (not weights or any(k.startswith("FARGATE") for k in weights))
    )
    if weights and not any(k.startswith("FARGATE") for k in weights):
        fargate = False
    ephemeral = num((tdi.get("ephemeralStorage") or {}).get("sizeInGib"), 20)
    return {
        "vcpu": num(tdi.get("cpu")) / 1024,
        "memory_gb": num(tdi.get("memory")) / 1024,
        "arm": arch == "ARM64",
        "desired": num(i.get("desiredCount"), 1),
        "spot_share": spot,
        "fargate": fargate,
        "ephemeral_gb": ephemeral,
    }


def service_summary(view: StackView, service: RecordedResource) -> str:
    t = task_shape(view, service)
    where = "Fargate" if t["fargate"] else "EC2"
    spot = f", {t['spot_share']:.0%} Spot" if t["fargate"] else ""
    return (
        f"{t['desired']:.0f} x {t['vcpu']:g} vCPU / {t['memory_gb']:g} GB, "
        f"{'ARM64' if t['arm'] else 'x86_64'}, {where}{spot}"
    )


def deployment_strategy(service: RecordedResource) -> str:
    """ECS's deployment strategy of a service (rolling, blue/green, canary, linear)."""
    config = service.inputs.get("deploymentConfiguration") or {}
    controller = (service.inputs.get("deploymentController") or {}).get("type", "ECS")
    strategy = str(config.get("strategy") or "ROLLING").lower().replace("_", "-")
    details = []
    for key in ("canaryConfiguration", "linearConfiguration"):
        conf = config.get(key)
        if isinstance(conf, Mapping):
            details += [
                f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in conf.items()
            ]
    bake = config.get("bakeTimeInMinutes")
    if bake is not None:
        details.append(f"bake {num(bake):g} min")
    text = strategy if controller == "ECS" else f"{controller.lower()} controller"
    return text + (f" ({', '.join(details)})" if details else "")
