"""How a setting is declared, parsed and reported: the engine every area module builds on.

A setting is declared once, as a dataclass field made by `setting(...)`: its default, its
documentation and its checks live there, and the configuration reference and Pulumi.yaml's
config block are generated from it. `parse_area` turns one raw config object into its
dataclass, collecting an `Issue` for each problem instead of stopping at the first.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pulumi

from secret_detection import SAFE_NAME, sensitive_name, value_reason

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

PROJECT = "ecs-platform"

_Area = TypeVar("_Area", bound="DataclassInstance")


def setting(
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    one_of: Iterable[Any] | None = None,
    check: Callable[[Any], str | None] | None = None,
    required: bool = False,
) -> Any:
    """Declares one configuration key of an area; the camelCase key is derived from the name."""
    metadata = {
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "one_of": tuple(one_of) if one_of is not None else None,
        "check": check,
        "required": required,
    }
    return field(default=default, metadata=metadata)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Issue:
    """One thing wrong with the stack configuration."""

    path: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        hidden = self.secret_reason()
        if self.value is MISSING:
            shown = "(missing)"
        elif hidden:
            shown = f"(value hidden: {hidden})"
        else:
            shown = json.dumps(self.value, default=str)
        allowed = self.allowed
        if hidden:
            for text in _strings(self.value):
                if len(text) >= 4:
                    allowed = allowed.replace(text, "(hidden)")
        return f"{PROJECT}:{self.path} = {shown}: {allowed}"

    def secret_reason(self) -> str | None:
        """Why the value must not be shown (messages end up in CI logs), or None.

        A value is hidden when its key, or a key inside it, names a secret (password, token,
        key, credential, ...), or when any string in it looks like one (a private key block,
        an access key, a token, a long high-entropy string)."""
        if self.value is MISSING:
            return None
        for text in _strings(self.value):
            reason = value_reason(text)
            if reason:
                return reason.replace("value ", "it ", 1)
        for key in (self.path.rsplit(".", 1)[-1], *_keys(self.value)):
            if _secret_key_name(key):
                return f"the key {key!r} names a secret"
        return None


# Besides the names the policy pack treats as credentials, a settings key that speaks of a key,
# a passphrase or a credential is taken as one: no settings key but the SSH public key holds
# such a thing, so any other key named so is a secret put in the wrong place.
_SECRET_WORDS = re.compile(r"(key|pass|cred|secret|token|pwd|auth|cert)", re.IGNORECASE)


def _secret_key_name(key: str) -> bool:
    if "public" in key.lower():
        return False  # a public key (bastion.sshPublicKey) is meant to be shown
    return sensitive_name(key) or (bool(_SECRET_WORDS.search(key)) and not SAFE_NAME.search(key))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _keys(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value] + [k for item in value.values() for k in _keys(item)]
    if isinstance(value, list | tuple):
        return [k for item in value for k in _keys(item)]
    return []


class SettingsError(pulumi.RunError):
    """The stack configuration is invalid; `issues` lists every problem found."""

    def __init__(self, stack: str, issues: list[Issue]) -> None:
        self.stack = stack
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        noun = "problem" if len(issues) == 1 else "problems"
        super().__init__(
            f"stack '{stack}' configuration has {len(issues)} {noun}; nothing was declared:\n"
            f"{lines}"
        )


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


MISSING: Any = _Missing()
"""The value of a required key that the stack file leaves out."""


def type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin is tuple:
        return "list of strings"
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return type_name(inner[0])
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[annotation]


def _coerce(annotation: Any, value: Any) -> tuple[Any, str | None]:
    """Checks a raw value against a field's annotation; returns (value, problem)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None, None
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _coerce(inner[0], value)
    if origin is Literal:
        allowed = typing.get_args(annotation)
        if value in allowed:
            return value, None
        return value, f"must be one of {', '.join(json.dumps(a) for a in allowed)}"
    if origin is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value), None
        return value, "must be a list of strings"
    if annotation is bool:
        return value, None if isinstance(value, bool) else "must be true or false"
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return value, "must be a whole number"
        return int(value), None
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, "must be a number"
        return float(value), None
    if annotation is str:
        return value, None if isinstance(value, str) else "must be a string"
    raise TypeError(f"unsupported setting type {annotation!r}")


def unknown_key_issue(path: str, key: str, known: list[str], value: Any) -> Issue:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Issue(f"{path}{key}", value, f"unknown key; {hint}allowed: {', '.join(known)}")


def parse_area(area: str, given: object, cls: type[_Area], issues: list[Issue]) -> _Area:
    """The area's dataclass built from its config object `given`, every value coerced and
    checked; each problem is added to `issues` and the field keeps its default."""
    raw: dict[str, Any] = {}
    if isinstance(given, dict):
        raw = given
    elif given is not None:
        issues.append(Issue(area, given, f"must be an object with keys of {cls.__name__}"))
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    known = [camel(f.name) for f in fields]
    for key in raw:
        if key not in known:
            issues.append(unknown_key_issue(f"{area}.", key, known, raw[key]))
    values: dict[str, Any] = {}
    for f in fields:
        key, meta = camel(f.name), f.metadata
        path = f"{area}.{key}"
        if key not in raw:
            if meta["required"]:
                issues.append(Issue(path, MISSING, f"is required: {meta['doc']}"))
            continue
        value, problem = _coerce(hints[f.name], raw[key])
        if problem is None and value is not None:
            problem = _bounds_problem(value, meta)
        if problem is None and value is not None and meta["check"] is not None:
            problem = meta["check"](value)
        if problem is not None:
            issues.append(Issue(path, raw[key], problem))
            continue
        values[f.name] = value
    return cls(**values)


def _bounds_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    if meta["one_of"] is not None and value not in meta["one_of"]:
        return f"must be one of {', '.join(str(v) for v in meta['one_of'])}"
    low, high = meta["minimum"], meta["maximum"]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and ((low is not None and value < low) or (high is not None and value > high)):
        return f"must be between {low:g} and {high:g}"
    return None
