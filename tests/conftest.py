"""Shared fixtures: the recording mock engine and the two real stacks rendered once."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest

from mock_engine import Recording, record, render_stack


@pytest.fixture
def build() -> Callable[..., Recording]:
    """Runs a function that declares resources under the mock engine, returns what it
    declared once every registration has settled: `build(lambda: Network("net", args))`."""
    return record


@pytest.fixture(scope="session")
def stage() -> Recording:
    """The stage stack, rendered from Pulumi.stage.yaml by the real program."""
    return render_stack("stage")


@pytest.fixture(scope="session")
def prod() -> Recording:
    """The prod stack, rendered from Pulumi.prod.yaml by the real program."""
    return render_stack("prod")


class SmokeSite(http.server.BaseHTTPRequestHandler):
    """A stand-in website for the smoke tests: every page shows `version`; `/readyz`
    answers `ready`. Tests set both on the handler class the fixture yields."""

    ready = 200
    version = "0123456789abcdef0123456789abcdef01234567"

    def do_GET(self) -> None:
        code = {"/healthz": 200, "/readyz": self.ready}.get(self.path, 200)
        body = f"<p>version {self.version}</p>".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, type[SmokeSite]]]:
    handler = type("Site", (SmokeSite,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
