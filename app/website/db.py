"""PostgreSQL access: a small connection pool, the readiness ping and the guest book.

The pool connects on demand instead of reconnecting in the background, so that when the
database comes back the next check or request succeeds at once (no back-off to wait out),
and a broken connection is dropped as soon as it fails.

Three bounds keep a request's time independent of what the database does:

* Waiting for a pooled connection is not the database's fault: a request waits at most
  QUEUE_SECONDS behind at most QUEUE_LENGTH others, then is shed (PoolBusy, answered 429)
  without counting against the database or its health.
* The readiness ping has a connection of its own, so a full pool never reads as an outage.
* Every database operation, cancellation included, answers within the configured timeout:
  the operation runs as a task that is left to clean up on its own when the time is up
  (psycopg waits up to 5 s for the server to acknowledge a cancel, then up to 5 s more).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import select
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict, TypeVar

import psycopg
from psycopg import pq
from psycopg.rows import class_row

from .config import Settings

log = logging.getLogger("website.db")

POOL_SIZE = 5
#: Requests that may wait for a pooled connection at once; more are shed at once.
QUEUE_LENGTH = 4 * POOL_SIZE
#: Longest wait for a pooled connection before the request is shed.
QUEUE_SECONDS = 0.5

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS guestbook_entries (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
        message         text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 280),
        version         text NOT NULL,
        color           text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        idempotency_key text UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 128)
    )
    """,
    # Tables created by earlier releases lack the key: add it (a no-op afterwards).
    "ALTER TABLE guestbook_entries ADD COLUMN IF NOT EXISTS idempotency_key text UNIQUE"
    " CHECK (char_length(idempotency_key) BETWEEN 1 AND 128)",
)

COLUMNS = "id, name, message, version, color, created_at"

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The database did not answer in time or refused the connection; nothing was sent
    that could have changed data."""


class OutcomeUnknown(DatabaseUnavailable):
    """A write was sent but its answer did not come back in time: it may have committed."""


class PoolBusy(Exception):
    """Every pooled connection is in use and the queue is full or too slow: shed the request."""


class KeyReused(Exception):
    """An idempotency key already stored a different name or message."""


class EntryJson(TypedDict):
    """An entry as the JSON API answers it (POST /guestbook, GET /guestbook with JSON)."""

    id: int
    name: str
    message: str
    version: str
    color: str
    created_at: str  # ISO 8601 with the UTC offset


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    message: str
    version: str
    color: str
    created_at: datetime

    def as_json(self) -> EntryJson:
        return {
            "id": self.id,
            "name": self.name,
            "message": self.message,
            "version": self.version,
            "color": self.color,
            "created_at": self.created_at.isoformat(),
        }


#: Rows of COLUMNS as Entry objects, matched by column name.
ENTRY = class_row(Entry)


@dataclass(frozen=True)
class Stored:
    """The result of a write: the entry, and whether an earlier write with the same key
    stored it (a retry)."""

    entry: Entry
    replayed: bool = False


class Database(Protocol):
    """What the web handlers need from the database (a fake implements it in tests)."""

    async def ping(self) -> None: ...
    async def add_entry(self, name: str, message: str, key: str | None = None) -> Stored: ...
    async def recent_entries(self, limit: int) -> list[Entry]: ...
    async def close(self) -> None: ...


class ConnectParams(TypedDict):
    """The libpq connection parameters the website sets (names as libpq spells them)."""

    host: str
    port: int
    dbname: str
    user: str
    password: str
    sslmode: str
    connect_timeout: int
    application_name: str


async def _connect(params: ConnectParams) -> psycopg.AsyncConnection:
    # Every statement stands alone: no transaction is left open on a pooled connection.
    return await psycopg.AsyncConnection.connect(autocommit=True, **params)


class _Pool:
    def __init__(self, params: ConnectParams, size: int) -> None:
        self._params = params
        self._idle: list[psycopg.AsyncConnection] = []
        self._slots = asyncio.Semaphore(size)
        self._waiting = 0
        self._closed = False

    async def acquire_slot(self) -> None:
        """Take a slot, or raise PoolBusy when the queue is full or moves too slowly."""
        if self._slots.locked() and self._waiting >= QUEUE_LENGTH:
            raise PoolBusy("the queue for database connections is full")
        self._waiting += 1
        try:
            async with asyncio.timeout(QUEUE_SECONDS):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolBusy("no database connection came free in time") from None
        finally:
            self._waiting -= 1

    def release_slot(self) -> None:
        self._slots.release()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A connection for the holder of a slot (see acquire_slot)."""
        conn = None
        while self._idle and conn is None:
            conn = self._idle.pop()
            if not _still_open(conn):
                await _close_quietly(conn)
                conn = None
        if conn is None:
            conn = await _connect(self._params)
        healthy = False
        try:
            yield conn
            healthy = True
        except psycopg.OperationalError:
            # The server went away: the other idle connections are most likely dead too.
            await self.discard_idle()
            raise
        finally:
            reusable = (
                healthy
                and not self._closed
                and not conn.closed
                and conn.info.transaction_status == pq.TransactionStatus.IDLE
            )
            if reusable:
                self._idle.append(conn)
            else:
                await _close_quietly(conn)

    async def discard_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await _close_quietly(conn)

    async def close(self) -> None:
        self._closed = True
        await self.discard_idle()


