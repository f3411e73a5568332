"""The policy pack over a stack recorded by the mock engine: the pack's one entry for the
offline plan.

``findings`` turns each resource the program declared under mocks into the rules' view of
it and evaluates every rule with the stack's context, as ``pulumi preview --policy-pack
policy`` would for the same stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from policy.model import Finding, Resource, context_of
from policy.rules import evaluate
from settings import StackFile

if TYPE_CHECKING:
    # Types only: loading the mock engine would pull Pulumi's runtime mocks into the pack's
    # analyzer process, which never records anything.
    from mock_engine import RecordedResource, Recording


def to_resource(recorded: RecordedResource | Mapping[str, Any]) -> Resource:
    """A resource recorded by the mock engine (or a dict with the same fields) as the rules
    see it: its inputs overlaid with what the mocks computed (id, arn, tagsAll)."""

    def field(name: str) -> Any:
        if isinstance(recorded, Mapping):
            return recorded.get(name)
        return getattr(recorded, name, None)

    props = {**(field("inputs") or field("props") or {}), **(field("outputs") or {})}
    return Resource(
        type=field("type"),
        name=field("name"),
        urn=field("urn"),
        props=props,
        parent=field("parent") or None,
        provider=field("provider") or None,
        id=field("id") or props.get("id"),
    )


def findings(recording: Recording, stack_file: StackFile) -> list[Finding]:
    """Every rule's findings over the recorded stack, excepted ones included and marked, in
    evaluation order (callers rank them for display); production is the stack file's."""
    resources = [to_resource(r) for r in recording.resources]
    return evaluate(resources, context_of(stack_file))
