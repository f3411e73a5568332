"""The plan as one JSON document (for CI) and as a Markdown summary (the pull-request comment).

The document's shape is fixed by offline_plan/plan.schema.json.
"""

from __future__ import annotations

from typing import Any

from offline_plan.cost import EGRESS_NOTE, EgressComparison, Estimate
from offline_plan.inventory import short_type
from offline_plan.plan import StackPlan

SCHEMA_VERSION = 1


def _estimate(e: Estimate, *, lines: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fixed": e.fixed,
        "usage": e.usage,
        "total": e.total(),
        "by_component": [
            {"component": name, **row} for name, row in sorted(e.by_component().items())
        ],
    }
    if lines:
        out["lines"] = [
            {
                "component": x.component,
                "item": x.item,
                "resource": x.resource,
                "type": x.type,
                "kind": x.kind,
                "quantity": x.quantity,
                "unit": x.unit,
                "unit_price": x.unit_price,
                "monthly": round(x.monthly, 4),
                "estimate": x.estimate,
                "price_keys": list(x.price_keys),
                "note": x.note,
            }
            for x in e.lines
        ]
        out["unpriced"] = sorted({x.type for x in e.unpriced()})
    return out


def nat_alternatives(e: EgressComparison) -> list[dict[str, Any]]:
    """Every egress choice of the stack's private subnets, priced for the stack."""
    return [
        {
            "strategy": a.strategy,
            "label": a.label,
            "fixed_usd": a.fixed_usd,
            "usage_usd": a.usage_usd,
            "total_usd": a.total_usd,
            "survives_az_loss": a.survives_az_loss,
            "reaches_ipv4_internet": a.reaches_ipv4_internet,
            "az_failure": a.az_failure,
            "needs": [n.strip() for n in a.needs],
            "as_built": a.as_built,
        }
        for a in e.alternatives
    ]


def _egress(e: EgressComparison) -> dict[str, Any]:
    return {
        "as_built": e.as_built,
        "cheapest_same_availability": e.cheapest_same_availability,
        "cheapest_overall": e.cheapest_overall,
        "nat_gb": e.nat_gb,
        "interface_endpoints": list(e.endpoints),
        "break_even_gb": [{"versus": b.versus, "gb": b.gb} for b in e.break_even],
        "public_side": [{"item": item, "monthly_usd": usd} for item, usd in e.public_side],
    }


def stack_document(plan: StackPlan) -> dict[str, Any]:
    """One stack's part of the document."""
    # "available" and "note" stay in the document's shape (plan.schema.json) for its readers;
    # the policy pack and the rollout model are part of every plan.
    findings: dict[str, Any] = {"available": True, "note": ""}
    rows = plan.findings
    findings["counts"] = {
        "mandatory": sum(1 for f in rows if f.enforcement == "mandatory" and not f.exception),
        "advisory": sum(1 for f in rows if f.enforcement == "advisory" and not f.exception),
        "excepted": sum(1 for f in rows if f.exception),
        "blocking": sum(1 for f in rows if f.blocking),
    }
    findings["items"] = [
        {
            "rule": f.rule,
            "enforcement": f.enforcement,
            "resource": f.resource,
            "message": f.message,
            "exception": f.exception or None,
            "reason": f.reason or None,
        }
        for f in rows
    ]
    r = plan.rollout
    rollout: dict[str, Any] = {
        "available": True,
        "note": "",
        "strategy": r.strategy,
        "deploy_seconds": r.deploy_seconds,
        "rollback_seconds": r.rollback_seconds,
        "alarm_seconds": r.alarm_seconds,
        "approval_gate": r.approval_gate,
        "deploy_phases": [{"name": n, "seconds": s} for n, s in r.deploy_phases],
        "rollback_phases": [{"name": n, "seconds": s} for n, s in r.rollback_phases],
    }
    return {
        "stack": plan.stack,
        "resource_count": sum(1 for r in plan.recording.resources if r.custom),
        "components": [
            {
                "name": c.name,
                "type": c.type,
                "counts": c.counts,
                "settings": c.settings,
                "resources": [
                    {"type": r.type, "name": r.name, "urn": r.urn, "protect": r.protect}
                    for r in c.resources
                ],
            }
            for c in plan.components
        ],
        "cost": _estimate(plan.cost, lines=True),
        "naive": _estimate(plan.naive, lines=False),
        "fixed_ratio": plan.fixed_ratio,
        "savings": [
            {"choice": s.choice, "monthly_fixed": s.monthly_fixed, "monthly_total": s.monthly_total}
            for s in plan.savings
        ],
        "nat_alternatives": nat_alternatives(plan.egress) if plan.egress else [],
        "egress": _egress(plan.egress) if plan.egress else None,
        "usage": {"file": plan.usage.source, "values": dict(plan.usage.values)},
        "findings": findings,
        "rollout": rollout,
        "diagram": dict(plan.diagrams) or None,
    }


