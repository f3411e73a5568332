"""The modelled rollout: the shipped stacks meet their targets, and the model follows each
strategy's phases."""

from __future__ import annotations

from typing import Any

import pytest

from rollout import (
    ALARM_REACTION_SECONDS,
    PROD_DEPLOY_TARGET_SECONDS,
    ROLLBACK_TARGET_SECONDS,
    RULE_CHANGE_SECONDS,
    STAGE_DEPLOY_TARGET_SECONDS,
    TASK_START_SECONDS,
    Rollout,
    main,
    model,
    traffic_steps,
)
from settings import (
    DeploymentSettings,
    ObservabilitySettings,
    ServiceSettings,
    read_stack,
)


def shipped(stack: str) -> Rollout:
    cfg = read_stack(stack).settings()
    return model(cfg.deployment, cfg.service, cfg.observability)


def rollout(**deployment: Any) -> Rollout:
    return model(DeploymentSettings(**deployment), ServiceSettings(), ObservabilitySettings())


def test_stage_deploys_within_six_minutes() -> None:
    assert shipped("stage").deploy_seconds <= STAGE_DEPLOY_TARGET_SECONDS == 360


def test_prod_canary_deploys_within_twenty_minutes() -> None:
    prod = shipped("prod")
    assert prod.strategy == "canary"
    assert prod.deploy_seconds <= PROD_DEPLOY_TARGET_SECONDS == 1200


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_rollback_completes_within_three_minutes_of_the_alarm(stack: str) -> None:
    assert shipped(stack).rollback_seconds <= ROLLBACK_TARGET_SECONDS == 180


def test_blue_green_phases_add_up() -> None:
    r = rollout(strategy="blue-green", bake_time_minutes=2)
    assert [p.seconds for p in r.deploy] == [
        TASK_START_SECONDS,
        10 * 2,
        RULE_CHANGE_SECONDS,
        RULE_CHANGE_SECONDS,
        120,
        15,
    ]
    assert r.deploy_seconds == TASK_START_SECONDS + 20 + 2 * RULE_CHANGE_SECONDS + 120 + 15


def test_canary_bakes_at_its_percent_before_the_rest() -> None:
    r = rollout(strategy="canary", canary_percent=10, canary_bake_time_minutes=5)
    names = [p.name for p in r.deploy]
    assert names[3:6] == [
        "production traffic 10% to green",
        "bake at 10%",
        "production traffic 100% to green",
    ]
    assert r.deploy[4].seconds == 300


def test_linear_takes_one_shift_per_step_and_bakes_between_them() -> None:
    steps = traffic_steps(
        DeploymentSettings(
            strategy="linear", linear_step_percent=30, linear_step_bake_time_minutes=1
        )
    )
    assert steps == [(30.0, 60), (60.0, 60), (90.0, 60), (100.0, 0)]


def test_health_checks_and_drain_come_from_the_target_group_settings() -> None:
    slow = rollout(
        health_check_interval_seconds=30, healthy_threshold=5, deregistration_delay_seconds=300
    )
    fast = rollout()
    assert slow.deploy_seconds - fast.deploy_seconds == (150 - 20) + (300 - 15)


def test_traffic_shifting_rollback_moves_traffic_back_without_starting_tasks() -> None:
    r = rollout(strategy="canary")
    assert r.rollback_seconds == ALARM_REACTION_SECONDS + RULE_CHANGE_SECONDS + 15


def test_rolling_rollback_starts_the_previous_revision_again() -> None:
    r = rollout(strategy="rolling")
    assert r.rollback_seconds == ALARM_REACTION_SECONDS + TASK_START_SECONDS + 20 + 15


def test_alarm_time_is_period_times_evaluation_periods() -> None:
    r = model(
        DeploymentSettings(),
        ServiceSettings(),
        ObservabilitySettings(alarm_period_seconds=30, alarm_evaluation_periods=3),
    )
    assert r.alarm_seconds == 90


def test_approval_wait_is_flagged_and_not_counted() -> None:
    gated, plain = rollout(approval_gate=True), rollout()
    assert gated.deploy_seconds == plain.deploy_seconds
    assert "+ the operator's approval" in gated.lines()[0]


def test_a_strategy_without_its_step_fields_takes_the_ecs_defaults() -> None:
    # ECS Developer Guide: a canary shifts 10% and bakes 5 minutes, a linear deployment
    # shifts 25% per step and bakes 2 minutes, when the configuration leaves them out.
    assert traffic_steps(DeploymentSettings(strategy="canary")) == [(10.0, 300), (100.0, 0)]
    assert traffic_steps(DeploymentSettings(strategy="linear")) == [
        (25.0, 120),
        (50.0, 120),
        (75.0, 120),
        (100.0, 0),
    ]


def test_the_command_prints_the_figures_of_every_stack_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("prod:\n") and "\nstage:\n" in out
    assert "deployment (canary):" in out and "rollback after the alarm fires:" in out


def test_the_command_names_a_missing_stack_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nosuch"]) == 2
    assert "Pulumi.nosuch.yaml" in capsys.readouterr().err
