"""SIGTERM during a request: readiness fails first, the request finishes, the exit is clean.

The request is held in flight for as long as the test wants by a table lock in PostgreSQL,
so nothing in the website needs a test-only slow route.
"""

from __future__ import annotations

import concurrent.futures
import socket
import time

import pytest

from app.tests.conftest import website_env
from app.tests.helpers import Reply, StartWebsite, call, wait_for
from app.tools.localpg import LocalPostgres

pytestmark = pytest.mark.servers

JSON = {"Content-Type": "application/json"}
HOLD_AFTER_CLOSE_SECONDS = 0.5


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def insert_is_waiting_for_the_lock(pg: LocalPostgres) -> bool:
    with pg.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name LIKE 'website-%%' AND wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO guestbook_entries%%'"
        ).fetchone()
    return row is not None and row[0] == 1


def test_sigterm_lets_the_request_in_flight_finish(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = start_website(
        website_env(
            postgres,
            SHUTDOWN_DRAIN_SECONDS="1",
            SHUTDOWN_TIMEOUT_SECONDS="20",
            DB_TIMEOUT_SECONDS="15",
        )
    )
    port = site.port
    assert call(port, "GET", "/guestbook").status == 200  # creates the table

    with (
        postgres.connect() as locker,
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
    ):
        with locker.transaction():
            locker.execute("LOCK TABLE guestbook_entries IN ACCESS EXCLUSIVE MODE")
            body = '{"name": "late", "message": "signed during shutdown"}'
            pending = pool.submit(call, port, "POST", "/guestbook", body, JSON, 30)
            wait_for(lambda: insert_is_waiting_for_the_lock(postgres), "the request in flight")

            site.terminate()
            # Draining: still listening, readiness fails, liveness holds.
            draining = call(port, "GET", "/readyz")
            assert (draining.status, draining.text) == (503, "not ready: shutting down\n")
            assert call(port, "GET", "/healthz").status == 200
            # Then the listener closes while the request is still waiting.
            wait_for(lambda: not accepts_connections(port), "the listener to close", 10)
            # Keep the request waiting a while after the close: it must not be cut off.
            time.sleep(HOLD_AFTER_CLOSE_SECONDS)
            assert site.proc is not None and site.proc.poll() is None
            assert not pending.done()
        # The lock is released here: the insert goes through and the answer goes out.
        reply: Reply = pending.result(timeout=20)

    assert reply.status == 201, reply.text
    assert site.wait(timeout=20) == 0
    with postgres.connect() as conn:
        row = conn.execute("SELECT count(*) FROM guestbook_entries WHERE name = 'late'").fetchone()
    assert row == (1,)
    assert "received SIGTERM" in site.output()


def test_sigterm_when_idle_exits_promptly_and_cleanly(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = start_website(website_env(postgres, SHUTDOWN_DRAIN_SECONDS="0"))
    site.terminate()
    assert site.wait(timeout=10) == 0
    assert not accepts_connections(site.port)
