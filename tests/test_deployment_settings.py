"""Deployment strategies: each produces ECS's configuration, and every invalid combination is
rejected with a message naming the key, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_aws.ecs import ServiceDeploymentConfigurationArgsDict

from components.bluegreen import deployment_configuration
from settings import DeploymentSettings, SettingsError, load_settings


def settings_of(**deployment: Any) -> DeploymentSettings:
    """The deployment settings a stack file with these `deployment` keys loads to."""
    return load_settings("test", raw(deployment)).deployment


def configuration(**deployment: Any) -> ServiceDeploymentConfigurationArgsDict:
    """ECS's deployment configuration of a stack file with these `deployment` keys."""
    return deployment_configuration(settings_of(**deployment))


def test_rolling_has_only_the_strategy() -> None:
    assert configuration(strategy="rolling") == {"strategy": "ROLLING"}


def test_blue_green_shifts_all_at_once_then_bakes() -> None:
    config = configuration(strategy="blue-green", bakeTimeMinutes=2)
    assert config == {"strategy": "BLUE_GREEN", "bake_time_in_minutes": "2"}


def test_canary_shifts_its_percent_then_the_rest_after_its_bake() -> None:
    assert configuration(strategy="canary", canaryPercent=12.5, canaryBakeTimeMinutes=7) == {
        "strategy": "CANARY",
        "bake_time_in_minutes": "5",
        "canary_configuration": {"canary_percent": 12.5, "canary_bake_time_in_minutes": "7"},
    }


def test_canary_without_its_fields_takes_ten_percent_and_five_minutes() -> None:
    config = configuration(strategy="canary")
    assert config["canary_configuration"] == {
        "canary_percent": 10.0,
        "canary_bake_time_in_minutes": "5",
    }


def test_linear_shifts_in_steps_with_a_bake_between() -> None:
    config = configuration(
        strategy="linear", linearStepPercent=20, linearStepBakeTimeMinutes=1, bakeTimeMinutes=3
    )
    assert config == {
        "strategy": "LINEAR",
        "bake_time_in_minutes": "3",
        "linear_configuration": {"step_percent": 20, "step_bake_time_in_minutes": "1"},
    }


def test_approval_gate_pauses_after_test_traffic_and_rolls_back_on_timeout() -> None:
    config = configuration(strategy="blue-green", approvalGate=True, approvalTimeoutMinutes=30)
    assert config["lifecycle_hooks"] == [
        {
            "target_type": "PAUSE",
            "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeout_configuration": {"timeout_in_minutes": "30", "action": "ROLLBACK"},
        }
    ]


def test_no_lifecycle_hook_without_the_approval_gate() -> None:
    assert "lifecycle_hooks" not in configuration(strategy="canary")


# Each invalid strategy is refused once, by settings, naming the key, the value and what is
# allowed (the component takes the checked settings and checks none of it again).
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"strategy": "blue-green", "canaryPercent": 10},
            "deployment.canaryPercent = 10.0: applies only to strategy 'canary'",
        ),
        (
            {"strategy": "canary", "linearStepPercent": 10},
            "deployment.linearStepPercent = 10.0: applies only to strategy 'linear'",
        ),
        (
            {"strategy": "canary", "canaryPercent": 0.05},
            "deployment.canaryPercent = 0.05: must be between 0.1 and 100",
        ),
        (
            {"strategy": "linear", "linearStepPercent": 2},
            "deployment.linearStepPercent = 2: must be between 3 and 100",
        ),
        (
            {"strategy": "blue-green", "bakeTimeMinutes": 1441},
            "deployment.bakeTimeMinutes = 1441: must be between 0 and 1440",
        ),
        (
            {"strategy": "rolling", "approvalGate": True},
            "deployment.approvalGate = true: needs a traffic-shifting strategy",
        ),
        ({"strategy": "sideways"}, 'deployment.strategy = "sideways": must be one of'),
    ],
)
def test_settings_reject_invalid_strategies(fields: dict[str, Any], message: str) -> None:
    found = issues_of(raw(fields))
    assert any(message in issue for issue in found), found


# --- the stack settings -------------------------------------------------------------------


def raw(deployment: dict[str, Any] | None = None, **areas: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "tags": {"owner": "web", "costCentre": "cc-1"},
        "dns": {"domain": "www.example.com"},
        "deployment": deployment or {},
    }
    base.update(areas)
    return base


def issues_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings("test", config)
    return [str(issue) for issue in caught.value.issues]


