"""Observability: alarms and their thresholds, dashboards, Prometheus, Grafana, the probe."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_facts import (
    CLOUDWATCH_HIGH_RESOLUTION_PERIODS,
    CLOUDWATCH_STANDARD_PERIOD_SECONDS,
    LOG_RETENTION_DAYS,
)
from settings.engine import setting


def _email_problem(value: str) -> str | None:
    if value and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
        return "must be an e-mail address such as oncall@example.com, or empty for none"
    return None


# CloudWatch also takes 10, 20 and 30 s periods, but only high-resolution metrics have data
# that often; the alarms watch AWS/ECS, AWS/ApplicationELB and AWS/RDS, published once a
# minute. So the program takes CloudWatch's standard periods only.
_MINUTE = CLOUDWATCH_STANDARD_PERIOD_SECONDS
_SUB_MINUTE = ", ".join(str(p) for p in CLOUDWATCH_HIGH_RESOLUTION_PERIODS)


def _alarm_period_problem(value: int) -> str | None:
    if value < _MINUTE or value % _MINUTE:
        return (
            f"must be a multiple of {_MINUTE}: the alarms watch AWS/ECS, AWS/ApplicationELB "
            f"and AWS/RDS metrics, published once a minute (CloudWatch's {_SUB_MINUTE} s "
            "periods suit only high-resolution metrics and would see no data in most periods)"
        )
    return None


@dataclass(frozen=True)
class ObservabilitySettings:
    """Alarms, dashboards, metrics and the synthetic probe."""

    alarm_email: str = setting(
        "", "Address subscribed to the alarm topic; empty for none.", check=_email_problem
    )
    log_retention_days: int = setting(
        30, "Days observability logs are kept.", one_of=LOG_RETENTION_DAYS
    )
    dashboard: bool = setting(True, "CloudWatch dashboard of the service's signals.")
    prometheus: bool = setting(
        True,
        "Amazon Managed Service for Prometheus workspace, rules, "
        "alert manager, and the collector sidecar.",
    )
    grafana: bool = setting(False, "Grafana with the repository's dashboards.")
    synthetic_probe: bool = setting(True, "Probe of the public URL from outside the service.")
    error_rate_percent: float = setting(
        5.0, "5xx share of requests that trips an alarm (and a rollback).", minimum=0.1, maximum=100
    )
    p99_latency_seconds: float = setting(
        1.0,
        "p99 target response time that trips an alarm (and a rollback).",
        minimum=0.01,
        maximum=60,
    )
    cpu_percent: float = setting(
        80.0,
        "ECS service CPU utilisation alarm; above service.cpuTargetPercent.",
        minimum=1,
        maximum=100,
    )
    memory_percent: float = setting(
        80.0, "ECS service memory utilisation alarm.", minimum=1, maximum=100
    )
    database_cpu_percent: float = setting(
        80.0, "RDS CPU utilisation alarm.", minimum=1, maximum=100
    )
    database_free_storage_gb: float = setting(
        2.0,
        "RDS free storage alarm, GiB; below database.allocatedStorageGb.",
        minimum=0.5,
        maximum=10000,
    )
    database_connections: int = setting(
        80,
        "RDS connection count alarm; below the max_connections of the instance class.",
        minimum=1,
        maximum=100000,
    )
    alarm_period_seconds: int = setting(
        60,
        f"CloudWatch alarm period, seconds: a multiple of {_MINUTE} (the watched metrics are "
        f"published once a minute; CloudWatch's {_SUB_MINUTE} s periods are for "
        "high-resolution metrics).",
        check=_alarm_period_problem,
    )
    alarm_evaluation_periods: int = setting(
        2, "Periods in breach before an alarm fires.", minimum=1, maximum=10
    )
