"""Resource rules on log groups and topics (policy/rules/observability.py): for each rule one
resource that passes and one that fails, run offline and as the policy pack runs it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy.model import Resource
from policy.rules import observability
from policy.testing import res
from tests.policy_rule_cases import (
    BG,
    STAGE,
    SVC,
    Case,
    check_case,
    good_stack,
    replace,
    resource_rule_ids,
    stack_findings,
    tagged,
    violations,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "log-group-kms": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": "arn:aws:kms:k", "retentionInDays": 14.0},
        {"retentionInDays": 14.0},
        STAGE,
    ),
    "log-group-retention": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": "k", "retentionInDays": 14.0},
        {"kmsKeyId": "k", "retentionInDays": 0.0},
        STAGE,
    ),
    "sns-topic-encrypted": ("aws:sns/topic:Topic", {"kmsMasterKeyId": "k"}, {}, STAGE),
}


def test_every_observability_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(observability)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


# --- the website's metrics port --------------------------------------------------------------


def with_metrics_port(port: str = "9102") -> list[Resource]:
    """The compliant stack plus the website's task definition (metrics on `port`), its blue
    target group on 8080 and the service's load balancer entry."""
    task = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web-task",
        tagged(
            {
                "containerDefinitions": json.dumps(
                    [
                        {
                            "name": "web",
                            "environment": [
                                {"name": "PORT", "value": "8080"},
                                {"name": "METRICS_PORT", "value": port},
                            ],
                        }
                    ]
                )
            }
        ),
        parents=(SVC,),
        id="td-1",
    )
    group = res(
        "aws:lb/targetGroup:TargetGroup",
        "web-blue",
        tagged({"port": 8080.0, "protocol": "HTTP", "healthCheck": {"port": "traffic-port"}}),
        parents=(BG,),
        id="tg-blue",
    )
    stack = replace(
        good_stack(),
        "svc",
        loadBalancers=[
            {"containerName": "web", "containerPort": 8080.0, "targetGroupArn": "tg-blue"}
        ],
    )
    return [*stack, task, group]


METRICS_BREAKS: list[tuple[str, Any]] = [
    ("a target group on it", lambda s: replace(s, "web-blue", port=9102.0)),
    (
        "a health check on it",
        lambda s: replace(s, "web-blue", healthCheck={"port": "9102"}),
    ),
    (
        "a listener on it",
        lambda s: [
            *s,
            res("aws:lb/listener:Listener", "web-metrics", tagged({"port": 9102.0}), parents=(BG,)),
        ],
    ),
    (
        "the service mapping it",
        lambda s: replace(
            s,
            "svc",
            loadBalancers=[
                {"containerName": "web", "containerPort": 9102.0, "targetGroupArn": "tg-blue"}
            ],
        ),
    ),
    (
        "the tasks admitting every port",
        lambda s: replace(s, "svc-from-alb", ipProtocol="-1", fromPort=None, toPort=None),
    ),
    (
        "the tasks admitting a range around it",
        lambda s: replace(s, "svc-from-alb", fromPort=9000.0, toPort=9200.0),
    ),
]


def test_metrics_port_reached_by_nothing_passes() -> None:
    assert violations(stack_findings(with_metrics_port()), "metrics-port-unreachable") == []


@pytest.mark.parametrize(("what", "break_it"), METRICS_BREAKS, ids=[w for w, _ in METRICS_BREAKS])
def test_metrics_port_reached_from_outside_the_task_is_caught(what: str, break_it: Any) -> None:
    found = violations(stack_findings(break_it(with_metrics_port())), "metrics-port-unreachable")
    assert found, what


def test_the_rule_follows_the_port_the_task_definition_sets() -> None:
    # Metrics moved to 9200: a target group on 9102 is then fine, one on 9200 is not.
    moved = replace(with_metrics_port("9200"), "web-blue", port=9102.0)
    assert violations(stack_findings(moved), "metrics-port-unreachable") == []
    onto = replace(with_metrics_port("9200"), "web-blue", port=9200.0)
    assert violations(stack_findings(onto), "metrics-port-unreachable")
