"""One stack's offline plan: the program rendered under mocks, then its inventory, cost
estimate (as built and naive), policy findings and modelled rollout times."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_plan.cost import (
    AS_BUILT,
    NAIVE,
    EgressComparison,
    EgressInputs,
    Estimate,
    Saving,
    estimate,
    nat_alternatives,
    public_side,
    savings,
)
from offline_plan.inventory import ComponentInventory, StackView, build_inventory
from offline_plan.mocks import Recording
from offline_plan.pricing import PriceTable, Usage, load_prices, load_usage
from offline_plan.render import ROOT, read_stack_config, render_stack


@dataclass(frozen=True)
class FindingRow:
    rule: str
    enforcement: str
    resource: str
    message: str
    exception: str = ""
    reason: str = ""

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory" and not self.exception


@dataclass(frozen=True)
class RolloutRow:
    strategy: str
    deploy_seconds: int
    rollback_seconds: int
    alarm_seconds: int
    approval_gate: bool
    deploy_phases: tuple[tuple[str, int], ...]
    rollback_phases: tuple[tuple[str, int], ...]


@dataclass
class StackPlan:
    """Everything the plan reports about one stack."""

    stack: str
    recording: Recording
    view: StackView
    components: list[ComponentInventory]
    prices: PriceTable
    usage: Usage
    cost: Estimate
    naive: Estimate
    savings: list[Saving]
    egress: EgressComparison | None = None
    recording_source: str = "rendered"
    """How the recording was obtained: "cache", "rendered", "rendered (--no-cache)", ..."""
    findings: list[FindingRow] | None = None
    findings_note: str = ""
    rollout: RolloutRow | None = None
    rollout_note: str = ""
    diagrams: dict[str, str] = field(default_factory=dict)

    @property
    def fixed_ratio(self) -> float:
        return round(self.cost.fixed / self.naive.fixed, 3) if self.naive.fixed else 0.0


def stack_settings(stack: str, project_dir: Path = ROOT) -> Any:
    """The stack's validated settings, read from its stack file as the program reads them."""
    from settings import PROJECT, load_settings

    config, _ = read_stack_config(stack, project_dir)
    prefix = f"{PROJECT}:"
    raw: dict[str, Any] = {}
    for key, value in config.items():
        if key.startswith(prefix):
            try:
                raw[key[len(prefix) :]] = json.loads(value)
            except ValueError:
                raw[key[len(prefix) :]] = value
    if "acknowledgeUnsafeProduction" in raw:
        raw["acknowledgeUnsafeProduction"] = str(raw["acknowledgeUnsafeProduction"])
    return load_settings(stack, raw, region=config.get("aws:region", ""))


def policy_findings(
    stack: str, recording: Recording, project_dir: Path = ROOT
) -> tuple[list[FindingRow] | None, str]:
    """The policy pack's findings over the recorded resources (None when there is no pack)."""
    try:
        from policy.check import to_resource
        from policy.model import context_from_stack_file
        from policy.rules import evaluate
    except ImportError as error:
        return None, f"policy pack not available ({error})"
    ctx = context_from_stack_file(stack, project_dir)
    findings = evaluate([to_resource(r) for r in recording.resources], ctx)
    rows = [
        FindingRow(
            rule=f.rule,
            enforcement=str(f.enforcement.value),
            resource=f.name or "<stack>",
            message=f.message,
            exception=f.exception or "",
            reason=f.reason or "",
        )
        for f in findings
    ]
    order = {"mandatory": 0, "advisory": 1}
    rows.sort(key=lambda f: (bool(f.exception), order.get(f.enforcement, 2), f.rule, f.resource))
    return rows, ""


def rollout_times(settings: Any) -> tuple[RolloutRow | None, str]:
    """Modelled deployment and rollback times (None when the model is not there)."""
    try:
        from components import rollout
    except ImportError as error:
        return None, f"rollout model not available ({error})"
    r = rollout.model(settings.deployment, settings.service, settings.observability)
    return (
        RolloutRow(
            strategy=r.strategy,
            deploy_seconds=r.deploy_seconds,
            rollback_seconds=r.rollback_seconds,
            alarm_seconds=r.alarm_seconds,
            approval_gate=r.approval_gate,
            deploy_phases=tuple((p.name, p.seconds) for p in r.deploy),
            rollback_phases=tuple((p.name, p.seconds) for p in r.rollback),
        ),
        "",
    )


@dataclass(frozen=True)
class _Rendered:
    """What the cache keeps of a stack: the recording and the policy pack's findings over it
    (both depend only on the program, the stack files and the installed packages)."""

    recording: Recording
    findings: list[FindingRow] | None
    findings_note: str


def egress_inputs(settings: Any) -> EgressInputs:
    """What the egress comparison needs of the stack's settings."""
    return EgressInputs(
        az_count=settings.network.az_count,
        strategy=settings.network.nat_strategy,
        nat_instance_type=settings.network.nat_instance_type,
        dual_stack=settings.network.ipv6,
        prometheus=settings.observability.prometheus,
        ssm_bastion=settings.bastion.enabled and not settings.bastion.ssh_cidrs,
    )


def build_plan(
    stack: str,
    *,
    usage_file: Path | None = None,
    prices: PriceTable | None = None,
    project_dir: Path = ROOT,
    use_cache: bool = False,
    cache_dir: Path | None = None,
) -> StackPlan:
    """Renders `stack` (or, with `use_cache`, takes its recording from the cache when nothing
    it depends on changed) and computes its plan.

    Raises render.StackFileError (missing or malformed stack file), settings.SettingsError
    (invalid configuration) and pricing.PlanInputError (bad price or usage file).
    """
    prices = prices or load_prices()
    usage = load_usage(stack, usage_file) if usage_file else load_usage(stack)
    settings = stack_settings(stack, project_dir)

    def render_and_check() -> _Rendered:
        recording = render_stack(stack, project_dir)
        return _Rendered(recording, *policy_findings(stack, recording, project_dir))

    if use_cache:
        from offline_plan.cache import cached_render

        rendered, source = cached_render(
            stack,
            project_dir,
            render_and_check,
            accept=lambda v: isinstance(v, _Rendered),
            cache_dir=cache_dir,
        )
    else:
        rendered, source = render_and_check(), "rendered"
    recording = rendered.recording
    view = StackView(recording.resources)
    cost = estimate(view, prices, usage, AS_BUILT)
    plan = StackPlan(
        stack=stack,
        recording=recording,
        view=view,
        components=build_inventory(view),
        prices=prices,
        usage=usage,
        cost=cost,
        naive=estimate(view, prices, usage, NAIVE),
        savings=savings(view, prices, usage),
        egress=nat_alternatives(egress_inputs(settings), prices, usage, public_side(cost)),
        recording_source=source,
    )
    plan.findings, plan.findings_note = rendered.findings, rendered.findings_note
    plan.rollout, plan.rollout_note = rollout_times(settings)
    return plan
