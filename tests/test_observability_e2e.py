"""The local end-to-end alert run: real Prometheus, Alertmanager and blackbox exporter on
loopback with the repository's rules and routing; the website is stopped and restarted."""

from __future__ import annotations

import json

import pytest

from observability import localstack, render

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def stack():
    missing = localstack.missing_binaries()
    if missing:
        pytest.fail(f"missing {missing}: run `make debs`")
    with localstack.LocalStack() as running:
        yield running


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


def test_the_real_website_without_its_database_fires_database_unreachable(stack):
    if stack.website_kind != "app":
        pytest.skip("app/ has no runnable website yet; the stand-in always reports 1")
    localstack.wait_until(
        lambda: stack.webhook.seen("WebsiteDatabaseUnreachable", "firing") is not None,
        30,
        "WebsiteDatabaseUnreachable firing at the webhook",
    )


def test_stopping_the_website_fires_and_restarting_resolves_the_outage_alerts(stack):
    timings = localstack.outage_scenario(stack, timeout=60)
    print(timings)
    assert set(timings) == {
        f"{alert} {status}"
        for alert in localstack.OUTAGE_ALERTS
        for status in ("firing", "resolved")
    }
    critical = [n for n in stack.webhook.notifications if n.receiver == "critical"]
    assert {name for n in critical for name, _ in n.alerts()} >= set(localstack.OUTAGE_ALERTS)
    assert not [n for n in stack.webhook.notifications if n.receiver == "warning"]
