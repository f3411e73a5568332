"""Offline policy check: the real program rendered by the mock engine, then every rule.

    python -m policy.check --stack stage [--stack prod] [--all]

Prints every finding (mandatory, advisory, excepted with its reason) and the outputs or
stack-file values that look like plain-text secrets; exits 1 when anything blocks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import policy
from mock_engine import render_stack
from policy.model import Finding, StackContext, context_of
from policy.secrets import SecretHit, scan_outputs, scan_values
from settings import (
    PROJECT,
    ROOT,
    SettingsError,
    StackFile,
    StackFileError,
    decode_config,
    read_stack,
    stack_names,
)

__all__ = [
    "check_stack",
    "main",
    "report",
    "stack_file_hits",
    "stack_files",
]


def stack_file_hits(paths: list[Path]) -> list[SecretHit]:
    """Plain-text secrets in the stack files at ``paths`` (encrypted entries are skipped)."""
    hits: list[SecretHit] = []
    for path in paths:
        stack_file = read_stack(path.name[len("Pulumi.") : -len(".yaml")], path.parent)
        hits += [SecretHit(f"{path.name}:{h.path}", h.reason) for h in _config_hits(stack_file)]
    return hits


def _decoded(key: str, value: str) -> Any:
    # Every value is decoded as the program decodes a setting of that name
    # (settings.decode_config), whatever the key's namespace, so that a value the scan judges
    # is the value a program reads; the key keeps its namespace for the report.
    name = key.rpartition(":")[2]
    return decode_config({f"{PROJECT}:{name}": value})[name]


def _config_hits(stack_file: StackFile) -> list[SecretHit]:
    plain = {
        key: _decoded(key, value)
        for key, value in stack_file.config.items()
        if key not in stack_file.secret_keys
    }
    return scan_values(plain, "config")


def stack_files(root: Path = ROOT) -> list[Path]:
    """The stack files of the program at ``root`` and of its bootstrap program."""
    projects = (root, root / "bootstrap")
    return sorted(p / f"Pulumi.{name}.yaml" for p in projects for name in stack_names(p))


def check_stack(stack: str) -> tuple[StackContext, list[Finding], list[SecretHit]]:
    """The stack rendered by the mock engine, judged by the policy pack's one entry."""
    recording = render_stack(stack)
    stack_file = read_stack(stack, ROOT)
    found = policy.findings(recording, stack_file)
    return context_of(stack_file), found, scan_outputs(recording.outputs)


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
    """Exit 0 when every stack passes, 1 when a mandatory rule fails, 2 when a stack cannot be
    read or its configuration is invalid (the problem printed on one line, nothing checked)."""
    parser = argparse.ArgumentParser(
        prog="python -m policy.check", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--stack", action="append", help="stack to check (repeatable)")
    parser.add_argument("--all", action="store_true", help="every stack with a stack file")
    args = parser.parse_args(argv)
    stacks: list[str] = args.stack or []
    if args.all or not stacks:
        stacks = stack_names(ROOT)
    problems = 0
    try:
        hits = stack_file_hits(stack_files())
        for hit in hits:
            print(f"[mandatory] stack-file-no-plaintext-secrets: {hit.path}: {hit.reason}")
        problems += len(hits)
        for stack in stacks:
            ctx, findings, output_hits = check_stack(stack)
            problems += report(stack, ctx, findings, output_hits)
    except (StackFileError, SettingsError) as error:
        print(f"policy check: {error}", file=sys.stderr)
        return 2
    print("policy check: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
