"""Writes the measured figures of docs/figures.md, each section from the command that
measures it, with the command and the date.

    .venv/bin/python scripts/gen_figures.py                 # cost, rollout, plan speed (make figures)
    .venv/bin/python scripts/gen_figures.py cost rollout    # only these sections
    .venv/bin/python scripts/gen_figures.py website         # make figures-website (1-2 min)
    .venv/bin/python scripts/gen_figures.py alerts          # make figures-alerts (1-2 min)

Cost and rollout are deterministic (the stack files, usage.yaml and prices.yaml decide them):
tests/test_docs.py recomputes them and fails when docs/figures.md is stale. Plan speed, the
website benchmark and the alert timings depend on the machine and the moment; they are
recorded as measured, never edited by hand.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.gen_docs import replace_section, section  # noqa: E402  (after the path insert)

FIGURES = ROOT / "docs" / "figures.md"
BY = "scripts/gen_figures.py: make figures"
STACKS = ("stage", "prod")
PLAN_COMMAND = (
    "python",
    "-m",
    "offline_plan",
    "--stack",
    "stage",
    "--stack",
    "prod",
    "--no-diagram",
    "--json",
)
ROLLOUT_COMMAND = ("python", "-m", "rollout")
BENCH_PLAN_COMMAND = ("python", "scripts/bench_plan.py")
WEBSITE_COMMAND = ("python", "-m", "app.tools.bench")
ALERTS_COMMAND = ("make", "observability-e2e")


@dataclass(frozen=True)
class Figure:
    """A section of docs/figures.md: its name, the command shown, and its body."""

    name: str
    command: str
    body: str

    def text(self, day: datetime.date) -> str:
        return f"Produced by `{self.command}` on {day.isoformat()}.\n\n{self.body.rstrip()}"


def body_of(section_text: str) -> str:
    """A section's body without its first paragraph (the command and the date)."""
    return section_text.split("\n\n", 1)[1] if "\n\n" in section_text else ""


def _python() -> str:
    return sys.executable


def _run(command: list[str], *, timeout: int) -> str:
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def plan_document() -> dict[str, Any]:
    """The offline plan of both stacks as its JSON document."""
    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "plan.json"
        _run([_python(), *PLAN_COMMAND[1:], str(path), "--no-cache"], timeout=300)
        document: dict[str, Any] = json.loads(path.read_text())
    return document


