"""Whether a configuration key or value is, or looks like, a secret.

A key names a secret when it says password, token, api key, ... and does not merely point at
one (an ARN, an id, a length). A value looks like one when it matches a known credential
format (an AWS access key id, a private key block, a GitHub or Slack token, a JSON web token,
credentials in a URL) or holds a long high-entropy string. Settings use this to keep secrets
out of their error messages; the policy pack to find secrets written in plain text.
"""

from __future__ import annotations

import math
import re
from collections import Counter

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


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def high_entropy_token(text: str) -> str | None:
    """A long token mixing upper case, lower case and digits with high entropy, if any.

    Hex digests (image digests, hashes) and UUIDs are lower-case only and never match.
    """
    token: str
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
