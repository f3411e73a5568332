"""The aiohttp applications: the website (routes, one middleware for metrics and errors, the
DB checker) and, on a port of its own, the Prometheus metrics the collector scrapes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import psycopg
from aiohttp import web

from . import forms
from .config import Settings
from .db import Database, DatabaseUnavailable, PostgresDatabase
from .metrics import KNOWN_METHODS, Metrics
from .pages import Pages

log = logging.getLogger("website")

# /metrics is not among them: it is served only on the metrics port (create_metrics_app).
ROUTES = ("/", "/healthz", "/readyz", "/guestbook")
GUESTBOOK_PAGE_SIZE = 20
# Longer than the load balancer's 60 s idle timeout, so the balancer closes idle
# connections first and never sends a request on a connection we are closing.
KEEPALIVE_SECONDS = 75.0
NO_STORE = {"Cache-Control": "no-store"}


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
    return text(status, f"{status} {exc.reason}: {exc.text or ''}".strip())


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts, times and labels every request; turns errors into clear plain-text answers."""
    state = request.app[STATE]
    metrics = state.metrics
    start = time.perf_counter()
    metrics.in_flight.inc()
    try:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = _error(request, exc)
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
    metrics.observe(_route_label(request), method, response.status, time.perf_counter() - start)
    return response


async def front_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    # The database status comes from the background checker: the front page must stay
    # fast (no database round trip per view) and keep working when the database is down.
    return web.Response(
        body=state.pages.front(state.database_up),
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
    body = await request.read()  # bounded by client_max_size for chunked bodies
    try:
        submission = forms.parse(request.content_type, body)
    except forms.InvalidSubmission as exc:
        return text(400, f"400 Bad Request: {exc}")
    try:
        entry = await state.database.add_entry(submission.name, submission.message)
    except DatabaseUnavailable as exc:
        state.record_database(False, str(exc))
        return text(503, "503 Service Unavailable: nothing was saved, try again")
    if request.content_type == forms.JSON_TYPE:
        return web.json_response(
            entry.as_json(), status=201, headers={"Location": "/guestbook"}, dumps=json.dumps
        )
    # Post/redirect/get: reloading the page does not sign twice.
    return text(
        303, "303 See Other: signed; the guest book is at /guestbook", Location="/guestbook"
    )


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
    settings: Settings, database: Database | None = None, *, hostname: str | None = None
) -> web.Application:
    """The website; `database` defaults to PostgreSQL as configured by `settings`."""
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
