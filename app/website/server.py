"""The aiohttp applications: the website (routes, one middleware for metrics and errors, the
DB checker) and, on a port of its own, the Prometheus metrics the collector scrapes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import psycopg
from aiohttp import web

from . import forms
from .config import Settings
from .db import (
    Database,
    DatabaseUnavailable,
    KeyReused,
    OutcomeUnknown,
    PoolBusy,
    PostgresDatabase,
)
from .metrics import CLIENT_CLOSED, KNOWN_METHODS, Metrics, cpu_limit_cores
from .pages import Pages
from .protocol import READ_AT

log = logging.getLogger("website")

# /metrics is not among them: it is served only on the metrics port (create_metrics_app).
ROUTES = ("/", "/healthz", "/readyz", "/guestbook")
GUESTBOOK_PAGE_SIZE = 20
# Longer than the load balancer's 60 s idle timeout, so the balancer closes idle
# connections first and never sends a request on a connection we are closing.
KEEPALIVE_SECONDS = 75.0
NO_STORE = {"Cache-Control": "no-store"}
#: Seconds a shed client is asked to wait before retrying (RFC 9110, Retry-After).
RETRY_AFTER_SECONDS = 1


@dataclass
class State:
    settings: Settings
    database: Database
    metrics: Metrics
    pages: Pages
    database_up: bool = False
    draining: bool = False
    database_checked: bool = False

    def record_database(self, up: bool, reason: str = "") -> None:
        # Log the first result and every change, not every check.
        if up != self.database_up or not self.database_checked:
            self.database_checked = True
            if up:
                log.info("database is reachable")
            else:
                log.warning("database is unreachable: %s", reason)
        self.database_up = up
        self.metrics.database_up.set(1 if up else 0)


STATE = web.AppKey("state", State)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def text(status: int, body: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=body + "\n", headers=headers)


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is not None:
        return resource.canonical
    # A known path with a wrong method keeps its route; anything else shares one label.
    return request.path if request.path in ROUTES else "unmatched"


def _error(request: web.Request, exc: web.HTTPException) -> web.Response:
    status = exc.status_code
    path = request.path[:200]
    if status == 404:
        return text(404, f"404 Not Found: no page at {path} (pages: {', '.join(ROUTES)})")
    if status == 405:
        allowed = ", ".join(sorted(exc.headers.get("Allow", "").split(",")))
        return text(
            405,
            f"405 Method Not Allowed: {request.method[:20]} is not allowed on {path}"
            f" (allowed: {allowed})",
            Allow=exc.headers.get("Allow", ""),
        )
    if status == 413:
        return text(413, f"413 Content Too Large: the body is over {forms.MAX_BODY_BYTES} bytes")
    if status == 408:
        return text(408, "408 Request Timeout: the body did not arrive in time")
    return text(status, f"{status} {exc.reason}: {exc.text or ''}".strip())


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts, times and labels every request; turns errors into clear plain-text answers."""
    state = request.app[STATE]
    metrics = state.metrics
    loop = asyncio.get_running_loop()
    # From when the headers were read (protocol.WebsiteProtocol), so that time spent
    # waiting for the event loop shows in the histogram, not only the handler's own time.
    start = float(request.get(READ_AT, loop.time()))
    metrics.in_flight.inc()
    try:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = _error(request, exc)
        except ConnectionResetError:
            # The client hung up (mid-upload, or while waiting): nobody reads an answer and
            # it is not a server error. Counted apart, logged without a traceback.
            log.debug("client closed the connection during %s %s", request.method, request.path)
            response = text(CLIENT_CLOSED, "499 Client Closed Request")
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = text(500, "500 Internal Server Error")
    finally:
        metrics.in_flight.dec()
    headers = response.headers
    headers["Server"] = "website"
    headers["X-App-Version"] = state.settings.app_version
    headers["X-App-Color"] = state.settings.app_color
    headers["X-Content-Type-Options"] = "nosniff"
    if state.draining:
        # Tell keep-alive clients to reconnect (to another task) for their next request.
        response.force_close()
    method = request.method if request.method in KNOWN_METHODS else "other"
    metrics.observe(_route_label(request), method, response.status, loop.time() - start)
    if response.status == 408:
        # aiohttp would keep reading ("lingering") the rest of a body for up to 10 s after
        # answering; a client too slow to send its body is cut off once told why.
        await response.prepare(request)
        await response.write_eof()
        request.protocol.force_close()
    return response


