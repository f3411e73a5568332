"""app_cpu_limit_cores: the denominator of the CPU alert, read where ECS publishes it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.website.metrics import cpu_limit_cores

# The shape of ${ECS_CONTAINER_METADATA_URI_V4}/task on Fargate (AWS, "Amazon ECS task
# metadata v4 examples for tasks on Fargate"), trimmed to the fields around Limits.
TASK = {
    "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/site",
    "TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/site/0123",
    "Family": "website",
    "Limits": {"CPU": 0.25, "Memory": 512},
    "LaunchType": "FARGATE",
}


@pytest.fixture
def metadata_endpoint() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(TASK).encode() if self.path == "/v4/abc/task" else b"{}"
            self.send_response(200 if self.path == "/v4/abc/task" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v4/abc"
    finally:
        server.shutdown()
        server.server_close()


def test_on_ecs_the_limit_is_the_task_cpu_from_the_metadata_endpoint(
    metadata_endpoint: str, tmp_path: Path
) -> None:
    env = {"ECS_CONTAINER_METADATA_URI_V4": metadata_endpoint}
    assert cpu_limit_cores(env, cgroup=tmp_path) == 0.25


def test_without_ecs_the_cgroup_quota_is_the_limit(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert cpu_limit_cores({}, cgroup=tmp_path) == 0.5


def test_an_unlimited_cgroup_falls_back_to_the_cpus_this_process_may_run_on(
    tmp_path: Path,
) -> None:
    import os

    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_limit_cores({}, cgroup=tmp_path) == len(os.sched_getaffinity(0))


def test_an_unreachable_metadata_endpoint_falls_back_quietly(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("25000 100000\n")
    env = {"ECS_CONTAINER_METADATA_URI_V4": "http://127.0.0.1:9/v4/gone"}
    assert cpu_limit_cores(env, cgroup=tmp_path) == 0.25
