"""Run the website and its PostgreSQL, Prometheus, Alertmanager and the blackbox exporter
on loopback.

Everything binds 127.0.0.1 on free ports, keeps its data in a temporary directory and
is stopped when the `LocalStack` context exits, whatever happened inside it. The servers
are Debian's (`make debs` installs them). The rule files are the repository's with their
`for:` durations and range windows divided by `divisor` (scrapes every second instead of
15 s), and Alertmanager's grouping timers likewise, so that an alert fires in seconds
instead of minutes; nothing else changes.

    python -m observability.localstack      # the alert scenario, prints its timings
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from app.tools.localpg import LocalPostgres
from observability import render

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
REPO = render.ROOT.parent
#: Production `for:` and Alertmanager timers are divided by this in the local run.
DEFAULT_DIVISOR = 30.0
STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_binaries() -> list[str]:
    """The Debian server binaries this run needs that are not installed."""
    return [path for path in (PROMETHEUS, ALERTMANAGER, BLACKBOX) if not os.access(path, os.X_OK)]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.2) -> float:
    """Poll `check` until it is true; seconds it took. TimeoutError naming `what` if not."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not true after {timeout:.0f}s")
        time.sleep(step)


@dataclass
class Notification:
    """One webhook call from Alertmanager."""

    receiver: str
    received_at: float
    body: render.ToolDocument
    """Alertmanager's webhook payload as posted."""

    def alerts(self) -> list[tuple[str, str]]:
        """(alertname, status) of every alert in the notification."""
        return [(a["labels"].get("alertname", ""), a["status"]) for a in self.body["alerts"]]


@dataclass
class WebhookReceiver:
    """A tiny HTTP server that records what Alertmanager posts to it."""

    notifications: list[Notification] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver._lock:
                    receiver.notifications.append(
                        Notification(self.path.strip("/"), time.monotonic(), body)
                    )
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def seen(self, alertname: str, status: str, since: float = 0.0) -> float | None:
        """When an alert with that status first arrived after `since` (monotonic)."""
        with self._lock:
            for note in self.notifications:
                if note.received_at >= since and (alertname, status) in note.alerts():
                    return note.received_at
        return None


APP_ENTRY = REPO / "app" / "website" / "__main__.py"


#: The website's database timeout in the local run: long enough for a query held 1.5 s to
#: succeed slowly (the latency alert), short enough for a query held longer to fail soon
#: (the 5xx alert).
DB_TIMEOUT_SECONDS = 3.0


def website_process(
    port: int, metrics_port: int, database: dict[str, str] | None
) -> tuple[str, list[str], dict[str, str]]:
    """What runs as the website on `port`, with its metrics on `metrics_port`: (kind, command,
    environment).

    The real website (app/) when it is there, configured by the environment variables of
    docs/interfaces.md, with `database` as its DB_* variables (a local PostgreSQL);
    otherwise the stand-in. As in AWS, Prometheus scrapes the metrics port and the
    blackbox exporter probes the site's port.
    """
    env = dict(os.environ)
    if APP_ENTRY.exists():
        env.update(
            PORT=str(port),
            METRICS_PORT=str(metrics_port),
            HOST="127.0.0.1",
            APP_VERSION="0.0.0-local",
            APP_COLOR="blue",
            STACK_NAME="local",
            DB_TIMEOUT_SECONDS=str(DB_TIMEOUT_SECONDS),
            DB_CHECK_INTERVAL_SECONDS="1",
            SHUTDOWN_DRAIN_SECONDS="0",
            **(database or {}),
        )
        return "app", [sys.executable, "-m", "app.website"], env
    command = [sys.executable, "-m", "observability.standin"]
    return "stand-in", [*command, "--port", str(port), "--metrics-port", str(metrics_port)], env


