"""Resource rules on EC2 instances, launch templates and Auto Scaling groups
(policy/rules/instances.py): for each rule one resource that passes and one that fails, run
offline and as the policy pack runs it."""

from __future__ import annotations

import pytest

from policy.rules import instances
from tests.policy_rule_cases import (
    ASG,
    GOOD_LT,
    INSTANCE,
    LT,
    STAGE,
    Case,
    check_case,
    resource_rule_ids,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "ec2-imdsv2-required": (
        INSTANCE,
        {"metadataOptions": {"httpTokens": "required"}},
        {"metadataOptions": {"httpTokens": "optional"}},
        STAGE,
    ),
    "ec2-imds-hop-limit": (
        LT,
        GOOD_LT,
        {**GOOD_LT, "metadataOptions": {"httpPutResponseHopLimit": 2.0}},
        STAGE,
    ),
    "encrypted-volumes": (
        INSTANCE,
        {"rootBlockDevice": {"encrypted": True}},
        {"rootBlockDevice": {"encrypted": False}},
        STAGE,
    ),
    "ec2-instance-no-public-ip": (
        LT,
        {"networkInterfaces": [{"associatePublicIpAddress": "false"}]},
        {"networkInterfaces": [{"associatePublicIpAddress": "true"}]},
        STAGE,
    ),
    "ec2-instance-profile": (LT, GOOD_LT, {**GOOD_LT, "iamInstanceProfile": None}, STAGE),
    "ec2-user-data-no-secrets": (
        INSTANCE,
        {"userData": "#!/bin/sh\ntoken=$(curl -X PUT http://169.254.169.254/latest/api/token)\n"},
        {"userData": "#!/bin/sh\nexport DB_PASSWORD=hunter2-is-not-a-secret\n"},
        STAGE,
    ),
    "asg-launch-template": (
        ASG,
        {"launchTemplate": {"id": "lt-1"}},
        {"launchConfiguration": "lc"},
        STAGE,
    ),
    "asg-elb-health-check": (
        ASG,
        {"targetGroupArns": ["tg"], "healthCheckType": "ELB"},
        {"targetGroupArns": ["tg"], "healthCheckType": "EC2"},
        STAGE,
    ),
    "asg-multi-az": (ASG, {"vpcZoneIdentifiers": ["a", "b"]}, {"vpcZoneIdentifiers": ["a"]}, STAGE),
}


def test_every_instances_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(instances)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)
