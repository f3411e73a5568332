"""Start-up and graceful shutdown.

On SIGTERM (what ECS sends when it stops a task) the site first fails readiness and keeps
serving for SHUTDOWN_DRAIN_SECONDS, so the load balancer stops sending it traffic; then it
stops accepting connections, lets the requests in flight finish (at most
SHUTDOWN_TIMEOUT_SECONDS), closes its database connections and exits 0. A second signal
skips the rest of the drain time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys

from aiohttp import web

from .config import ConfigError, Settings
from .protocol import WebsiteRunner
from .server import KEEPALIVE_SECONDS, STATE, create_app, create_metrics_app

log = logging.getLogger("website")

EXIT_CONFIG = 2


async def _listen(runner: web.AppRunner, host: str, port: int) -> None:
    site = web.TCPSite(runner, host, port, backlog=1024)
    try:
        await site.start()
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {exc}") from None


async def serve(settings: Settings) -> None:
    app = create_app(settings)
    runner = WebsiteRunner(
        app,
        header_timeout=settings.header_timeout_seconds,
        observe=app[STATE].metrics.observe,
        access_log=None,  # per-request logs cost a third of the throughput; metrics count
        handle_signals=False,
        shutdown_timeout=settings.shutdown_timeout_seconds,
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    # The metrics listener: a port no target group reaches (see create_metrics_app).
    metrics_runner = web.AppRunner(
        create_metrics_app(app), access_log=None, handle_signals=False, shutdown_timeout=1
    )
    await runner.setup()
    await metrics_runner.setup()
    # Everything allocated so far lives as long as the process: keep it out of the
    # collector's scans, which shortens the pauses that make up the latency tail.
    gc.collect()
    gc.freeze()
    try:
        await _listen(metrics_runner, settings.host, settings.metrics_port)
        await _listen(runner, settings.host, settings.port)
    except SystemExit:
        await runner.cleanup()
        await metrics_runner.cleanup()
        raise
    log.info(
        "serving release %s (%s) of stack %s on %s:%d (metrics on port %d)",
        settings.app_version,
        settings.app_color,
        settings.stack_name,
        settings.host,
        settings.port,
        settings.metrics_port,
    )

    loop = asyncio.get_running_loop()
    signals = asyncio.Queue[int]()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, signals.put_nowait, signum)

    first = await signals.get()
    app[STATE].draining = True
    log.info(
        "received %s: readiness now fails; draining for %gs",
        signal.Signals(first).name,
        settings.shutdown_drain_seconds,
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(signals.get(), settings.shutdown_drain_seconds)
    log.info("closing the listener; waiting for requests in flight")
    # Idle keep-alive connections are closed at once, busy ones after their answer
    # (WebsiteRunner.shutdown).
    await runner.cleanup()
    # Metrics stay scrapeable until the site itself has stopped.
    await metrics_runner.cleanup()
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if argv:
        print(
            f"error: unexpected arguments {argv}; the website is configured by environment "
            "variables only (see docs/website.md, 'Configuration')",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    asyncio.run(serve(settings))
    return 0