def diff_document(a: StackPlan, b: StackPlan) -> dict[str, Any]:
    """What differs between two stacks: resource counts, settings and cost."""
    counts_a = _type_counts(a)
    counts_b = _type_counts(b)
    resources = [
        {"type": t, a.stack: counts_a.get(t, 0), b.stack: counts_b.get(t, 0)}
        for t in sorted(set(counts_a) | set(counts_b))
        if counts_a.get(t, 0) != counts_b.get(t, 0)
    ]
    settings_a = {(c.name, k): v for c in a.components for k, v in c.settings.items()}
    settings_b = {(c.name, k): v for c in b.components for k, v in c.settings.items()}
    settings = [
        {
            "component": comp,
            "setting": key,
            a.stack: settings_a.get((comp, key)),
            b.stack: settings_b.get((comp, key)),
        }
        for comp, key in sorted(set(settings_a) | set(settings_b))
        if settings_a.get((comp, key)) != settings_b.get((comp, key))
    ]
    cost_a, cost_b = a.cost.by_component(), b.cost.by_component()
    cost = [
        {
            "component": comp,
            a.stack: cost_a.get(comp, {}).get("total", 0.0),
            b.stack: cost_b.get(comp, {}).get("total", 0.0),
        }
        for comp in sorted(set(cost_a) | set(cost_b))
        if cost_a.get(comp, {}).get("total", 0.0) != cost_b.get(comp, {}).get("total", 0.0)
    ]
    return {
        "stacks": [a.stack, b.stack],
        "resources": resources,
        "settings": settings,
        "cost": cost,
        "totals": {
            a.stack: {"fixed": a.cost.fixed, "total": a.cost.total()},
            b.stack: {"fixed": b.cost.fixed, "total": b.cost.total()},
        },
    }


def _type_counts(plan: StackPlan) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in plan.recording.resources:
        out[r.type] = out.get(r.type, 0) + 1
    return out


