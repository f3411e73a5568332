"""Run the website locally against a throwaway PostgreSQL (`make app-run`).

Ctrl-C stops the website (gracefully) and then removes the database.
Options: --port (default 8080), --color (blue|green, default blue), --version.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from .localpg import LocalPostgres

APP_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (1-65535)")
    parser.add_argument(
        "--metrics-port", type=int, default=9102, help="port serving /metrics (1-65535)"
    )
    parser.add_argument("--color", choices=["blue", "green"], default="blue")
    parser.add_argument("--version", default="dev", help="release version shown on the page")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range (allowed: 1-65535)")

    # Stop the same way on SIGTERM as on Ctrl-C, so the database is always removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with LocalPostgres() as pg:
        env = {
            **os.environ,
            **pg.app_environment(),
            "PORT": str(args.port),
            "METRICS_PORT": str(args.metrics_port),
            "HOST": "127.0.0.1",
            "APP_VERSION": args.version,
            "APP_COLOR": args.color,
            "STACK_NAME": "local",
            "SHUTDOWN_DRAIN_SECONDS": "0",
        }
        print(
            f"website on http://127.0.0.1:{args.port}/, metrics on "
            f"http://127.0.0.1:{args.metrics_port}/metrics (Ctrl-C to stop)",
            flush=True,
        )
        proc = subprocess.Popen([sys.executable, "-m", "website"], cwd=APP_DIR, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGTERM)
            return proc.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
