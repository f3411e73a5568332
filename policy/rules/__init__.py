"""The policy rules, split by the area of what they judge, their registry and ``evaluate``.

Each rule is a plain function decorated with ``resource_rule`` (one resource at a time) or
``stack_rule`` (every resource of the stack) from :mod:`policy.rules.registry`; its
description names the checks it stands for: checkov (CKV_AWS_* / CKV2_AWS_*), AWS Security
Hub FSBP controls and awsguard policies. ``evaluate`` runs them all and marks what a named
exception covers (policy/exceptions.py).
"""

from __future__ import annotations

from types import ModuleType

from policy.rules import (
    containers,
    database,
    edge,
    identity,
    instances,
    keys,
    network,
    observability,
    stack,
)
from policy.rules.network import sg_no_world_ssh_rdp
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    RULES,
    Outcome,
    Rule,
    Violation,
    blocking,
    evaluate,
    resource_rule,
    run_resource_rule,
    run_stack_rule,
    stack_rule,
)
from policy.rules.stack import PAB_FLAGS, taggable

AREAS: tuple[ModuleType, ...] = (
    network,
    edge,
    containers,
    identity,
    database,
    instances,
    observability,
    keys,
    stack,
)
"""The rule modules in the order their rules are listed, run and reported."""

# The modules register their rules as they are imported (in whatever order imports run);
# the registry is put in AREAS order once, here, keeping each module's own order.
RULES.sort(key=lambda rule: [m.__name__ for m in AREAS].index(rule.check.__module__))

BY_ID = {rule.id: rule for rule in RULES}
RESOURCE_RULES = [r for r in RULES if r.scope == "resource"]
STACK_RULES = [r for r in RULES if r.scope == "stack"]


def area_of(rule: Rule) -> ModuleType:
    """The rule module that declares ``rule``."""
    return next(m for m in AREAS if m.__name__ == rule.check.__module__)


__all__ = [
    "AREAS",
    "BY_ID",
    "DEFAULT_CONTEXT",
    "PAB_FLAGS",
    "RESOURCE_RULES",
    "RULES",
    "STACK_RULES",
    "Outcome",
    "Rule",
    "Violation",
    "area_of",
    "blocking",
    "containers",
    "database",
    "edge",
    "evaluate",
    "identity",
    "instances",
    "keys",
    "network",
    "observability",
    "resource_rule",
    "run_resource_rule",
    "run_stack_rule",
    "sg_no_world_ssh_rdp",
    "stack",
    "stack_rule",
    "taggable",
]
