"""Settings from environment variables, validated all at once before anything starts.

The names and defaults are the ones in docs/interfaces.md; the optional tuning knobs
(timeouts, drain time) have defaults that fit ECS's 30 s stop timeout.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

COLORS = ("blue", "green")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_STACK_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9._:%-]{1,253}$")
# PostgreSQL identifiers are at most 63 bytes; keep to printable characters without spaces.
_PG_NAME_RE = re.compile(r"^[^\s\x00-\x1f\x7f]{1,63}$")

T = TypeVar("T")


class ConfigError(Exception):
    """Raised with every problem found in the environment, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    """What the website needs to run. The password never appears in repr()."""

    app_version: str
    app_color: str
    stack_name: str
    db_host: str
    db_name: str
    db_user: str
    db_password: str = field(repr=False)
    port: int = 8080
    # Prometheus metrics have a port of their own, which no target group reaches: the load
    # balancer forwards only `port`, and the collector next to the site scrapes this one.
    metrics_port: int = 9102
    host: str = "0.0.0.0"  # a container must listen on its task's network interface
    db_port: int = 5432
    db_sslmode: str = "require"
    db_timeout_seconds: float = 2.0
    db_check_interval_seconds: float = 5.0
    shutdown_drain_seconds: float = 3.0
    shutdown_timeout_seconds: float = 20.0
    # A client must send a request's headers, and a body, within these: a slow or stalled
    # client cannot hold a connection. The load balancer forwards whole requests at once.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate every variable; raise ConfigError listing all problems."""
        reader = _Reader(env)
        app_version = reader.matching(
            "APP_VERSION", _VERSION_RE, "1-64 characters from A-Z a-z 0-9 . _ + -"
        )
        app_color = reader.choice("APP_COLOR", COLORS)
        stack_name = reader.matching(
            "STACK_NAME", _STACK_RE, "1-100 characters from A-Z a-z 0-9 . _ -"
        )
        db_host = reader.matching("DB_HOST", _HOST_RE, "a host name or IP address")
        db_name = reader.matching(
            "DB_NAME", _PG_NAME_RE, "1-63 characters without spaces or control characters"
        )
        db_user = reader.matching(
            "DB_USER", _PG_NAME_RE, "1-63 characters without spaces or control characters"
        )
        db_password = reader.secret("DB_PASSWORD")
        port = reader.integer("PORT", 8080, 1, 65535)
        metrics_port = reader.integer("METRICS_PORT", 9102, 1, 65535)
        host = reader.matching("HOST", _HOST_RE, "an IP address to listen on", default="0.0.0.0")
        db_port = reader.integer("DB_PORT", 5432, 1, 65535)
        db_sslmode = reader.choice("DB_SSLMODE", SSL_MODES, default="require")
        db_timeout_seconds = reader.seconds("DB_TIMEOUT_SECONDS", 2.0, 0.1, 30.0)
        db_check_interval_seconds = reader.seconds("DB_CHECK_INTERVAL_SECONDS", 5.0, 0.1, 300.0)
        shutdown_drain_seconds = reader.seconds("SHUTDOWN_DRAIN_SECONDS", 3.0, 0.0, 120.0)
        shutdown_timeout_seconds = reader.seconds("SHUTDOWN_TIMEOUT_SECONDS", 20.0, 0.1, 120.0)
        header_timeout_seconds = reader.seconds("HEADER_TIMEOUT_SECONDS", 10.0, 0.1, 10.0)
        body_timeout_seconds = reader.seconds("BODY_TIMEOUT_SECONDS", 10.0, 0.1, 10.0)
        if port is not None and port == metrics_port:
            reader.problems.append(
                f"METRICS_PORT={metrics_port} is the website's PORT too (allowed: any other port)"
            )
        if reader.problems:
            raise ConfigError(reader.problems)
        # A reader answers None only after recording a problem, so from here on none is None.
        return cls(
            app_version=_read(app_version),
            app_color=_read(app_color),
            stack_name=_read(stack_name),
            db_host=_read(db_host),
            db_name=_read(db_name),
            db_user=_read(db_user),
            db_password=_read(db_password),
            port=_read(port),
            metrics_port=_read(metrics_port),
            host=_read(host),
            db_port=_read(db_port),
            db_sslmode=_read(db_sslmode),
            db_timeout_seconds=_read(db_timeout_seconds),
            db_check_interval_seconds=_read(db_check_interval_seconds),
            shutdown_drain_seconds=_read(shutdown_drain_seconds),
            shutdown_timeout_seconds=_read(shutdown_timeout_seconds),
            header_timeout_seconds=_read(header_timeout_seconds),
            body_timeout_seconds=_read(body_timeout_seconds),
        )


def _read(value: T | None) -> T:
    """A value a reader accepted (the reader recorded a problem for every None)."""
    if value is None:
        raise AssertionError("a reader answered None without recording a problem")
    return value


class _Reader:
    """Collects problems instead of stopping at the first one."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        value = self.env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def _missing(self, name: str, allowed: str) -> None:
        self.problems.append(f"{name} is required but not set (allowed: {allowed})")

    def matching(
        self, name: str, pattern: re.Pattern[str], allowed: str, default: str | None = None
    ) -> str | None:
        value = self._raw(name)
        if value is None:
            if default is None:
                self._missing(name, allowed)
            return default
        if not pattern.match(value):
            self.problems.append(f"{name}={value!r} is malformed (allowed: {allowed})")
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        allowed = "one of " + ", ".join(choices)
        value = self._raw(name)
        if value is None:
            if default is None:
                self._missing(name, allowed)
            return default
        if value not in choices:
            self.problems.append(f"{name}={value!r} is not allowed (allowed: {allowed})")
            return None
        return value

    def secret(self, name: str) -> str | None:
        # The value itself is never echoed: it is a credential.
        value = self.env.get(name)
        if value is None or value == "":
            self._missing(name, "the password from the database secret")
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            self.problems.append(f"{name} contains control characters (value not shown)")
            return None
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int | None:
        value = self._raw(name)
        if value is None:
            return default
        allowed = f"an integer from {low} to {high}"
        if not re.fullmatch(r"[0-9]+", value) or not low <= int(value) <= high:
            self.problems.append(f"{name}={value!r} is not allowed (allowed: {allowed})")
            return None
        return int(value)

    def seconds(self, name: str, default: float, low: float, high: float) -> float | None:
        value = self._raw(name)
        if value is None:
            return default
        allowed = f"a number of seconds from {low:g} to {high:g}"
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not low <= number <= high:
            self.problems.append(f"{name}={value!r} is not allowed (allowed: {allowed})")
            return None
        return number
