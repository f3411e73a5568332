"""The machinery every rule module shares: the rule registry, what a rule returns, and
running the rules (``evaluate``).

Resource rules take one resource (and the stack context) and return messages; stack rules
take every resource of the stack. ``evaluate`` runs them all and marks what a named
exception covers (policy/exceptions.py). Resource rules and their exceptions see one
resource at a time, exactly as a pulumi-policy resource validation does, so the pack, the
offline plan and the tests agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from policy.exceptions import find_exception
from policy.graph import StackIndex
from policy.model import Enforcement, Finding, Resource, StackContext

M = Enforcement.MANDATORY
A = Enforcement.ADVISORY


@dataclass(frozen=True)
class Violation:
    """What a rule returns when it needs more than a message: the offending resource (stack
    rules) and details that an exception predicate inspects (the port, the CIDR, ...)."""

    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    resource: Resource | None = None


Outcome: TypeAlias = str | Violation

Scope: TypeAlias = Literal["resource", "stack"]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    enforcement: Enforcement
    scope: Scope
    check: Callable[..., Iterable[Outcome]]
    """(resource, ctx) for a resource rule, (stack index, ctx) for a stack rule."""
    types: tuple[str, ...] = ()

    def applies_to(self, resource_type: str) -> bool:
        return self.scope == "resource" and resource_type in self.types


RULES: list[Rule] = []
"""Every rule, in the order the rule modules register them (policy/rules/__init__.py imports
the modules in a fixed order)."""


def resource_rule(
    rule_id: str, enforcement: Enforcement, types: Sequence[str], description: str
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        RULES.append(Rule(rule_id, description, enforcement, "resource", fn, tuple(types)))
        return fn

    return register


def stack_rule(
    rule_id: str, enforcement: Enforcement, description: str
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        RULES.append(Rule(rule_id, description, enforcement, "stack", fn))
        return fn

    return register


DEFAULT_CONTEXT = StackContext(stack="")


# --- Small helpers the rule modules share ----------------------------------------------------


def as_index(resources: Iterable[Resource] | StackIndex) -> StackIndex:
    return resources if isinstance(resources, StackIndex) else StackIndex(resources)


def without_companion(
    index: StackIndex, subject_type: str, companion_type: str, ref: str, message: str
) -> list[Outcome]:
    """A violation for each `subject_type` resource that no `companion_type` resource points
    at through its `ref` property (a VPC without a flow log, a secret without rotation...)."""
    companions = index.of_type(companion_type)
    return [
        Violation(message, resource=subject)
        for subject in index.of_type(subject_type)
        if not any(subject in index.refs(companion, ref) for companion in companions)
    ]


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def listing(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


# --- Running the rules -----------------------------------------------------------------------


def _finding(rule: Rule, outcome: Outcome, default: Resource | None, index: StackIndex) -> Finding:
    v = outcome if isinstance(outcome, Violation) else Violation(str(outcome))
    target = v.resource or default
    exception = find_exception(rule.id, target, v.detail, index)
    return Finding(
        rule=rule.id,
        enforcement=rule.enforcement,
        urn=target.urn if target else "",
        name=target.name if target else "",
        message=v.message,
        exception=exception.name if exception else None,
        reason=exception.reason if exception else None,
    )


def run_resource_rule(
    rule: Rule, resource: Resource, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Finding]:
    """One resource rule on one resource, alone, as a pulumi-policy resource validation sees it."""
    if not rule.applies_to(resource.type):
        return []
    alone = StackIndex([resource])
    return [_finding(rule, o, resource, alone) for o in rule.check(resource, ctx)]


def run_stack_rule(
    rule: Rule, resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Finding]:
    index = as_index(resources)
    return [_finding(rule, o, None, index) for o in rule.check(index, ctx)]


def evaluate(resources: Iterable[Resource], ctx: StackContext = DEFAULT_CONTEXT) -> list[Finding]:
    """Every rule over a stack's resources; excepted findings are kept, marked with the exception."""
    index = StackIndex(resources)
    resource_rules = [rule for rule in RULES if rule.scope == "resource"]
    findings = [
        f
        for r in index.resources
        for rule in resource_rules
        for f in run_resource_rule(rule, r, ctx)
    ]
    findings += [
        f for rule in RULES if rule.scope == "stack" for f in run_stack_rule(rule, index, ctx)
    ]
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]
