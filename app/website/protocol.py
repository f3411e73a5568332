"""The HTTP connection layer under the website: aiohttp's, with what a public server needs.

* A header read timeout: a client that starts a request must finish its headers within
  `header_timeout` seconds or the connection is closed (aiohttp has no such bound, so a
  client trickling header bytes held a connection for ever). An idle keep-alive connection
  is still closed by the keep-alive timeout.
* The time each request's headers were read, stored on the request (READ_AT), so the
  latency histogram includes the time a request waited for the event loop.
* Requests that the HTTP parser refuses are counted in the request metrics (route
  `unmatched`, method `other`) and logged at debug level: they are the client's error.
* At shutdown, idle connections are closed at once instead of waiting out the shutdown
  timeout (`close_idle_connections`).

aiohttp builds a plain `Server` that creates plain `RequestHandler`s; `WebsiteRunner`
makes that server create `WebsiteProtocol`s instead. The attributes read here
(`_request_in_progress`, `_messages`, `_request_count`, `_loop`) are the handler's
connection state in aiohttp 3.14 (web_protocol.py); app/tests exercise each behaviour
against the real server, so an aiohttp upgrade that changes them fails the tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

log = logging.getLogger("website")

#: Request key: the event loop's time (loop.time()) when the request's headers were read.
READ_AT = web.RequestKey("read_at", float)

#: observe(route, method, status, seconds): how refused requests reach the metrics.
Observe = Callable[[str, str, int, float], None]


class RunnerOptions(TypedDict, total=False):
    """The aiohttp runner and connection options the website sets (AppRunner's keywords)."""

    access_log: logging.Logger | None
    handle_signals: bool
    shutdown_timeout: float
    keepalive_timeout: float


class WebsiteProtocol(RequestHandler):
    """One client connection; see the module docstring."""

    def __init__(
        self,
        manager: Server,
        *,
        header_timeout: float,
        observe: Observe,
        # RequestHandler's own keywords, passed through as aiohttp's Server holds them
        # (a dict[str, Any] built from the runner's options).
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self.header_timeout = header_timeout
        self.observe = observe
        self.read_times: deque[float] = deque()
        self._header_timer: asyncio.TimerHandle | None = None
        self._armed_at = 0.0
        self._armed_count = 0
        self._finished = 0
        self._armed_finished = 0

    # -- header timeout and read times ---------------------------------------------------
    def _idle(self) -> bool:
        return not self._request_in_progress and not self._messages

    def data_received(self, data: bytes) -> None:
        idle_before = self._idle()
        before = self._request_count
        super().data_received(data)
        arrived = self._request_count - before
        if arrived:
            now = self._loop.time()
            self.read_times.extend([now] * arrived)
            self._disarm()
        elif data and idle_before and self._header_timer is None and self.transport is not None:
            # The first bytes of a request's headers: they must all be here in time.
            self._armed_at = self._loop.time()
            self._armed_count = self._request_count
            self._armed_finished = self._finished
            self._header_timer = self._loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        progressed = (
            self._request_count != self._armed_count
            or self._finished != self._armed_finished
            or not self._idle()
        )
        if progressed or self.transport is None:
            # The bytes were a request body read between two steps of the handler.
            return
        log.debug("closing a connection whose request headers took over %gs", self.header_timeout)
        self.observe("unmatched", "other", 408, self._loop.time() - self._armed_at)
        self.force_close()

    def pop_read_time(self) -> float:
        return self.read_times.popleft() if self.read_times else self._loop.time()

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._finished += 1

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # -- requests the parser refused -------------------------------------------------------
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        seconds = self._loop.time() - float(request.get(READ_AT, self._loop.time()))
        self.observe("unmatched", "other", status, seconds)
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        # A malformed request is the client's error: no traceback in the log.
        log.debug("refused a malformed request from %s: %s", request.remote, message or exc)
        if request.writer.output_size > 0:
            raise ConnectionError("the response has started; cannot send an error instead")
        reason = web.Response(status=status).reason
        resp = web.Response(
            status=status, text=f"{status} {reason}: {message or 'malformed request'}\n"
        )
        resp.force_close()
        return resp

    # -- shutdown ----------------------------------------------------------------------------
    def close_when_idle(self) -> None:
        """Close now if no request is being handled; otherwise after the current answer."""
        if self._idle():
            self.force_close()
        else:
            self.close()


class _WebsiteServer(Server):
    header_timeout: float
    observe: Observe

    def __call__(self) -> RequestHandler:
        return WebsiteProtocol(
            self,
            loop=self._loop,
            header_timeout=self.header_timeout,
            observe=self.observe,
            **self._kwargs,
        )


class WebsiteRunner(web.AppRunner):
    """An AppRunner whose connections are WebsiteProtocols."""

    def __init__(
        self,
        app: web.Application,
        *,
        header_timeout: float,
        observe: Observe,
        **kwargs: Unpack[RunnerOptions],
    ) -> None:
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout
        self._observe = observe

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        # The application builds a plain Server (Application._make_handler); only the
        # protocol it creates per connection changes.
        server.__class__ = _WebsiteServer
        assert isinstance(server, _WebsiteServer)
        server.header_timeout = self._header_timeout
        server.observe = self._observe
        make_request = server.request_factory

        def request_factory(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            request = make_request(message, payload, protocol, writer, task)
            # start() makes requests in the order their headers were read. Every connection
            # of this server is a WebsiteProtocol (_WebsiteServer.__call__).
            if isinstance(protocol, WebsiteProtocol):
                request[READ_AT] = protocol.pop_read_time()
            return request

        server.request_factory = request_factory
        return server

    async def shutdown(self) -> None:
        # cleanup() calls this after closing the listener and before waiting for the
        # connections. aiohttp's own pre-shutdown only wakes connections already waiting
        # for a request: one accepted just before the listener closed has not started
        # waiting yet, then waits for a request that never comes until the shutdown
        # timeout (20 s). Close every connection without a request now.
        self.close_idle_connections()
        await super().shutdown()

    def close_idle_connections(self) -> None:
        """Close idle keep-alive connections now; busy ones close after their answer."""
        if self.server is None:
            return
        for connection in self.server.connections:
            if isinstance(connection, WebsiteProtocol):
                connection.close_when_idle()
            else:  # pragma: no cover - every connection is a WebsiteProtocol
                connection.close()
