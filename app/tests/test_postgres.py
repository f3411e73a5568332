"""The website process (started as the image starts it) against a real PostgreSQL."""

from __future__ import annotations

import json

import pytest

from app.tests.conftest import website_env
from app.tests.helpers import StartWebsite, call, metric, wait_for
from app.tools.localpg import LocalPostgres

pytestmark = pytest.mark.servers

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def count_entries(pg: LocalPostgres) -> int:
    with pg.connect() as conn:
        row = conn.execute("SELECT count(*) FROM guestbook_entries").fetchone()
    assert row is not None
    return int(row[0])


def test_guest_book_entries_are_stored_in_postgres(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = start_website(website_env(postgres, APP_VERSION="2.0.0", APP_COLOR="blue"))
    wait_for(lambda: call(site.port, "GET", "/readyz").status == 200, "readiness")
    body = json.dumps({"name": "Ann", "message": "stored for real"})
    reply = call(site.port, "POST", "/guestbook", body, JSON)
    assert reply.status == 201, reply.text
    created = reply.json()
    assert isinstance(created, dict)
    with postgres.connect() as conn:
        row = conn.execute(
            "SELECT name, message, version, color FROM guestbook_entries WHERE id = %s",
            (created["id"],),
        ).fetchone()
    assert row == ("Ann", "stored for real", "2.0.0", "blue")
    listing = call(site.port, "GET", "/guestbook", headers={"Accept": "application/json"}).json()
    assert isinstance(listing, dict)
    assert listing["entries"][0]["message"] == "stored for real"


def test_a_rejected_body_writes_nothing_to_postgres(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    site = start_website(website_env(postgres))
    wait_for(lambda: call(site.port, "GET", "/readyz").status == 200, "readiness")
    call(site.port, "GET", "/guestbook")  # the table exists from here on
    before = count_entries(postgres)
    too_long = json.dumps({"name": "a", "message": "x" * 281})
    assert call(site.port, "POST", "/guestbook", too_long, JSON).status == 400
    assert call(site.port, "POST", "/guestbook", b"{", JSON).status == 400
    assert count_entries(postgres) == before


def test_the_site_follows_the_database_going_away_and_coming_back(
    own_postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    pg = own_postgres
    site = start_website(website_env(pg, DB_TIMEOUT_SECONDS="1"))
    port = site.port
    wait_for(lambda: call(port, "GET", "/readyz").status == 200, "readiness")
    assert (
        call(port, "POST", "/guestbook", '{"name": "a", "message": "before"}', JSON).status == 201
    )
    wait_for(lambda: "reachable</dd>" in call(port, "GET", "/").text, "front page: reachable")

    pg.stop()
    ready = call(port, "GET", "/readyz")
    assert ready.status == 503 and "database unavailable" in ready.text
    wait_for(
        lambda: metric(site.metrics_port, "app_database_up") == 0, "app_database_up to drop to 0"
    )
    page = call(port, "GET", "/")
    assert page.status == 200 and "unreachable</dd>" in page.text
    assert call(port, "GET", "/healthz").status == 200  # alive: not to be replaced
    lost = call(port, "POST", "/guestbook", '{"name": "a", "message": "during"}', JSON)
    assert lost.status == 503 and "nothing was saved" in lost.text
    assert call(port, "GET", "/guestbook").status == 503

    pg.start()
    wait_for(lambda: call(port, "GET", "/readyz").status == 200, "readiness to come back")
    wait_for(lambda: metric(site.metrics_port, "app_database_up") == 1, "app_database_up back to 1")
    assert "reachable</dd>" in call(port, "GET", "/").text
    after = call(port, "POST", "/guestbook", '{"name": "a", "message": "after"}', JSON)
    assert after.status == 201
    with pg.connect() as conn:
        messages = [r[0] for r in conn.execute("SELECT message FROM guestbook_entries ORDER BY id")]
    assert messages == ["before", "after"]


def test_the_site_starts_while_the_database_is_down(
    own_postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    own_postgres.stop()
    site = start_website(website_env(own_postgres, DB_TIMEOUT_SECONDS="1"))
    assert call(site.port, "GET", "/healthz").status == 200
    assert call(site.port, "GET", "/readyz").status == 503
    own_postgres.start()
    wait_for(lambda: call(site.port, "GET", "/readyz").status == 200, "readiness")
    reply = call(site.port, "POST", "/guestbook", '{"name": "a", "message": "b"}', JSON)
    assert reply.status == 201  # the table was created once the database answered


def test_wrong_database_password_fails_readiness_without_showing_it(
    postgres: LocalPostgres, start_website: StartWebsite
) -> None:
    env = website_env(postgres, DB_PASSWORD="wrong-password-value")
    site = start_website(env)
    ready = call(site.port, "GET", "/readyz")
    assert (ready.status, ready.text) == (503, "not ready: database unavailable\n")
    assert postgres.password not in call(site.metrics_port, "GET", "/metrics").text
    site.stop()
    log = site.output()
    assert "password authentication failed" in log  # the operator sees why
    assert "wrong-password-value" not in log and postgres.password not in log
