"""`python -m offline_plan`: the offline plan of one or more stacks.

    python -m offline_plan [--stack stage|prod ...] [--json PATH|-] [--markdown PATH]
                           [--diagram-dir DIR | --no-diagram] [--diff] [--usage FILE]
                           [--no-cache] [--cache-dir DIR]

A stack's recording (the program rendered under mocks) is kept in build/plan-cache/, keyed by
everything it depends on (offline_plan/cache.py); an unchanged stack is planned from it.

Exit codes: 0 planned; 1 invalid stack configuration (every problem listed); 2 bad
arguments, unknown stack, missing or malformed stack file, bad usage or price file, or
Graphviz missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mock_engine import ROOT
from settings import SettingsError, StackFileError, stack_name_problem, stack_names

DEFAULT_DIAGRAM_DIR = Path("build/plan")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"offline plan: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m offline_plan",
        description="Offline plan: resources, monthly cost, policy findings, rollout times and "
        "diagram of each stack, from the real program under Pulumi's mock engine.",
    )
    parser.add_argument(
        "--stack",
        action="append",
        metavar="NAME",
        help="stack to plan (repeatable; default: every stack with a Pulumi.<stack>.yaml)",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write the plan as JSON to PATH ('-': stdout)"
    )
    parser.add_argument("--markdown", metavar="PATH", help="write the Markdown summary to PATH")
    parser.add_argument(
        "--diagram-dir",
        metavar="DIR",
        type=Path,
        default=DEFAULT_DIAGRAM_DIR,
        help=f"where <stack>.png/.svg go (default {DEFAULT_DIAGRAM_DIR})",
    )
    parser.add_argument("--no-diagram", action="store_true", help="do not draw diagrams")
    parser.add_argument(
        "--diff", action="store_true", help="also show what differs between two stacks"
    )
    parser.add_argument(
        "--usage", metavar="FILE", type=Path, help="usage assumptions (default usage.yaml)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render the program even when a cached recording of the same inputs exists",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        help="where cached recordings go (default build/plan-cache)",
    )
    parser.add_argument(
        "--project-dir",
        metavar="DIR",
        type=Path,
        default=ROOT,
        help="directory of the program and its stack files (default: this repository)",
    )
    return parser.parse_args(argv)


def fail(code: int, message: str) -> int:
    print(f"offline plan: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.project_dir / "__main__.py").is_file():
        return fail(2, f"{args.project_dir} holds no Pulumi program (__main__.py)")
    known = stack_names(args.project_dir)
    stacks = args.stack or known
    for stack in stacks:
        problem = stack_name_problem(stack)
        if problem is not None:
            return fail(2, problem)
        if stack not in known:
            return fail(
                2,
                f"unknown stack '{stack}': there is no Pulumi.{stack}.yaml "
                f"(stacks: {', '.join(known) or 'none'})",
            )
    if args.diff and len(stacks) != 2:
        return fail(
            2, f"--diff compares exactly two stacks, got {len(stacks)} ({', '.join(stacks)})"
        )
    if args.usage is not None and not args.usage.is_file():
        return fail(2, f"usage file {args.usage} does not exist")
    if args.markdown and len(stacks) != 1:
        return fail(2, "--markdown writes one stack's summary: give exactly one --stack")

    # Imported here so that argument errors answer at once.
    from offline_plan.diagram import DiagramError, render_diagram
    from offline_plan.document import diff_document, document, markdown
    from offline_plan.plan import build_plan
    from offline_plan.pricing import PlanInputError, load_prices

    try:
        prices = load_prices()
        plans = []
        for stack in stacks:
            plan = build_plan(
                stack,
                usage_file=args.usage,
                prices=prices,
                project_dir=args.project_dir,
                use_cache=not args.no_cache,
                cache_dir=args.cache_dir,
            )
            if not args.no_diagram:
                plan.diagrams = render_diagram(stack, plan.view, args.diagram_dir)
            plans.append(plan)
    except (StackFileError, PlanInputError, DiagramError) as error:
        return fail(2, str(error))
    except SettingsError as error:
        return fail(1, str(error))

    to_stdout = args.json == "-"
    if not to_stdout:
        from rich.console import Console

        from offline_plan.report import print_diff, print_plan

        console = Console(width=None if sys.stdout.isatty() else 160)
        for plan in plans:
            print_plan(console, plan)
        if args.diff:
            print_diff(console, diff_document(plans[0], plans[1]))
    if args.json:
        text = json.dumps(document(plans, diff=args.diff), indent=2) + "\n"
        if to_stdout:
            sys.stdout.write(text)
        else:
            _write(Path(args.json), text)
    if args.markdown:
        _write(Path(args.markdown), markdown(plans[0]))
    return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
