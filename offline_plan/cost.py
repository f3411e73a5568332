"""The monthly cost estimate: what each recorded resource costs, from the price table and the
usage assumptions, for the layout as built and for a naive layout of the same topology.

Fixed cost is what the resources cost idle (hours x hourly prices, per-month items); usage
cost depends on traffic and comes from the usage file. Every resource type is accounted for:
priced, explicitly free, usage-only, or listed as not priced when the table does not know it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mock_engine import RecordedResource
from offline_plan import inventory as inv
from offline_plan.inventory import StackView, num, task_shape
from offline_plan.pricing import Price, PriceTable, Usage

Kind = Literal["fixed", "usage", "free", "unpriced"]


@dataclass(frozen=True)
class Layout:
    """Which of the stack's cost choices an estimate applies.

    The as-built layout keeps them all; the naive layout of the same topology has a NAT
    Gateway per AZ, x86 on-demand Fargate tasks and no S3 gateway endpoint.
    """

    nat_as_built: bool = True
    arm_as_built: bool = True
    spot_as_built: bool = True
    gateway_endpoint_as_built: bool = True


AS_BUILT = Layout()
NAIVE = Layout(False, False, False, False)
# The choices, in the order the savings are shown: each step applies one more of them.
CHOICES: tuple[tuple[str, str], ...] = (
    ("gateway_endpoint_as_built", "S3 gateway endpoint instead of S3/ECR traffic through NAT"),
    ("nat_as_built", "NAT strategy as built instead of a NAT Gateway per AZ"),
    ("arm_as_built", "ARM64 (Graviton) tasks instead of x86"),
    ("spot_as_built", "Fargate Spot share instead of on-demand"),
)


@dataclass(frozen=True)
class CostLine:
    """One priced item: a resource (or a usage assumption) times a price."""

    component: str
    item: str
    resource: str
    type: str
    kind: Kind
    quantity: float = 0.0
    unit: str = ""
    unit_price: float = 0.0
    price_keys: tuple[str, ...] = ()
    estimate: bool = False
    note: str = ""

    @property
    def monthly(self) -> float:
        return round(self.quantity * self.unit_price, 6)


@dataclass
class Estimate:
    """Every line of one layout's estimate, with totals."""

    lines: list[CostLine] = field(default_factory=list)

    def grouped(self) -> list[CostLine]:
        """Priced lines with identical component, item and unit price merged (13 alarms are
        one line of quantity 13), in first-seen order."""
        merged: dict[tuple[str, str, str, str, float], CostLine] = {}
        counts: dict[tuple[str, str, str, str, float], int] = {}
        for x in self.lines:
            if x.kind not in ("fixed", "usage", "unpriced"):
                continue
            key = (x.component, x.item, x.kind, x.unit, x.unit_price)
            counts[key] = counts.get(key, 0) + 1
            if key in merged:
                old = merged[key]
                merged[key] = replace(old, quantity=old.quantity + x.quantity, resource="")
            else:
                merged[key] = x
        return [
            replace(x, item=f"{x.item} (x{counts[k]})") if counts[k] > 1 else x
            for k, x in merged.items()
        ]

    def total(self, kind: Kind | None = None) -> float:
        return round(sum(x.monthly for x in self.lines if kind is None or x.kind == kind), 2)

    @property
    def fixed(self) -> float:
        return self.total("fixed")

    @property
    def usage(self) -> float:
        return self.total("usage")

    def by_component(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for x in self.lines:
            row = out.setdefault(x.component, {"fixed": 0.0, "usage": 0.0, "total": 0.0})
            if x.kind in ("fixed", "usage"):
                row[x.kind] += x.monthly
                row["total"] += x.monthly
        return {k: {kk: round(vv, 2) for kk, vv in v.items()} for k, v in out.items()}

    def unpriced(self) -> list[CostLine]:
        return [x for x in self.lines if x.kind == "unpriced"]


class _Pricer:
    """Builds the lines of one layout."""

    def __init__(self, view: StackView, prices: PriceTable, usage: Usage, layout: Layout) -> None:
        self.view = view
        self.prices = prices
        self.usage = usage
        self.layout = layout
        self.hours = prices.hours_per_month
        self.lines: list[CostLine] = []

    # helpers ------------------------------------------------------------------------------
    def add(
        self,
        r: RecordedResource | None,
        item: str,
        kind: Kind,
        quantity: float,
        unit: str,
        price: Price | float | None,
        *,
        component: str | None = None,
        note: str = "",
    ) -> None:
        keys: tuple[str, ...]
        if isinstance(price, Price):
            unit_price, keys, estimate = price.price, (price.key,), price.estimate
            note = note or price.note
        else:
            unit_price, keys, estimate = float(price or 0.0), (), False
        self.lines.append(
            CostLine(
                component=component or (self.view.group_of(r) if r else inv.STACK_GROUP),
                item=item,
                resource=r.name if r else "",
                type=r.type if r else "",
                kind=kind,
                quantity=round(quantity, 6),
                unit=unit,
                unit_price=unit_price,
                price_keys=keys,
                estimate=estimate,
                note=note,
            )
        )

    def hourly(self, r: RecordedResource, item: str, price: Price, count: float = 1.0) -> None:
        self.add(r, item, "fixed", count * self.hours, "hours", price)

    def public_ips(self, r: RecordedResource, count: float, why: str) -> None:
        if count:
            self.add(
                r,
                "public IPv4" + (f" x{count:g}" if count != 1 else "") + f" ({why})",
                "fixed",
                count * self.hours,
                "address-hours",
                self.prices["public_ipv4_hour"],
            )

    def ebs(
        self, r: RecordedResource, devices: Iterable[dict[str, Any]], count: float = 1.0
    ) -> None:
        for d in devices:
            size = num(d.get("volumeSize"), 8)
            kind = str(d.get("volumeType") or "gp3")
            key = "ebs_gp2_gb_month" if kind == "gp2" else "ebs_gp3_gb_month"
            self.add(
                r,
                f"EBS {kind} {size:g} GB" + (f" x{count:g}" if count != 1 else ""),
                "fixed",
                size * count,
                "GB-months",
                self.prices[key],
            )

    def instance_hours(self, r: RecordedResource, instance_type: str, count: float) -> None:
        price = self.prices.ec2(instance_type)
        if price is None:
            self.add(
                r,
                f"EC2 {instance_type}" + (f" x{count:g}" if count != 1 else ""),
                "unpriced",
                count * self.hours,
                "hours",
                None,
                note=f"no price for {instance_type} in prices.yaml (ec2_hour)",
            )
        else:
            self.hourly(
                r, f"EC2 {instance_type}" + (f" x{count:g}" if count != 1 else ""), price, count
            )

    def is_nat(self, r: RecordedResource) -> bool:
        if r.type == inv.NAT_GATEWAY:
            return True
        if r.type in (inv.ASG, inv.EC2_INSTANCE) and self.view.under(r, inv.NETWORK_COMPONENT):
            return True
        if r.type == inv.EIP:
            return any(
                g.inputs.get("allocationId") == r.id for g in self.view.of_type(inv.NAT_GATEWAY)
            )
        return False

    # per type -----------------------------------------------------------------------------
    def run(self) -> list[CostLine]:
        for r in self.view.resources:
            if not r.custom or r.type.startswith("pulumi:providers:"):
                continue
            if not self.layout.nat_as_built and self.is_nat(r):
                continue  # replaced by the naive NAT Gateways below
            handler = HANDLERS.get(r.type)
            if handler is not None:
                handler(self, r)
            elif r.type in FREE:
                self.add(r, FREE[r.type], "free", 0, "", 0.0)
            else:
                self.add(
                    r,
                    "not in the price table",
                    "unpriced",
                    0,
                    "",
                    None,
                    note="no price for this type: add one to prices.yaml and cost.py",
                )
        self.network_traffic()
        self.usage_lines()
        return self.lines

    def nat_gateway(self, r: RecordedResource) -> None:
        self.hourly(r, "NAT Gateway", self.prices["nat_gateway_hour"])

    def eip(self, r: RecordedResource) -> None:
        self.public_ips(r, 1, "Elastic IP")

    def asg(self, r: RecordedResource) -> None:
        count = num(r.inputs.get("desiredCapacity"), num(r.inputs.get("minSize"), 1))
        template = self.view.launch_template_of(r)
        if template is None:
            self.add(
                r, "instances of an unknown launch template", "unpriced", count, "instances", None
            )
            return
        t = template.inputs
        self.instance_hours(r, str(t.get("instanceType")), count)
        public = any(
            isinstance(n, dict) and n.get("associatePublicIpAddress")
            for n in t.get("networkInterfaces") or []
        )
        if public:
            self.public_ips(r, count, "instance")
        self.ebs(r, [(d.get("ebs") or {}) for d in t.get("blockDeviceMappings") or []], count)

    def ec2_instance(self, r: RecordedResource) -> None:
        i = r.inputs
        self.instance_hours(r, str(i.get("instanceType")), 1)
        if i.get("associatePublicIpAddress"):
            self.public_ips(r, 1, "instance")
        root = i.get("rootBlockDevice")
        self.ebs(r, [root] if isinstance(root, dict) else [{"volumeSize": 8}])

    def load_balancer(self, r: RecordedResource) -> None:
        i = r.inputs
        lb_type = str(i.get("loadBalancerType") or "application")
        if lb_type != "application":
            self.add(r, f"{lb_type} load balancer", "unpriced", 0, "", None)
            return
        self.hourly(r, "Application Load Balancer", self.prices["alb_hour"])
        if not i.get("internal"):
            azs = len(i.get("subnets") or i.get("subnetMappings") or [])
            self.public_ips(r, azs, "load balancer, one per AZ")
        lcu = self.usage["alb_lcu"]
        self.add(
            r,
            f"{lcu:g} LCU (usage.yaml)",
            "usage",
            lcu * self.hours,
            "LCU-hours",
            self.prices["alb_lcu_hour"],
        )
        egress = self.usage["internet_egress_gb"]
        self.add(
            r,
            "data out to the internet (usage.yaml)",
            "usage",
            egress,
            "GB",
            self.prices["data_transfer_out_gb"],
        )

    def ecs_service(self, r: RecordedResource) -> None:
        t = task_shape(self.view, r)
        if not t["fargate"]:
            self.add(
                r, "tasks on EC2 capacity (priced with the Auto Scaling group)", "free", 0, "", 0.0
            )
            return
        arm = t["arm"] and self.layout.arm_as_built
        spot = t["spot_share"] if self.layout.spot_as_built else 0.0
        arch = "arm" if arm else "x86"
        vcpu_p, gb_p = (
            self.prices[f"fargate_{arch}_vcpu_hour"],
            self.prices[f"fargate_{arch}_gb_hour"],
        )
        discount = self.prices["fargate_spot_discount"]
        factor = 1 - spot * discount.price
        per_task_hour = t["vcpu"] * vcpu_p.price + t["memory_gb"] * gb_p.price
        label = (
            f"Fargate {t['desired']:g} x {t['vcpu']:g} vCPU / {t['memory_gb']:g} GB "
            f"{'ARM64' if arm else 'x86'}" + (f", {spot:.0%} Spot" if spot else ", on-demand")
        )
        self.lines.append(
            CostLine(
                component=self.view.group_of(r),
                item=label,
                resource=r.name,
                type=r.type,
                kind="fixed",
                quantity=t["desired"] * self.hours,
                unit="task-hours",
                unit_price=round(per_task_hour * factor, 8),
                price_keys=(vcpu_p.key, gb_p.key) + ((discount.key,) if spot else ()),
                estimate=vcpu_p.estimate or gb_p.estimate or (bool(spot) and discount.estimate),
            )
        )
        extra = max(0.0, t["ephemeral_gb"] - 20)
        if extra:
            self.add(
                r,
                f"ephemeral storage {extra:g} GB over 20",
                "fixed",
                extra * t["desired"] * self.hours,
                "GB-hours",
                self.prices["fargate_ephemeral_gb_hour"],
            )

    def rds_instance(self, r: RecordedResource) -> None:
        i = r.inputs
        cls, multi = str(i.get("instanceClass")), bool(i.get("multiAz"))
        price = self.prices.rds(cls, multi)
        label = f"RDS {cls} {'Multi-AZ' if multi else 'single-AZ'}"
        if price is None:
            self.add(
                r,
                label,
                "unpriced",
                self.hours,
                "hours",
                None,
                note=f"no price for {cls} in prices.yaml (rds_hour)",
            )
        else:
            self.hourly(r, label, price)
        storage = num(i.get("allocatedStorage"), 20)
        key = "rds_storage_multi_az_gb_month" if multi else "rds_storage_gb_month"
        self.add(r, f"RDS storage {storage:g} GB", "fixed", storage, "GB-months", self.prices[key])
        if i.get("manageMasterUserPassword"):
            self.add(
                r,
                "master password secret (RDS-managed)",
                "fixed",
                1,
                "secret-months",
                self.prices["secret_month"],
            )

    def vpc_endpoint(self, r: RecordedResource) -> None:
        kind = r.inputs.get("vpcEndpointType") or "Gateway"
        if kind == "Gateway":
            if self.layout.gateway_endpoint_as_built:
                self.add(
                    r,
                    "gateway endpoint",
                    "free",
                    1,
                    "endpoint",
                    self.prices["vpc_gateway_endpoint"],
                )
            return
        azs = len(r.inputs.get("subnetIds") or []) or 1
        self.add(
            r,
            f"interface endpoint x{azs} AZ",
            "fixed",
            azs * self.hours,
            "AZ-hours",
            self.prices["vpc_interface_endpoint_az_hour"],
        )

    def web_acl(self, r: RecordedResource) -> None:
        self.add(r, "WAF web ACL", "fixed", 1, "ACL-months", self.prices["waf_web_acl_month"])
        rules = len(r.inputs.get("rules") or [])
        if rules:
            self.add(
                r,
                f"WAF rules x{rules}",
                "fixed",
                rules,
                "rule-months",
                self.prices["waf_rule_month"],
            )
        million = self.usage["waf_requests_million"]
        self.add(
            r,
            "WAF requests (usage.yaml)",
            "usage",
            million,
            "million requests",
            self.prices["waf_requests_million"],
        )

    def health_check(self, r: RecordedResource) -> None:
        self.add(
            r,
            "Route53 health check",
            "fixed",
            1,
            "check-months",
            self.prices["route53_health_check_aws_month"],
        )

    def amp_workspace(self, r: RecordedResource) -> None:
        samples = self.usage["prometheus_samples_million"]
        self.add(
            r,
            "Prometheus samples ingested (usage.yaml)",
            "usage",
            samples / 10,
            "10M samples",
            self.prices["amp_ingest_10m_samples"],
        )
        storage = self.usage["prometheus_storage_gb"]
        self.add(
            r,
            "Prometheus storage (usage.yaml)",
            "usage",
            storage,
            "GB-months",
            self.prices["amp_storage_gb_month"],
        )

    def grafana_workspace(self, r: RecordedResource) -> None:
        self.add(
            r,
            "Grafana editors (usage.yaml)",
            "usage",
            self.usage["grafana_editors"],
            "editor-months",
            self.prices["grafana_editor_month"],
        )
        self.add(
            r,
            "Grafana viewers (usage.yaml)",
            "usage",
            self.usage["grafana_viewers"],
            "viewer-months",
            self.prices["grafana_viewer_month"],
        )

    # traffic and the usage that is not tied to one resource -------------------------------
    def network_traffic(self) -> None:
        """GB through NAT: data processing for NAT Gateways (none for NAT instances); S3/ECR
        traffic is free through the gateway endpoint, through NAT without one."""
        view, usage = self.view, self.usage
        gateways = view.of_type(inv.NAT_GATEWAY)
        nat_groups = [g for g in view.of_type(inv.ASG) if view.under(g, inv.NETWORK_COMPONENT)]
        has_gateway_endpoint = any(
            e.inputs.get("vpcEndpointType", "Gateway") == "Gateway"
            for e in view.of_type(inv.VPC_ENDPOINT)
        )
        s3_through_nat = not (has_gateway_endpoint and self.layout.gateway_endpoint_as_built)
        gb = usage["nat_internet_gb"] + (usage["s3_gb"] if s3_through_nat else 0.0)
        what = "NAT data (usage.yaml" + (", S3/ECR included)" if s3_through_nat else ")")
        if not self.layout.nat_as_built and view.availability_zones():
            zones = len(view.availability_zones())
            anchor = next(iter(gateways or nat_groups or view.of_type(inv.SUBNET)), None)
            component = view.group_of(anchor) if anchor else inv.STACK_GROUP
            for z in range(zones):
                self.add(
                    anchor,
                    f"NAT Gateway (naive, AZ {z})",
                    "fixed",
                    self.hours,
                    "hours",
                    self.prices["nat_gateway_hour"],
                    component=component,
                )
                self.add(
                    anchor,
                    f"public IPv4 (naive NAT Gateway, AZ {z})",
                    "fixed",
                    self.hours,
                    "address-hours",
                    self.prices["public_ipv4_hour"],
                    component=component,
                )
            self.add(
                anchor, what, "usage", gb, "GB", self.prices["nat_gateway_gb"], component=component
            )
        elif gateways:
            self.add(gateways[0], what, "usage", gb, "GB", self.prices["nat_gateway_gb"])
        elif nat_groups:
            self.add(
                nat_groups[0], what + ": NAT instances charge no processing", "usage", gb, "GB", 0.0
            )
        if has_gateway_endpoint and not s3_through_nat:
            endpoint = next(
                e
                for e in view.of_type(inv.VPC_ENDPOINT)
                if e.inputs.get("vpcEndpointType", "Gateway") == "Gateway"
            )
            self.add(
                endpoint,
                "S3/ECR traffic through the gateway endpoint (usage.yaml)",
                "usage",
                usage["s3_gb"],
                "GB",
                self.prices["vpc_gateway_endpoint"],
            )

    def usage_lines(self) -> None:
        view, usage, p = self.view, self.usage, self.prices
        logs = view.of_type(inv.LOG_GROUP)
        if logs:
            share = 1 / len(logs)
            for g in logs:
                self.add(
                    g,
                    "log ingestion (usage.yaml, shared)",
                    "usage",
                    usage["log_ingest_gb"] * share,
                    "GB",
                    p["cloudwatch_logs_ingest_gb"],
                )
                self.add(
                    g,
                    "log storage (usage.yaml, shared)",
                    "usage",
                    usage["log_stored_gb"] * share,
                    "GB-months",
                    p["cloudwatch_logs_store_gb_month"],
                )
        repos = view.of_type(inv.ECR_REPOSITORY)
        if repos:
            self.add(
                repos[0],
                "image storage (usage.yaml)",
                "usage",
                usage["ecr_storage_gb"],
                "GB-months",
                p["ecr_storage_gb_month"],
            )
        keys = view.of_type(inv.KMS_KEY)
        if keys:
            self.add(
                keys[0],
                "KMS requests (usage.yaml)",
                "usage",
                usage["kms_requests_thousand"] / 10,
                "10k requests",
                p["kms_requests_10k"],
            )
        secrets = view.of_type(inv.SECRET) or view.of_type(inv.RDS_INSTANCE)
        if secrets:
            self.add(
                secrets[0],
                "secret API calls (usage.yaml)",
                "usage",
                usage["secret_calls_thousand"] / 10,
                "10k calls",
                p["secret_calls_10k"],
            )
        dns = view.of_type(inv.ZONE) or view.of_type("aws:route53/record:Record")
        if dns:
            self.add(
                dns[0],
                "DNS queries (usage.yaml)",
                "usage",
                usage["route53_queries_million"],
                "million queries",
                p["route53_queries_million"],
            )


def _monthly(key: str, item: str, unit: str) -> Callable[[_Pricer, RecordedResource], None]:
    def handler(self: _Pricer, r: RecordedResource) -> None:
        self.add(r, item, "fixed", 1, unit, self.prices[key])

    return handler


def _usage_only(item: str) -> Callable[[_Pricer, RecordedResource], None]:
    def handler(self: _Pricer, r: RecordedResource) -> None:
        self.add(r, item, "usage", 0, "", 0.0)

    return handler


HANDLERS: dict[str, Callable[[_Pricer, RecordedResource], None]] = {
    inv.NAT_GATEWAY: _Pricer.nat_gateway,
    inv.EIP: _Pricer.eip,
    inv.ASG: _Pricer.asg,
    inv.EC2_INSTANCE: _Pricer.ec2_instance,
    **{t: _Pricer.load_balancer for t in inv.LOAD_BALANCERS},
    inv.ECS_SERVICE: _Pricer.ecs_service,
    inv.RDS_INSTANCE: _Pricer.rds_instance,
    inv.VPC_ENDPOINT: _Pricer.vpc_endpoint,
    inv.WEB_ACL: _Pricer.web_acl,
    inv.HEALTH_CHECK: _Pricer.health_check,
    inv.AMP_WORKSPACE: _Pricer.amp_workspace,
    inv.GRAFANA_WORKSPACE: _Pricer.grafana_workspace,
    inv.KMS_KEY: _monthly("kms_key_month", "KMS key", "key-months"),
    inv.SECRET: _monthly("secret_month", "secret", "secret-months"),
    inv.ALARM: _monthly("cloudwatch_alarm_month", "CloudWatch alarm", "alarm-months"),
    inv.DASHBOARD: _monthly(
        "cloudwatch_dashboard_month", "CloudWatch dashboard", "dashboard-months"
    ),
    inv.ZONE: _monthly("route53_zone_month", "hosted zone", "zone-months"),
    inv.LOG_GROUP: _usage_only("log group (ingestion and storage priced from usage.yaml)"),
    inv.ECR_REPOSITORY: _usage_only("repository (storage priced from usage.yaml)"),
    inv.SNS_TOPIC: _usage_only("topic (alarm e-mails: free at this volume)"),
    "aws:ec2/flowLog:FlowLog": _usage_only("flow log (priced as log ingestion)"),
    "aws:s3/bucket:Bucket": _usage_only("bucket (access logs: a few GB at 0.023 USD/GB-month)"),
    "aws:s3/bucketV2:BucketV2": _usage_only("bucket (access logs: a few GB at 0.023 USD/GB)"),
}

# Types that cost nothing by themselves, with why.
FREE: dict[str, str] = {
    t: why
    for why, types in {
        "free (network plumbing)": (
            "aws:ec2/vpc:Vpc",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/route:Route",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/networkInterface:NetworkInterface",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "aws:ec2/securityGroupRule:SecurityGroupRule",
        ),
        "free (IAM)": (
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/policy:Policy",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:iam/instanceProfile:InstanceProfile",
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        ),
        "free (configuration)": (
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:ec2/keyPair:KeyPair",
            "aws:rds/subnetGroup:SubnetGroup",
            "aws:rds/parameterGroup:ParameterGroup",
            "aws:kms/alias:Alias",
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "aws:ecr/repositoryPolicy:RepositoryPolicy",
            "aws:route53/record:Record",
            "aws:acm/certificateValidation:CertificateValidation",
            "aws:lb/listener:Listener",
            "aws:lb/listenerRule:ListenerRule",
            "aws:lb/targetGroup:TargetGroup",
            "aws:alb/listener:Listener",
            "aws:alb/listenerRule:ListenerRule",
            "aws:alb/targetGroup:TargetGroup",
            "aws:ecs/cluster:Cluster",
            "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
            "aws:ecs/capacityProvider:CapacityProvider",
            "aws:ecs/taskDefinition:TaskDefinition",
            "aws:appautoscaling/target:Target",
            "aws:appautoscaling/policy:Policy",
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "aws:sns/topicSubscription:TopicSubscription",
            "aws:sns/topicPolicy:TopicPolicy",
            "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
            "aws:amp/alertManagerDefinition:AlertManagerDefinition",
            "aws:amp/workspaceConfiguration:WorkspaceConfiguration",
            "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
            "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
            "aws:grafana/roleAssociation:RoleAssociation",
            "aws:secretsmanager/secretVersion:SecretVersion",
            "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketVersioning:BucketVersioning",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
            "grafana:oss/dataSource:DataSource",
            "grafana:oss/dashboard:Dashboard",
            "grafana:oss/folder:Folder",
            "docker:index/image:Image",
            "docker-build:index:Image",
        ),
        "free (public certificate)": ("aws:acm/certificate:Certificate",),
    }.items()
    for t in types
}


def estimate(
    view: StackView, prices: PriceTable, usage: Usage, layout: Layout = AS_BUILT
) -> Estimate:
    """Every cost line of the stack under `layout`."""
    return Estimate(_Pricer(view, prices, usage, layout).run())


@dataclass(frozen=True)
class Saving:
    choice: str
    monthly_fixed: float
    monthly_total: float


def savings(view: StackView, prices: PriceTable, usage: Usage) -> list[Saving]:
    """What each choice saves, applied one after another from the naive layout: the steps add
    up to the difference between the naive and the as-built estimate."""
    out = []
    layout = NAIVE
    before = estimate(view, prices, usage, layout)
    for attr, label in CHOICES:
        layout = replace(layout, **{attr: True})
        after = estimate(view, prices, usage, layout)
        out.append(
            Saving(
                label,
                round(before.fixed - after.fixed, 2),
                round(before.total() - after.total(), 2),
            )
        )
        before = after
    return out


# ---------------------------------------------------------------------------------------------
# How private subnets reach the internet: every egress choice priced for the stack.

#: Interface endpoints private subnets need when nothing leaves through a NAT, with what each
#: is for. Service names: the AWS PrivateLink guide, "AWS services that integrate with AWS
#: PrivateLink"; Session Manager needs ssm, ssmmessages and ec2messages (Systems Manager user
#: guide, "Use VPC endpoints to improve the security of EC2 instances"). No STS endpoint:
#: tasks take their role's credentials from the ECS container credentials endpoint (ECS
#: developer guide, "Task IAM role") and instances from the instance metadata service.
ENDPOINTS_ALWAYS: tuple[tuple[str, str], ...] = (
    ("ecr.api", "image manifests and authorization"),
    ("ecr.dkr", "image pulls (layers come from S3 through the free gateway endpoint)"),
    ("logs", "the tasks' logs to CloudWatch Logs"),
    ("secretsmanager", "the database secret injected into tasks"),
)
ENDPOINTS_PROMETHEUS: tuple[tuple[str, str], ...] = (
    ("aps-workspaces", "Managed Prometheus remote write"),
)
ENDPOINTS_SSM: tuple[tuple[str, str], ...] = (
    ("ssm", "Session Manager for the bastion"),
    ("ssmmessages", "Session Manager data channel"),
    ("ec2messages", "Systems Manager agent messages"),
)
EGRESS_NOTE = (
    "Left out of the comparison, being the same for every choice: S3 and ECR layers through "
    "the free S3 gateway endpoint, and data sent to the internet (charged per GB over IPv4 "
    "and IPv6 alike, whichever gateway it leaves by)."
)
STRATEGY_LABELS: dict[str, str] = {
    "none": "no NAT: interface endpoints",
    "instance": "NAT instance per AZ",
    "single": "one NAT Gateway",
    "per-az": "NAT Gateway per AZ",
    "egress-only": "IPv6 egress-only internet gateway",
}


@dataclass(frozen=True)
class EgressInputs:
    """What the comparison needs to know of a stack (from its settings)."""

    az_count: int
    strategy: str
    """The stack's network.natStrategy."""
    nat_instance_type: str
    dual_stack: bool
    """The VPC has an IPv6 block (network.ipv6)."""
    prometheus: bool
    """Tasks remote-write to Managed Prometheus."""
    ssm_bastion: bool
    """A bastion reached through Session Manager (no SSH)."""

    def endpoints(self) -> tuple[tuple[str, str], ...]:
        return (
            ENDPOINTS_ALWAYS
            + (ENDPOINTS_PROMETHEUS if self.prometheus else ())
            + (ENDPOINTS_SSM if self.ssm_bastion else ())
        )


@dataclass(frozen=True)
class NatAlternative:
    """One egress choice, priced for the stack."""

    strategy: str
    label: str
    fixed_usd: float
    usage_usd: float
    survives_az_loss: bool
    reaches_ipv4_internet: bool
    az_failure: str
    """Which availability-zone failures cut egress."""
    needs: tuple[str, ...]
    as_built: bool = False

    @property
    def total_usd(self) -> float:
        return round(self.fixed_usd + self.usage_usd, 2)


@dataclass(frozen=True)
class BreakEven:
    """The monthly NAT data volume above which interface endpoints cost less than `versus`."""

    versus: str
    gb: float | None
    """None: endpoints never become cheaper; 0: they are cheaper at any volume."""


@dataclass(frozen=True)
class EgressComparison:
    alternatives: list[NatAlternative]
    as_built: str
    cheapest_same_availability: str | None
    cheapest_overall: str
    break_even: list[BreakEven]
    nat_gb: float
    endpoints: tuple[str, ...]
    public_side: list[tuple[str, float]]
    """The public side: what the Internet Gateway path costs (the gateway itself is free)."""

    def by_strategy(self, strategy: str) -> NatAlternative:
        return next(a for a in self.alternatives if a.strategy == strategy)


def _per_gb_cross_az(inputs: EgressInputs, prices: PriceTable) -> float:
    """With one NAT Gateway, traffic of the other AZs crosses to the NAT's AZ: charged per GB
    in each direction (EC2 on-demand pricing, data transfer within a region)."""
    share = (inputs.az_count - 1) / inputs.az_count
    return share * 2 * prices["inter_az_gb"].price


def nat_alternatives(
    inputs: EgressInputs,
    prices: PriceTable,
    usage: Usage,
    public_side: list[tuple[str, float]] | None = None,
) -> EgressComparison:
    """Every egress choice for the stack's private subnets, priced with its AZ count, the
    interface endpoints it would need and its usage.yaml NAT volume.

    S3 traffic goes through the free gateway endpoint in every choice, and data sent to the
    internet is charged per GB the same way whichever path it takes (IPv4 or IPv6), so both
    are left out: what differs is the NAT's hours, addresses and per-GB processing, the
    endpoints' hours and per-GB processing, and cross-AZ transfer to a single NAT.
    """
    h, azs = prices.hours_per_month, inputs.az_count
    gb = usage["nat_internet_gb"]
    ipv4 = prices["public_ipv4_hour"].price * h
    endpoint_hour = prices["vpc_interface_endpoint_az_hour"].price
    endpoints = inputs.endpoints()
    per_endpoint = f"{endpoint_hour:g} USD/AZ-hour x {azs} AZ = {endpoint_hour * h * azs:.2f}/month"
    endpoint_needs = tuple(
        f"interface endpoint {s} ({why}): {per_endpoint}" for s, why in endpoints
    )
    nat_gw = prices["nat_gateway_hour"].price * h
    nat_gb = prices["nat_gateway_gb"].price
    instance = prices.ec2(inputs.nat_instance_type)
    instance_month = (
        (instance.price * h if instance else 0.0)
        + 8 * prices["ebs_gp3_gb_month"].price  # the launch template's 8 GB gp3 root volume
        + ipv4
    )
    per_az_survives = azs > 1
    alternatives = [
        NatAlternative(
            strategy="none",
            label=STRATEGY_LABELS["none"],
            fixed_usd=round(len(endpoints) * azs * endpoint_hour * h, 2),
            usage_usd=round(gb * prices["vpc_interface_endpoint_gb"].price, 2),
            survives_az_loss=per_az_survives,
            reaches_ipv4_internet=False,
            az_failure="endpoints have an interface in every AZ: an AZ's loss cuts only that AZ",
            needs=(
                *endpoint_needs,
                "no path to the internet: third-party APIs and package mirrors are unreachable",
            ),
        ),
        NatAlternative(
            strategy="instance",
            label=f"{STRATEGY_LABELS['instance']} ({inputs.nat_instance_type})",
            fixed_usd=round(azs * instance_month, 2),
            usage_usd=0.0,
            survives_az_loss=per_az_survives,
            reaches_ipv4_internet=True,
            az_failure="an AZ's loss cuts only that AZ; an instance failure cuts its AZ until "
            "the Auto Scaling group replaces it (minutes)",
            needs=(
                f"{azs} x {inputs.nat_instance_type}, 8 GB gp3 and a public IPv4 address each"
                + ("" if instance else f" (no price for {inputs.nat_instance_type})"),
                "no per-GB processing; bandwidth limited by the instance type",
            ),
        ),
        NatAlternative(
            strategy="single",
            label=STRATEGY_LABELS["single"],
            fixed_usd=round(nat_gw + ipv4, 2),
            usage_usd=round(gb * (nat_gb + _per_gb_cross_az(inputs, prices)), 2),
            survives_az_loss=False,
            reaches_ipv4_internet=True,
            az_failure="the loss of the NAT's AZ cuts egress for every AZ",
            needs=(
                "1 NAT Gateway and 1 Elastic IP",
                f"{nat_gb:g} USD/GB processed; the other AZs' traffic crosses AZs "
                f"({prices['inter_az_gb'].price:g} USD/GB each way)",
            ),
        ),
        NatAlternative(
            strategy="per-az",
            label=STRATEGY_LABELS["per-az"],
            fixed_usd=round(azs * (nat_gw + ipv4), 2),
            usage_usd=round(gb * nat_gb, 2),
            survives_az_loss=per_az_survives,
            reaches_ipv4_internet=True,
            az_failure="an AZ's loss cuts only that AZ",
            needs=(f"{azs} NAT Gateways and {azs} Elastic IPs", f"{nat_gb:g} USD/GB processed"),
        ),
    ]
    if inputs.dual_stack:
        alternatives.append(
            NatAlternative(
                strategy="egress-only",
                label=STRATEGY_LABELS["egress-only"],
                fixed_usd=round(prices["egress_only_internet_gateway"].price, 2),
                usage_usd=0.0,
                survives_az_loss=per_az_survives,
                reaches_ipv4_internet=False,
                az_failure="the gateway is regional: no AZ's loss cuts the others",
                needs=(
                    "an IPv6 /64 on each private subnet and a ::/0 route to the gateway "
                    "(the network gives IPv6 to the public tier only)",
                    "destinations reachable over IPv6; IPv4-only ones still need one of the "
                    "other choices",
                    "IPv6 data out is charged per GB as IPv4 is",
                ),
            )
        )
    alternatives = [replace(a, as_built=a.strategy == inputs.strategy) for a in alternatives]
    built = next((a for a in alternatives if a.as_built), alternatives[0])
    same = [
        a
        for a in alternatives
        if a.survives_az_loss >= built.survives_az_loss
        and a.reaches_ipv4_internet >= built.reaches_ipv4_internet
    ]
    cheapest_same = min(same, key=lambda a: a.total_usd) if same else None
    none = alternatives[0]
    break_even = []
    for versus in ("single", "per-az"):
        other = next(a for a in alternatives if a.strategy == versus)
        per_gb = nat_gb + (_per_gb_cross_az(inputs, prices) if versus == "single" else 0.0)
        saved_per_gb = per_gb - prices["vpc_interface_endpoint_gb"].price
        extra_fixed = none.fixed_usd - other.fixed_usd
        if extra_fixed <= 0:
            volume: float | None = 0.0
        elif saved_per_gb <= 0:
            volume = None
        else:
            volume = round(extra_fixed / saved_per_gb, 1)
        break_even.append(BreakEven(versus=versus, gb=volume))
    return EgressComparison(
        alternatives=alternatives,
        as_built=inputs.strategy,
        cheapest_same_availability=cheapest_same.strategy if cheapest_same else None,
        cheapest_overall=min(alternatives, key=lambda a: a.total_usd).strategy,
        break_even=break_even,
        nat_gb=gb,
        endpoints=tuple(s for s, _ in endpoints),
        public_side=list(public_side or []),
    )


def public_side(e: Estimate) -> list[tuple[str, float]]:
    """The public side of the stack's estimate: the Internet Gateway (free), each public IPv4
    address and the data sent to the internet."""
    out: list[tuple[str, float]] = [("Internet Gateway (no charge)", 0.0)]
    for x in e.grouped():
        if {"public_ipv4_hour", "data_transfer_out_gb"} & set(x.price_keys):
            out.append((f"{x.component}: {x.item}", round(x.monthly, 2)))
    return out
