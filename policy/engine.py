"""The bridge between pulumi-policy and the rules: adapts its arguments to
:class:`policy.model.Resource` and wraps each rule in a pulumi-policy policy.

Building these policies starts nothing; only ``PolicyPack(...)`` (in ``policy/__main__.py``)
starts the analyzer server, so the tests drive the wrapped policies directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.proxy import UnknownValueError

from policy import rules
from policy.exceptions import EXCEPTIONS
from policy.model import UNKNOWN, Enforcement, Finding, Resource, StackContext, context_of
from settings import ROOT, StackFileError, read_stack

PACK_NAME = "ecs-platform-policies"
_UNKNOWN_SENTINELS = {
    proxy.UNKNOWN_BOOLEAN_VALUE,
    proxy.UNKNOWN_NUMBER_VALUE,
    proxy.UNKNOWN_STRING_VALUE,
    proxy.UNKNOWN_ARRAY_VALUE,
    proxy.UNKNOWN_ASSET_VALUE,
    proxy.UNKNOWN_ARCHIVE_VALUE,
    proxy.UNKNOWN_OBJECT_VALUE,
}


def _item(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN


def plain(value: Any) -> Any:
    """Plain dicts and lists from pulumi-policy's proxies; unknown values become UNKNOWN."""
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        return {k: plain(_item(value, k)) for k in value}
    if isinstance(value, Sequence):
        return [plain(_item(value, i)) for i in range(len(value))]
    return value


def from_validation_args(args: ResourceValidationArgs) -> Resource:
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        parent=getattr(args.opts, "parent", None) if args.opts else None,
        provider=args.provider.urn if args.provider else None,
    )


def from_stack_args(args: StackValidationArgs) -> list[Resource]:
    return [
        Resource(
            type=r.resource_type,
            name=r.name,
            urn=r.urn,
            props=plain(r.props),
            parent=r.parent.urn if r.parent else None,
            provider=r.provider.urn if r.provider else None,
            id=_id(r.props),
            dependencies={
                k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()
            },
        )
        for r in args.resources
    ]


def _id(props: Mapping[str, Any]) -> str | None:
    value = plain(props).get("id") if "id" in props else None
    return value if isinstance(value, str) else None


def stack_of(urn: str) -> str:
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


@functools.cache
def context_for_stack(stack: str) -> StackContext:
    """The stack's context from its stack file beside the program (``ecs-platform:production``);
    a stack without a stack file there is judged as non-production."""
    try:
        return context_of(read_stack(stack, ROOT))
    except StackFileError:
        return StackContext(stack=stack)


def _level(enforcement: Enforcement) -> EnforcementLevel:
    return (
        EnforcementLevel.MANDATORY
        if enforcement is Enforcement.MANDATORY
        else EnforcementLevel.ADVISORY
    )


def _report(findings: list[Finding], report: ReportViolation, *, excepted: bool) -> None:
    for f in findings:
        if f.excepted == excepted:
            text = (
                f.message if not excepted else f"{f.message} [exception {f.exception}: {f.reason}]"
            )
            report(text, f.urn or None)


def resource_policy(rule: rules.Rule, *, excepted: bool = False) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = from_validation_args(args)
        findings = rules.run_resource_rule(rule, resource, context_for_stack(stack_of(args.urn)))
        _report(findings, report, excepted=excepted)

    return ResourceValidationPolicy(
        name=f"{rule.id}-excepted" if excepted else rule.id,
        description=_description(rule, excepted),
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY if excepted else _level(rule.enforcement),
    )


def stack_policy(rule: rules.Rule, *, excepted: bool = False) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = from_stack_args(args)
        stacks = {stack_of(r.urn) for r in resources}
        ctx = context_for_stack(stacks.pop()) if len(stacks) == 1 else StackContext(stack="")
        _report(rules.run_stack_rule(rule, resources, ctx), report, excepted=excepted)

    return StackValidationPolicy(
        name=f"{rule.id}-excepted" if excepted else rule.id,
        description=_description(rule, excepted),
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY if excepted else _level(rule.enforcement),
    )


def _description(rule: rules.Rule, excepted: bool) -> str:
    if not excepted:
        return rule.description
    return f"Findings of {rule.id} covered by a named exception (reported, not blocking). {rule.description}"


def _has_exceptions(rule: rules.Rule) -> bool:
    return any(rule.id in e.rules for e in EXCEPTIONS)


def policies() -> list[Policy]:
    """Every rule as a pulumi-policy policy; a rule with exceptions gets an advisory twin
    that reports the excepted findings so they stay visible in every preview."""
    out: list[Policy] = []
    for rule in rules.RULES:
        wrap: Callable[..., Policy] = resource_policy if rule.scope == "resource" else stack_policy
        out.append(wrap(rule))
        if _has_exceptions(rule):
            out.append(wrap(rule, excepted=True))
    return out
