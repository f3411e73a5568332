"""The architecture diagram of a stack, drawn from its recorded resources: the VPC and its
AZs with their tiers, the load balancer, the service's tasks, the database (and its standby),
the bastion, NAT, the regional services and observability, with the traffic paths.

The DOT text is written here and Graphviz's `dot` renders it (PNG and SVG, in parallel).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from mock_engine import RecordedResource
from offline_plan import inventory as inv
from offline_plan.inventory import StackView, nat_strategy, num, service_summary

# Colours of the traffic paths (legend in the diagram).
USER = "#1f5fbf"
EGRESS = "#d9822b"
OPERATOR = "#2e8b57"
OBSERVE = "#7a5195"


class DiagramError(Exception):
    """Graphviz is missing or failed."""


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node(node_id: str, label: str, **attrs: str) -> str:
    extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
    return f"    {node_id} [label={_q(label)}{extra}];"


def _edge(a: str, b: str, color: str, label: str = "", **attrs: str) -> str:
    extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
    lab = f", xlabel={_q(label)}" if label else ""
    return f"  {a} -> {b} [color={_q(color)}, fontcolor={_q(color)}{lab}{extra}];"


def _subnet_index(view: StackView) -> dict[str, tuple[str, int]]:
    """Subnet id -> (tier, AZ index)."""
    zones = view.availability_zones()
    out = {}
    for s in view.of_type(inv.SUBNET):
        tier = (s.inputs.get("tags") or {}).get("Tier") or "other"
        az = s.inputs.get("availabilityZone")
        out[s.id] = (tier, zones.index(az) if az in zones else 0)
    return out


def dot_source(stack: str, view: StackView) -> str:
    """The DOT text of the stack's diagram."""
    zones = view.availability_zones() or ["AZ"]
    subnets = _subnet_index(view)
    tiers = view.subnets_by_tier()
    vpc = next(iter(view.of_type("aws:ec2/vpc:Vpc")), None)
    lines = [
        "digraph stack {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, newrank=true, compound=true,',
        "         nodesep=0.35, ranksep=0.55, pad=0.3, labelloc=t,",
        f"         label={_q(f'ecs-platform {stack}: architecture from the recorded resources')}];",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica",',
        "        fontsize=10, penwidth=1.2];",
        '  edge [fontname="Helvetica", fontsize=9, penwidth=1.6, arrowsize=0.7];',
        _node("users", "Users\n(internet)", shape="ellipse", fillcolor="#e8f0fb"),
        _node("operator", "Operator", shape="ellipse", fillcolor="#e6f4ea"),
        _node(
            "internet", "Internet\n(package mirrors, APIs)", shape="ellipse", fillcolor="#fdf0e2"
        ),
    ]
    records = view.of_type("aws:route53/record:Record")
    certs = view.of_type("aws:acm/certificate:Certificate")
    if records or certs:
        domain = (certs[0].inputs.get("domainName") if certs else "") or (
            records[0].inputs.get("name") if records else ""
        )
        lines.append(_node("dns", f"Route53 + ACM\n{domain}", fillcolor="#f2f2f2"))
    edges: list[str] = []

    lbs = view.of_type(*inv.LOAD_BALANCERS)
    services = view.of_type(inv.ECS_SERVICE)
    rds = view.of_type(inv.RDS_INSTANCE)
    waf = view.of_type(inv.WEB_ACL)
    nat_gws = view.of_type(inv.NAT_GATEWAY)
    nat_groups = [g for g in view.of_type(inv.ASG) if view.under(g, inv.NETWORK_COMPONENT)]
    bastions = view.of_type(inv.EC2_INSTANCE)
    endpoints = view.of_type(inv.VPC_ENDPOINT)

    cidr = vpc.inputs.get("cidrBlock", "") if vpc else ""
    lines.append("  subgraph cluster_vpc {")
    lines.append(
        f"    label={_q(f'VPC {cidr}: {len(zones)} AZs, {nat_strategy(view)}')}; "
        'style="rounded"; color="#5b6b7b"; bgcolor="#fbfcfd";'
    )
    lines.append(_node("igw", "Internet Gateway", fillcolor="#eef2f6"))
    if lbs:
        lb = lbs[0]
        stack_ips = "IPv4 + IPv6" if lb.inputs.get("ipAddressType") == "dualstack" else "IPv4"
        label = f"Application Load Balancer ({stack_ips})\nHTTPS, blue + green target groups"
        if waf:
            label += f"\nWAF: {len(waf[0].inputs.get('rules') or [])} managed rule groups"
        lines.append(_node("alb", label, fillcolor="#e8f0fb"))
        lines.append(f"    // {lb.name}")
    gateway_eps = [e for e in endpoints if e.inputs.get("vpcEndpointType", "Gateway") == "Gateway"]
    interface_eps = [e for e in endpoints if e.inputs.get("vpcEndpointType") == "Interface"]
    if gateway_eps:
        lines.append(_node("s3ep", "S3 gateway endpoint\n(free)", fillcolor="#eef7ee"))
    if interface_eps:
        lines.append(
            _node("ifep", f"Interface endpoints x{len(interface_eps)}", fillcolor="#eef2f6")
        )

    task_nodes: list[str] = []
    nat_nodes: dict[int, str] = {}
    desired = 0
    shape = ""
    if services:
        task = inv.task_shape(view, services[0])
        desired = int(task["desired"])
        shape = service_summary(view, services[0])
    tier_ranks: dict[str, list[str]] = {}
    tier_colours = {"public": "#eaf3fb", "private": "#f3f0fa", "database": "#fdf3e7"}
    for z, zone in enumerate(zones):
        lines.append(f"    subgraph cluster_az{z} {{")
        lines.append(
            f'      label={_q(zone)}; style="dashed,rounded"; color="#8899aa"; bgcolor="#ffffff";'
        )
        for tier in ("public", "private", "database"):
            cidrs = [s.inputs.get("cidrBlock", "") for s in tiers.get(tier, [])]
            cidr_z = next(
                (
                    s.inputs.get("cidrBlock", "")
                    for s in tiers.get(tier, [])
                    if subnets.get(s.id, ("", -1))[1] == z
                ),
                cidrs[z] if z < len(cidrs) else "",
            )
            lines.append(f"      subgraph cluster_az{z}_{tier} {{")
            lines.append(
                f'        label={_q(f"{tier} {cidr_z}")}; style="filled,rounded"; '
                f'color="#c8d0d8"; fillcolor={_q(tier_colours[tier])};'
            )
            body = _tier_nodes(
                view, z, tier, subnets, nat_gws, nat_groups, bastions, rds, services, desired
            )
            anchor = f"anc{z}{tier}"
            body.append(f'    {anchor} [shape=point, style=invis, width=0.01, label=""];')
            lines += ["  " + b for b in body]
            for b in body:
                node_id = b.split()[0]
                tier_ranks.setdefault(tier, []).append(node_id)
                if node_id.startswith("task"):
                    task_nodes.append(node_id)
                if node_id.startswith("nat"):
                    nat_nodes[z] = node_id
            lines.append("      }")
        lines.append("    }")
    lines.append("  }")
    # One row per tier across the AZs: public above private above database.
    for nodes in tier_ranks.values():
        lines.append("  { rank=same; " + "; ".join(nodes) + "; }")
    for z in range(len(zones)):
        lines.append(f"  anc{z}public -> anc{z}private -> anc{z}database [style=invis, weight=10];")
    if len(zones) > 1:
        # Left to right in AZ order.
        for tier in ("public", "private", "database"):
            chain = " -> ".join(f"anc{z}{tier}" for z in range(len(zones)))
            lines.append(f"  {chain} [style=invis];")
    top = ["users", "operator"]
    lines.append("  { rank=min; " + "; ".join(top) + "; }")
    lines.append("  { rank=same; igw; internet" + ("; alb" if lbs else "") + "; }")
    lines.append("  igw -> " + " -> ".join(f"anc{z}public" for z in range(1)) + " [style=invis];")

    # Regional services and observability, outside the VPC.
    regional = []
    if view.of_type(inv.ECR_REPOSITORY):
        regional.append(_node("ecr", "ECR repository\n(scan on push)", fillcolor="#f2f2f2"))
    if view.of_type(inv.KMS_KEY):
        regional.append(
            _node("kms", f"KMS keys x{len(view.of_type(inv.KMS_KEY))}", fillcolor="#f2f2f2")
        )
    if rds and rds[0].inputs.get("manageMasterUserPassword"):
        regional.append(
            _node("secrets", "Secrets Manager\n(database password)", fillcolor="#f2f2f2")
        )
    if regional:
        lines.append("  subgraph cluster_regional {")
        lines.append('    label="Regional services"; style="rounded"; color="#aaaaaa";')
        lines += regional
        lines.append("  }")

    obs = []
    alarms = view.of_type(inv.ALARM)
    logs = view.of_type(inv.LOG_GROUP)
    if alarms or view.of_type(inv.DASHBOARD):
        dash = len(view.of_type(inv.DASHBOARD))
        obs.append(
            _node(
                "cw",
                f"CloudWatch\n{len(alarms)} alarms, {dash} dashboard{'s' if dash != 1 else ''}",
                fillcolor="#f4eef8",
            )
        )
    if logs:
        obs.append(_node("logs", f"CloudWatch Logs\n{len(logs)} log groups", fillcolor="#f4eef8"))
    if view.of_type(inv.AMP_WORKSPACE):
        obs.append(_node("amp", "Managed Prometheus\nrules + Alertmanager", fillcolor="#f4eef8"))
    if view.of_type(inv.GRAFANA_WORKSPACE):
        obs.append(_node("grafana", "Managed Grafana", fillcolor="#f4eef8"))
    if view.of_type(inv.SNS_TOPIC):
        obs.append(_node("sns", "SNS alarm topic", fillcolor="#f4eef8"))
    if view.of_type(inv.HEALTH_CHECK):
        obs.append(_node("probe", "Route53 health check\n(synthetic probe)", fillcolor="#f4eef8"))
    if obs:
        lines.append("  subgraph cluster_obs {")
        lines.append('    label="Observability"; style="rounded"; color="#7a5195";')
        lines += obs
        lines.append("  }")

    # Traffic paths.
    entry = "alb" if lbs else None
    if "dns" in "".join(lines) and entry:
        edges.append(_edge("users", "dns", USER, "DNS", style="dashed", penwidth="1.0"))
    if entry:
        edges.append(_edge("users", "igw", USER, "HTTPS"))
        edges.append(_edge("igw", "alb", USER))
        for t in task_nodes:
            edges.append(_edge("alb", t, USER))
    db_node = "rds0" if rds else None
    for t in task_nodes:
        if db_node:
            edges.append(_edge(t, db_node, USER, "SQL/TLS" if t == task_nodes[0] else ""))
    for i, t in enumerate(task_nodes):
        az = int(t.removeprefix("task"))
        nat = nat_nodes.get(az) or (next(iter(nat_nodes.values())) if nat_nodes else None)
        if nat:
            edges.append(_edge(t, nat, EGRESS, "outbound" if i == 0 else "", constraint="false"))
        if gateway_eps:
            edges.append(_edge(t, "s3ep", EGRESS, "image layers" if i == 0 else "", style="dashed"))
    for nat in sorted(set(nat_nodes.values())):
        edges.append(_edge(nat, "igw", EGRESS, constraint="false"))
    if nat_nodes:
        edges.append(_edge("igw", "internet", EGRESS))
    if gateway_eps and view.of_type(inv.ECR_REPOSITORY):
        edges.append(_edge("s3ep", "ecr", EGRESS, style="dashed"))
    if bastions and db_node:
        edges.append(_edge("operator", "bastion", OPERATOR, "SSM session"))
        edges.append(_edge("bastion", db_node, OPERATOR, "port forward"))
    if rds and rds[0].inputs.get("multiAz") and len(zones) > 1:
        edges.append(
            _edge("rds0", "rds1", "#888888", "sync replication", style="dashed", dir="both")
        )
    if obs:
        if task_nodes and "logs" in "".join(obs):
            edges.append(_edge(task_nodes[0], "logs", OBSERVE, "logs", style="dotted"))
        if task_nodes and "amp" in "".join(obs):
            edges.append(_edge(task_nodes[0], "amp", OBSERVE, "remote write", style="dotted"))
        if "cw" in "".join(obs) and "sns" in "".join(obs):
            edges.append(_edge("cw", "sns", OBSERVE, "alarms", style="dotted"))
        if "grafana" in "".join(obs) and "amp" in "".join(obs):
            edges.append(_edge("grafana", "amp", OBSERVE, "queries", style="dotted"))
        if "probe" in "".join(obs) and entry:
            edges.append(
                _edge(
                    "probe", "users", OBSERVE, "probes the URL", style="dotted", constraint="false"
                )
            )
    lines += edges
    lines += _legend(shape)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _tier_nodes(
    view: StackView,
    z: int,
    tier: str,
    subnets: dict[str, tuple[str, int]],
    nat_gws: list[RecordedResource],
    nat_groups: list[RecordedResource],
    bastions: list[RecordedResource],
    rds: list[RecordedResource],
    services: list[RecordedResource],
    desired: int,
) -> list[str]:
    zones = len(view.availability_zones()) or 1
    out = []
    if tier == "public":
        for g in nat_gws:
            if subnets.get(g.inputs.get("subnetId", ""), ("", -1))[1] == z:
                out.append(_node(f"nat{z}", "NAT Gateway", fillcolor="#fdf0e2"))
        for g in nat_groups:
            ids = g.inputs.get("vpcZoneIdentifiers") or []
            if ids and subnets.get(ids[0], ("", -1))[1] == z:
                template = view.launch_template_of(g)
                kind = template.inputs.get("instanceType", "?") if template else "?"
                out.append(
                    _node(f"nat{z}", f"NAT instance\n{kind} (ASG of 1)", fillcolor="#fdf0e2")
                )
    for b in bastions:
        where = subnets.get(b.inputs.get("subnetId", ""), ("", -1))
        if where == (tier, z):
            access = "SSH + SSM" if b.inputs.get("associatePublicIpAddress") else "SSM only"
            out.append(
                _node(
                    "bastion",
                    f"Bastion\n{b.inputs.get('instanceType')}, {access}",
                    fillcolor="#e6f4ea",
                )
            )
    if tier == "private" and services and desired:
        here = desired // zones + (1 if z < desired % zones else 0)
        if here:
            t = inv.task_shape(view, services[0])
            arch = "ARM64" if t["arm"] else "x86"
            spot = f", {t['spot_share']:.0%} Spot" if t["spot_share"] else ""
            out.append(_node(f"task{z}", f"ECS tasks x{here}\n{arch}{spot}", fillcolor="#f3f0fa"))
    if tier == "database" and rds:
        multi = bool(rds[0].inputs.get("multiAz"))
        cls = rds[0].inputs.get("instanceClass", "")
        if z == 0:
            out.append(
                _node("rds0", f"PostgreSQL primary\n{cls}", shape="cylinder", fillcolor="#fdf3e7")
            )
        elif z == 1 and multi:
            out.append(
                _node(
                    "rds1",
                    f"standby (Multi-AZ)\n{cls}",
                    shape="cylinder",
                    fillcolor="#fdf3e7",
                    style="filled,dashed",
                )
            )
    return out


