"""Every route over real HTTP on loopback, with an in-memory database."""

from __future__ import annotations

import json
import re

import pytest

from app.tests.helpers import LiveApp, call, metric, raw, wait_for
from app.website.forms import MAX_BODY_BYTES

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_front_page_shows_release_colour_stack_and_database(live_app: LiveApp) -> None:
    wait_for(lambda: live_app.state.database_up, "the first database check")
    reply = call(live_app.port, "GET", "/")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    page = reply.text
    assert '<dd id="version">1.2.3</dd>' in page
    assert '<dd id="color">green</dd>' in page
    assert '<dd id="stack">stage</dd>' in page
    assert '<dd class="up" id="database">reachable</dd>' in page
    assert "#1a7f37" in page  # the green accent
    assert reply.headers["X-App-Color"] == "green"
    assert reply.headers["X-App-Version"] == "1.2.3"
    assert reply.headers["Cache-Control"] == "no-store"


def test_front_page_style_is_allowed_by_its_csp_hash(live_app: LiveApp) -> None:
    import base64
    import hashlib
    import re

    reply = call(live_app.port, "GET", "/")
    style = re.search(r"<style>(.*?)</style>", reply.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    csp = reply.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp


def test_front_page_says_when_the_database_is_unreachable(live_app: LiveApp) -> None:
    live_app.database.up = False
    wait_for(lambda: not live_app.state.database_up, "the checker to see the outage")
    reply = call(live_app.port, "GET", "/")
    assert reply.status == 200
    assert '<dd class="down" id="database">unreachable</dd>' in reply.text


def test_head_of_the_front_page_has_no_body(live_app: LiveApp) -> None:
    reply = call(live_app.port, "HEAD", "/")
    assert reply.status == 200 and reply.body == b""


def test_healthz_is_ok_even_when_the_database_is_down(live_app: LiveApp) -> None:
    live_app.database.up = False
    reply = call(live_app.port, "GET", "/healthz")
    assert (reply.status, reply.text) == (200, "ok\n")


def test_readyz_answers_200_when_the_database_answers(live_app: LiveApp) -> None:
    reply = call(live_app.port, "GET", "/readyz")
    assert (reply.status, reply.text) == (200, "ready\n")


def test_readyz_answers_503_when_the_database_does_not(live_app: LiveApp) -> None:
    live_app.database.up = False
    reply = call(live_app.port, "GET", "/readyz")
    assert reply.status == 503
    assert "database unavailable" in reply.text
    assert metric(live_app.metrics_port, "app_database_up") == 0


def test_readyz_fails_while_draining_even_if_the_database_is_fine(live_app: LiveApp) -> None:
    live_app.state.draining = True
    reply = call(live_app.port, "GET", "/readyz")
    assert (reply.status, reply.text) == (503, "not ready: shutting down\n")
    assert reply.headers["Connection"] == "close"


def test_metrics_exports_the_interface_names(live_app: LiveApp) -> None:
    call(live_app.port, "GET", "/")
    call(live_app.port, "GET", "/")
    wait_for(lambda: live_app.state.database_up, "the first database check")
    reply = call(live_app.metrics_port, "GET", "/metrics")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    port = live_app.metrics_port
    labels = {"route": "/", "method": "GET", "status": "200"}
    assert metric(port, "http_requests_total", **labels) == 2
    assert metric(port, "http_request_duration_seconds_count", **labels) == 2
    assert metric(port, "http_request_duration_seconds_bucket", le="0.05", **labels) == 2
    # Scrapes go to the metrics port: they are not website requests.
    assert metric(port, "http_requests_in_flight") == 0
    assert metric(port, "app_database_up") == 1
    build = {"version": "1.2.3", "color": "green", "stack": "stage"}
    assert metric(port, "app_build_info", **build) == 1
    assert (metric(port, "process_resident_memory_bytes") or 0) > 0


def test_metrics_labels_stay_bounded(live_app: LiveApp) -> None:
    for i in range(5):
        call(live_app.port, "GET", f"/no/such/page/{i}")
    call(live_app.port, "DELETE", "/guestbook")
    call(live_app.port, "PROPFIND", "/")
    port = live_app.metrics_port
    assert metric(port, "http_requests_total", route="unmatched", status="404") == 5
    assert metric(port, "http_requests_total", route="/guestbook", method="DELETE") == 1
    assert metric(port, "http_requests_total", route="/", method="other", status="405") == 1
    text = call(port, "GET", "/metrics").text
    assert "/no/such/page" not in text and "PROPFIND" not in text


def test_metrics_are_not_served_on_the_website_port(live_app: LiveApp) -> None:
    reply = call(live_app.port, "GET", "/metrics")
    assert reply.status == 404
    assert "http_requests_total" not in reply.text
    assert "/metrics" not in reply.text.split("(pages:", 1)[1]


def test_metrics_port_serves_nothing_but_metrics(live_app: LiveApp) -> None:
    assert call(live_app.metrics_port, "GET", "/").status == 404
    assert call(live_app.metrics_port, "GET", "/guestbook").status == 404
    assert call(live_app.metrics_port, "GET", "/metrics").status == 200


def test_unknown_route_is_404_and_lists_the_pages(live_app: LiveApp) -> None:
    reply = call(live_app.port, "GET", "/admin")
    assert reply.status == 404
    assert reply.text.startswith("404 Not Found: no page at /admin")
    assert "/healthz" in reply.text and "/guestbook" in reply.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/", "GET, HEAD"),
        ("DELETE", "/guestbook", "GET, HEAD, POST"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("PATCH", "/readyz", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(
    live_app: LiveApp, method: str, path: str, allowed: str
) -> None:
    reply = call(live_app.port, method, path, body=b"")
    assert reply.status == 405
    assert f"{method} is not allowed on {path} (allowed: {allowed})" in reply.text
    assert sorted(reply.headers["Allow"].split(",")) == allowed.split(", ")
    assert live_app.database.entries == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"THIS IS NOT HTTP\r\n\r\n",
        b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
    ],
)
def test_malformed_http_is_400(live_app: LiveApp, request_bytes: bytes) -> None:
    assert re.match(rb"HTTP/1\.[01] 400 ", raw(live_app.port, request_bytes))


def test_guest_book_accepts_a_form_and_redirects(live_app: LiveApp) -> None:
    reply = call(live_app.port, "POST", "/guestbook", "name=Ann&message=Hello+there", FORM)
    assert reply.status == 303
    assert reply.headers["Location"] == "/guestbook"
    [entry] = live_app.database.entries
    assert (entry.name, entry.message) == ("Ann", "Hello there")


def test_guest_book_accepts_json_and_answers_201(live_app: LiveApp) -> None:
    body = json.dumps({"name": " Bo ", "message": "hi\nthere"})
    reply = call(live_app.port, "POST", "/guestbook", body, JSON)
    assert reply.status == 201
    data = reply.json()
    assert isinstance(data, dict)
    assert (data["name"], data["message"], data["color"]) == ("Bo", "hi\nthere", "green")


def test_guest_book_lists_entries_escaped(live_app: LiveApp) -> None:
    body = json.dumps({"name": "<script>x</script>", "message": "a & b"})
    assert call(live_app.port, "POST", "/guestbook", body, JSON).status == 201
    page = call(live_app.port, "GET", "/guestbook")
    assert page.status == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>" not in page.text
    assert "a &amp; b" in page.text
    listing = call(live_app.port, "GET", "/guestbook", headers={"Accept": "application/json"})
    assert listing.json() == {"entries": [live_app.database.entries[0].as_json()]}


LONG = "x" * 281
BAD_BODIES = [
    (JSON, b"{not json", "not valid JSON"),
    (JSON, b"[1, 2]", "must be an object"),
    (JSON, b'{"name": "a"}', "message is missing"),
    (JSON, b'{"name": "a", "message": 5}', "message must be a string"),
    (JSON, b'{"name": "a", "message": "b", "admin": "1"}', "unknown field(s) admin"),
    (JSON, json.dumps({"name": "a", "message": LONG}).encode(), "1-280 characters, got 281"),
    (JSON, b'{"name": "   ", "message": "b"}', "name must be 1-40 characters, got 0"),
    (JSON, b'{"name": "a\\u0000", "message": "b"}', "control"),
    (JSON, b"\xff\xfe", "not valid UTF-8"),
    (FORM, b"name=a&message=b&name=c", "name is given more than once"),
    (FORM, b"name", "not a valid form"),
    (FORM, b"", "name is missing"),
]


@pytest.mark.parametrize(("headers", "body", "says"), BAD_BODIES)
def test_malformed_guest_book_bodies_are_400_and_save_nothing(
    live_app: LiveApp, headers: dict[str, str], body: bytes, says: str
) -> None:
    reply = call(live_app.port, "POST", "/guestbook", body, headers)
    assert reply.status == 400, reply.text
    assert reply.text.startswith("400 Bad Request: ")
    assert says in reply.text
    assert live_app.database.entries == []


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", None])
def test_unsupported_content_type_is_415(live_app: LiveApp, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = call(live_app.port, "POST", "/guestbook", b"name=a&message=b", headers)
    assert reply.status == 415
    assert "application/x-www-form-urlencoded, application/json" in reply.text
    assert live_app.database.entries == []


def test_oversized_body_is_413_before_it_is_read(live_app: LiveApp) -> None:
    body = b"name=a&message=" + b"x" * MAX_BODY_BYTES
    reply = call(live_app.port, "POST", "/guestbook", body, FORM)
    assert reply.status == 413
    assert f"over {MAX_BODY_BYTES} bytes" in reply.text
    assert live_app.database.entries == []


def test_oversized_chunked_body_is_413(live_app: LiveApp) -> None:
    chunk = b"x" * 3000
    request = (
        b"POST /guestbook HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2
        + b"0\r\n\r\n"
    )
    assert re.match(rb"HTTP/1\.[01] 413 ", raw(live_app.port, request))
    assert live_app.database.entries == []


def test_guest_book_is_503_and_saves_nothing_when_the_database_is_down(
    live_app: LiveApp,
) -> None:
    live_app.database.up = False
    reply = call(live_app.port, "POST", "/guestbook", "name=a&message=b", FORM)
    assert reply.status == 503
    assert "nothing was saved" in reply.text
    assert call(live_app.port, "GET", "/guestbook").status == 503
    live_app.database.up = True
    assert live_app.database.entries == []
