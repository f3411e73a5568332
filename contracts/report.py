"""Runs every contract check over the real program and bootstrap, and formats the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contracts import catalog, checks
from contracts.evaluator import Document
from contracts.requests import StackView
from contracts.sources import (
    BootstrapView,
    PolicyDocument,
    policy_documents,
    render_bootstrap,
    render_variant,
    workload_roles,
)
from mock_engine import Recording, render_stack

EXTRA_NAMES_SHOWN = 6


@dataclass
class Inputs:
    """What the checks read: the bootstrap and the rendered stacks."""

    bootstrap: BootstrapView
    recordings: dict[str, Recording]  # stage, prod, stage-variant

    def views(self) -> list[StackView]:
        out = []
        for label, recording in self.recordings.items():
            stack = label.split("-", 1)[0]  # stage-variant runs as the stage stack
            view = StackView.of(label, recording, self.bootstrap.boundary_arn, stack)
            out.append(view)
        return out


def gather() -> Inputs:
    """Renders the bootstrap once and each stack once (plus the optional-types variant)."""
    return Inputs(
        bootstrap=render_bootstrap(),
        recordings={
            "stage": render_stack("stage"),
            "prod": render_stack("prod"),
            "stage-variant": render_variant("stage"),
        },
    )


@dataclass
class Section:
    title: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def key_for(env: str, keys: Mapping[str, tuple[str, Document]]) -> str:
    """The secrets key of an environment: one named for it, else the shared state key."""
    for name, (arn, _) in keys.items():
        if env in name:
            return arn
    shared = keys.get("pulumi-state") or next(iter(keys.values()), ("", {}))
    return shared[0]


def all_documents(inputs: Inputs) -> list[PolicyDocument]:
    docs = list(inputs.bootstrap.documents)
    for label, recording in inputs.recordings.items():
        docs.extend(policy_documents(recording, label))
    return docs


def run(inputs: Inputs) -> list[Section]:
    """Every check, each a section of findings."""
    b = inputs.bootstrap
    views = inputs.views()
    by_name = {v.name: v for v in views}
    deploy_docs = {env: list(role.documents) for env, role in b.deploy_roles.items()}
    state = checks.StateTarget(
        b.state_bucket_arn, b.state_prefix, {env: key_for(env, b.keys) for env in b.environments}
    )

    coverage = Section("1. Deploy-role coverage (CloudFormation handler permissions)")
    missing, errors = checks.coverage_check(views, deploy_docs, state)
    coverage.failures.extend(errors)
    # One line per contract, stacks and missing actions; the Pulumi types that share them.
    lines: dict[tuple[str, str, str], list[str]] = {}
    for (pulumi_type, source), items in sorted(checks.group(missing).items()):
        in_stacks = ", ".join(sorted({m.stack for m in items}))
        lacking = ", ".join(sorted({m.action for m in items}))
        lines.setdefault((source, in_stacks, lacking), []).append(pulumi_type)
    for (source, in_stacks, lacking), types in sorted(lines.items()):
        coverage.failures.append(f"{source} ({', '.join(types)}) in {in_stacks}: missing {lacking}")

    minimal = Section("1b. Deploy-role minimality (allowed but needed by nothing)")
    minimal.notes.append(
        "Describe*/List*/Get* wildcards that add only plain reads are accepted: "
        "contracts/data.py READ_WILDCARD_REASON"
    )
    by_pattern: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for env, docs in sorted(deploy_docs.items()):
        for pattern, actions in checks.extras_check(docs, views).items():
            by_pattern.setdefault((pattern, tuple(actions)), []).append(f"deploy-{env}")
    for (pattern, unneeded), roles in sorted(by_pattern.items(), key=_write_first):
        shown = ", ".join(unneeded[:EXTRA_NAMES_SHOWN])
        more = len(unneeded) - EXTRA_NAMES_SHOWN
        tail = f" and {more} more" if more > 0 else ""
        levels = sorted({catalog.access_level(a) or "?" for a in unneeded})
        minimal.failures.append(
            f"{', '.join(roles)}: {pattern} grants {len(unneeded)} unneeded "
            f"({'/'.join(levels)}): {shown}{tail}"
        )

    exist = Section("2. Every IAM action exists; parliament lint")
    documents = all_documents(inputs)
    exist.failures.extend(sorted(set(checks.unknown_actions(documents))))
    exist.failures.extend(sorted(set(checks.lint_findings(documents))))
    exist.notes.append(f"{len(documents)} policy documents checked")

    boundary = Section("3. Workload roles under the permissions boundary")
    for view in views:
        recording = inputs.recordings[view.name]
        boundary.failures.extend(
            checks.boundary_misfits(workload_roles(recording), b.boundary, view)
        )

    escalation = Section("4. No escalation (negative requests over the real documents)")
    escalations: list[checks.Escalation] = []
    envs = list(b.deploy_roles)
    for env, role in b.deploy_roles.items():
        other = next((e for e in envs if e != env), "")
        other_view = by_name.get(other)
        escalations.extend(
            checks.escalation_requests(
                env=env,
                other_env=other,
                own_role_arn=role.arn,
                own_policy_arns=role.policy_arns,
                boundary_arn=b.boundary_arn,
                workload_path=b.workload_path,
                state_bucket_arn=b.state_bucket_arn,
                state_prefix=b.state_prefix,
                region=b.region,
                other_view=other_view,
                ci_role_arns=[r.arn for name, r in b.ci_roles.items() if r.arn != role.arn],
            )
        )
    escalations.extend(checks.preview_escalations(key_for("prod", b.keys), b.region))
    role_docs: dict[str, Sequence[Document]] = {
        f"deploy-{env}": docs for env, docs in deploy_docs.items()
    }
    role_docs["preview"] = b.preview_role.documents
    failed = checks.escalation_failures(escalations, role_docs)
    for e in failed:
        escalation.failures.append(
            f"{e.name}: allowed ({e.request.action} on {e.request.resource}); {e.why}"
        )
    escalation.notes.append(f"{len(escalations)} requests tried, {len(failed)} allowed")

    naming = Section("5. API naming and limit rules")
    for view in views:
        naming.failures.extend(checks.naming_violations(view))
    if "stage" in by_name and "prod" in by_name:
        naming.failures.extend(checks.shared_physical_names(by_name["stage"], by_name["prod"]))

    return [coverage, minimal, exist, boundary, escalation, naming]


def _write_first(item: tuple[tuple[str, tuple[str, ...]], list[str]]) -> tuple[bool, str]:
    """Extras that change something before read-only ones, then by pattern."""
    (pattern, actions), _ = item
    read_only = all(catalog.access_level(a) in ("Read", "List") for a in actions)
    return read_only, pattern


def format_report(sections: Sequence[Section]) -> str:
    lines = []
    for section in sections:
        status = "FAIL" if section.failures else "ok"
        lines.append(f"== {section.title}: {status} ({len(section.failures)} findings)")
        lines.extend(f"  - {f}" for f in section.failures)
        lines.extend(f"  . {n}" for n in section.notes)
    failed = [s.title.split(" ", 1)[0] for s in sections if s.failures]
    lines.append("")
    lines.append(
        "contract-check: FAILED sections " + " ".join(failed)
        if failed
        else "contract-check: passed"
    )
    return "\n".join(lines)
