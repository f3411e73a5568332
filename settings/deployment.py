"""The deployment: the load balancer, its health checks and how a release moves traffic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from address_space import WIDEST_PUBLIC_RANGE
from aws_facts import (
    DEFAULT_CANARY_BAKE_MINUTES,
    DEFAULT_CANARY_PERCENT,
    DEFAULT_LINEAR_STEP_BAKE_MINUTES,
    DEFAULT_LINEAR_STEP_PERCENT,
    ECS_STRATEGY_BOUNDS,
    ECS_TRAFFIC_PERCENT_STEP,
    TARGET_GROUP_BOUNDS,
    TARGET_GROUP_HEALTH_CHECK_PATH_MAX_LENGTH,
)
from settings.engine import PROJECT, Issue, camel, setting
from settings.fields import cidr_list_issues

_HEALTH_CHECK_PATH = re.compile(
    rf"^/[A-Za-z0-9._~/-]{{0,{TARGET_GROUP_HEALTH_CHECK_PATH_MAX_LENGTH - 1}}}$"
)

# The bounds AWS puts on each strategy and target group field, written once in aws_facts: the
# checks below and the documented ranges both come from there.
_BAKE = ECS_STRATEGY_BOUNDS["bake_time_minutes"]
_CANARY_PERCENT = ECS_STRATEGY_BOUNDS["canary_percent"]
_CANARY_BAKE = ECS_STRATEGY_BOUNDS["canary_bake_time_minutes"]
_LINEAR_PERCENT = ECS_STRATEGY_BOUNDS["linear_step_percent"]
_LINEAR_BAKE = ECS_STRATEGY_BOUNDS["linear_step_bake_time_minutes"]
_APPROVAL = ECS_STRATEGY_BOUNDS["approval_timeout_minutes"]
_INTERVAL = TARGET_GROUP_BOUNDS["health_check_interval_seconds"]
_TIMEOUT = TARGET_GROUP_BOUNDS["health_check_timeout_seconds"]
_HEALTHY = TARGET_GROUP_BOUNDS["healthy_threshold"]
_UNHEALTHY = TARGET_GROUP_BOUNDS["unhealthy_threshold"]
_DEREGISTRATION = TARGET_GROUP_BOUNDS["deregistration_delay_seconds"]


def _span(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g}-{bounds[1]:g}"


def _path_problem(value: str) -> str | None:
    if not _HEALTH_CHECK_PATH.match(value):
        return "must be an absolute URL path such as /readyz"
    return None


def access_log_bucket_prefix(stack: str) -> str:
    """Prefix of the load balancer's access-log bucket of `stack` (the provider appends a
    unique suffix)."""
    return f"{PROJECT}-{stack}-alb-logs-"


@dataclass(frozen=True)
class TrafficShift:
    """How a canary or linear release moves production traffic, with the program's defaults
    (aws_facts) filled in for what the stack leaves out: the one place they are applied."""

    percent: float
    """Canary: the share shifted first. Linear: the share each step shifts."""
    bake_minutes: int
    """Canary: minutes before the rest shifts. Linear: minutes between steps."""


@dataclass(frozen=True)
class DeploymentSettings:
    """The load balancer and how a release moves traffic (blue/green component)."""

    strategy: Literal["rolling", "blue-green", "canary", "linear"] = setting(
        "blue-green",
        "rolling, blue-green (all at once after green is healthy), canary "
        "(canaryPercent, then the rest) or linear (linearStepPercent steps).",
    )
    bake_time_minutes: int = setting(
        5,
        "Minutes both versions stay up after the shift, for a quick rollback; at least the "
        "alarm window (alarmPeriodSeconds x alarmEvaluationPeriods) with a traffic shift.",
        minimum=_BAKE[0],
        maximum=_BAKE[1],
    )
    canary_percent: float | None = setting(
        None,
        f"Canary only: percent of traffic shifted first ({_span(_CANARY_PERCENT)}, "
        f"default {DEFAULT_CANARY_PERCENT:g}).",
        minimum=_CANARY_PERCENT[0],
        maximum=_CANARY_PERCENT[1],
    )
    canary_bake_time_minutes: int | None = setting(
        None,
        f"Canary only: minutes before the rest shifts ({_span(_CANARY_BAKE)}, "
        f"default {DEFAULT_CANARY_BAKE_MINUTES:g}).",
        minimum=_CANARY_BAKE[0],
        maximum=_CANARY_BAKE[1],
    )
    linear_step_percent: float | None = setting(
        None,
        f"Linear only: percent shifted per step ({_span(_LINEAR_PERCENT)}, "
        f"default {DEFAULT_LINEAR_STEP_PERCENT:g}).",
        minimum=_LINEAR_PERCENT[0],
        maximum=_LINEAR_PERCENT[1],
    )
    linear_step_bake_time_minutes: int | None = setting(
        None,
        f"Linear only: minutes between steps ({_span(_LINEAR_BAKE)}, "
        f"default {DEFAULT_LINEAR_STEP_BAKE_MINUTES:g}).",
        minimum=_LINEAR_BAKE[0],
        maximum=_LINEAR_BAKE[1],
    )
    approval_gate: bool = setting(
        False, "Pause before production traffic shifts until an operator approves (lifecycle hook)."
    )
    approval_timeout_minutes: int = setting(
        60,
        "With approvalGate: minutes ECS waits for the approval before it rolls back "
        f"({_span(_APPROVAL)}).",
        minimum=_APPROVAL[0],
        maximum=_APPROVAL[1],
    )
    test_listener_port: int = setting(
        8443,
        "Port of the test listener that reaches the new version before production traffic.",
        minimum=1024,
        maximum=65535,
    )
    test_listener_cidrs: tuple[str, ...] = setting(
        (),
        f"Operators' source CIDRs allowed on the test listener (together at most "
        f"{WIDEST_PUBLIC_RANGE}); the VPC's NAT Gateway addresses are always allowed.",
    )
    health_check_path: str = setting(
        "/readyz", "Target group health check path.", check=_path_problem
    )
    health_check_interval_seconds: int = setting(
        10, "Seconds between health checks.", minimum=_INTERVAL[0], maximum=_INTERVAL[1]
    )
    health_check_timeout_seconds: int = setting(
        5,
        "Health check timeout (less than interval).",
        minimum=_TIMEOUT[0],
        maximum=_TIMEOUT[1],
    )
    healthy_threshold: int = setting(
        2,
        "Passing checks before a target takes traffic.",
        minimum=_HEALTHY[0],
        maximum=_HEALTHY[1],
    )
    unhealthy_threshold: int = setting(
        2,
        "Failing checks before a target is unhealthy.",
        minimum=_UNHEALTHY[0],
        maximum=_UNHEALTHY[1],
    )
    deregistration_delay_seconds: int = setting(
        15,
        "Seconds a leaving target drains.",
        minimum=_DEREGISTRATION[0],
        maximum=_DEREGISTRATION[1],
    )
    waf: bool = setting(
        True,
        "AWS WAF web ACL with AWS managed rule groups on the load balancer (about 8 USD a "
        "month; required in production).",
    )
    load_balancer_deletion_protection: bool = setting(
        True, "Refuse to delete the load balancer (required in production)."
    )
    insecure_allow_plain_http: bool = setting(
        False,
        "INSECURE: serve plain HTTP on port 80 when there is no domain (never in production).",
    )

    @property
    def traffic_shift(self) -> TrafficShift | None:
        """The canary or linear shift with defaults resolved; None for rolling and
        blue-green, which move all traffic at once."""
        if self.strategy == "canary":
            return TrafficShift(
                DEFAULT_CANARY_PERCENT if self.canary_percent is None else self.canary_percent,
                DEFAULT_CANARY_BAKE_MINUTES
                if self.canary_bake_time_minutes is None
                else self.canary_bake_time_minutes,
            )
        if self.strategy == "linear":
            return TrafficShift(
                DEFAULT_LINEAR_STEP_PERCENT
                if self.linear_step_percent is None
                else self.linear_step_percent,
                DEFAULT_LINEAR_STEP_BAKE_MINUTES
                if self.linear_step_bake_time_minutes is None
                else self.linear_step_bake_time_minutes,
            )
        return None


_STRATEGY_FIELDS = {
    "canary": ("canary_percent", "canary_bake_time_minutes"),
    "linear": ("linear_step_percent", "linear_step_bake_time_minutes"),
}


def deployment_issues(d: DeploymentSettings, issues: list[Issue]) -> None:
    """Strategy fields only for their strategy, AWS's percent step, an approval gate only with
    a traffic shift, a timeout below the interval, test listener ranges kept narrow."""
    for strategy, names in _STRATEGY_FIELDS.items():
        if d.strategy == strategy:
            continue
        for name in names:
            if getattr(d, name) is not None:
                issues.append(
                    Issue(
                        f"deployment.{camel(name)}",
                        getattr(d, name),
                        f"applies only to strategy {strategy!r}, not {d.strategy!r}",
                    )
                )
    for name in ("canary_percent", "linear_step_percent"):
        value = getattr(d, name)
        steps = None if value is None else value / ECS_TRAFFIC_PERCENT_STEP
        if steps is not None and abs(steps - round(steps)) > 1e-9:
            issues.append(
                Issue(
                    f"deployment.{camel(name)}",
                    value,
                    f"must be a multiple of {ECS_TRAFFIC_PERCENT_STEP:g} (AWS's step)",
                )
            )
    if d.strategy == "rolling" and d.approval_gate:
        issues.append(
            Issue(
                "deployment.approvalGate",
                True,
                "needs a traffic-shifting strategy (blue-green, canary or linear)",
            )
        )
    if d.health_check_timeout_seconds >= d.health_check_interval_seconds:
        issues.append(
            Issue(
                "deployment.healthCheckTimeoutSeconds",
                d.health_check_timeout_seconds,
                f"must be less than healthCheckIntervalSeconds ({d.health_check_interval_seconds})",
            )
        )
    open_test = cidr_list_issues("deployment.testListenerCidrs", d.test_listener_cidrs, issues)
    if open_test:
        issues.append(
            Issue(
                "deployment.testListenerCidrs",
                list(d.test_listener_cidrs),
                f"{open_test}: the test listener serves unreleased versions",
            )
        )
