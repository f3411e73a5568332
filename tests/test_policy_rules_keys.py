"""Resource rules on KMS keys, the keys of secrets and certificates (policy/rules/keys.py): for
each rule one resource that passes and one that fails, run offline and as the policy pack
runs it."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import keys
from tests.policy_rule_cases import (
    STAGE,
    Case,
    StackCase,
    check_broken_stack,
    check_case,
    resource_rule_ids,
    without,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "secret-customer-key": ("aws:secretsmanager/secret:Secret", {"kmsKeyId": "k"}, {}, STAGE),
    "cmk-backing-key-rotation-enabled": (
        "aws:kms/key:Key",
        {"enableKeyRotation": True},
        {"enableKeyRotation": False},
        STAGE,
    ),
    "acm-dns-validation": (
        "aws:acm/certificate:Certificate",
        {"domainName": "www.example.com", "validationMethod": "DNS"},
        {"domainName": "www.example.com", "validationMethod": "EMAIL"},
        STAGE,
    ),
}


def test_every_keys_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(keys)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


# --- stack rules, over the compliant stack of tests/policy_rule_cases.py ------------------

STACK_CASES: list[StackCase] = [
    ("secrets-rotation", lambda s: without(s, "secret-rotation")),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)