def _legend(service: str) -> list[str]:
    rows = [
        (USER, "users: internet -> load balancer -> tasks -> database"),
        (EGRESS, "outbound: tasks -> NAT -> internet; image layers via S3 endpoint"),
        (OPERATOR, "operator: SSM -> bastion -> database"),
        (OBSERVE, "telemetry: logs, metrics, alarms, probe"),
    ]
    cells = "".join(
        f'<TR><TD><FONT COLOR="{c}">&#9472;&#9472;&#9654;</FONT></TD>'
        f'<TD ALIGN="LEFT">{text.replace("->", "&#8594;")}</TD></TR>'
        for c, text in rows
    )
    if service:
        cells += f'<TR><TD></TD><TD ALIGN="LEFT">service: {service}</TD></TR>'
    return [
        '  legend [shape=plaintext, style="", fontsize=9, label=<'
        f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">{cells}</TABLE>>];'
    ]


def render_diagram(stack: str, view: StackView, out_dir: Path) -> dict[str, str]:
    """Writes <stack>.dot, .png and .svg into `out_dir`; returns their paths.

    When <stack>.dot already holds the same source and both images exist, they are kept as
    they are: the .dot file is written only after both images were drawn from it.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            "Graphviz `dot` is not installed (Debian package graphviz; see debian-packages.txt)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    source = dot_source(stack, view)
    dot_file = out_dir / f"{stack}.dot"
    paths = {"dot": str(dot_file)}
    targets = {fmt: out_dir / f"{stack}.{fmt}" for fmt in ("png", "svg")}
    paths.update({fmt: str(t) for fmt, t in targets.items()})
    if _up_to_date(dot_file, source, targets.values()):
        return paths
    pending = out_dir / f".{stack}.dot.tmp"
    pending.write_text(source)
    jobs = []
    for fmt, extra in (("png", ["-Gdpi=110"]), ("svg", [])):
        jobs.append(
            subprocess.Popen(
                [dot, f"-T{fmt}", *extra, "-o", str(targets[fmt]), str(pending)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    for job in jobs:
        _, err = job.communicate(timeout=60)
        if job.returncode != 0:
            pending.unlink(missing_ok=True)
            raise DiagramError(f"dot failed: {err.decode(errors='replace').strip()}")
    pending.replace(dot_file)
    return paths


def _up_to_date(dot_file: Path, source: str, images: Iterable[Path]) -> bool:
    try:
        return dot_file.read_text() == source and all(p.stat().st_size > 0 for p in images)
    except OSError:
        return False


__all__ = ["DiagramError", "dot_source", "num", "render_diagram"]
