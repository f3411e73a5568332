"""The repository's observability files, checked by the real tools (promtool, amtool,
blackbox exporter) and by the rules this project relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from observability import render

REQUIRED_ALERTS = {
    "WebsiteTargetDown",
    "WebsiteProbeFailing",
    "WebsiteHigh5xxRatio",
    "WebsiteLatencyP99High",
    "WebsiteDatabaseUnreachable",
    "WebsiteHighCpu",
    "WebsiteHighMemory",
    "WebsiteDeploymentTooLong",
    "WebsiteCertificateExpiring",
}
# docs/interfaces.md: the website's metrics, the blackbox exporter's, and Prometheus' own.
KNOWN_METRICS = {
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_requests_in_flight",
    "app_database_up",
    "app_build_info",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "app_cpu_limit_cores",
    "probe_success",
    "probe_ssl_earliest_cert_expiry",
    "probe_duration_seconds",
    "up",
}


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    tool = str(command[0])
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run `make debs`")
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60
    )


def test_promtool_checks_every_rule_file():
    result = run("promtool", "check", "rules", *render.rule_files())
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass():
    result = run("promtool", "test", "rules", *sorted(render.RULE_TESTS_DIR.glob("*.test.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_prometheus_config():
    result = run("promtool", "check", "config", render.PROMETHEUS_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    tested: dict[str, set[bool]] = {}
    for path in render.RULE_TESTS_DIR.glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                tested.setdefault(check["alertname"], set()).add(bool(check["exp_alerts"]))
    missing = {a for a in render.alert_names() if tested.get(a) != {True, False}}
    assert not missing, f"alerts without both a firing and a quiet case: {sorted(missing)}"


def test_the_required_alerts_exist_with_summary_and_runbook():
    assert set(render.alert_names()) >= REQUIRED_ALERTS


def test_an_alert_without_a_runbook_is_rejected(tmp_path):
    bad = tmp_path / "bad.rules.yml"
    bad.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: X\n    expr: up == 0\n"
        "    labels: {severity: page}\n    annotations: {summary: s}\n"
    )
    with pytest.raises(render.ObservabilityFileError) as error:
        render.load_rule_groups(bad)
    assert "X: label severity is 'page'" in str(error.value)
    assert "X: annotation 'runbook' is missing" in str(error.value)


@pytest.mark.parametrize("delivery", ["plain", "sns", "webhook"])
def test_amtool_accepts_the_routing_for_each_delivery(tmp_path, delivery):
    path = render.ALERTMANAGER_CONFIG
    if delivery == "sns":
        config = render.alertmanager_config(
            "sns", topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts", region="eu-west-1"
        )
    elif delivery == "webhook":
        config = render.alertmanager_config(
            "webhook", webhook_url="http://127.0.0.1:9/hook", divisor=30
        )
    if delivery != "plain":
        path = tmp_path / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config))
    result = run("amtool", "check-config", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_aws_and_local_share_the_same_routing_and_inhibition():
    sns = render.alertmanager_config("sns", topic_arn="arn:aws:sns:x:1:t", region="x")
    hook = render.alertmanager_config("webhook", webhook_url="http://127.0.0.1:9")
    assert sns["route"] == hook["route"]
    assert sns["inhibit_rules"] == hook["inhibit_rules"]
    assert [r["name"] for r in sns["receivers"]] == [r["name"] for r in hook["receivers"]]


def test_critical_alerts_route_to_the_critical_receiver():
    config = yaml.safe_load(render.ALERTMANAGER_CONFIG.read_text())
    critical = [r for r in config["route"]["routes"] if 'severity="critical"' in r["matchers"]]
    assert [r["receiver"] for r in critical] == ["critical"]


def test_outage_alerts_do_not_inhibit_each_other():
    # The probe and target-down alerts must both reach people: no inhibition between them.
    config = yaml.safe_load(render.ALERTMANAGER_CONFIG.read_text())
    for rule in config["inhibit_rules"]:
        assert rule["target_matchers"] != ['severity="critical"'], rule


def test_amp_definition_wraps_the_sns_routing():
    text = render.amp_alertmanager_definition("arn:aws:sns:eu-west-1:1:t", "eu-west-1")
    inner = yaml.safe_load(yaml.safe_load(text)["alertmanager_config"])
    assert inner == render.alertmanager_config(
        "sns", topic_arn="arn:aws:sns:eu-west-1:1:t", region="eu-west-1"
    )
    assert {c["topic_arn"] for r in inner["receivers"] for c in r["sns_configs"]} == {
        "arn:aws:sns:eu-west-1:1:t"
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delivery": "sns", "topic_arn": "alerts", "region": "eu-west-1"}, "topic_arn"),
        ({"delivery": "webhook", "webhook_url": "127.0.0.1:9"}, "http(s) webhook_url"),
        ({"delivery": "email"}, "allowed: 'sns', 'webhook'"),
    ],
)
def test_bad_delivery_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render.alertmanager_config(**kwargs)


@pytest.mark.parametrize("path", render.rule_files(), ids=lambda p: p.name)
def test_scaling_divides_only_the_for_durations_and_range_windows(path):
    original = render.load_rule_groups(path)
    scaled = yaml.safe_load(render.scaled_rules_yaml(path, 30))["groups"]
    for group, fast in zip(original, scaled, strict=True):
        for rule, fast_rule in zip(group["rules"], fast["rules"], strict=True):
            if "for" in rule:
                expected = max(1, round(render.parse_duration(rule["for"]) / 30))
                assert fast_rule.pop("for") == f"{expected}s"
                rule = {k: v for k, v in rule.items() if k != "for"}
            assert fast_rule.pop("expr") == render.scaled_windows(rule.pop("expr"), 30)
            assert fast_rule == rule


@pytest.mark.parametrize(("text", "seconds"), [("1m", 60), ("1h30m", 5400), ("45s", 45)])
def test_durations_parse(text, seconds):
    assert render.parse_duration(text) == seconds


def test_an_unsupported_duration_is_rejected():
    with pytest.raises(render.ObservabilityFileError, match="1d"):
        render.parse_duration("1d")


def test_blackbox_exporter_accepts_its_config():
    result = run(
        "prometheus-blackbox-exporter", f"--config.file={render.BLACKBOX_CONFIG}", "--config.check"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_blackbox_has_the_module_the_scrape_job_uses():
    modules = yaml.safe_load(render.BLACKBOX_CONFIG.read_text())["modules"]
    jobs = yaml.safe_load(render.PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    blackbox = next(job for job in jobs if job["job_name"] == "blackbox")
    assert blackbox["params"]["module"] == ["http_2xx"]
    assert "http_2xx" in modules


def test_local_prometheus_config_passes_promtool(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for path in render.rule_files():
        (rules / path.name).write_text(render.scaled_rules_yaml(path, 30))
    config = render.local_prometheus_config(
        website="127.0.0.1:18080",
        blackbox="127.0.0.1:19115",
        alertmanager="127.0.0.1:19093",
        probe_url="http://127.0.0.1:18080/",
        rule_glob=str(rules / "*.rules.yml"),
    )
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = run("promtool", "check", "config", tmp_path / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboards_cover_the_required_signals():
    dashboards = [render.load_dashboard(p) for p in render.dashboard_files()]
    queries = " ".join(q for d in dashboards for q in render.dashboard_queries(d))
    for needle in (
        "job:http_requests:rate5m",
        "5xx",
        "p99",
        "job_version_color:http_requests:rate5m",
        "app_build_info",
        'up{job="website"}',
        "app_database_up",
    ):
        assert needle in queries, needle


def test_dashboards_use_only_known_metrics_and_recorded_series():
    recorded = {
        rule["record"]
        for path in render.rule_files()
        for group in render.load_rule_groups(path)
        for rule in group["rules"]
        if "record" in rule
    }
    for path in render.dashboard_files():
        for expr in render.dashboard_queries(render.load_dashboard(path)):
            names = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[)", expr))
            unknown = names - KNOWN_METRICS - recorded
            assert not unknown, f"{path.name}: {expr} uses {unknown}"


def test_dashboard_panel_ids_are_unique():
    for path in render.dashboard_files():
        ids = [p["id"] for p in json.loads(path.read_text())["panels"]]
        assert len(ids) == len(set(ids)), path.name


def test_a_dashboard_with_another_data_source_is_rejected(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "uid": "u",
                "title": "t",
                "panels": [{"type": "timeseries", "title": "p", "datasource": {"uid": "other"}}],
            }
        )
    )
    with pytest.raises(render.ObservabilityFileError, match="allowed: 'prometheus'"):
        render.load_dashboard(bad)


# --- which alert covers each failure, locally and in AWS ------------------------------------
# In AWS there is no blackbox exporter, and each task's collector dies with its task: the
# failures those would show are covered by CloudWatch alarms (obs-<key>) instead.
COVERAGE = {
    "one task dies": {
        "local": {"WebsiteTargetDown"},
        "aws_rules": set(),
        "aws_alarms": {"tasks-below-desired"},
    },
    "all tasks die": {
        "local": {"WebsiteTargetDown"},
        "aws_rules": {"WebsiteMetricsAbsent"},
        "aws_alarms": {"tasks-below-desired"},
    },
    "the site is unreachable from outside": {
        "local": {"WebsiteProbeFailing"},
        "aws_rules": set(),
        "aws_alarms": {"probe-failing"},
    },
    "the database is unreachable": {
        "local": {"WebsiteDatabaseUnreachable"},
        "aws_rules": {"WebsiteDatabaseUnreachable"},
        "aws_alarms": set(),
    },
    "the certificate is near expiry": {
        "local": {"WebsiteCertificateExpiring"},
        "aws_rules": set(),
        "aws_alarms": {"certificate-expiry"},
    },
    "requests fail": {
        "local": {"WebsiteHigh5xxRatio"},
        "aws_rules": {"WebsiteHigh5xxRatio"},
        "aws_alarms": {"5xx-rate"},
    },
    "requests are slow": {
        "local": {"WebsiteLatencyP99High"},
        "aws_rules": {"WebsiteLatencyP99High"},
        "aws_alarms": {"p99-latency"},
    },
}


def _aws_alerts(recording) -> set[str]:
    return {
        rule["alert"]
        for namespace in recording.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace")
        for group in yaml.safe_load(namespace.inputs["data"])["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def _alarm_keys(recording) -> set[str]:
    return {
        r.name.removeprefix("obs-")
        for r in recording.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.name.startswith("obs-")
    }


@pytest.mark.parametrize("failure", sorted(COVERAGE))
def test_each_failure_has_an_alert_locally_and_one_that_can_fire_in_aws(failure, stage, prod):
    covered = COVERAGE[failure]
    assert covered["local"] <= set(render.alert_names())
    assert covered["aws_rules"] or covered["aws_alarms"], f"nothing covers {failure} in AWS"
    for recording in (stage, prod):
        assert covered["aws_rules"] <= _aws_alerts(recording)
        assert covered["aws_alarms"] <= _alarm_keys(recording)


def test_no_rule_loaded_in_aws_needs_the_blackbox_exporter(stage):
    for namespace in stage.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace"):
        assert "probe_" not in namespace.inputs["data"], namespace.inputs["name"]
    assert "WebsiteProbeFailing" not in _aws_alerts(stage)


def test_the_local_stack_loads_every_rule_file():
    names = {p.name for p in render.rule_files()}
    assert {p.name for p in render.aws_rule_files()} | set(render.LOCAL_ONLY_RULE_FILES) == names


def test_scaling_divides_the_rate_windows_too():
    text = render.scaled_rules_yaml(render.RULES_DIR / "website.rules.yml", 30)
    assert "[5m]" not in text and "[10s]" in text
    assert render.scaled_windows("rate(x[1m])", 30) == "rate(x[5s])"  # never under 5 s


def test_cpu_alert_is_a_share_of_the_task_allocation():
    rule = next(
        r
        for g in render.load_rule_groups(render.RULES_DIR / "website.rules.yml")
        for r in g["rules"]
        if r.get("alert") == "WebsiteHighCpu"
    )
    assert "app_cpu_limit_cores" in rule["expr"]


def test_inhibition_is_scoped_to_one_task():
    config = yaml.safe_load(render.ALERTMANAGER_CONFIG.read_text())
    [severity] = [
        r for r in config["inhibit_rules"] if r["source_matchers"] == ['severity="critical"']
    ]
    assert severity["equal"] == ["job", "instance"]
