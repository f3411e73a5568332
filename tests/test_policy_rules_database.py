"""Resource rules on the RDS instance (policy/rules/database.py): for each rule one resource
that passes and one that fails, run offline and as the policy pack runs it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from policy import rules
from policy.model import UNKNOWN
from policy.rules import database
from policy.testing import res
from tests.policy_rule_cases import (
    DB,
    GOOD_DB,
    PROD,
    STAGE,
    Case,
    StackCase,
    check_broken_stack,
    check_case,
    good_stack,
    replace,
    resource_rule_ids,
    stack_findings,
    violations,
)

# rule id -> (type, passing props, failing props, context)
CASES: dict[str, Case] = {
    "rds-instance-public-access-check": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "publiclyAccessible": True},
        STAGE,
    ),
    "rds-storage-encrypted": (DB, GOOD_DB, {**GOOD_DB, "storageEncrypted": False}, STAGE),
    "rds-instance-multi-az-enabled": (DB, GOOD_DB, {**GOOD_DB, "multiAz": False}, PROD),
    "rds-instance-backup-enabled": (DB, GOOD_DB, {**GOOD_DB, "backupRetentionPeriod": 0.0}, STAGE),
    "rds-enhanced-monitoring": (DB, GOOD_DB, {**GOOD_DB, "monitoringInterval": 0.0}, STAGE),
    "rds-log-exports": (DB, GOOD_DB, {**GOOD_DB, "enabledCloudwatchLogsExports": []}, STAGE),
    "rds-iam-authentication": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "iamDatabaseAuthenticationEnabled": False},
        STAGE,
    ),
    "rds-auto-minor-version-upgrade": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "autoMinorVersionUpgrade": False},
        STAGE,
    ),
    "rds-copy-tags-to-snapshot": (DB, GOOD_DB, {**GOOD_DB, "copyTagsToSnapshot": False}, STAGE),
    "rds-performance-insights-kms": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "performanceInsightsKmsKeyId": None},
        STAGE,
    ),
    "rds-non-default-username": (DB, GOOD_DB, {**GOOD_DB, "username": "postgres"}, STAGE),
    "rds-managed-master-password": (
        DB,
        GOOD_DB,
        {**GOOD_DB, "manageMasterUserPassword": False, "password": "from-config"},
        STAGE,
    ),
}


def test_every_database_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == resource_rule_ids(database)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_good_resource_and_fails_the_bad_one(
    rule_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_case(rule_id, CASES[rule_id], monkeypatch)


def test_production_only_rules_do_not_apply_to_stage() -> None:
    db = res(DB, "db", {**GOOD_DB, "multiAz": False})
    assert rules.run_resource_rule(rules.BY_ID["rds-instance-multi-az-enabled"], db, STAGE) == []


# --- stack rules, over the compliant stack of tests/policy_rule_cases.py ------------------

STACK_CASES: list[StackCase] = [
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(s, "db-from-svc", referencedSecurityGroupId="sg-alb"),
    ),
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(
            s, "db-from-svc", referencedSecurityGroupId=None, cidrIpv4="10.10.0.0/16"
        ),
    ),
    (
        "database-reachable-only-from-service-and-bastion",
        lambda s: replace(s, "db", vpcSecurityGroupIds=[]),
    ),
    (
        "rds-force-ssl",
        lambda s: replace(s, "db-params", parameters=[{"name": "rds.force_ssl", "value": "0"}]),
    ),
    ("rds-force-ssl", lambda s: replace(s, "db", parameterGroupName=None)),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)


def test_database_subnet_group_must_be_private() -> None:
    group = res(
        "aws:rds/subnetGroup:SubnetGroup", "db-subnets", {"subnetIds": ["subnet-priv"]}, id="dbsn"
    )
    stack = replace([*good_stack(), group], "db", dbSubnetGroupName="dbsn")
    assert violations(stack_findings(stack), "rds-private-subnet-group") == []
    public = replace(stack, "db-subnets", subnetIds=["subnet-priv", "subnet-pub"])
    assert violations(stack_findings(public), "rds-private-subnet-group")


def test_preview_references_are_followed_through_property_dependencies() -> None:
    """In a real preview new ids are unknown; the engine's property dependencies link them."""
    stack = good_stack()
    by_name = {r.name: r for r in stack}

    rewired = []
    for r in stack:
        if r.name in ("db-from-svc", "db-from-bastion"):
            source = "svc-sg" if r.name == "db-from-svc" else "bastion-sg"
            r = dataclasses.replace(
                r,
                props={**r.props, "securityGroupId": UNKNOWN, "referencedSecurityGroupId": UNKNOWN},
                dependencies={
                    "securityGroupId": [by_name["db-sg"].urn],
                    "referencedSecurityGroupId": [by_name[source].urn],
                },
            )
        rewired.append(r)
    assert (
        violations(stack_findings(rewired), "database-reachable-only-from-service-and-bastion")
        == []
    )
    bad = [
        dataclasses.replace(
            r,
            dependencies={
                **r.dependencies,
                "referencedSecurityGroupId": [by_name["web-alb-sg"].urn],
            },
        )
        if r.name == "db-from-svc"
        else r
        for r in rewired
    ]
    assert violations(stack_findings(bad), "database-reachable-only-from-service-and-bastion")
