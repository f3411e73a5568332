"""A throwaway PostgreSQL server on loopback, for tests, the benchmark and `make app-run`.

Uses Debian's server binaries (/usr/lib/postgresql/<version>/bin, installed by
`make debs`). PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user through setpriv. Authentication is scram-sha-256 over TCP only (no Unix
socket); passwords are random, live in memory, and are never printed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

START_TIMEOUT_SECONDS = 30


class PostgresNotInstalled(RuntimeError):
    pass


def find_bindir() -> Path:
    """The newest installed PostgreSQL server's bin directory."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    if not candidates:
        raise PostgresNotInstalled(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin:"
            " run `make debs` (installs the Debian package postgresql)"
        )

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.parent.name))

    return Path(max(candidates, key=version)).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """Start with start(), stop/start again to simulate an outage, destroy() at the end."""

    def __init__(self, *, database: str = "website", user: str = "website") -> None:
        self.bindir = find_bindir()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.database = database
        self.user = user
        self.password = secrets.token_urlsafe(24)
        self._superuser_password = secrets.token_urlsafe(24)
        self.root = Path(tempfile.mkdtemp(prefix="website-pg-"))
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_postgres = [
                "setpriv",
                f"--reuid={account.pw_uid}",
                f"--regid={account.pw_gid}",
                "--clear-groups",
                "--",
            ]
        self._initialised = False

    def _run(self, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        command = [*self._as_postgres, *args]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                f"\nserver log: {self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.logfile.read_text().splitlines()[-lines:])
        return "(no log)"

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self._superuser_password + "\n")
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        try:
            self._run(
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.datadir),
                "--username=postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-sync",
            )
        finally:
            pwfile.unlink()

    def start(self) -> None:
        first = not self._initialised
        if first:
            self._initdb()
            self._initialised = True
        options = " ".join(
            [
                f"-c listen_addresses={self.host}",
                f"-p {self.port}",
                "-c unix_socket_directories=''",
                # Throwaway data: durability settings off for speed.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            ]
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "--pgdata",
            str(self.datadir),
            "--log",
            str(self.logfile),
            "--options",
            options,
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            "start",
        )
        if first:
            self._create_application_role()

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "--pgdata",
            str(self.datadir),
            "--mode=fast",
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            "stop",
        )

    def destroy(self) -> None:
        if self._initialised and (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def server_pids(self) -> list[int]:
        """The postmaster and its children (backends, background workers)."""
        postmaster = int((self.datadir / "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # Field 4 of /proc/<pid>/stat is the parent pid (after the "(comm)" field).
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    pids.append(int(stat.parent.name))
        return pids

    def pause(self) -> None:
        """Freeze every server process (SIGSTOP): connections stay open, nothing answers,
        as with a database host that hangs."""
        for pid in self.server_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.server_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def connect(self, *, superuser: bool = False, autocommit: bool = False) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=self.database if not superuser else "postgres",
            user=self.user if not superuser else "postgres",
            password=self.password if not superuser else self._superuser_password,
            sslmode="disable",
            connect_timeout=5,
            autocommit=autocommit,
        )

    def _create_application_role(self) -> None:
        with self.connect(superuser=True, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(self.database), sql.Identifier(self.user)
                )
            )

    def app_environment(self) -> dict[str, str]:
        """The DB_* variables the website needs to reach this server."""
        return {
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_NAME": self.database,
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
            "DB_SSLMODE": "disable",
        }

    def __enter__(self) -> LocalPostgres:
        try:
            self.start()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
