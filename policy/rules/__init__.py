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
    storage,
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
from policy.rules.stack import taggable
from policy.rules.storage import PAB_FLAGS

AREAS: tuple[ModuleType, ...] = (
    network,
    edge,
    containers,
    identity,
    database,
    instances,
    observability,
    keys,
    storage,
    stack,
)
"""The rule modules, by the area of what they judge; their resource rules are listed, run and
reported in this order."""

STACK_RULE_AREAS: tuple[ModuleType, ...] = (
    network,
    database,
    stack,
    storage,
    containers,
    edge,
    keys,
    observability,
)
"""The order the stack rules are listed in, after every resource rule. It is not AREAS's: it
is the order of the stack rules in the published rules table (docs/security.md, generated
from RULES), kept so that the table and the reports do not reshuffle."""


def _listed_at(rule: Rule) -> tuple[int, int]:
    areas = AREAS if rule.scope == "resource" else STACK_RULE_AREAS
    names = [m.__name__ for m in areas]
    return (rule.scope != "resource", names.index(rule.check.__module__))


# The modules register their rules as they are imported (in whatever order imports run);
# the registry is put in order once, here, keeping each module's own order within an area.
RULES.sort(key=_listed_at)

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
    "STACK_RULE_AREAS",
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
    "storage",
    "taggable",
]
