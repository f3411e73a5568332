"""One stack's offline plan: the program rendered under mocks, then its inventory, cost
estimate (as built and naive), policy findings and modelled rollout times."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rollout
from mock_engine import ROOT, Recording, render_stack
from offline_plan.cache import cached_render
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
from offline_plan.pricing import PriceTable, Usage, load_prices, load_usage
from settings import StackFile, StackSettings, read_stack


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
    findings: list[FindingRow]
    """The policy pack's findings, blocking ones first."""
    rollout: RolloutRow
    egress: EgressComparison | None = None
    recording_source: str = "rendered"
    """How the recording was obtained: "cache", "rendered", "rendered (--no-cache)", ..."""
    diagrams: dict[str, str] = field(default_factory=dict)

    @property
    def fixed_ratio(self) -> float:
        return round(self.cost.fixed / self.naive.fixed, 3) if self.naive.fixed else 0.0


def policy_findings(recording: Recording, stack_file: StackFile) -> list[FindingRow]:
    """The policy pack's findings over the recorded resources, blocking ones first."""
    # Imported here, not above: a plan served from the cache keeps the findings it stored and
    # needs no policy pack (its import is a tenth of a cached plan's time). The pack is a
    # lower layer; this is its one public entry.
    import policy

    rows = [
        FindingRow(
            rule=f.rule,
            enforcement=str(f.enforcement.value),
            resource=f.name or "<stack>",
            message=f.message,
            exception=f.exception or "",
            reason=f.reason or "",
        )
        for f in policy.findings(recording, stack_file)
    ]
    order = {"mandatory": 0, "advisory": 1}
    rows.sort(key=lambda f: (bool(f.exception), order.get(f.enforcement, 2), f.rule, f.resource))
    return rows


def rollout_times(settings: StackSettings) -> RolloutRow:
    """Modelled deployment and rollback times of the stack's settings."""
    r = rollout.model(settings.deployment, settings.service, settings.observability)
    return RolloutRow(
        strategy=r.strategy,
        deploy_seconds=r.deploy_seconds,
        rollback_seconds=r.rollback_seconds,
        alarm_seconds=r.alarm_seconds,
        approval_gate=r.approval_gate,
        deploy_phases=tuple((p.name, p.seconds) for p in r.deploy),
        rollback_phases=tuple((p.name, p.seconds) for p in r.rollback),
    )


@dataclass(frozen=True)
class _Rendered:
    """What the cache keeps of a stack: the recording and the policy pack's findings over it
    (both depend only on the program, the stack files and the installed packages)."""

    recording: Recording
    findings: list[FindingRow]


def egress_inputs(settings: StackSettings) -> EgressInputs:
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

    Raises settings.StackFileError (missing or malformed stack file), settings.SettingsError
    (invalid configuration) and pricing.PlanInputError (bad price or usage file).
    """
    prices = prices or load_prices()
    usage = load_usage(stack, usage_file) if usage_file else load_usage(stack)
    stack_file = read_stack(stack, project_dir)
    settings = stack_file.settings()

    def render_and_check() -> _Rendered:
        recording = render_stack(stack, project_dir)
        return _Rendered(recording, policy_findings(recording, stack_file))

    if use_cache:
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
    return StackPlan(
        stack=stack,
        recording=recording,
        view=view,
        components=build_inventory(view),
        prices=prices,
        usage=usage,
        cost=cost,
        naive=estimate(view, prices, usage, NAIVE),
        savings=savings(view, prices, usage),
        findings=rendered.findings,
        rollout=rollout_times(settings),
        egress=nat_alternatives(egress_inputs(settings), prices, usage, public_side(cost)),
        recording_source=source,
    )
