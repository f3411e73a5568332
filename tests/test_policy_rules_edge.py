"""Resource rules on the load balancer, its listeners and target groups (policy/rules/edge.py):
for each rule one resource that passes and one that fails, run offline and as the policy
pack runs it."""

from __future__ import annotations

from typing import Any

import pytest

from policy import engine, rules
from policy.rules import edge
from policy.testing import res
from tests.policy_rule_cases import (
    LB,
    LISTENER,
    PROD,
    STAGE,
    TG,
    Case,
    StackCase,
    check_broken_stack,
    check_case,
    resource_rule_ids,
    validation_args,
    without,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "alb-http-to-https-redirection": (
        LISTENER,
        {
            "protocol": "HTTP",
            "port": 80.0,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}
            ],
        },
        {
            "protocol": "HTTP",
            "port": 80.0,
            "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}],
        },
        STAGE,
    ),
    "alb-tls-policy": (
        LISTENER,
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        STAGE,
    ),
    "alb-drop-invalid-headers": (
        LB,
        {"loadBalancerType": "application", "dropInvalidHeaderFields": True},
        {"loadBalancerType": "application"},
        STAGE,
    ),
    "elb-access-logging-enabled": (
        LB,
        {"accessLogs": {"enabled": True, "bucket": "logs"}},
        {"accessLogs": {"enabled": False, "bucket": "logs"}},
        STAGE,
    ),
    "elb-deletion-protection-enabled": (LB, {"enableDeletionProtection": True}, {}, PROD),
    "alb-desync-mitigation": (
        LB,
        {"desyncMitigationMode": "strictest"},
        {"desyncMitigationMode": "monitor"},
        STAGE,
    ),
    "alb-multi-az": (LB, {"subnets": ["subnet-a", "subnet-b"]}, {"subnets": ["subnet-a"]}, STAGE),
    "target-group-health-check-path": (
        TG,
        {"protocol": "HTTP", "healthCheck": {"enabled": True, "path": "/readyz"}},
        {"protocol": "HTTP", "healthCheck": {"enabled": True}},
        STAGE,
    ),
}


def test_every_edge_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(edge)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


def test_unknown_values_in_a_preview_are_not_violations(monkeypatch: Any) -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    resource = res(LISTENER, "https", {"protocol": "HTTPS", "sslPolicy": UNKNOWN_STRING_VALUE})
    args = validation_args(resource, "stage")
    args.props = unknown_checking_proxy(dict(resource.props))
    monkeypatch.setattr(engine, "context_for_stack", lambda stack: STAGE)
    reported: list[str] = []
    engine.resource_policy(rules.BY_ID["alb-tls-policy"]).validate(
        args, lambda msg, urn=None: reported.append(msg)
    )
    assert reported == []


# --- stack rules, over the compliant stack of tests/policy_rule_cases.py ------------------

STACK_CASES: list[StackCase] = [
    ("alb-waf", lambda s: without(s, "web-waf")),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)