def test_defaults_are_valid() -> None:
    cfg = load_settings("test", raw())
    assert (cfg.deployment.strategy, cfg.deployment.approval_gate) == ("blue-green", False)


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (
            {"strategy": "blue-green", "canaryPercent": 10},
            "ecs-platform:deployment.canaryPercent = 10.0: applies only to strategy 'canary', "
            "not 'blue-green'",
        ),
        (
            {"strategy": "canary", "linearStepBakeTimeMinutes": 2},
            "ecs-platform:deployment.linearStepBakeTimeMinutes = 2: applies only to strategy "
            "'linear', not 'canary'",
        ),
        (
            {"strategy": "rolling", "canaryBakeTimeMinutes": 3},
            "ecs-platform:deployment.canaryBakeTimeMinutes = 3: applies only to strategy "
            "'canary', not 'rolling'",
        ),
        (
            {"strategy": "canary", "canaryPercent": 0},
            "ecs-platform:deployment.canaryPercent = 0: must be between 0.1 and 100",
        ),
        (
            {"strategy": "canary", "canaryPercent": 10.05},
            "ecs-platform:deployment.canaryPercent = 10.05: must be a multiple of 0.1 (AWS's step)",
        ),
        (
            {"strategy": "linear", "linearStepPercent": 2.5},
            "ecs-platform:deployment.linearStepPercent = 2.5: must be between 3 and 100",
        ),
        (
            {"strategy": "linear", "linearStepBakeTimeMinutes": 1500},
            "ecs-platform:deployment.linearStepBakeTimeMinutes = 1500: must be between 0 and 1440",
        ),
        (
            {"bakeTimeMinutes": -1},
            "ecs-platform:deployment.bakeTimeMinutes = -1: must be between 0 and 1440",
        ),
        (
            {"strategy": "rolling", "approvalGate": True},
            "ecs-platform:deployment.approvalGate = true: needs a traffic-shifting strategy "
            "(blue-green, canary or linear)",
        ),
        (
            {"approvalTimeoutMinutes": 0},
            "ecs-platform:deployment.approvalTimeoutMinutes = 0: must be between 1 and 20160",
        ),
        (
            {"strategy": "all-at-once"},
            'ecs-platform:deployment.strategy = "all-at-once": must be one of "rolling", '
            '"blue-green", "canary", "linear"',
        ),
        (
            {"healthCheckIntervalSeconds": 5, "healthCheckTimeoutSeconds": 5},
            "ecs-platform:deployment.healthCheckTimeoutSeconds = 5: must be less than "
            "healthCheckIntervalSeconds (5)",
        ),
        (
            {"testListenerPort": 8080},
            "ecs-platform:deployment.testListenerPort = 8080: must differ from "
            "service.containerPort",
        ),
        (
            {"testListenerCidrs": ["0.0.0.0/0"]},
            'ecs-platform:deployment.testListenerCidrs = ["0.0.0.0/0"]: must not admit more than '
            "a /16 of public IPv4 or a /32 of IPv6 space; these ranges admit every public IPv4 "
            "address (the whole internet): the test listener serves unreleased versions",
        ),
    ],
)
def test_invalid_deployment_settings_are_rejected(
    deployment: dict[str, Any], expected: str
) -> None:
    assert issues_of(raw(deployment)) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    found = issues_of(raw({"strategy": "blue-green", "canaryPercent": 10, "linearStepPercent": 50}))
    assert [line.split(" = ")[0] for line in found] == [
        "ecs-platform:deployment.canaryPercent",
        "ecs-platform:deployment.linearStepPercent",
    ]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            {"cpu": 256, "memory": 4096},
            "ecs-platform:service.memory = 4096: must be a Fargate memory size for cpu 256: "
            "512-2048 MiB in the steps 512, 1024, 2048, ...",
        ),
        (
            {"cpu": 300},
            "ecs-platform:service.cpu = 300: must be a Fargate CPU size: 256, 512, 1024, 2048, "
            "4096, 8192, 16384, 32768",
        ),
        (
            {"capacity": "ec2", "ec2InstanceType": "t3.small"},
            'ecs-platform:service.ec2InstanceType = "t3.small": must be an arm64 instance type '
            "for architecture arm64 (t3.small is x86_64)",
        ),
        (
            {"capacity": "ec2", "architecture": "x86_64", "ec2InstanceType": "t4g.small"},
            'ecs-platform:service.ec2InstanceType = "t4g.small": must be an x86_64 instance type '
            "for architecture x86_64 (t4g.small is arm64)",
        ),
        (
            {"capacity": "ec2", "fargateSpotPercent": 50},
            "ecs-platform:service.fargateSpotPercent = 50: applies only to capacity fargate; "
            "must be 0 with capacity ec2",
        ),
        (
            {"minCount": 2, "desiredCount": 2, "maxCount": 1},
            "ecs-platform:service.minCount = 2: must not exceed maxCount (1)",
        ),
        (
            {"minCount": 2, "desiredCount": 1, "maxCount": 3},
            "ecs-platform:service.desiredCount = 1: must lie between minCount (2) and maxCount (3)",
        ),
    ],
)
def test_invalid_service_settings_are_rejected(service: dict[str, Any], expected: str) -> None:
    assert expected in issues_of(raw(service=service))


def test_ec2_capacity_with_a_matching_instance_type_is_valid() -> None:
    cfg = load_settings(
        "test", raw(service={"capacity": "ec2", "ec2InstanceType": "m7g.large", "memory": 512})
    )
    assert cfg.service.capacity == "ec2"


# The program's canary and linear defaults are applied in one place, the settings' resolved
# traffic shift; the component, the rollout model and the feasibility rules read it.
@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        ({"strategy": "blue-green"}, None),
        ({"strategy": "rolling"}, None),
        ({"strategy": "canary"}, (10.0, 5)),
        ({"strategy": "canary", "canaryPercent": 20, "canaryBakeTimeMinutes": 3}, (20, 3)),
        ({"strategy": "linear"}, (25.0, 2)),
        ({"strategy": "linear", "linearStepPercent": 50, "linearStepBakeTimeMinutes": 7}, (50, 7)),
    ],
)
def test_the_traffic_shift_resolves_the_defaults_once(
    deployment: dict[str, Any], expected: tuple[float, int] | None
) -> None:
    shift = settings_of(**deployment).traffic_shift
    assert (None if shift is None else (shift.percent, shift.bake_minutes)) == expected
