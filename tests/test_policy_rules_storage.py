"""Stack rules on S3 buckets (policy/rules/storage.py): the compliant stack of
tests/policy_rule_cases.py passes each, and each way of breaking a bucket is caught."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_rule_cases import StackCase, check_broken_stack, replace, without

STACK_CASES: list[StackCase] = [
    ("s3-public-access-block", lambda s: replace(s, "logs-pab", restrictPublicBuckets=False)),
    ("s3-public-access-block", lambda s: without(s, "logs-pab")),
    (
        "s3-bucket-versioning",
        lambda s: replace(s, "logs-versioning", versioningConfiguration={"status": "Suspended"}),
    ),
    ("s3-bucket-kms-encryption", lambda s: without(s, "logs-sse")),
    ("s3-bucket-ssl-requests-only", lambda s: without(s, "logs-policy")),
    ("s3-bucket-lifecycle", lambda s: without(s, "logs-lifecycle")),
    ("s3-bucket-logging-enabled", lambda s: without(s, "logs-logging")),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)
