"""Offline policy check: the real program rendered under mocks, then every rule.

    python -m policy.check --stack stage [--stack prod] [--all]

Prints every finding (mandatory, advisory, excepted with its reason) and the outputs or
stack-file values that look like plain-text secrets; exits 1 when anything blocks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from policy.model import Finding, Resource, StackContext, context_from_stack_file
from policy.rules import evaluate
from policy.secrets import SecretHit, scan_outputs, scan_stack_config

ROOT = Path(__file__).resolve().parent.parent


def to_resource(recorded: Any) -> Resource:
    """A resource recorded by the offline plan (or any object or dict with the same fields)
    as the rules see it: its inputs overlaid with what the mocks computed (id, arn, tagsAll)."""

    def field(name: str, default: Any = None) -> Any:
        if isinstance(recorded, dict):
            return recorded.get(name, default)
        return getattr(recorded, name, default)

    props = {**(field("inputs") or field("props") or {}), **(field("outputs") or {})}
    return Resource(
        type=field("type"),
        name=field("name"),
        urn=field("urn"),
        props=props,
        parent=field("parent") or None,
        provider=field("provider") or None,
        id=field("id") or props.get("id"),
    )


def render(stack: str) -> tuple[list[Resource], dict[str, Any]]:
    """The stack's resources and outputs, from the real program under the offline plan's mocks."""
    from offline_plan.render import render_stack

    recording = render_stack(stack)
    return [to_resource(r) for r in recording.resources], dict(recording.outputs)


def stack_file_hits(paths: Iterable[Path]) -> list[SecretHit]:
    hits = []
    for path in paths:
        document = yaml.safe_load(path.read_text()) or {}
        hits += [SecretHit(f"{path.name}:{h.path}", h.reason) for h in scan_stack_config(document)]
    return hits


def stack_files(root: Path = ROOT) -> list[Path]:
    return sorted([*root.glob("Pulumi.*.yaml"), *(root / "bootstrap").glob("Pulumi.*.yaml")])


def check_stack(stack: str) -> tuple[StackContext, list[Finding], list[SecretHit]]:
    resources, outputs = render(stack)
    ctx = context_from_stack_file(stack, ROOT)
    return ctx, evaluate(resources, ctx), scan_outputs(outputs)


def report(stack: str, ctx: StackContext, findings: list[Finding], outputs: list[SecretHit]) -> int:
    order = {"mandatory": 0, "advisory": 1}
    ranked = sorted(
        findings, key=lambda f: (f.excepted, order[f.enforcement.value], f.rule, f.name)
    )
    blocking = [f for f in findings if f.blocking]
    excepted = [f for f in findings if f.excepted]
    advisory = [f for f in findings if not f.excepted and not f.blocking]
    kind = "production" if ctx.production else "non-production"
    print(f"== stack {stack} ({kind})")
    for f in ranked:
        print("  " + f.line())
    for hit in outputs:
        print(f"  [mandatory] output-no-secrets: {hit.path}: {hit.reason}")
    print(
        f"== {stack}: {len(blocking)} mandatory, {len(advisory)} advisory, "
        f"{len(excepted)} excepted, {len(outputs)} secret-looking outputs"
    )
    return len(blocking) + len(outputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack to check (repeatable)")
    parser.add_argument("--all", action="store_true", help="every stack with a stack file")
    args = parser.parse_args(argv)
    stacks = args.stack or []
    if args.all or not stacks:
        from offline_plan.render import stack_names

        stacks = stack_names(ROOT)
    problems = 0
    hits = stack_file_hits(stack_files())
    for hit in hits:
        print(f"[mandatory] stack-file-no-plaintext-secrets: {hit.path}: {hit.reason}")
    problems += len(hits)
    for stack in stacks:
        ctx, findings, output_hits = check_stack(stack)
        problems += report(stack, ctx, findings, output_hits)
    print("policy check: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
