"""Resource rules on IAM policies, trust policies and resource policies
(policy/rules/identity.py): for each rule one resource that passes and one that fails, run
offline and as the policy pack runs it."""

from __future__ import annotations

import pytest

from policy.rules import identity
from tests.policy_rule_cases import (
    POLICY,
    ROLE,
    SCOPED,
    STAGE,
    Case,
    check_case,
    doc,
    oidc_trust,
    resource_rule_ids,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "iam-no-admin-policy": (
        POLICY,
        {"policy": doc(SCOPED)},
        {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},
        STAGE,
    ),
    "iam-no-wildcard-actions": (
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": doc(SCOPED)},
        {"policy": doc({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b"]})},
        STAGE,
    ),
    "iam-scoped-resources": (
        POLICY,
        {
            "policy": doc(
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            )
        },
        {"policy": doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})},
        STAGE,
    ),
    "iam-no-escalation-or-exposure": (
        ROLE,
        {"inlinePolicies": [{"name": "p", "policy": doc(SCOPED)}]},
        {
            "inlinePolicies": [
                {
                    "name": "p",
                    "policy": doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
                }
            ]
        },
        STAGE,
    ),
    "iam-trust-no-wildcard-principal": (
        ROLE,
        {
            "assumeRolePolicy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            )
        },
        {
            "assumeRolePolicy": doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            )
        },
        STAGE,
    ),
    "iam-github-oidc-trust-pinned": (
        ROLE,
        {"assumeRolePolicy": oidc_trust("repo:acme/ecs-platform:ref:refs/heads/main")},
        {"assumeRolePolicy": oidc_trust("repo:acme/*")},
        STAGE,
    ),
    "resource-policy-not-public": (
        "aws:sns/topicPolicy:TopicPolicy",
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                }
            )
        },
        {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"})},
        STAGE,
    ),
}


def test_every_identity_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(identity)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)
