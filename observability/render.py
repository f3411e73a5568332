"""Load the repository's observability files and render them for each environment.

Pure functions only (no Pulumi, no network): the AWS component and the local end-to-end
run both call these, so the files checked by promtool and amtool are the ones deployed.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml

ROOT = Path(__file__).resolve().parent
RULES_DIR = ROOT / "prometheus" / "rules"
RULE_TESTS_DIR = ROOT / "prometheus" / "tests"
PROMETHEUS_CONFIG = ROOT / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = ROOT / "alertmanager" / "alertmanager.yml"
BLACKBOX_CONFIG = ROOT / "blackbox" / "blackbox.yml"
DASHBOARDS_DIR = ROOT / "grafana" / "dashboards"

#: Receivers named in alertmanager.yml; every environment must deliver to each of them.
RECEIVERS = ("critical", "warning")
#: Severities an alert may carry; each routes to the receiver of the same name.
SEVERITIES = RECEIVERS
#: The uid every dashboard panel uses for its Prometheus data source.
DATASOURCE_UID = "prometheus"

#: Rule files that need the blackbox exporter, which runs only in the local stack; in AWS
#: CloudWatch alarms cover the same failures (components/observability.py).
LOCAL_ONLY_RULE_FILES = ("probe.rules.yml",)

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
#: A range selector's window in PromQL, e.g. the `[5m]` of `rate(x[5m])`.
_RANGE = re.compile(r"\[(\d+[hms](?:\d+[ms])?(?:\d+s)?)\]")


ToolDocument = dict[str, Any]
"""A parsed YAML or JSON document of Prometheus, Alertmanager or Grafana: its shape is the
tool's own (promtool, amtool and the end-to-end run check it), so values stay untyped."""


class ObservabilityFileError(ValueError):
    """A repository observability file breaks a rule this project relies on."""


def rule_files() -> list[Path]:
    """The Prometheus rule files, sorted by name (one AMP rule namespace each)."""
    files = sorted(RULES_DIR.glob("*.rules.yml"))
    if not files:
        raise ObservabilityFileError(f"no *.rules.yml file in {RULES_DIR}")
    return files


def aws_rule_files() -> list[Path]:
    """The rule files loaded into the AWS workspace: all but LOCAL_ONLY_RULE_FILES."""
    return [path for path in rule_files() if path.name not in LOCAL_ONLY_RULE_FILES]


def namespace_name(path: Path) -> str:
    """The AMP rule group namespace for a rule file: its name without `.rules.yml`."""
    return path.name.removesuffix(".rules.yml")


def load_rule_groups(path: Path) -> list[ToolDocument]:
    """Parse a rule file and check that every alert has a severity, a summary and a runbook."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise ObservabilityFileError(f"{path.name}: expected a mapping with a `groups` list")
    problems: list[str] = []
    for group in data["groups"]:
        for rule in group.get("rules", []):
            if "alert" not in rule:
                continue
            name = rule["alert"]
            severity = rule.get("labels", {}).get("severity")
            if severity not in SEVERITIES:
                problems.append(f"{name}: label severity is {severity!r}, allowed: {SEVERITIES}")
            annotations = rule.get("annotations", {})
            for key in ("summary", "runbook"):
                if not str(annotations.get(key, "")).strip():
                    problems.append(f"{name}: annotation {key!r} is missing or empty")
    if problems:
        raise ObservabilityFileError(f"{path.name}: " + "; ".join(problems))
    return list(data["groups"])


def alert_names() -> list[str]:
    """Every alert name defined in the rule files."""
    return [
        rule["alert"]
        for path in rule_files()
        for group in load_rule_groups(path)
        for rule in group.get("rules", [])
        if "alert" in rule
    ]


def parse_duration(text: str) -> int:
    """Seconds in a Prometheus duration made of h/m/s parts, e.g. `1h30m`, `90s`."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match:
        raise ObservabilityFileError(
            f"duration {text!r} is not supported: use hours, minutes and seconds, e.g. 1h30m"
        )
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: int) -> str:
    """A Prometheus duration string for a whole number of seconds (at least 1s)."""
    return f"{max(1, int(seconds))}s"


def _scaled(text: str, divisor: float) -> str:
    return format_duration(round(parse_duration(text) / divisor))


def scaled_rules_yaml(path: Path, divisor: float) -> str:
    """The rule file with every `for:` and every range window (`[5m]`) divided by
    `divisor`, for a faster local run.

    Scaling both keeps each alert's shape: a rate over a window 1/30 as long, with
    samples 1/15 as far apart (1 s scrapes instead of 15 s), fires on the same kind of
    traffic in 1/30 of the time. Thresholds, labels and annotations are the repository's.
    """
    if divisor < 1:
        raise ValueError(f"divisor must be at least 1, got {divisor}")
    groups = copy.deepcopy(load_rule_groups(path))
    for group in groups:
        for rule in group.get("rules", []):
            if "for" in rule:
                rule["for"] = _scaled(rule["for"], divisor)
            rule["expr"] = scaled_windows(str(rule["expr"]), divisor)
    rendered: str = yaml.safe_dump({"groups": groups}, sort_keys=False)
    return rendered