def cost_figure(document: dict[str, Any] | None = None) -> Figure:
    """Monthly cost per stack, the fixed-cost ratio to the naive layout, what each choice
    saves, and the ways private subnets can reach the internet (`nat_alternatives`)."""
    document = document if document is not None else plan_document()
    stacks = {s["stack"]: s for s in document["stacks"]}
    prices = document["prices"]
    lines = [
        f"USD per month, prices of {prices['region']} as of {prices['as_of']}, usage from "
        "`usage.yaml`.",
        "",
        "| stack | fixed | naive fixed | ratio | with usage | naive with usage |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in STACKS:
        s = stacks[name]
        lines.append(
            f"| {name} | {_usd(s['cost']['fixed'])} | {_usd(s['naive']['fixed'])} "
            f"| {s['fixed_ratio']:.3f} | {_usd(s['cost']['total'])} "
            f"| {_usd(s['naive']['total'])} |"
        )
    for name in STACKS:
        s = stacks[name]
        lines += [
            "",
            f"{name}: what each choice saves against the naive layout",
            "",
            "| choice | fixed | with usage |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {c['choice']} | {_usd(c['monthly_fixed'])} | {_usd(c['monthly_total'])} |"
            for c in s["savings"]
        ]
    for name in STACKS:
        s = stacks[name]
        egress = s["egress"]
        lines += [
            "",
            f"{name}: how the private subnets can reach the internet "
            f"({egress['nat_gb']:g} GB a month through NAT)",
            "",
            "| choice | fixed | usage | total | survives an AZ's loss | as built |",
            "|---|---:|---:|---:|---|---|",
        ]
        for alt in s["nat_alternatives"]:
            lines.append(
                f"| {alt['label']} | {_usd(alt['fixed_usd'])} | {_usd(alt['usage_usd'])} "
                f"| {_usd(alt['total_usd'])} | {'yes' if alt['survives_az_loss'] else 'no'} "
                f"| {'*' if alt['as_built'] else ''} |"
            )
        labels = {alt["strategy"]: alt["label"] for alt in s["nat_alternatives"]}
        sentence = (
            f"Cheapest with the stack's availability: {labels[egress['cheapest_same_availability']]}"
            f"; cheapest overall: {labels[egress['cheapest_overall']]}."
        )
        for point in egress.get("break_even_gb") or []:
            sentence += (
                f" Interface endpoints cost less than {labels[point['versus']]} above "
                f"{point['gb']:,.0f} GB a month through NAT."
            )
        lines += ["", sentence]
    command = " ".join(PLAN_COMMAND) + " FILE --no-cache"
    return Figure("figures-cost", command, "\n".join(lines))


def rollout_figure() -> Figure:
    """The modelled deployment and rollback times of every stack file."""
    out = _run([_python(), *ROLLOUT_COMMAND[1:]], timeout=120)
    body = "```text\n" + out.rstrip() + "\n```"
    return Figure("figures-rollout", " ".join(ROLLOUT_COMMAND), body)


def plan_speed_figure() -> Figure:
    """The offline plan's speed, cold and from the cache (`make plan-bench`)."""
    out = _run([_python(), *BENCH_PLAN_COMMAND[1:]], timeout=900)
    body = "```text\n" + out.rstrip() + "\n```"
    return Figure("figures-plan-speed", " ".join(BENCH_PLAN_COMMAND), body)


def website_figure() -> Figure:
    """The website's benchmark: req/s, p50/p99, writes, overload shedding, memory."""
    out = _run([_python(), *WEBSITE_COMMAND[1:]], timeout=900)
    body = "```text\n" + out.rstrip() + "\n```"
    return Figure("figures-website", " ".join(WEBSITE_COMMAND), body)


def alert_lines(output: str) -> list[str]:
    """What the end-to-end run measured, from its output: the printed timings (pytest's
    progress dots stripped, a dict of timings one per line), the per-test durations and the
    summary; not make's echo of the command."""
    kept = []
    for raw in output.splitlines():
        if raw.startswith(("make", ".venv", "/")):
            continue
        line = raw.lstrip(".sFE").rstrip()
        if not line or "[100%]" in line:
            continue
        timings = re.fullmatch(r"\{('[^']+': [0-9.]+(?:, )?)+\}", line)
        if timings:
            kept += [
                f"{name} after {float(seconds):.1f}s"
                for name, seconds in re.findall(r"'([^']+)': ([0-9.]+)", line)
            ]
        else:
            kept.append(line)
    return kept


def alerts_figure() -> Figure:
    """How long each alert takes to fire and resolve in the local end-to-end run."""
    out = _run(list(ALERTS_COMMAND), timeout=900)
    body = "```text\n" + "\n".join(alert_lines(out)) + "\n```"
    return Figure("figures-alerts", " ".join(ALERTS_COMMAND), body)


PRODUCERS: dict[str, Callable[[], Figure]] = {
    "cost": cost_figure,
    "rollout": rollout_figure,
    "plan-speed": plan_speed_figure,
    "website": website_figure,
    "alerts": alerts_figure,
}
FAST = ("cost", "rollout", "plan-speed")


def write(figures: list[Figure], day: datetime.date | None = None) -> None:
    day = day or datetime.datetime.now(datetime.UTC).date()
    text = FIGURES.read_text()
    for figure in figures:
        text = replace_section(text, figure.name, figure.text(day))
    FIGURES.write_text(text)


def recorded_body(name: str) -> str:
    """The body of a section as docs/figures.md holds it (without the command and date)."""
    return body_of(section(FIGURES.read_text(), name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "sections",
        nargs="*",
        metavar="SECTION",
        help=f"{', '.join(PRODUCERS)} (default: {' '.join(FAST)})",
    )
    args = parser.parse_args(argv)
    names = args.sections or list(FAST)
    unknown = [n for n in names if n not in PRODUCERS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(PRODUCERS)}")
    figures = []
    for name in names:
        print(f"measuring {name} ...", flush=True)
        figures.append(PRODUCERS[name]())
    write(figures)
    print(f"wrote {FIGURES.relative_to(ROOT)}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
