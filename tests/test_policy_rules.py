"""The rule registry as a whole: every resource rule has a case (the cases live in
tests/test_policy_rules_<area>.py, one file per rule module, beside the area's stack-rule
cases), every rule names the checks it stands for, the starred checks are mandatory, and
the rules are listed area by area."""

from __future__ import annotations

from policy import rules
from policy.model import Enforcement
from tests.test_policy_rules_containers import CASES as CONTAINERS_CASES
from tests.test_policy_rules_database import CASES as DATABASE_CASES
from tests.test_policy_rules_edge import CASES as EDGE_CASES
from tests.test_policy_rules_identity import CASES as IDENTITY_CASES
from tests.test_policy_rules_instances import CASES as INSTANCES_CASES
from tests.test_policy_rules_keys import CASES as KEYS_CASES
from tests.test_policy_rules_network import CASES as NETWORK_CASES
from tests.test_policy_rules_observability import CASES as OBSERVABILITY_CASES

CASES = {
    **NETWORK_CASES,
    **EDGE_CASES,
    **CONTAINERS_CASES,
    **IDENTITY_CASES,
    **DATABASE_CASES,
    **INSTANCES_CASES,
    **OBSERVABILITY_CASES,
    **KEYS_CASES,
}


def test_every_resource_rule_has_a_passing_and_a_failing_case() -> None:
    assert sorted(CASES) == sorted(r.id for r in rules.RESOURCE_RULES)


def test_every_rule_is_declared_by_one_of_the_rule_modules() -> None:
    assert {rules.area_of(r).__name__ for r in rules.RULES} <= {m.__name__ for m in rules.AREAS}


def test_the_rules_are_listed_area_by_area() -> None:
    # Every resource rule first, area by area in AREAS order; then the stack rules, area by
    # area in STACK_RULE_AREAS order (the published table's).
    scopes = [r.scope for r in rules.RULES]
    assert scopes == sorted(scopes, key=lambda scope: scope != "resource")
    assert set(rules.STACK_RULE_AREAS) <= set(rules.AREAS)
    for scope, areas in (("resource", rules.AREAS), ("stack", rules.STACK_RULE_AREAS)):
        order = [areas.index(rules.area_of(r)) for r in rules.RULES if r.scope == scope]
        assert order == sorted(order)
    assert len(rules.BY_ID) == len(rules.RULES)


def test_every_rule_names_the_checks_it_stands_for() -> None:
    for rule in rules.RULES:
        assert any(tag in rule.description for tag in ("CKV", "FSBP", "awsguard")), rule.id


def test_starred_checks_are_mandatory() -> None:
    starred = {
        "vpc-flow-logs-enabled",
        "default-security-group-closed",
        "sg-no-world-ssh-rdp",
        "sg-no-world-all-ports",
        "alb-http-to-https-redirection",
        "alb-tls-policy",
        "alb-drop-invalid-headers",
        "ecs-cluster-container-insights",
        "ecs-service-no-public-ip",
        "ecs-task-not-privileged",
        "ecs-task-read-only-root",
        "ecs-task-no-host-pid",
        "ecs-task-no-secrets-in-environment",
        "ecs-task-log-configuration",
        "ecr-scan-on-push",
        "ecr-immutable-tags",
        "rds-instance-public-access-check",
        "rds-storage-encrypted",
        "rds-instance-multi-az-enabled",
        "rds-instance-backup-enabled",
        "prod-deletion-protection",
        "rds-force-ssl",
        "ec2-imdsv2-required",
        "encrypted-volumes",
        "ec2-instance-no-public-ip",
        "s3-public-access-block",
        "s3-bucket-versioning",
        "s3-bucket-kms-encryption",
        "s3-bucket-ssl-requests-only",
        "log-group-kms",
        "log-group-retention",
        "cmk-backing-key-rotation-enabled",
        "iam-no-admin-policy",
        "iam-no-wildcard-actions",
        "iam-github-oidc-trust-pinned",
    }
    assert {r.id for r in rules.RULES if r.enforcement is Enforcement.MANDATORY} >= starred
