"""PostgreSQL access: a small connection pool, the readiness ping and the guest book.

The pool connects on demand instead of reconnecting in the background, so that when the
database comes back the next check or request succeeds at once (no back-off to wait out),
and a broken connection is dropped as soon as it fails. Every operation is bounded by
the configured timeout, so a database that hangs cannot hang a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import psycopg
from psycopg import pq

from .config import Settings

log = logging.getLogger("website.db")

POOL_SIZE = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS guestbook_entries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40),
    message    text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 280),
    version    text NOT NULL,
    color      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


class DatabaseUnavailable(Exception):
    """The database did not answer in time or refused the connection."""


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    message: str
    version: str
    color: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "message": self.message,
            "version": self.version,
            "color": self.color,
            "created_at": self.created_at.isoformat(),
        }


class Database(Protocol):
    """What the web handlers need from the database (a fake implements it in tests)."""

    async def ping(self) -> None: ...
    async def add_entry(self, name: str, message: str) -> Entry: ...
    async def recent_entries(self, limit: int) -> list[Entry]: ...
    async def close(self) -> None: ...


class _Pool:
    def __init__(self, connect_kwargs: dict[str, object], size: int) -> None:
        self._kwargs = connect_kwargs
        self._idle: list[psycopg.AsyncConnection] = []
        self._slots = asyncio.Semaphore(size)
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = await psycopg.AsyncConnection.connect(**self._kwargs)  # type: ignore[arg-type]
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


async def _close_quietly(conn: psycopg.AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


class PostgresDatabase:
    """The guest book and the readiness ping over PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        self._timeout = settings.db_timeout_seconds
        self._version = settings.app_version
        self._color = settings.app_color
        self._pool = _Pool(
            {
                "host": settings.db_host,
                "port": settings.db_port,
                "dbname": settings.db_name,
                "user": settings.db_user,
                "password": settings.db_password,
                "sslmode": settings.db_sslmode,
                # libpq wants whole seconds, at least 2 (lower values are raised to 2).
                "connect_timeout": max(2, math.ceil(settings.db_timeout_seconds)),
                "application_name": f"website-{settings.app_color}",
                "autocommit": True,
            },
            POOL_SIZE,
        )
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection, the whole use bounded by the timeout."""
        try:
            async with asyncio.timeout(self._timeout), self._pool.connection() as conn:
                yield conn
        except (TimeoutError, psycopg.OperationalError) as exc:
            raise DatabaseUnavailable(_describe(exc)) from exc

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.execute("SELECT 1")
        if not self._schema_ready:
            await self._ensure_schema()

    async def _ensure_schema(self) -> None:
        async with self._schema_lock:
            if self._schema_ready:
                return
            async with self._connection() as conn, conn.transaction():
                # Several tasks start at once: serialise CREATE TABLE between them.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('website-schema'))")
                await conn.execute(SCHEMA)
            self._schema_ready = True
            log.info("guest book table is ready")

    async def add_entry(self, name: str, message: str) -> Entry:
        await self._ensure_schema()
        async with self._connection() as conn:
            cur = await conn.execute(
                "INSERT INTO guestbook_entries (name, message, version, color)"
                " VALUES (%s, %s, %s, %s)"
                " RETURNING id, name, message, version, color, created_at",
                (name, message, self._version, self._color),
            )
            row = await cur.fetchone()
        assert row is not None
        return Entry(*row)

    async def recent_entries(self, limit: int) -> list[Entry]:
        await self._ensure_schema()
        async with self._connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, message, version, color, created_at"
                " FROM guestbook_entries ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            rows = await cur.fetchall()
        return [Entry(*row) for row in rows]

    async def close(self) -> None:
        await self._pool.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer within the timeout"
    # The first line of libpq's message names the host and the reason, never the password.
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