def scaled_windows(expr: str, divisor: float) -> str:
    """`expr` with each range window divided by `divisor` (never under 5 s, so a rate
    over 1 s scrapes still has several samples)."""
    return _RANGE.sub(
        lambda m: f"[{format_duration(max(5, round(parse_duration(m.group(1)) / divisor)))}]",
        expr,
    )


def alertmanager_config(
    delivery: Literal["sns", "webhook"],
    *,
    topic_arn: str = "",
    region: str = "",
    webhook_url: str = "",
    divisor: float = 1.0,
) -> ToolDocument:
    """alertmanager.yml with the delivery for each receiver filled in.

    `sns` (AWS): every receiver publishes to `topic_arn` with SigV4 in `region`, with the
    severity as a message attribute. `webhook` (local): each receiver posts to
    `webhook_url` + `/<receiver>`, resolved notifications included. `divisor` shortens
    group_wait / group_interval / repeat_interval for the local run.
    """
    config: ToolDocument = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    names = [receiver["name"] for receiver in config["receivers"]]
    if sorted(names) != sorted(RECEIVERS):
        raise ObservabilityFileError(
            f"alertmanager.yml receivers are {names}, expected exactly {list(RECEIVERS)}"
        )
    if delivery == "sns":
        if not topic_arn.startswith("arn:") or not region:
            raise ValueError("sns delivery needs topic_arn (an SNS topic ARN) and region")
        for receiver in config["receivers"]:
            receiver["sns_configs"] = [
                {
                    "topic_arn": topic_arn,
                    "sigv4": {"region": region},
                    "subject": f"[{receiver['name']}] {{{{ .CommonLabels.alertname }}}}",
                    "attributes": {"severity": receiver["name"]},
                    "send_resolved": True,
                }
            ]
    elif delivery == "webhook":
        if not webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"webhook delivery needs an http(s) webhook_url, got {webhook_url!r}")
        for receiver in config["receivers"]:
            receiver["webhook_configs"] = [
                {"url": f"{webhook_url.rstrip('/')}/{receiver['name']}", "send_resolved": True}
            ]
    else:
        raise ValueError(f"delivery is {delivery!r}, allowed: 'sns', 'webhook'")
    if divisor != 1.0:
        routes = [config["route"], *config["route"].get("routes", [])]
        for route in routes:
            for key in ("group_wait", "group_interval", "repeat_interval"):
                if key in route:
                    route[key] = _scaled(route[key], divisor)
    return config


def amp_alertmanager_definition(topic_arn: str, region: str) -> str:
    """The alert manager definition document Amazon Managed Service for Prometheus expects."""
    body = yaml.safe_dump(
        alertmanager_config("sns", topic_arn=topic_arn, region=region), sort_keys=False
    )
    indented = "".join(f"  {line}\n" for line in body.splitlines())
    return "alertmanager_config: |\n" + indented


def local_prometheus_config(
    *,
    website: str,
    blackbox: str,
    alertmanager: str,
    probe_url: str,
    rule_glob: str,
    interval_seconds: int = 1,
) -> ToolDocument:
    """prometheus.yml with loopback addresses, short intervals and the given rule files.

    The jobs, the blackbox module and the relabelling are the repository's; only the
    addresses, the intervals and where the (scaled) rule files live change.
    """
    config: ToolDocument = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    interval = format_duration(interval_seconds)
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = [rule_glob]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["website"]["static_configs"] = [{"targets": [website]}]
    jobs["blackbox"]["static_configs"] = [{"targets": [probe_url]}]
    jobs["blackbox"]["scrape_timeout"] = interval
    for relabel in jobs["blackbox"]["relabel_configs"]:
        if relabel.get("target_label") == "__address__":
            relabel["replacement"] = blackbox
    return config


def dashboard_files() -> list[Path]:
    """The Grafana dashboard JSON files, sorted by name."""
    return sorted(DASHBOARDS_DIR.glob("*.json"))


def load_dashboard(path: Path) -> ToolDocument:
    """Parse a dashboard and check it has a uid and uses only the shared data source uid."""
    dashboard: ToolDocument = json.loads(path.read_text())
    if not dashboard.get("uid") or not dashboard.get("title"):
        raise ObservabilityFileError(f"{path.name}: a dashboard needs a uid and a title")
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            continue
        uid = panel.get("datasource", {}).get("uid")
        if uid != DATASOURCE_UID:
            raise ObservabilityFileError(
                f"{path.name}: panel {panel.get('title')!r} uses data source uid {uid!r}, "
                f"allowed: {DATASOURCE_UID!r}"
            )
    return dashboard


def dashboard_queries(dashboard: ToolDocument) -> list[str]:
    """Every PromQL expression in a dashboard's panels."""
    return [
        target["expr"]
        for panel in dashboard.get("panels", [])
        for target in panel.get("targets", [])
        if target.get("expr")
    ]
