"""Resource rules on log groups and topics (policy/rules/observability.py): for each rule one
resource that passes and one that fails, run offline and as the policy pack runs it."""

from __future__ import annotations

import pytest

from policy.rules import observability
from tests.policy_rule_cases import (
    STAGE,
    Case,
    check_case,
    resource_rule_ids,
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
