"""Every route over real HTTP on loopback, with an in-memory database."""

from __future__ import annotations

import json
import re
import time

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
    assert (metric(port, "app_cpu_limit_cores") or 0) > 0


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
    # 4 KB of nested brackets: deeper than the interpreter's recursion limit.
    (JSON, b"[" * 2048 + b"]" * 2048, "nested too deeply"),
    (JSON, b'{"name": "a", "message": "b", "name": "c"}', "name is given more than once"),
    (FORM, b"name=a&message=%ff%fe", "not valid UTF-8"),
    (JSON, b'{"name": "a", "message": "bell\\u0007"}', "control"),
    (FORM, b"name=a&message=b&token=not%20a%20key", "the form's token must be"),
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


def test_a_textarea_message_with_crlf_is_stored_with_its_line_breaks(live_app: LiveApp) -> None:
    # What a browser sends for a textarea holding "line one", "line two" and a tab.
    body = "name=Ann&message=line+one%0D%0Aline+two%0D%0A%09indented"
    assert call(live_app.port, "POST", "/guestbook", body, FORM).status == 303
    [entry] = live_app.database.entries
    assert entry.message == "line one\nline two\n\tindented"
    page = call(live_app.port, "GET", "/guestbook").text
    assert "line one<br>line two<br>\tindented" in page


def test_the_front_page_form_carries_a_fresh_one_time_token(live_app: LiveApp) -> None:
    tokens = [
        re.search(r'name="token" value="([^"]+)"', call(live_app.port, "GET", "/").text)
        for _ in range(2)
    ]
    assert all(tokens)
    first, second = (t.group(1) for t in tokens if t)
    assert first != second and len(first) >= 20


def test_resubmitting_the_same_form_token_signs_once(live_app: LiveApp) -> None:
    body = "name=Ann&message=once&token=form-token-123"
    first = call(live_app.port, "POST", "/guestbook", body, FORM)
    again = call(live_app.port, "POST", "/guestbook", body, FORM)
    assert (first.status, again.status) == (303, 303)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [e.message for e in live_app.database.entries] == ["once"]


def test_a_retried_json_write_with_an_idempotency_key_returns_the_first_answer(
    live_app: LiveApp,
) -> None:
    headers = {**JSON, "Idempotency-Key": "retry-key-1"}
    body = json.dumps({"name": "Bo", "message": "hello"})
    first = call(live_app.port, "POST", "/guestbook", body, headers)
    again = call(live_app.port, "POST", "/guestbook", body, headers)
    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert len(live_app.database.entries) == 1


def test_an_idempotency_key_reused_for_another_message_is_422(live_app: LiveApp) -> None:
    headers = {**JSON, "Idempotency-Key": "retry-key-2"}
    call(live_app.port, "POST", "/guestbook", '{"name": "a", "message": "one"}', headers)
    reply = call(live_app.port, "POST", "/guestbook", '{"name": "a", "message": "two"}', headers)
    assert reply.status == 422 and "different name or message" in reply.text
    assert [e.message for e in live_app.database.entries] == ["one"]


def test_a_malformed_idempotency_key_is_400(live_app: LiveApp) -> None:
    headers = {**JSON, "Idempotency-Key": "x" * 129}
    reply = call(live_app.port, "POST", "/guestbook", '{"name": "a", "message": "b"}', headers)
    assert reply.status == 400 and "Idempotency-Key header" in reply.text
    assert live_app.database.entries == []


def test_a_client_hanging_up_mid_upload_is_not_a_server_error(live_app: LiveApp) -> None:
    import socket

    for _ in range(3):
        with socket.create_connection(("127.0.0.1", live_app.port), timeout=5) as s:
            s.sendall(
                b"POST /guestbook HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nname=a&mess"
            )
            time.sleep(0.05)  # the handler is reading the body when the client leaves
    port = live_app.metrics_port
    wait_for(
        lambda: metric(port, "http_requests_total", route="/guestbook", status="499") == 3,
        "three 499s",
    )
    text = call(port, "GET", "/metrics").text
    assert not re.search(r'http_requests_total\{[^}]*status="5', text)
    assert live_app.database.entries == []


def test_requests_refused_by_the_http_parser_are_counted(live_app: LiveApp) -> None:
    raw(live_app.port, b"THIS IS NOT HTTP\r\n\r\n")
    raw(live_app.port, b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n")
    labels = {"route": "unmatched", "method": "other", "status": "400"}
    assert metric(live_app.metrics_port, "http_requests_total", **labels) == 2


def test_latency_counts_the_time_a_request_waited_behind_another(live_app: LiveApp) -> None:
    import socket

    live_app.database.write_delay = 0.3
    body = b"name=a&message=slow"
    pipelined = (
        b"POST /guestbook HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s"
        % (len(body), body)
        + b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_app.port), timeout=5) as s:
        s.sendall(pipelined)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 ") == 2
    # /healthz itself takes microseconds; its request was read 0.3 s before it was answered.
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    fast = metric(
        live_app.metrics_port, "http_request_duration_seconds_bucket", le="0.25", **labels
    )
    assert fast == 0


def test_latency_buckets_reach_past_the_longest_timeout(live_app: LiveApp) -> None:
    call(live_app.port, "GET", "/healthz")
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    assert (
        metric(live_app.metrics_port, "http_request_duration_seconds_bucket", le="60.0", **labels)
        == 1
    )
