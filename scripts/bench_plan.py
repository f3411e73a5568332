"""Times `python -m offline_plan --stack <stack>` (a fresh process each run, as `make plan
STACK=<stack>` runs it, diagrams included) and prints the median per stack.

    .venv/bin/python scripts/bench_plan.py [--runs 5] [--stack stage --stack prod]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 3.0


def run_once(stack: str, out_dir: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "offline_plan", "--stack", stack, "--diagram-dir", out_dir],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per stack (default 5)")
    parser.add_argument("--stack", action="append", help="stack (repeatable; default stage, prod)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    stacks = args.stack or ["stage", "prod"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"offline plan benchmark: {args.runs} runs per stack, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} at start"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as out_dir:
        run_once(stacks[0], out_dir)  # warm the file cache and the .pyc files
        for stack in stacks:
            times = [run_once(stack, out_dir) for _ in range(args.runs)]
            median = statistics.median(times)
            worst = max(worst, median)
            print(
                f"  {stack:8} median {median:.2f} s  (min {min(times):.2f}, max {max(times):.2f})"
            )
    verdict = "meets" if worst <= TARGET_SECONDS else "misses"
    print(f"slowest median {worst:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target per stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
