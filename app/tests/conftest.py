from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.tests.helpers import FakeDatabase, LiveApp, StartWebsite, ThreadedServer, WebsiteProcess
from app.tools.localpg import LocalPostgres, PostgresNotInstalled, free_port
from app.website.config import Settings
from app.website.server import create_app, create_metrics_app

BASE_ENV = {
    "APP_VERSION": "1.2.3",
    "APP_COLOR": "green",
    "STACK_NAME": "stage",
    "DB_HOST": "db.internal",
    "DB_NAME": "website",
    "DB_USER": "website",
    "DB_PASSWORD": "not-a-real-password",
}


@pytest.fixture
def base_env() -> dict[str, str]:
    return dict(BASE_ENV)


@pytest.fixture
def live_app() -> Iterator[LiveApp]:
    """The website on loopback with an in-memory database (checked every 0.1 s)."""
    settings = Settings.from_env({**BASE_ENV, "DB_CHECK_INTERVAL_SECONDS": "0.1"})
    database = FakeDatabase()
    app = create_app(settings, database, hostname="test-host")
    server = ThreadedServer(app)
    metrics_server = ThreadedServer(create_metrics_app(app))
    server.start()
    metrics_server.start()
    try:
        yield LiveApp(server, database, metrics_server)
    finally:
        metrics_server.stop()
        server.stop()


def _start_postgres() -> LocalPostgres:
    try:
        pg = LocalPostgres()
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc))
    try:
        pg.start()
    except BaseException:
        pg.destroy()
        raise
    return pg


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server shared by the tests that do not stop it."""
    pg = _start_postgres()
    try:
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server for one test, which may stop and start it."""
    pg = _start_postgres()
    try:
        yield pg
    finally:
        pg.destroy()


def website_env(pg: LocalPostgres, **overrides: str) -> dict[str, str]:
    return {
        **BASE_ENV,
        **pg.app_environment(),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "DB_CHECK_INTERVAL_SECONDS": "0.2",
        "SHUTDOWN_DRAIN_SECONDS": "0",
        **overrides,
    }


@pytest.fixture
def start_website() -> Iterator[StartWebsite]:
    """Starts the website process(es) a test asks for and always stops them."""
    started: list[WebsiteProcess] = []

    def start(env: dict[str, str]) -> WebsiteProcess:
        site = WebsiteProcess(env)
        started.append(site)
        site.start()
        return site

    try:
        yield start
    finally:
        for site in started:
            site.stop()