class LocalStack:
    """The four servers and the webhook receiver; use as a context manager."""

    def __init__(self, divisor: float = DEFAULT_DIVISOR, interval_seconds: int = 1) -> None:
        self.divisor = divisor
        self.interval_seconds = interval_seconds
        self.webhook = WebhookReceiver()
        self.ports = {
            name: free_port()
            for name in (
                "website",
                "metrics",
                "prometheus",
                "alertmanager",
                "blackbox",
            )
        }
        self.website_kind = website_process(0, 0, None)[0]
        self.workdir = Path(tempfile.mkdtemp(prefix="ecs-platform-observability-"))
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.database: LocalPostgres | None = None

    def url(self, name: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        missing = missing_binaries()
        if missing:
            raise FileNotFoundError(f"missing {missing}: run `make debs`")
        webhook_url = self.webhook.start()
        self._write_configs(webhook_url)
        if self.website_kind == "app":
            self.database = LocalPostgres()
            self.database.start()
        self.start_website()
        self._spawn(
            "blackbox",
            [
                BLACKBOX,
                f"--config.file={render.BLACKBOX_CONFIG}",
                f"--web.listen-address=127.0.0.1:{self.ports['blackbox']}",
            ],
        )
        self._spawn(
            "alertmanager",
            [
                ALERTMANAGER,
                f"--config.file={self.workdir / 'alertmanager.yml'}",
                f"--storage.path={self.workdir / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{self.ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
        )
        self._spawn(
            "prometheus",
            [
                PROMETHEUS,
                f"--config.file={self.workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
                "--rules.alert.resend-delay=1s",
            ],
        )
        for name, path in (
            ("blackbox", "/-/healthy"),
            ("alertmanager", "/-/ready"),
            ("prometheus", "/-/ready"),
        ):
            self._wait_http(name, path)

    def close(self) -> None:
        for name in list(self.processes):
            self._stop(name)
        if self.database is not None:
            self.database.destroy()
        self.webhook.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start_website(self) -> None:
        _, command, env = website_process(
            self.ports["website"],
            self.ports["metrics"],
            self.database.app_environment() if self.database is not None else None,
        )
        self._spawn("website", command, env)
        self._wait_http("website", "/healthz")

    def stop_website(self) -> None:
        self._stop("website")

    # -- queries ---------------------------------------------------------------------
    def query(self, expr: str) -> render.ToolDocument:
        """The `data` of a Prometheus instant query; ValueError on a query error."""
        url = self.url("prometheus", "/api/v1/query?") + urllib.parse.urlencode({"query": expr})
        status, body = http_get(url)
        payload = json.loads(body or b"{}")
        if status != 200 or payload.get("status") != "success":
            raise ValueError(f"query {expr!r} failed: {status} {payload.get('error', body[:200])}")
        return dict(payload["data"])

    def wait_for_samples(self, expr: str, timeout: float) -> float:
        return wait_until(lambda: bool(self.query(expr)["result"]), timeout, f"samples of {expr}")

    # -- internals -------------------------------------------------------------------
    def _write_configs(self, webhook_url: str) -> None:
        rules_dir = self.workdir / "rules"
        rules_dir.mkdir()
        for path in render.rule_files():
            (rules_dir / path.name).write_text(render.scaled_rules_yaml(path, self.divisor))
        prometheus = render.local_prometheus_config(
            website=f"127.0.0.1:{self.ports['metrics']}",
            blackbox=f"127.0.0.1:{self.ports['blackbox']}",
            alertmanager=f"127.0.0.1:{self.ports['alertmanager']}",
            probe_url=self.url("website", "/"),
            rule_glob=str(rules_dir / "*.rules.yml"),
            interval_seconds=self.interval_seconds,
        )
        (self.workdir / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
        alertmanager = render.alertmanager_config(
            "webhook", webhook_url=webhook_url, divisor=self.divisor
        )
        (self.workdir / "alertmanager.yml").write_text(
            yaml.safe_dump(alertmanager, sort_keys=False)
        )

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()

    def _stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _wait_http(self, name: str, path: str) -> None:
        def ready() -> bool:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: {self.log(name)}")
            return http_get(self.url(name, path), timeout=1.0)[0] == 200

        wait_until(ready, STARTUP_TIMEOUT, f"{name} answering on {path}")

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@contextlib.contextmanager
def guestbook_locked(database: LocalPostgres) -> Iterator[None]:
    """Hold an exclusive lock on the guest-book table: its queries wait (PostgreSQL stays
    up and answers SELECT 1, so the site stays ready and app_database_up stays 1)."""
    with database.connect() as conn, conn.transaction():
        conn.execute("LOCK TABLE guestbook_entries IN ACCESS EXCLUSIVE MODE")
        yield


@contextlib.contextmanager
def guestbook_traffic(stack: LocalStack, clients: int = 4) -> Iterator[list[int]]:
    """`clients` threads reading /guestbook in a loop; yields the statuses seen so far."""
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            statuses.append(http_get(stack.url("website", "/guestbook"), timeout=10)[0])

    threads = [threading.Thread(target=read, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)


def slow_queries_scenario(stack: LocalStack, timeout: float = 90.0) -> float:
    """Queries held 1.5 s (under the 3 s database timeout): answers are right but slow.
    Seconds until WebsiteLatencyP99High reached the webhook."""
    assert stack.database is not None
    started = time.monotonic()
    with guestbook_traffic(stack) as statuses:
        while stack.webhook.seen("WebsiteLatencyP99High", "firing", started) is None:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"WebsiteLatencyP99High not firing after {timeout:.0f}s")
            with guestbook_locked(stack.database):
                time.sleep(1.5)
    if any(status >= 500 for status in statuses):
        raise AssertionError(f"slow queries gave errors: {sorted(set(statuses))}")
    return (stack.webhook.seen("WebsiteLatencyP99High", "firing", started) or 0) - started


def failing_queries_scenario(stack: LocalStack, timeout: float = 90.0) -> float:
    """Queries held past the database timeout: the guest book answers 503. Seconds until
    WebsiteHigh5xxRatio reached the webhook."""
    assert stack.database is not None
    started = time.monotonic()
    with guestbook_traffic(stack), guestbook_locked(stack.database):
        wait_until(
            lambda: stack.webhook.seen("WebsiteHigh5xxRatio", "firing", started) is not None,
            timeout,
            "WebsiteHigh5xxRatio firing at the webhook",
        )
    return (stack.webhook.seen("WebsiteHigh5xxRatio", "firing", started) or 0) - started


#: The alerts the scenario expects when the website stops.
OUTAGE_ALERTS = ("WebsiteTargetDown", "WebsiteProbeFailing")


@contextlib.contextmanager
def running_stack(divisor: float = DEFAULT_DIVISOR) -> Iterator[LocalStack]:
    with LocalStack(divisor=divisor) as stack:
        yield stack


def _notified(
    webhook: WebhookReceiver, alert: str, status: str, since: float
) -> Callable[[], bool]:
    """A check for wait_until: has the webhook received `alert` as `status` since `since`?"""
    return lambda: webhook.seen(alert, status, since) is not None


def outage_scenario(stack: LocalStack, timeout: float = 60.0) -> dict[str, float]:
    """Stop the website, wait for the outage alerts at the webhook, restart it, wait for
    them to resolve. Seconds from each action to each notification."""
    stack.wait_for_samples('up{job="website"} == 1', timeout=15)
    stack.wait_for_samples('probe_success{job="blackbox"} == 1', timeout=15)
    timings: dict[str, float] = {}
    stopped = time.monotonic()
    stack.stop_website()
    for alert in OUTAGE_ALERTS:
        wait_until(
            _notified(stack.webhook, alert, "firing", stopped),
            timeout - (time.monotonic() - stopped),
            f"{alert} firing at the webhook",
        )
        timings[f"{alert} firing"] = (stack.webhook.seen(alert, "firing", stopped) or 0) - stopped
    restarted = time.monotonic()
    stack.start_website()
    for alert in OUTAGE_ALERTS:
        wait_until(
            _notified(stack.webhook, alert, "resolved", restarted),
            timeout - (time.monotonic() - restarted),
            f"{alert} resolved at the webhook",
        )
        timings[f"{alert} resolved"] = (
            stack.webhook.seen(alert, "resolved", restarted) or 0
        ) - restarted
    return timings


def main() -> None:
    with running_stack() as stack:
        timings = outage_scenario(stack)
        if stack.database is not None:
            timings["WebsiteLatencyP99High firing"] = slow_queries_scenario(stack)
            timings["WebsiteHigh5xxRatio firing"] = failing_queries_scenario(stack)
    for what, seconds in timings.items():
        print(f"{what:<36} {seconds:5.1f} s")


if __name__ == "__main__":
    main()
