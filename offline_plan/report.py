"""The plan printed for people: rich tables of the inventory, cost, savings, findings and
rollout times of each stack, and of what differs between two stacks."""

from __future__ import annotations

from typing import Any

from rich.console import Console, JustifyMethod
from rich.table import Table

from offline_plan.cost import EGRESS_NOTE, STRATEGY_LABELS
from offline_plan.inventory import short_type
from offline_plan.plan import StackPlan

LEFT: JustifyMethod = "left"
RIGHT: JustifyMethod = "right"


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def print_plan(console: Console, plan: StackPlan) -> None:
    cur = plan.prices.currency
    custom = sum(1 for r in plan.recording.resources if r.custom)
    console.rule(
        f"[bold]stack {plan.stack}[/]: {custom} resources in {len(plan.components)} components"
    )
    console.print(f"[dim]recording: {plan.recording_source}[/]")

    inventory = Table(title=f"{plan.stack}: resources by component", title_justify="left")
    inventory.add_column("component", style="bold")
    inventory.add_column("creates")
    inventory.add_column("settings that matter")
    for c in plan.components:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(c.counts.items(), key=lambda kv: -kv[1]))
        settings = "\n".join(f"{k}: {v}" for k, v in c.settings.items())
        inventory.add_row(f"{c.name}\n[dim]{short_type(c.type)}[/]", counts, settings)
    console.print(inventory)

    lines = Table(
        title=f"{plan.stack}: monthly cost lines ({cur}; ~ = estimated price)", title_justify="left"
    )
    for col, justify in (
        ("component", LEFT),
        ("item", LEFT),
        ("kind", LEFT),
        ("quantity", RIGHT),
        ("unit price", RIGHT),
        ("monthly", RIGHT),
    ):
        lines.add_column(col, justify=justify)
    for x in sorted(plan.cost.grouped(), key=lambda x: (x.component, x.kind, -x.monthly)):
        if (x.kind in ("fixed", "usage") and x.monthly >= 0.005) or x.kind == "unpriced":
            mark = "~" if x.estimate else ""
            lines.add_row(
                x.component,
                x.item,
                x.kind if x.kind != "unpriced" else "[red]not priced[/]",
                f"{x.quantity:,.2f} {x.unit}",
                f"{mark}{x.unit_price:.6g}",
                f"{mark}{_usd(x.monthly)}",
            )
    console.print(lines)

    totals = Table(title=f"{plan.stack}: monthly cost by component ({cur})", title_justify="left")
    for col in ("component", "fixed", "usage", "total", "naive fixed", "naive total"):
        totals.add_column(col, justify="left" if col == "component" else "right")
    naive = plan.naive.by_component()
    for name, row in sorted(plan.cost.by_component().items()):
        n = naive.get(name, {"fixed": 0.0, "total": 0.0})
        totals.add_row(
            name,
            _usd(row["fixed"]),
            _usd(row["usage"]),
            _usd(row["total"]),
            _usd(n["fixed"]),
            _usd(n["total"]),
        )
    totals.add_row(
        "[bold]total[/]",
        f"[bold]{_usd(plan.cost.fixed)}",
        _usd(plan.cost.usage),
        f"[bold]{_usd(plan.cost.total())}",
        _usd(plan.naive.fixed),
        _usd(plan.naive.total()),
    )
    console.print(totals)

    choices = Table(
        title=f"{plan.stack}: what each choice saves against the naive layout ({cur}/month)",
        title_justify="left",
    )
    choices.add_column("choice")
    choices.add_column("fixed", justify="right")
    choices.add_column("total", justify="right")
    for s in plan.savings:
        choices.add_row(s.choice, _usd(s.monthly_fixed), _usd(s.monthly_total))
    console.print(choices)
    console.print(
        f"[bold]{plan.stack}[/]: fixed {_usd(plan.cost.fixed)} {cur}/month against "
        f"{_usd(plan.naive.fixed)} for the naive layout (NAT Gateway per AZ, x86 on-demand, no "
        f"S3 gateway endpoint): [bold]ratio {plan.fixed_ratio:.3f}[/]; with usage "
        f"{_usd(plan.cost.total())} against {_usd(plan.naive.total())}."
    )
    unpriced = sorted({x.type for x in plan.cost.unpriced()})
    if unpriced:
        console.print(f"[yellow]not priced (add them to prices.yaml):[/] {', '.join(unpriced)}")
    estimated = sorted({k for x in plan.cost.lines if x.estimate for k in x.price_keys})
    if estimated:
        console.print(f"[dim]estimated prices (~): {', '.join(estimated)}[/]")

    _print_egress(console, plan)
    _print_findings(console, plan)
    _print_rollout(console, plan)
    if plan.diagrams:
        console.print(f"diagram: {plan.diagrams.get('png')} and {plan.diagrams.get('svg')}")


