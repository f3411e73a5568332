"""The website against a real PostgreSQL under faults: a saturated pool, writes whose answer
is lost, a database that hangs, slow clients, and shutdown with idle connections.

Each test starts what it needs on loopback and bounds every wait by the configured timeouts
(never by how fast this machine is).
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest

from app.tests.conftest import website_env
from app.tests.helpers import Reply, StartWebsite, WebsiteProcess, call, metric, wait_for
from app.tools.localpg import LocalPostgres

pytestmark = pytest.mark.servers

JSON = {"Content-Type": "application/json", "Accept": "application/json"}
WRITERS = 60


def rows(pg: LocalPostgres, where: str = "true", *params: object) -> int:
    with pg.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM guestbook_entries WHERE {where}",
            params,
        ).fetchone()
    assert row is not None
    return int(row[0])


def inserts_waiting_for_the_lock(pg: LocalPostgres) -> int:
    with pg.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name LIKE 'website-%%' AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


def ready_site(pg: LocalPostgres, start_website: StartWebsite, **env: str) -> WebsiteProcess:
    site = start_website(website_env(pg, **env))
    wait_for(lambda: call(site.port, "GET", "/readyz").status == 200, "readiness")
    return site


def test_a_saturated_pool_sheds_writes_but_stays_ready_and_stores_what_it_acknowledged(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = ready_site(postgres, start_website, DB_TIMEOUT_SECONDS="5")
    tag = f"burst-{time.monotonic_ns()}"
    readiness: list[int] = []
    stop = threading.Event()

    def watch_readiness() -> None:
        while not stop.is_set():
            readiness.append(call(site.port, "GET", "/readyz", timeout=10).status)
            time.sleep(0.05)

    def write(i: int) -> Reply:
        body = json.dumps({"name": tag, "message": f"write {i}"})
        return call(site.port, "POST", "/guestbook", body, JSON, timeout=15)

    with (
        postgres.connect() as locker,
        concurrent.futures.ThreadPoolExecutor(max_workers=WRITERS + 1) as pool,
    ):
        watcher = pool.submit(watch_readiness)
        try:
            # Every pooled connection is stuck behind the lock: the pool is saturated
            # while PostgreSQL itself is healthy.
            with locker.transaction():
                locker.execute("LOCK TABLE guestbook_entries IN ACCESS EXCLUSIVE MODE")
                pending = [pool.submit(write, i) for i in range(WRITERS)]
                wait_for(lambda: inserts_waiting_for_the_lock(postgres) >= 5, "a saturated pool")
                # All but the pool's five are answered (shed) while the five wait.
                wait_for(lambda: sum(f.done() for f in pending) == WRITERS - 5, "the rest shed")
                time.sleep(0.5)  # readiness is checked while the pool stays saturated
            replies = [f.result(timeout=15) for f in pending]
        finally:
            stop.set()
        watcher.result(timeout=15)

    statuses = Counter(r.status for r in replies)
    assert statuses == {201: 5, 429: WRITERS - 5}
    assert all(r.headers["Retry-After"] == "1" for r in replies if r.status == 429)
    assert readiness and set(readiness) == {200}
    assert metric(site.metrics_port, "app_database_up") == 1
    assert rows(postgres, "name = %s", tag) == statuses[201]


def test_a_write_sent_but_not_confirmed_never_says_nothing_was_saved_and_a_retry_stores_once(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = ready_site(postgres, start_website, DB_TIMEOUT_SECONDS="1")
    key = f"lost-answer-{time.monotonic_ns()}"
    headers = {**JSON, "Idempotency-Key": key}
    body = json.dumps({"name": "retry", "message": "exactly once"})
    with postgres.connect() as locker, locker.transaction():
        locker.execute("LOCK TABLE guestbook_entries IN ACCESS EXCLUSIVE MODE")
        lost = call(site.port, "POST", "/guestbook", body, headers)
    # The lock is gone: the abandoned insert may still commit in the background.
    assert lost.status == 503, lost.text
    assert "nothing was saved" not in lost.text and "may or may not be saved" in lost.text
    retried = [call(site.port, "POST", "/guestbook", body, headers) for _ in range(2)]
    assert [r.status for r in retried] == [201, 201]
    assert retried[0].json() == retried[1].json()
    wait_for(lambda: inserts_waiting_for_the_lock(postgres) == 0, "the abandoned insert to end")
    assert rows(postgres, "idempotency_key = %s", key) == 1


def test_a_hung_database_gets_an_answer_within_the_timeout(
    own_postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    timeout = 1.0
    site = ready_site(own_postgres, start_website, DB_TIMEOUT_SECONDS=str(timeout))
    assert call(site.port, "GET", "/guestbook").status == 200  # pooled connections exist
    own_postgres.pause()
    try:
        for method, path, body in [
            ("GET", "/readyz", None),
            ("POST", "/guestbook", json.dumps({"name": "a", "message": "hung"})),
            ("GET", "/guestbook", None),
            ("GET", "/readyz", None),
        ]:
            started = time.monotonic()
            reply = call(site.port, method, path, body, JSON, timeout=30)
            took = time.monotonic() - started
            assert reply.status in (429, 503), (path, reply.status, reply.text)
            assert took < timeout + 1, f"{method} {path} took {took:.1f}s"
    finally:
        own_postgres.resume()
    wait_for(lambda: call(site.port, "GET", "/readyz").status == 200, "readiness to return", 30)


def _trickle(port: int, first: bytes, step: bytes, seconds: float) -> tuple[bytes, float]:
    """Send `first`, then `step` every 0.2 s; what came back and when the server closed."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        s.sendall(first)
        s.settimeout(0.2)
        received = b""
        while time.monotonic() - started < seconds:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                try:
                    s.sendall(step)
                except OSError:
                    break
                continue
            except OSError:
                break
            if not chunk:
                break
            received += chunk
        return received, time.monotonic() - started


def test_a_client_trickling_headers_is_disconnected(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = ready_site(postgres, start_website, HEADER_TIMEOUT_SECONDS="1")
    received, took = _trickle(site.port, b"GET / HTTP/1.1\r\nHost: t\r\n", b"X", 10)
    assert received == b"" and took < 1 + 1
    assert metric(site.metrics_port, "http_requests_total", status="408") == 1


def test_a_client_trickling_a_body_gets_408_and_is_disconnected(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = ready_site(postgres, start_website, BODY_TIMEOUT_SECONDS="1")
    head = (
        b"POST /guestbook HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nname=a&message="
    )
    received, took = _trickle(site.port, head, b"x", 10)
    assert received.startswith(b"HTTP/1.1 408 ") and took < 1 + 1


def test_shutdown_under_load_does_not_wait_out_idle_connections(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    """wrk keeps reconnecting (draining answers close each connection), so connections are
    accepted right up to when the listener closes; none may hold the exit back."""
    site = start_website(
        website_env(postgres, SHUTDOWN_DRAIN_SECONDS="1", SHUTDOWN_TIMEOUT_SECONDS="20")
    )
    idle = socket.create_connection(("127.0.0.1", site.port), timeout=5)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert idle.recv(65536).startswith(b"HTTP/1.1 200")  # then kept open, idle
    load = subprocess.Popen(
        [
            "wrk",
            "--threads=1",
            "--connections=50",
            "--duration=30s",
            f"http://127.0.0.1:{site.port}/",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        started = time.monotonic()
        site.terminate()
        assert site.wait(timeout=25) == 0
        # Drain (0.5 s) plus closing; nowhere near the 20 s shutdown timeout.
        assert time.monotonic() - started < 5
    finally:
        load.kill()
        load.wait(10)
        idle.close()
