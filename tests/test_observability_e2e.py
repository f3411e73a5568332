"""The local end-to-end alert run: real Prometheus, Alertmanager and blackbox exporter on
loopback with the repository's rules and routing, the real website and its PostgreSQL.
Faults are driven through the real website: slow and failing queries, a stopped database,
a stopped website."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from observability import localstack, render

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def stack():
    missing = localstack.missing_binaries()
    if missing:
        pytest.fail(f"missing {missing}: run `make debs`")
    with localstack.LocalStack() as running:
        yield running


def needs_the_real_website(stack) -> None:
    if stack.website_kind != "app":
        pytest.skip("app/ has no runnable website; the stand-in has no database")


def test_every_dashboard_query_is_valid_promql_on_a_real_prometheus(stack):
    stack.wait_for_samples('up{job="website"} == 1', timeout=15)
    for path in render.dashboard_files():
        for expr in render.dashboard_queries(render.load_dashboard(path)):
            assert stack.query(expr)["resultType"] in {"vector", "scalar", "matrix"}, expr


def test_prometheus_loaded_every_alert_of_the_repository(stack):
    status, body = localstack.http_get(stack.url("prometheus", "/api/v1/rules?type=alert"))
    assert status == 200
    loaded = {
        rule["name"] for group in json.loads(body)["data"]["groups"] for rule in group["rules"]
    }
    assert loaded == set(render.alert_names())


def test_the_cpu_alert_has_the_task_allocation_to_divide_by(stack):
    needs_the_real_website(stack)
    stack.wait_for_samples('app_cpu_limit_cores{job="website"} > 0', timeout=15)


def test_slow_queries_through_the_real_website_fire_the_latency_alert(stack):
    needs_the_real_website(stack)
    seconds = localstack.slow_queries_scenario(stack, timeout=90)
    print(f"WebsiteLatencyP99High firing after {seconds:.1f}s")


def test_failing_queries_through_the_real_website_fire_the_5xx_alert(stack):
    needs_the_real_website(stack)
    seconds = localstack.failing_queries_scenario(stack, timeout=90)
    print(f"WebsiteHigh5xxRatio firing after {seconds:.1f}s")


def test_a_stopped_database_fires_database_unreachable_and_its_return_resolves_it(stack):
    needs_the_real_website(stack)
    assert stack.database is not None
    stopped = time.monotonic()
    stack.database.stop()
    try:
        localstack.wait_until(
            lambda: stack.webhook.seen("WebsiteDatabaseUnreachable", "firing", stopped) is not None,
            60,
            "WebsiteDatabaseUnreachable firing at the webhook",
        )
    finally:
        stack.database.start()
    restarted = time.monotonic()
    localstack.wait_until(
        lambda: stack.webhook.seen("WebsiteDatabaseUnreachable", "resolved", restarted) is not None,
        60,
        "WebsiteDatabaseUnreachable resolved at the webhook",
    )


def test_stopping_the_website_fires_and_restarting_resolves_the_outage_alerts(stack):
    stopped = time.monotonic()
    timings = localstack.outage_scenario(stack, timeout=60)
    print(timings)
    assert set(timings) == {
        f"{alert} {status}"
        for alert in localstack.OUTAGE_ALERTS
        for status in ("firing", "resolved")
    }
    critical = [n for n in stack.webhook.notifications if n.receiver == "critical"]
    assert {name for n in critical for name, _ in n.alerts()} >= set(localstack.OUTAGE_ALERTS)
    warnings_fired = [
        name
        for n in stack.webhook.notifications
        if n.receiver == "warning" and n.received_at >= stopped
        for name, status in n.alerts()
        if status == "firing"
    ]
    assert not warnings_fired


# --- inhibition, on a real Alertmanager -------------------------------------------------------
@pytest.fixture
def alertmanager(tmp_path):
    if localstack.missing_binaries():
        pytest.fail(f"missing {localstack.missing_binaries()}: run `make debs`")
    config = render.alertmanager_config("webhook", webhook_url="http://127.0.0.1:9/hook")
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = localstack.free_port()
    process = subprocess.Popen(
        [
            localstack.ALERTMANAGER,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        localstack.wait_until(
            lambda: localstack.http_get(f"{url}/-/ready")[0] == 200, 20, "alertmanager ready"
        )
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_one_task_critical_alert_silences_only_that_task_warnings(alertmanager):
    now = datetime.now(UTC)
    alerts = [
        {"alertname": "WebsiteDatabaseUnreachable", "severity": "critical", "instance": "task-a"},
        {"alertname": "WebsiteHighCpu", "severity": "warning", "instance": "task-a"},
        {"alertname": "WebsiteHighCpu", "severity": "warning", "instance": "task-b"},
        {"alertname": "WebsiteLatencyP99High", "severity": "warning"},
    ]
    body = json.dumps(
        [
            {
                "labels": {"job": "website", **labels},
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
            }
            for labels in alerts
        ]
    ).encode()
    request = urllib.request.Request(
        f"{alertmanager}/api/v2/alerts",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200

    def suppressed() -> dict[tuple[str, str], bool]:
        _, data = localstack.http_get(f"{alertmanager}/api/v2/alerts")
        return {
            (a["labels"]["alertname"], a["labels"].get("instance", "")): bool(
                a["status"]["inhibitedBy"]
            )
            for a in json.loads(data)
        }

    localstack.wait_until(lambda: len(suppressed()) == 4, 10, "the four alerts")
    localstack.wait_until(lambda: any(suppressed().values()), 10, "inhibition to apply")
    assert suppressed() == {
        ("WebsiteDatabaseUnreachable", "task-a"): False,
        ("WebsiteHighCpu", "task-a"): True,
        ("WebsiteHighCpu", "task-b"): False,
        ("WebsiteLatencyP99High", ""): False,
    }
