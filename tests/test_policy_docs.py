"""The security documentation's tables, generated from the rules and the exceptions."""

from __future__ import annotations

import re

from policy import docs, rules
from policy.exceptions import EXCEPTIONS


def rows(table: str) -> list[list[str]]:
    """The body rows of a markdown table, split into cells (escaped pipes stay in a cell)."""
    lines = table.strip().splitlines()[2:]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_every_rule_appears_once_with_its_level_scope_and_checks() -> None:
    table = rows(docs.rules_markdown())
    ids = [ticked(row[0])[0] for row in table]
    assert ids == [r.id for r in rules.RULES]
    assert len(ids) == len(set(ids))
    for row in table:
        rule = rules.BY_ID[ticked(row[0])[0]]
        assert row[1] == rule.enforcement.value
        assert row[2] == rule.scope
        assert any(tag in row[3] for tag in ("CKV", "FSBP", "awsguard")), rule.id


def test_the_rules_table_lists_the_rules_the_security_section_has_always_listed() -> None:
    ids = {ticked(row[0])[0] for row in rows(docs.rules_markdown())}
    assert {
        "default-security-group-closed",
        "sg-no-world-ssh-rdp",
        "alb-http-to-https-redirection",
        "ecs-task-no-secrets-in-environment",
        "iam-github-oidc-trust-pinned",
        "rds-managed-master-password",
        "ec2-user-data-no-secrets",
        "acm-dns-validation",
        "internet-ingress-only-load-balancer",
        "metrics-port-unreachable",
        "database-reachable-only-from-service-and-bastion",
        "stack-tags",
        "prod-deletion-protection",
        "s3-bucket-ssl-requests-only",
        "secrets-rotation",
    } <= ids


def test_every_exception_appears_once_and_names_only_existing_rules() -> None:
    table = rows(docs.exceptions_markdown())
    assert [ticked(row[0])[0] for row in table] == [e.name for e in EXCEPTIONS]
    assert len({e.name for e in EXCEPTIONS}) == len(EXCEPTIONS)
    for row, exception in zip(table, EXCEPTIONS, strict=True):
        assert ticked(row[1]) == sorted(exception.rules)
        assert set(ticked(row[1])) <= set(rules.BY_ID)
        assert row[2] == exception.matches
        assert row[3].startswith(exception.reason[:1].upper() + exception.reason[1:])


def test_every_exception_declares_what_it_matches_and_why() -> None:
    for exception in EXCEPTIONS:
        assert exception.rules and exception.rules <= set(rules.BY_ID), exception.name
        assert exception.matches.strip() and exception.reason.strip(), exception.name


def test_the_bastion_exception_states_the_widest_ranges_address_space_allows() -> None:
    bastion = next(e for e in EXCEPTIONS if e.name == "BASTION_PUBLIC_SSH")
    assert "a /16 of public IPv4 or a /32 of IPv6" in bastion.matches


def test_a_pipe_in_a_description_stays_inside_its_cell() -> None:
    assert docs._cell("a | b\n c") == "a \\| b c"
