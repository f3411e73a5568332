"""What the rules see: engine-neutral resources, findings and the stack context.

The same model is filled by three callers: the pulumi-policy adapter (``policy/engine.py``),
the mock engine's recordings (``policy/recorded.py``) and hand-built test resources.
Props use the engine's camelCase keys, nested too; numbers may be floats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from settings import STACK_TAG_KEYS, StackFile

REQUIRED_TAG_KEYS: tuple[str, ...] = STACK_TAG_KEYS
"""The stack-wide tags every taggable resource carries (from the provider's default tags);
the program's settings declare them."""


class _Unknown:
    """A value the engine cannot know during preview (an output of a resource not yet created)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


class Enforcement(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class Resource:
    """A resource as the rules see it.

    ``dependencies`` maps a top-level prop to the URNs it was computed from; the engine
    provides it during a preview, when ids of new resources are still unknown. ``id`` is
    the physical id when known (the offline plan sets the id its mocks returned).
    """

    type: str
    name: str
    urn: str
    props: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    provider: str | None = None
    id: str | None = None
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def get(self, *path: str | int, default: Any = None) -> Any:
        """The nested prop at ``path`` or ``default``; JSON strings are not decoded."""
        value: Any = self.props
        for key in path:
            if isinstance(key, int):
                if not isinstance(value, Sequence) or isinstance(value, str) or key >= len(value):
                    return default
                value = value[key]
            else:
                if not isinstance(value, Mapping) or key not in value:
                    return default
                value = value[key]
        return value

    @property
    def parent_types(self) -> tuple[str, ...]:
        """The component type chain in the URN, outermost first."""
        try:
            qualified = self.urn.split("::")[2]
        except IndexError:
            return ()
        return tuple(qualified.split("$")[:-1])

    def under(self, component_type: str) -> bool:
        return component_type in self.parent_types

    @property
    def stack(self) -> str:
        parts = self.urn.split("::")
        return parts[0].removeprefix("urn:pulumi:") if parts else ""


@dataclass(frozen=True)
class Finding:
    """One violation of one rule by one resource (or by the stack when ``urn`` is empty)."""

    rule: str
    enforcement: Enforcement
    urn: str
    name: str
    message: str
    exception: str | None = None
    reason: str | None = None

    @property
    def excepted(self) -> bool:
        return self.exception is not None

    @property
    def blocking(self) -> bool:
        """A mandatory finding without an exception stops the deployment."""
        return self.enforcement is Enforcement.MANDATORY and not self.excepted

    def line(self) -> str:
        level = "excepted" if self.excepted else self.enforcement.value
        text = f"[{level}] {self.rule}: {self.name or '<stack>'}: {self.message}"
        if self.excepted:
            text += f" (exception {self.exception}: {self.reason})"
        return text


@dataclass(frozen=True)
class StackContext:
    stack: str
    production: bool = False
    required_tags: tuple[str, ...] = REQUIRED_TAG_KEYS


def context_of(stack_file: StackFile) -> StackContext:
    """The rules' context for a stack: production as the program reads its stack file."""
    return StackContext(stack=stack_file.stack, production=stack_file.production)


def decode_json(value: Any) -> Any:
    """Policy documents and container definitions arrive as JSON strings or as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
