"""Resource rules on ECS clusters, services and task definitions, and ECR repositories
(policy/rules/containers.py): for each rule one resource that passes and one that fails, run
offline and as the policy pack runs it."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import containers
from tests.policy_rule_cases import (
    CLUSTER,
    REPO,
    SERVICE,
    STAGE,
    TASK,
    Case,
    StackCase,
    check_broken_stack,
    check_case,
    container,
    resource_rule_ids,
    without,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "ecs-cluster-container-insights": (
        CLUSTER,
        {"settings": [{"name": "containerInsights", "value": "enhanced"}]},
        {"settings": [{"name": "containerInsights", "value": "disabled"}]},
        STAGE,
    ),
    "ecs-cluster-exec-logging": (
        CLUSTER,
        {"configuration": {"executeCommandConfiguration": {"logging": "DEFAULT", "kmsKeyId": "k"}}},
        {"configuration": {"executeCommandConfiguration": {"logging": "NONE"}}},
        STAGE,
    ),
    "ecs-service-no-public-ip": (
        SERVICE,
        {"networkConfiguration": {"assignPublicIp": False, "subnets": ["subnet-a"]}},
        {"networkConfiguration": {"assignPublicIp": True, "subnets": ["subnet-a"]}},
        STAGE,
    ),
    "ecs-fargate-latest-platform": (
        SERVICE,
        {"launchType": "FARGATE", "platformVersion": "LATEST"},
        {"launchType": "FARGATE", "platformVersion": "1.3.0"},
        STAGE,
    ),
    "ecs-task-not-privileged": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(privileged=True)},
        STAGE,
    ),
    "ecs-task-read-only-root": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(readonlyRootFilesystem=False)},
        STAGE,
    ),
    "ecs-task-no-host-pid": (
        TASK,
        {"containerDefinitions": container(), "pidMode": "task"},
        {"containerDefinitions": container(), "pidMode": "host"},
        STAGE,
    ),
    "ecs-task-no-secrets-in-environment": (
        TASK,
        {"containerDefinitions": container()},
        {
            "containerDefinitions": container(
                environment=[{"name": "DB_PASSWORD", "value": "hunter2"}]
            )
        },
        STAGE,
    ),
    "ecs-task-log-configuration": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(logConfiguration=None)},
        STAGE,
    ),
    "ecs-task-non-root-user": (
        TASK,
        {"containerDefinitions": container()},
        {"containerDefinitions": container(user="0:0")},
        STAGE,
    ),
    "ecs-task-no-host-network": (
        TASK,
        {"containerDefinitions": container(), "networkMode": "awsvpc"},
        {"containerDefinitions": container(), "networkMode": "host"},
        STAGE,
    ),
    "ecs-task-separate-roles": (
        TASK,
        {"executionRoleArn": "arn:exec", "taskRoleArn": "arn:task"},
        {"executionRoleArn": "arn:same", "taskRoleArn": "arn:same"},
        STAGE,
    ),
    "ecr-scan-on-push": (
        REPO,
        {"imageScanningConfiguration": {"scanOnPush": True}},
        {"imageScanningConfiguration": {"scanOnPush": False}},
        STAGE,
    ),
    "ecr-immutable-tags": (
        REPO,
        {"imageTagMutability": "IMMUTABLE"},
        {"imageTagMutability": "MUTABLE"},
        STAGE,
    ),
    "ecr-kms-encryption": (
        REPO,
        {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "k"}]},
        {"encryptionConfigurations": [{"encryptionType": "AES256"}]},
        STAGE,
    ),
}


def test_every_containers_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(containers)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


# --- stack rules, over the compliant stack of tests/policy_rule_cases.py ------------------

STACK_CASES: list[StackCase] = [
    ("ecr-lifecycle-policy", lambda s: without(s, "repo-lifecycle")),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)