def _still_open(conn: psycopg.AsyncConnection) -> bool:
    """False if the server has spoken or hung up on an idle connection: between queries
    PostgreSQL sends nothing unless it is ending the session (a FATAL error, then EOF), so
    a readable socket means the connection is gone. Checking costs one poll and keeps a
    restarted database from turning the next write into one whose outcome is unknown."""
    if conn.closed:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


async def _close_quietly(conn: psycopg.AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


class PostgresDatabase:
    """The guest book and the readiness ping over PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        self._timeout = settings.db_timeout_seconds
        self._version = settings.app_version
        self._color = settings.app_color
        self._connect_params: ConnectParams = {
            "host": settings.db_host,
            "port": settings.db_port,
            "dbname": settings.db_name,
            "user": settings.db_user,
            "password": settings.db_password,
            "sslmode": settings.db_sslmode,
            # libpq wants whole seconds, at least 2 (lower values are raised to 2).
            "connect_timeout": max(2, math.ceil(settings.db_timeout_seconds)),
            "application_name": f"website-{settings.app_color}",
        }
        self._pool = _Pool(self._connect_params, POOL_SIZE)
        self._health: psycopg.AsyncConnection | None = None
        self._health_lock = asyncio.Lock()
        self._schema_ready = False
        # Operations given up on, still cancelling in the background (kept referenced).
        self._stragglers: set[asyncio.Task[object]] = set()

    async def _bounded(
        self, operation: Callable[[], Awaitable[T]], unknown: list[bool], *, pooled: bool = True
    ) -> T:
        """Run `operation` with the timeout as the bound on the whole wait, cancellation
        included. `unknown[0]` is set by the operation once it has sent a write. A pooled
        operation holds a slot (acquire_slot) that is released when its task ends, however
        it ends (even cancelled before it started)."""
        task: asyncio.Task[T] = asyncio.ensure_future(operation())
        if pooled:
            task.add_done_callback(lambda _: self._pool.release_slot())
        try:
            done, _ = await asyncio.wait({task}, timeout=self._timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            task.cancel()
            self._stragglers.add(task)
            task.add_done_callback(self._forget)
            error = OutcomeUnknown if unknown[0] else DatabaseUnavailable
            raise error("no answer within the timeout")
        try:
            return task.result()
        except psycopg.OperationalError as exc:
            error = OutcomeUnknown if unknown[0] else DatabaseUnavailable
            raise error(_describe(exc)) from exc

    def _forget(self, task: asyncio.Task[object]) -> None:
        self._stragglers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("abandoned database operation ended: %s", task.exception())

    async def ping(self) -> None:
        """SELECT 1 on the health connection (never queued behind the pool); creates the
        table on the first success."""

        async def check() -> None:
            async with self._health_lock:
                try:
                    if self._health is None or self._health.closed:
                        self._health = await _connect(self._connect_params)
                    await self._health.execute("SELECT 1")
                    if not self._schema_ready:
                        await self._create_schema(self._health)
                except BaseException:
                    health, self._health = self._health, None
                    if health is not None:
                        await _close_quietly(health)
                    raise

        await self._bounded(check, [False], pooled=False)

    async def _create_schema(self, conn: psycopg.AsyncConnection) -> None:
        async with conn.transaction():
            # Several tasks start at once: serialise the DDL between them.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('website-schema'))")
            for statement in SCHEMA:
                await conn.execute(statement)
        self._schema_ready = True
        log.info("guest book table is ready")

    async def _ensure_schema(self) -> None:
        if not self._schema_ready:
            await self.ping()

    async def add_entry(self, name: str, message: str, key: str | None = None) -> Stored:
        """Insert an entry; with a key, a second call with the same key stores nothing and
        returns the first entry (KeyReused if the name or message differ)."""
        await self._ensure_schema()
        await self._pool.acquire_slot()
        sent = [False]

        async def insert() -> Stored:
            async with self._pool.connection() as conn, conn.cursor(row_factory=ENTRY) as cur:
                sent[0] = True
                await cur.execute(
                    "INSERT INTO guestbook_entries (name, message, version, color, idempotency_key)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING"
                    f" RETURNING {COLUMNS}",
                    (name, message, self._version, self._color, key),
                )
                row = await cur.fetchone()
                if row is not None:
                    return Stored(row)
                await cur.execute(
                    f"SELECT {COLUMNS} FROM guestbook_entries WHERE idempotency_key = %s", (key,)
                )
                entry = await cur.fetchone()
            assert entry is not None  # the conflicting row exists: rows are never deleted
            if (entry.name, entry.message) != (name, message):
                raise KeyReused("the key was used for a different name or message")
            return Stored(entry, replayed=True)

        return await self._bounded(insert, sent)

    async def recent_entries(self, limit: int) -> list[Entry]:
        await self._ensure_schema()
        await self._pool.acquire_slot()

        async def select() -> list[Entry]:
            async with self._pool.connection() as conn, conn.cursor(row_factory=ENTRY) as cur:
                await cur.execute(
                    f"SELECT {COLUMNS} FROM guestbook_entries ORDER BY id DESC LIMIT %s",
                    (limit,),
                )
                return await cur.fetchall()

        return await self._bounded(select, [False])

    async def close(self) -> None:
        for task in list(self._stragglers):
            task.cancel()
        await self._pool.close()
        if self._health is not None:
            await _close_quietly(self._health)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer within the timeout"
    # The first line of libpq's message names the host and the reason, never the password.
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
