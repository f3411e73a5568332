"""Detects secrets written in plain text: in stack files, outputs, environments, user data.

A value is suspect when its key names a credential (password, token, api key, ...) and it
is a non-empty string, or when the value itself looks like one: an AWS access key id, a
private key block, a known token format, or a long high-entropy string. Pulumi's encrypted
config entries (``{secure: ...}``) are what a secret in a stack file must look like.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SENSITIVE_NAME = re.compile(
    r"(password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key)",
    re.IGNORECASE,
)
# Names that point at a secret rather than hold one (an ARN, an id, a name, a length, ...).
SAFE_NAME = re.compile(
    r"(arn|arns|id|ids|name|names|path|url|uri|ref|version|versionid|length|days|enabled"
    r"|rotation|rotationdays|type|kind|keyid|kmskeyid|source|from|parameter|param)$",
    re.IGNORECASE,
)

VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key block", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----")),
    ("GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")),
    (
        "credentials in a URL",
        re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@", re.IGNORECASE),
    ),
)
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")
ENTROPY_BITS = 4.2


@dataclass(frozen=True)
class SecretHit:
    path: str
    reason: str


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def high_entropy_token(text: str) -> str | None:
    """A long token mixing upper case, lower case and digits with high entropy, if any.

    Hex digests (image digests, hashes) and UUIDs are lower-case only and never match.
    """
    for token in _TOKEN.findall(text):
        classes = (
            any(c.isupper() for c in token),
            any(c.islower() for c in token),
            any(c.isdigit() for c in token),
        )
        if all(classes) and shannon_entropy(token) >= ENTROPY_BITS:
            return token
    return None


def value_reason(value: str) -> str | None:
    """Why a string value looks like a secret, or None."""
    for label, pattern in VALUE_PATTERNS:
        if pattern.search(value):
            return f"value looks like a {label}"
    if high_entropy_token(value):
        return "value contains a long high-entropy string"
    return None


def sensitive_name(name: str) -> bool:
    """True when a key names a secret value (``dbPassword``), not a pointer (``dbPasswordArn``)."""
    leaf = re.split(r"[.:/]", name)[-1]
    return bool(SENSITIVE_NAME.search(leaf)) and not SAFE_NAME.search(leaf)


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
