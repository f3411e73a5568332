"""Test helpers: an HTTP client with timeouts, a fake database, servers started on loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from app.website.db import DatabaseUnavailable, Entry, KeyReused, Stored
from app.website.protocol import WebsiteRunner
from app.website.server import STATE, State

APP_DIR = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> object:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw(port: int, data: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send bytes as they are (for malformed requests) and return what comes back."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


def metric(port: int, name: str, **labels: str) -> float | None:
    """The value of one sample from /metrics on the metrics `port`, or None if it is not there."""
    text = call(port, "GET", "/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def wait_for(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class FakeDatabase:
    """Implements the Database protocol in memory; `up = False` simulates an outage."""

    up: bool = True
    entries: list[Entry] = field(default_factory=list)
    closed: bool = False
    write_delay: float = 0.0

    def _check(self) -> None:
        if not self.up:
            raise DatabaseUnavailable("connection refused (simulated outage)")

    async def ping(self) -> None:
        self._check()

    keys: dict[str, Entry] = field(default_factory=dict)

    async def add_entry(self, name: str, message: str, key: str | None = None) -> Stored:
        self._check()
        await asyncio.sleep(self.write_delay)
        if key is not None and key in self.keys:
            first = self.keys[key]
            if (first.name, first.message) != (name, message):
                raise KeyReused("different submission")
            return Stored(first, replayed=True)
        entry = Entry(len(self.entries) + 1, name, message, "1.2.3", "green", datetime.now(UTC))
        self.entries.append(entry)
        if key is not None:
            self.keys[key] = entry
        return Stored(entry)

    async def recent_entries(self, limit: int) -> list[Entry]:
        self._check()
        return list(reversed(self.entries))[:limit]

    async def close(self) -> None:
        self.closed = True


class ThreadedServer:
    """Serves an aiohttp app on 127.0.0.1 (a free port) from a thread with its own loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="test-server", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        state = self.app.get(STATE)
        runner = (
            WebsiteRunner(
                self.app,
                header_timeout=state.settings.header_timeout_seconds,
                observe=state.metrics.observe,
                access_log=None,
                shutdown_timeout=5,
            )
            if state is not None
            else web.AppRunner(self.app, access_log=None, shutdown_timeout=5)
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(TIMEOUT) or self._error is not None:
            raise RuntimeError(f"test server did not start: {self._error!r}")

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT)


def dockerfile_instruction(name: str) -> str:
    """The argument of the last `name` instruction in app/Dockerfile (continuations joined)."""
    text = (APP_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    found = [
        line.split(None, 1)[1].strip()
        for line in text.splitlines()
        if line.strip() and line.split(None, 1)[0].upper() == name.upper()
    ]
    if not found:
        raise AssertionError(f"app/Dockerfile has no {name} instruction")
    return found[-1]


def exec_form(argument: str) -> list[str]:
    """An exec-form (JSON array) argument of CMD/HEALTHCHECK CMD as a list."""
    value = json.loads(argument)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), argument
    return value


def image_command() -> list[str]:
    """The image's start command, run with this interpreter from app/ (the image's WORKDIR)."""
    command = exec_form(dockerfile_instruction("CMD"))
    assert command[0] == "python", f"CMD should start with python: {shlex.join(command)}"
    return [sys.executable, *command[1:]]


#: The start_website fixture: starts the website with an environment, stopped after the test.
StartWebsite = Callable[[dict[str, str]], "WebsiteProcess"]


class WebsiteProcess:
    """The website started as the image starts it, in a child process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = int(env["PORT"])
        self.metrics_port = int(env.get("METRICS_PORT", "9102"))
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            image_command(),
            cwd=APP_DIR,
            env={"PATH": os.environ.get("PATH", ""), **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def healthy() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"website exited {self.proc.returncode}: {self.output()}")
            try:
                return call(self.port, "GET", "/healthz", timeout=1).status == 200
            except OSError:
                return False

        wait_for(healthy, "the website to answer /healthz", timeout=15)

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def output(self) -> str:
        assert self.proc is not None
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stdout is not None
        return self.proc.stdout.read()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class LiveApp:
    def __init__(
        self, server: ThreadedServer, database: FakeDatabase, metrics_server: ThreadedServer
    ) -> None:
        self.server = server
        self.database = database
        self.port = server.port
        self.metrics_port = metrics_server.port

    @property
    def state(self) -> State:
        return self.server.app[STATE]