def document(plans: list[StackPlan], diff: bool = False) -> dict[str, Any]:
    """The whole JSON document for the stacks planned."""
    prices = plans[0].prices
    return {
        "schema_version": SCHEMA_VERSION,
        "project": "ecs-platform",
        "prices": {
            "as_of": prices.as_of,
            "region": prices.region,
            "currency": prices.currency,
            "hours_per_month": prices.hours_per_month,
            "estimates": sorted(
                [p.key for p in prices.prices.values() if p.estimate]
                + [p.key for p in prices.ec2_hour.values() if p.estimate]
                + [p.key for pair in prices.rds_hour.values() for p in pair if p.estimate]
            ),
        },
        "stacks": [stack_document(p) for p in plans],
        "diff": diff_document(plans[0], plans[1]) if diff and len(plans) >= 2 else None,
    }


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def markdown(plan: StackPlan) -> str:
    """The pull-request summary of one stack: resources, monthly cost, findings, rollout."""
    doc = stack_document(plan)
    cur = plan.prices.currency
    out = [
        f"## Offline plan: `{plan.stack}`",
        "",
        f"**{doc['resource_count']} resources** in {len(plan.components)} components; "
        f"prices of {plan.prices.as_of} ({plan.prices.region}), usage from "
        f"`{plan.usage.source.rsplit('/', 1)[-1]}`.",
        "",
        "### Resources",
        "",
        "| component | resources | settings |",
        "|---|---|---|",
    ]
    for c in plan.components:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(c.counts.items(), key=lambda kv: -kv[1]))
        settings = "; ".join(f"{k}: {v}" for k, v in c.settings.items())
        out.append(f"| {c.name} ({short_type(c.type)}) | {counts} | {settings} |")
    out += [
        "",
        f"### Monthly cost ({cur})",
        "",
        "| component | fixed | usage | total | naive total |",
        "|---|---:|---:|---:|---:|",
    ]
    naive = plan.naive.by_component()
    for name, row in sorted(plan.cost.by_component().items()):
        out.append(
            f"| {name} | {_usd(row['fixed'])} | {_usd(row['usage'])} | {_usd(row['total'])} | "
            f"{_usd(naive.get(name, {}).get('total', 0.0))} |"
        )
    out.append(
        f"| **total** | **{_usd(plan.cost.fixed)}** | **{_usd(plan.cost.usage)}** | "
        f"**{_usd(plan.cost.total())}** | **{_usd(plan.naive.total())}** |"
    )
    out += [
        "",
        f"Fixed cost {_usd(plan.cost.fixed)} against {_usd(plan.naive.fixed)} for the naive "
        f"layout (NAT Gateway per AZ, x86 on-demand, no S3 gateway endpoint): "
        f"**ratio {plan.fixed_ratio:.3f}**.",
        "",
        "| choice | saves fixed / month | saves in total / month |",
        "|---|---:|---:|",
        *(
            f"| {s.choice} | {_usd(s.monthly_fixed)} | {_usd(s.monthly_total)} |"
            for s in plan.savings
        ),
    ]
    unpriced = doc["cost"]["unpriced"]
    if unpriced:
        out += ["", f"Not priced (no entry in prices.yaml): {', '.join(unpriced)}."]
    if plan.egress is not None:
        out += _egress_markdown(plan.egress, cur)
    out += ["", "### Policy findings", ""]
    f = doc["findings"]
    if not f["available"]:
        out.append(f"_{f['note']}_")
    else:
        c = f["counts"]
        out.append(f"{c['blocking']} blocking, {c['advisory']} advisory, {c['excepted']} excepted.")
        if f["items"]:
            out += ["", "| level | rule | resource | message |", "|---|---|---|---|"]
            for item in f["items"][:40]:
                level = "excepted" if item["exception"] else item["enforcement"]
                msg = str(item["message"]).replace("|", "/")
                if item["exception"]:
                    msg += f" (exception {item['exception']})"
                out.append(f"| {level} | {item['rule']} | {item['resource']} | {msg} |")
            if len(f["items"]) > 40:
                out.append(f"| | | | ... {len(f['items']) - 40} more in the JSON document |")
    out += ["", "### Rollout (modelled)", ""]
    r = doc["rollout"]
    if not r["available"]:
        out.append(f"_{r['note']}_")
    else:
        gate = " plus the operator's approval" if r["approval_gate"] else ""
        out += [
            f"- deployment ({r['strategy']}): **{_duration(r['deploy_seconds'])}**{gate}",
            f"- rollback once the alarm fires: **{_duration(r['rollback_seconds'])}** "
            f"(the alarm fires {r['alarm_seconds']} s after a bad release takes traffic)",
        ]
    return "\n".join(out) + "\n"


def _egress_markdown(e: EgressComparison, cur: str) -> list[str]:
    out = [
        "",
        f"### Egress of the private subnets ({cur}/month, {e.nat_gb:g} GB through NAT)",
        "",
        "| choice | fixed | usage | total | survives an AZ loss | which AZ failures cut egress |",
        "|---|---:|---:|---:|---|---|",
    ]
    for a in e.alternatives:
        name = f"**{a.label}** (the stack's choice)" if a.as_built else a.label
        out.append(
            f"| {name} | {_usd(a.fixed_usd)} | {_usd(a.usage_usd)} | {_usd(a.total_usd)} | "
            f"{'yes' if a.survives_az_loss else 'no'} | {a.az_failure} |"
        )
    out.append("")
    for b in e.break_even:
        versus = e.by_strategy(b.versus).label
        if b.gb is None:
            out.append(f"- interface endpoints never cost less than {versus}")
        elif b.gb == 0:
            out.append(f"- interface endpoints cost less than {versus} at any volume")
        else:
            out.append(
                f"- interface endpoints cost less than {versus} above **{b.gb:,.0f} GB** a month"
            )
    if e.cheapest_same_availability:
        best = e.by_strategy(e.cheapest_same_availability)
        out.append(
            f"- cheapest with the same availability as the stack's choice: **{best.label}** "
            f"({_usd(best.total_usd)})"
        )
    out.append(f"- interface endpoints the no-NAT choice needs: {', '.join(e.endpoints)}")
    public = "; ".join(f"{item} {_usd(usd)}" for item, usd in e.public_side)
    out += [f"- public side: {public}", "", f"_{EGRESS_NOTE}_"]
    return out


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s"
