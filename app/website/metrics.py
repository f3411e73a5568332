"""Prometheus metrics with the names and labels of docs/interfaces.md.

Each application gets its own registry (several apps can live in one test process);
the process collector is registered into it so `process_*` is exported as usual.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger("website")

# Buckets around the targets (front page p99 < 50 ms, /healthz p99 < 5 ms) and up past the
# longest timeout a request can meet (the database timeout is at most 30 s, the header
# and body timeouts 10 s), so a request that waits out a timeout lands in a finite bucket.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
#: The status counted for a request whose client hung up before it was answered (nginx's
#: "client closed request"): not a server error, so not in the 5xx ratio.
CLIENT_CLOSED = 499

# Label values are bounded: routes come from the router, anything else is "unmatched",
# and methods outside this set are counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self, *, version: str, color: str, stack: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status code.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being answered right now.",
            registry=self.registry,
        )
        self.database_up = Gauge(
            "app_database_up",
            "1 if the last database check succeeded, 0 if not.",
            registry=self.registry,
        )
        self.cpu_limit = Gauge(
            "app_cpu_limit_cores",
            "CPU the task may use, in cores (vCPU): the denominator of the CPU alert.",
            registry=self.registry,
        )
        build_info = Gauge(
            "app_build_info",
            "Always 1; the labels say which release and which blue/green side this is.",
            ["version", "color", "stack"],
            registry=self.registry,
        )
        build_info.labels(version=version, color=color, stack=stack).set(1)
        # One cached child per (route, method, status): labels() is the costly part.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            code = str(status)
            children = (
                self.requests.labels(route, method, code),
                self.latency.labels(route, method, code),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def cpu_limit_cores(env: Mapping[str, str], cgroup: Path = Path("/sys/fs/cgroup")) -> float:
    """The CPU this process may use, in cores.

    On ECS: the task's CPU from the task metadata endpoint v4 (`${ECS_CONTAINER_METADATA_URI_V4}
    /task`, field `Limits.CPU`, "expressed in vCPUs"; AWS, "Amazon ECS task metadata v4 JSON
    response for tasks on Fargate"). Elsewhere: the cgroup v2 quota (`cpu.max`, "$MAX
    $PERIOD"; Linux, Documentation/admin-guide/cgroup-v2.rst), else the machine's CPU count.
    """
    uri = env.get("ECS_CONTAINER_METADATA_URI_V4", "")
    if uri.startswith("http://"):
        try:
            with urllib.request.urlopen(f"{uri}/task", timeout=1) as response:
                cpu = float(json.load(response)["Limits"]["CPU"])
            if cpu > 0:
                return cpu
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("cannot read the task's CPU limit from the metadata endpoint: %s", exc)
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()
        if quota != "max" and float(period) > 0:
            return float(quota) / float(period)
    except (OSError, ValueError):
        pass
    return float(len(os.sched_getaffinity(0)))
