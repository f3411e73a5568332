"""Detects secrets written in plain text: in stack files, outputs, environments, user data.

A value is suspect when its key names a credential (password, token, api key, ...) and it
is a non-empty string, or when the value itself looks like one: an AWS access key id, a
private key block, a known token format, or a long high-entropy string. Pulumi's encrypted
config entries (``{secure: ...}``) are what a secret in a stack file must look like.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secret_detection import (
    ENTROPY_BITS,
    SAFE_NAME,
    SENSITIVE_NAME,
    VALUE_PATTERNS,
    high_entropy_token,
    sensitive_name,
    shannon_entropy,
    value_reason,
)

# The detector's pieces are re-exported: the pack's rules and tests import them from here.
__all__ = [
    "ENTROPY_BITS",
    "SAFE_NAME",
    "SENSITIVE_NAME",
    "VALUE_PATTERNS",
    "SecretHit",
    "high_entropy_token",
    "is_secure_entry",
    "scan_outputs",
    "scan_stack_config",
    "scan_values",
    "sensitive_name",
    "shannon_entropy",
    "value_reason",
]


@dataclass(frozen=True)
class SecretHit:
    path: str
    reason: str


def is_secure_entry(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if is_secure_entry(value):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    else:
        yield path, value


def _leaf_name(path: str) -> str:
    return re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]


def scan_values(data: Any, path: str = "") -> list[SecretHit]:
    """Plain-text secrets anywhere in a nested value; ``{secure: ...}`` entries are skipped."""
    hits: list[SecretHit] = []
    for where, value in _walk(data, path):
        if not isinstance(value, str) or not value.strip():
            continue
        reason = value_reason(value)
        if reason is None and sensitive_name(_leaf_name(where)):
            reason = (
                "a credential-named key holds a plain-text value (use `pulumi config set --secret`)"
            )
        if reason:
            hits.append(SecretHit(where, reason))
    return hits


def scan_stack_config(document: Mapping[str, Any]) -> list[SecretHit]:
    """Findings for a parsed ``Pulumi.<stack>.yaml``."""
    return scan_values(document.get("config") or {}, "config")


def scan_outputs(outputs: Mapping[str, Any]) -> list[SecretHit]:
    """Stack outputs must neither be named like a secret nor hold one."""
    hits = [
        SecretHit(name, "output is named like a secret")
        for name in outputs
        if sensitive_name(str(name))
    ]
    named = {h.path for h in hits}
    hits.extend(h for h in scan_values(dict(outputs)) if h.path not in named)
    return hits
