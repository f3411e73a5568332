"""A stand-in website for the local end-to-end run: the routes and metric names of
docs/interfaces.md, nothing else (no database; `app_database_up` is always 1). Like the
website, it serves /metrics only on its metrics port.

    python -m observability.standin --port 8080 --metrics-port 9102
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
REQUESTS = Counter(
    "http_requests_total", "HTTP requests", ["route", "method", "status"], registry=REGISTRY
)
DURATION = Histogram(
    "http_request_duration_seconds", "HTTP request duration", ["route", "method"], registry=REGISTRY
)
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests in flight", registry=REGISTRY)
DATABASE_UP = Gauge("app_database_up", "1 if the database answers", registry=REGISTRY)
BUILD = Gauge(
    "app_build_info", "Build information", ["version", "color", "stack"], registry=REGISTRY
)
ROUTES = {"/": b"stand-in website\n", "/healthz": b"ok\n", "/readyz": b"ready\n"}


class Quiet(BaseHTTPRequestHandler):
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class MetricsHandler(Quiet):
    """The metrics port: /metrics and nothing else."""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/metrics":
            self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")


class Handler(Quiet):
    """The site's port: its pages; /metrics is not one of them."""

    def do_GET(self) -> None:
        start = time.perf_counter()
        path = self.path.split("?", 1)[0]
        IN_FLIGHT.inc()
        try:
            route = path if path in ROUTES else "other"
            status = 200 if path in ROUTES else 404
            self._send(status, ROUTES.get(path, b"not found\n"), "text/plain; charset=utf-8")
            REQUESTS.labels(route, "GET", str(status)).inc()
            DURATION.labels(route, "GET").observe(time.perf_counter() - start)
        finally:
            IN_FLIGHT.dec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument(
        "--metrics-port", type=int, default=int(os.environ.get("METRICS_PORT", "9102"))
    )
    options = parser.parse_args()
    DATABASE_UP.set(1)
    BUILD.labels(
        os.environ.get("APP_VERSION", "0.0.0-local"),
        os.environ.get("APP_COLOR", "blue"),
        os.environ.get("STACK_NAME", "local"),
    ).set(1)
    ThreadingHTTPServer.allow_reuse_address = True
    metrics = ThreadingHTTPServer((options.host, options.metrics_port), MetricsHandler)
    server = ThreadingHTTPServer((options.host, options.port), Handler)
    threading.Thread(target=metrics.serve_forever, name="metrics", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        metrics.shutdown()
        metrics.server_close()
        server.server_close()


if __name__ == "__main__":
    main()