def _print_egress(console: Console, plan: StackPlan) -> None:
    e = plan.egress
    if e is None:
        return
    cur = plan.prices.currency
    table = Table(
        title=f"{plan.stack}: how private subnets reach the internet ({cur}/month, "
        f"{e.nat_gb:g} GB through NAT from usage.yaml; * = the stack's choice)",
        title_justify="left",
    )
    for col, justify in (
        ("choice", LEFT),
        ("fixed", RIGHT),
        ("usage", RIGHT),
        ("total", RIGHT),
        ("survives an AZ loss", LEFT),
        ("which AZ failures cut egress", LEFT),
        ("needs", LEFT),
    ):
        table.add_column(col, justify=justify)
    for a in e.alternatives:
        name = f"[bold]* {a.label}[/]" if a.as_built else a.label
        table.add_row(
            name,
            _usd(a.fixed_usd),
            _usd(a.usage_usd),
            _usd(a.total_usd),
            "yes" if a.survives_az_loss else "[red]no[/]",
            a.az_failure,
            "\n".join(a.needs),
        )
    console.print(table)
    for b in e.break_even:
        versus = e.by_strategy(b.versus).label
        if b.gb is None:
            text = "never: endpoints cost more per GB"
        elif b.gb == 0:
            text = "at any volume"
        else:
            text = f"above {b.gb:,.0f} GB a month"
        console.print(f"break-even: interface endpoints cost less than {versus} {text}")
    best = e.cheapest_same_availability
    if best:
        console.print(
            f"cheapest with the same availability as the stack's choice "
            f"({STRATEGY_LABELS.get(e.as_built, e.as_built)}): "
            f"[bold]{e.by_strategy(best).label}[/] ({_usd(e.by_strategy(best).total_usd)} {cur})"
        )
    public = ", ".join(f"{item} {_usd(usd)}" for item, usd in e.public_side)
    console.print(f"public side: {public}")
    console.print(f"[dim]{EGRESS_NOTE}[/]")


def _print_findings(console: Console, plan: StackPlan) -> None:
    blocking = [f for f in plan.findings if f.blocking]
    advisory = [f for f in plan.findings if f.enforcement == "advisory" and not f.exception]
    excepted = [f for f in plan.findings if f.exception]
    console.print(
        f"[bold]{plan.stack}: policy findings[/]: {len(blocking)} blocking, "
        f"{len(advisory)} advisory, {len(excepted)} excepted"
    )
    if not plan.findings:
        return
    table = Table(show_header=True)
    for col in ("level", "rule", "resource", "message"):
        table.add_column(col)
    for f in plan.findings:
        level = (
            "[green]excepted[/]"
            if f.exception
            else ("[red]mandatory[/]" if f.enforcement == "mandatory" else "[yellow]advisory[/]")
        )
        message = f.message + (
            f" [dim](exception {f.exception}: {f.reason})[/]" if f.exception else ""
        )
        table.add_row(level, f.rule, f.resource, message)
    console.print(table)


def _print_rollout(console: Console, plan: StackPlan) -> None:
    r = plan.rollout
    gate = " + the operator's approval" if r.approval_gate else ""
    table = Table(title=f"{plan.stack}: modelled rollout ({r.strategy})", title_justify="left")
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    for name, seconds in r.deploy_phases:
        table.add_row(f"deploy: {name}", str(seconds))
    table.add_row(f"[bold]deployment total{gate}[/]", f"[bold]{r.deploy_seconds}")
    for name, seconds in r.rollback_phases:
        table.add_row(f"rollback: {name}", str(seconds))
    table.add_row("[bold]rollback total (after the alarm)[/]", f"[bold]{r.rollback_seconds}")
    table.add_row("alarm fires after a bad release takes traffic", str(r.alarm_seconds))
    console.print(table)


def print_diff(console: Console, diff: dict[str, Any]) -> None:
    a, b = diff["stacks"]
    console.rule(f"[bold]{a} vs {b}[/]")
    resources = Table(title="resource counts that differ", title_justify="left")
    for col in ("type", a, b):
        resources.add_column(col, justify="left" if col == "type" else "right")
    for row in diff["resources"]:
        resources.add_row(short_type(row["type"]), str(row[a]), str(row[b]))
    console.print(resources)
    settings = Table(title="settings that differ", title_justify="left")
    for col in ("component", "setting", a, b):
        settings.add_column(col)
    for row in diff["settings"]:
        settings.add_row(row["component"], row["setting"], str(row[a] or "-"), str(row[b] or "-"))
    console.print(settings)
    cost = Table(title="monthly cost by component that differs", title_justify="left")
    for col in ("component", a, b):
        cost.add_column(col, justify="left" if col == "component" else "right")
    for row in diff["cost"]:
        cost.add_row(row["component"], _usd(row[a]), _usd(row[b]))
    t = diff["totals"]
    cost.add_row("[bold]total (fixed)[/]", _usd(t[a]["fixed"]), _usd(t[b]["fixed"]))
    cost.add_row("[bold]total[/]", _usd(t[a]["total"]), _usd(t[b]["total"]))
    console.print(cost)
