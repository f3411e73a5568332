"""Times `python -m offline_plan --stack <stack>` (a fresh process each run, as `make plan
STACK=<stack>` runs it, diagrams included) and prints the median per stack, twice: cold
(`--no-cache`: the program rendered under mocks) and cached (the recording of unchanged
inputs read back from the cache).

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
CACHED_TARGET_SECONDS = 1.0


def run_once(stack: str, out_dir: str, cache_dir: str, *, cached: bool) -> tuple[float, bool]:
    """Seconds one plan took, and whether its recording came from the cache."""
    command = [
        sys.executable,
        "-m",
        "offline_plan",
        "--stack",
        stack,
        "--diagram-dir",
        out_dir,
        "--cache-dir",
        cache_dir,
    ]
    start = time.perf_counter()
    done = subprocess.run(
        command if cached else [*command, "--no-cache"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, "recording: cache" in done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per stack and mode (default 5)")
    parser.add_argument("--stack", action="append", help="stack (repeatable; default stage, prod)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    stacks = args.stack or ["stage", "prod"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"offline plan benchmark: {args.runs} runs per stack and mode, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} at start"
    )
    worst = {False: 0.0, True: 0.0}
    with tempfile.TemporaryDirectory() as out_dir, tempfile.TemporaryDirectory() as cache_dir:
        run_once(stacks[0], out_dir, cache_dir, cached=False)  # warms the file cache and .pyc
        for stack in stacks:
            run_once(stack, out_dir, cache_dir, cached=True)  # fills the cache
            for cached in (False, True):
                runs = [
                    run_once(stack, out_dir, cache_dir, cached=cached) for _ in range(args.runs)
                ]
                times = [t for t, _ in runs]
                median = statistics.median(times)
                worst[cached] = max(worst[cached], median)
                mode = "cached" if cached else "cold"
                # A cached run that found no entry (a project file changed meanwhile)
                # rendered: it counts, and the line says how many did.
                hits = f", {sum(h for _, h in runs)}/{len(runs)} from the cache" if cached else ""
                print(
                    f"  {stack:8} {mode:6} median {median:.2f} s  "
                    f"(min {min(times):.2f}, max {max(times):.2f}{hits})"
                )
    for cached, target in ((False, TARGET_SECONDS), (True, CACHED_TARGET_SECONDS)):
        verdict = "meets" if worst[cached] <= target else "misses"
        mode = "cached" if cached else "cold"
        print(
            f"slowest {mode} median {worst[cached]:.2f} s: {verdict} the {target:.0f} s "
            "target per stack"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
