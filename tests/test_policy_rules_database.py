"""Resource rules on the RDS instance (policy/rules/database.py): for each rule one resource
that passes and one that fails, run offline and as the policy pack runs it."""

from __future__ import annotations

import pytest

from policy import rules
from policy.rules import database
from policy.testing import res
from tests.policy_rule_cases import (
    DB,
    GOOD_DB,
    PROD,
    STAGE,
    Case,
    check_case,
    resource_rule_ids,
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