def _busy() -> web.Response:
    return text(
        429,
        "429 Too Many Requests: the site is busy and changed nothing; try again in a second",
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def front_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    # The database status comes from the background checker: the front page must stay
    # fast (no database round trip per view) and keep working when the database is down.
    # The form carries a fresh one-time token: resubmitting it cannot sign twice.
    return web.Response(
        body=state.pages.front(state.database_up, secrets.token_urlsafe(18)),
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": state.pages.content_security_policy,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


async def healthz(request: web.Request) -> web.Response:
    return text(200, "ok", **NO_STORE)


async def readyz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.draining:
        return text(503, "not ready: shutting down", **NO_STORE)
    try:
        await state.database.ping()
    except (DatabaseUnavailable, psycopg.Error) as exc:
        state.record_database(False, str(exc))
        # The reason (host, user, libpq's message) goes to the log, not to the internet.
        return text(503, "not ready: database unavailable", **NO_STORE)
    state.record_database(True)
    return text(200, "ready", **NO_STORE)


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[STATE].metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


async def guestbook(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        entries = await state.database.recent_entries(GUESTBOOK_PAGE_SIZE)
    except PoolBusy:
        return _busy()
    except DatabaseUnavailable as exc:
        state.record_database(False, str(exc))
        return text(503, "503 Service Unavailable: the guest book is unavailable, try again")
    if _wants_json(request):
        return web.json_response({"entries": [e.as_json() for e in entries]})
    return web.Response(
        body=state.pages.guestbook(entries),
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": state.pages.content_security_policy,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


async def sign_guestbook(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if request.content_type not in forms.ACCEPTED_TYPES:
        return text(
            415,
            f"415 Unsupported Media Type: Content-Type {request.content_type!r} is not"
            f" accepted (allowed: {', '.join(forms.ACCEPTED_TYPES)})",
        )
    length = request.content_length
    if length is not None and length > forms.MAX_BODY_BYTES:
        # Refuse before reading: the body is never buffered.
        raise web.HTTPRequestEntityTooLarge(max_size=forms.MAX_BODY_BYTES, actual_size=length)
    try:
        # Bounded in size by client_max_size (chunked bodies too) and in time here.
        async with asyncio.timeout(state.settings.body_timeout_seconds):
            body = await request.read()
    except TimeoutError:
        raise web.HTTPRequestTimeout() from None
    try:
        submission = forms.parse(request.content_type, body)
        header_key = forms.idempotency_key(
            request.headers.get("Idempotency-Key"), "the Idempotency-Key header"
        )
    except forms.InvalidSubmission as exc:
        return text(400, f"400 Bad Request: {exc}")
    key = header_key or submission.token
    try:
        stored = await state.database.add_entry(submission.name, submission.message, key)
    except PoolBusy:
        return _busy()
    except KeyReused:
        return text(
            422,
            "422 Unprocessable Content: this idempotency key already signed a different"
            " name or message; use a new key for a new entry",
        )
    except OutcomeUnknown as exc:
        # The insert was sent: it may have committed. Never claim otherwise.
        log.warning("guest book write outcome unknown: %s", exc)
        retry = "the same Idempotency-Key" if key else "an Idempotency-Key next time"
        return text(
            503,
            "503 Service Unavailable: the database did not confirm in time, so the entry may"
            f" or may not be saved; retry with {retry} and it is saved at most once",
        )
    except DatabaseUnavailable as exc:
        state.record_database(False, str(exc))
        return text(503, "503 Service Unavailable: nothing was saved, try again")
    headers = {"Location": "/guestbook"}
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    if request.content_type == forms.JSON_TYPE:
        return web.json_response(
            stored.entry.as_json(), status=201, headers=headers, dumps=json.dumps
        )
    # Post/redirect/get: reloading the page does not sign twice.
    return text(303, "303 See Other: signed; the guest book is at /guestbook", **headers)


async def check_database_forever(state: State) -> None:
    """Refreshes the cached database status the front page and app_database_up show."""
    while True:
        try:
            await state.database.ping()
        except (DatabaseUnavailable, psycopg.Error) as exc:
            state.record_database(False, str(exc))
        else:
            state.record_database(True)
        await asyncio.sleep(state.settings.db_check_interval_seconds)


async def _background(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    checker = asyncio.create_task(check_database_forever(state), name="database-checker")
    yield
    checker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await checker
    await state.database.close()


def create_app(
    settings: Settings,
    database: Database | None = None,
    *,
    hostname: str | None = None,
    cpu_limit: float | None = None,
) -> web.Application:
    """The website; `database` defaults to PostgreSQL as configured by `settings`, and
    `cpu_limit` (cores) to what cpu_limit_cores finds."""
    state = State(
        settings=settings,
        database=database if database is not None else PostgresDatabase(settings),
        metrics=Metrics(
            version=settings.app_version, color=settings.app_color, stack=settings.stack_name
        ),
        pages=Pages(
            version=settings.app_version,
            color=settings.app_color,
            stack=settings.stack_name,
            hostname=hostname or socket.gethostname(),
        ),
    )
    state.metrics.database_up.set(0)
    state.metrics.cpu_limit.set(cpu_limit if cpu_limit is not None else cpu_limit_cores(os.environ))
    app = web.Application(middlewares=[observe], client_max_size=forms.MAX_BODY_BYTES)
    app[STATE] = state
    app.router.add_get("/", front_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/guestbook", guestbook)
    app.router.add_post("/guestbook", sign_guestbook)
    app.cleanup_ctx.append(_background)
    return app


def create_metrics_app(website: web.Application) -> web.Application:
    """The metrics listener: GET /metrics with the website's registry, nothing else.

    It runs on METRICS_PORT, which no target group or listener reaches, so the exposition
    never needs hiding from the internet by a load balancer rule. Scrapes are not counted
    in the website's own request metrics.
    """
    app = web.Application()
    app[STATE] = website[STATE]
    app.router.add_get("/metrics", metrics)
    return app
