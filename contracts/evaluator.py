"""An IAM policy evaluator for the documents this project writes.

It follows AWS's policy evaluation logic ("Policy evaluation logic" and "IAM JSON policy
elements: Condition operators", IAM User Guide): an explicit Deny in any document wins; an
action is allowed only if some identity statement allows it and, when a permissions boundary
applies, the boundary allows it too. Actions match case-insensitively, resources
case-sensitively, both with the `*` and `?` wildcards. Every condition operator the project
relies on is implemented; an operator it does not know raises, so nothing is silently
treated as matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Document = Mapping[str, Any]
"""A policy document as parsed from JSON: its elements are checked as they are evaluated
(an element or operator this evaluator does not know raises UnsupportedPolicy)."""
Statement = Mapping[str, Any]
"""One statement of a parsed Document."""
ContextValue = str | bool | int | float | Sequence[str]
Decision = Literal["allow", "explicit-deny", "implicit-deny"]


class UnsupportedPolicy(ValueError):
    """The document uses an element or operator this evaluator does not implement."""


@dataclass(frozen=True)
class Request:
    """One API request: the action, the resource ARN (or `*`) and the request context."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # `*` matches any run of characters (also none), `?` exactly one; nothing else is special.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether `value` matches the IAM wildcard `pattern`."""
    return bool(_wildcard(pattern, ignore_case).match(value))


def action_matches(pattern: str, action: str) -> bool:
    """Action names are case-insensitive in IAM."""
    return matches(pattern, action, ignore_case=True)


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def statements(document: Document) -> list[Statement]:
    """The statements of a document (a single statement object is allowed by the grammar)."""
    found = document.get("Statement")
    if found is None:
        return []
    return list(found) if isinstance(found, list | tuple) else [found]


def _applies_to_action(statement: Statement, action: str) -> bool:
    if "Action" in statement and "NotAction" in statement:
        raise UnsupportedPolicy("a statement has both Action and NotAction")
    if "Action" in statement:
        return any(action_matches(str(p), action) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(action_matches(str(p), action) for p in _as_list(statement["NotAction"]))
    raise UnsupportedPolicy("a statement has neither Action nor NotAction")


def _applies_to_resource(statement: Statement, resource: str) -> bool:
    if "Resource" in statement:
        return any(matches(str(p), resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(matches(str(p), resource) for p in _as_list(statement["NotResource"]))
    # Resource-based policies may omit Resource (the resource is the one the policy is on).
    return True


# --- conditions ------------------------------------------------------------------------

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
    "DateNotEquals",
}


def _match_one(base: str, context_value: object, policy_value: object) -> bool:
    """The positive form of `base` for one context value and one policy value."""
    c, p = str(context_value), str(policy_value)
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        # ArnEquals compares component by component, with wildcards per component like
        # ArnLike ("Amazon Resource Name (ARN) condition operators", IAM User Guide).
        if base.startswith("Arn"):
            return matches(p, c)
        return c == p
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return c.lower() == p.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return matches(p, c)
    if base == "Bool":
        return c.lower() == p.lower()
    if base.startswith("Numeric"):
        try:
            cv, pv = float(c), float(p)
        except ValueError:
            return False
        op = base.removeprefix("Numeric").removeprefix("Not")
        return {
            "Equals": cv == pv,
            "LessThan": cv < pv,
            "LessThanEquals": cv <= pv,
            "GreaterThan": cv > pv,
            "GreaterThanEquals": cv >= pv,
        }[op]
    raise UnsupportedPolicy(f"condition operator {base} is not implemented")


_KNOWN_BASES = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "Bool",
    "Null",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
}


def _condition_holds(
    operator: str, key: str, policy_values: object, context: Mapping[str, ContextValue]
) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"condition set operator {qualifier} is not implemented")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in _KNOWN_BASES:
        raise UnsupportedPolicy(f"condition operator {operator} is not implemented")
    values = _as_list(policy_values)
    present = key.lower() in context
    raw = context.get(key.lower())

    if base == "Null":
        # Null: "true" holds when the key is absent, "false" when it is present.
        return any(str(v).lower() == ("true" if not present else "false") for v in values)

    negated = base in _NEGATED
    if not present:
        # Missing key: a positive operator does not match, a negated one does; ...IfExists and
        # ForAllValues hold; ForAnyValue does not ("Condition operators", IAM User Guide).
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated

    context_values = _as_list(raw)

    def hit(one: object) -> bool:
        positive = any(_match_one(base, one, v) for v in values)
        return not positive if negated else positive

    if qualifier == "ForAllValues":
        return all(hit(v) for v in context_values)
    if negated and not qualifier:
        # A single-valued negated operator holds when no value matches.
        return all(hit(v) for v in context_values)
    return any(hit(v) for v in context_values)


def conditions_hold(
    conditions: Mapping[str, Mapping[str, object]] | None, context: Mapping[str, ContextValue]
) -> bool:
    """Every operator and every key must hold (AND); values of one key are ORed."""
    for operator, keys in (conditions or {}).items():
        for key, policy_values in keys.items():
            if not _condition_holds(operator, key, policy_values, context):
                return False
    return True


def _normalised(context: Mapping[str, ContextValue]) -> dict[str, ContextValue]:
    # Condition key names are case-insensitive; values are not.
    return {k.lower(): v for k, v in context.items()}


def _statement_applies(
    statement: Statement, request: Request, ctx: Mapping[str, ContextValue]
) -> bool:
    return (
        _applies_to_action(statement, request.action)
        and _applies_to_resource(statement, request.resource)
        and conditions_hold(statement.get("Condition"), ctx)
    )


def decide(documents: Iterable[Document], request: Request) -> Decision:
    """The decision of one set of documents (e.g. all of a role's policies) on a request."""
    ctx = _normalised(request.context)
    allowed = False
    for document in documents:
        for statement in statements(document):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise UnsupportedPolicy(f"statement effect {effect!r} is not Allow or Deny")
            if not _statement_applies(statement, request, ctx):
                continue
            if effect == "Deny":
                return "explicit-deny"
            allowed = True
    return "allow" if allowed else "implicit-deny"


def is_allowed(
    documents: Iterable[Document],
    request: Request,
    boundaries: Sequence[Iterable[Document]] = (),
) -> bool:
    """Identity documents allow the request, and every boundary (if any) allows it too."""
    if decide(documents, request) != "allow":
        return False
    return all(decide(boundary, request) == "allow" for boundary in boundaries)
