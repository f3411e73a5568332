"""Rules over the stack as a whole (policy/rules/stack.py) and the stack rules together: the
compliant stack of tests/policy_rule_cases.py breaks no stack rule, the openings the design
makes are named exceptions, every stack rule has a failing case (each area's cases live in
tests/test_policy_rules_<area>.py), and the same stack runs through pulumi-policy's
StackValidationArgs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from policy import engine, rules
from policy.graph import strings
from policy.model import Resource
from policy.testing import TAGS, res
from tests import (
    test_policy_rules_containers,
    test_policy_rules_database,
    test_policy_rules_edge,
    test_policy_rules_keys,
    test_policy_rules_network,
    test_policy_rules_storage,
)
from tests.policy_rule_cases import (
    PROD,
    STAGE,
    StackCase,
    check_broken_stack,
    good_stack,
    replace,
    stack_findings,
    violations,
)


def test_the_compliant_stack_breaks_no_stack_rule() -> None:
    findings = stack_findings(good_stack())
    assert [f.line() for f in findings if not f.excepted] == []


def test_the_load_balancer_and_bastion_openings_are_visible_as_named_exceptions() -> None:
    excepted = {(f.name, f.exception) for f in stack_findings(good_stack()) if f.excepted}
    assert excepted == {
        ("web-alb-http", "ALB_PUBLIC_HTTP_HTTPS"),
        ("web-alb-https", "ALB_PUBLIC_HTTP_HTTPS"),
        ("web-alb-https6", "ALB_PUBLIC_HTTP_HTTPS"),
        ("bastion-ssh", "BASTION_PUBLIC_SSH"),
    }
    assert all(f.reason for f in stack_findings(good_stack()) if f.excepted)


STACK_CASES: list[StackCase] = [
    (
        "stack-tags",
        lambda s: replace(s, "repo", tagsAll={"Name": "repo", "Project": "ecs-platform"}),
    ),
]


@pytest.mark.parametrize(("rule_id", "break_it"), STACK_CASES)
def test_a_broken_stack_is_caught(rule_id: str, break_it: Any) -> None:
    check_broken_stack(rule_id, break_it)


def test_every_stack_rule_has_a_failing_case() -> None:
    broken = {
        rule_id
        for cases in (
            test_policy_rules_network.STACK_CASES,
            test_policy_rules_database.STACK_CASES,
            STACK_CASES,
            test_policy_rules_storage.STACK_CASES,
            test_policy_rules_containers.STACK_CASES,
            test_policy_rules_edge.STACK_CASES,
            test_policy_rules_keys.STACK_CASES,
        )
        for rule_id, _ in cases
    }
    broken |= {"prod-deletion-protection"}  # tested below
    broken |= {"rds-private-subnet-group"}  # tested in test_policy_rules_database.py
    # tested in test_policy_rules_observability.py, on a stack with a task definition
    broken |= {"metrics-port-unreachable"}
    assert {r.id for r in rules.STACK_RULES} <= broken


def test_prod_requires_deletion_protection_on_stateful_resources() -> None:
    stack = good_stack("prod")
    assert violations(stack_findings(stack, PROD), "prod-deletion-protection") == []
    broken = replace(stack, "db", deletionProtection=False, skipFinalSnapshot=True)
    broken = replace(broken, "logs", forceDestroy=True)
    found = violations(stack_findings(broken, PROD), "prod-deletion-protection")
    assert sorted(f.name for f in found) == ["db", "db", "logs"]
    assert violations(stack_findings(broken, STAGE), "prod-deletion-protection") == []


def test_resources_without_tags_in_aws_are_exempt_from_the_tag_rule() -> None:
    assert rules.taggable("aws:iam/rolePolicyAttachment:RolePolicyAttachment") is False
    assert rules.taggable("aws:ec2/routeTableAssociation:RouteTableAssociation") is False
    assert rules.taggable("aws:rds/instance:Instance") is True
    assert rules.taggable("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") is True


def test_provider_default_tags_count_when_tags_all_is_absent() -> None:
    provider = res(
        "pulumi:providers:aws",
        "aws",
        {"defaultTags": json.dumps({"tags": TAGS})},
    )
    repo = dataclasses.replace(
        res("aws:ecr/repository:Repository", "repo", {"tags": {"Name": "repo"}}),
        provider=f"{provider.urn}::provider-id",
    )
    assert violations(stack_findings([provider, repo]), "stack-tags") == []
    bare = dataclasses.replace(repo, provider=None)
    assert violations(stack_findings([provider, bare]), "stack-tags")


def _policy_resources(resources: list[Resource]) -> StackValidationArgs:
    """The stack as the engine hands it to a stack policy: no ids, but property
    dependencies linking each prop to the resources it was computed from."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    by_id = {r.id: r.urn for r in resources if r.id}
    policy_resources = {
        r.urn: PolicyResource(r.type, dict(r.props), r.urn, r.name, options, None, None, [], {})
        for r in resources
    }
    for r in resources:
        for key, value in r.props.items():
            deps = [policy_resources[by_id[v]] for v in strings(value) if v in by_id]
            if deps:
                policy_resources[r.urn].property_dependencies[key] = deps
    return StackValidationArgs(list(policy_resources.values()))


def test_the_pack_reports_stack_violations_and_excepted_findings_separately(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(engine, "context_for_stack", lambda stack: STAGE)
    rule = rules.BY_ID["internet-ingress-only-load-balancer"]
    broken = replace(good_stack(), "bastion-ssh", cidrIpv4="0.0.0.0/0")
    blocking: list[tuple[str, str | None]] = []
    excepted: list[tuple[str, str | None]] = []
    engine.stack_policy(rule).validate(
        _policy_resources(broken), lambda m, u=None: blocking.append((m, u))
    )
    engine.stack_policy(rule, excepted=True).validate(
        _policy_resources(broken), lambda m, u=None: excepted.append((m, u))
    )
    assert [u.rsplit("::", 1)[-1] for _, u in blocking if u] == ["bastion-ssh"]
    assert sorted(u.rsplit("::", 1)[-1] for _, u in excepted if u) == [
        "web-alb-http",
        "web-alb-https",
        "web-alb-https6",
    ]
    assert all("ALB_PUBLIC_HTTP_HTTPS" in m for m, _ in excepted)


def test_the_pack_has_one_policy_per_rule_and_a_visible_twin_per_exception() -> None:
    names = [p.name for p in engine.policies()]
    assert len(names) == len(set(names))
    assert {r.id for r in rules.RULES} <= set(names)
    assert "internet-ingress-only-load-balancer-excepted" in names
