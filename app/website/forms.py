"""Parsing and validation of a guest book submission (form-encoded or JSON)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 4096
FIELDS = {"name": 40, "message": 280}
#: The one-time token the site's own form carries (see IDEMPOTENCY_KEY); optional.
TOKEN_FIELD = "token"
#: What an idempotency key (the form's token or the Idempotency-Key header) may be: up to
#: 128 characters that need no escaping in a header or a form (a UUID or base64url fits).
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,128}")
#: Characters allowed besides the printable ones: a browser sends a textarea's line breaks
#: as CRLF (HTML, "textarea wrapping transformation"); they are stored as LF.
ALLOWED_CONTROLS = frozenset("\n\t")
_LINE_BREAKS = re.compile(r"\r\n?")
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
ACCEPTED_TYPES = (FORM_TYPE, JSON_TYPE)


class InvalidSubmission(ValueError):
    """The body is malformed or a field is out of bounds; the text says which."""


@dataclass(frozen=True)
class Submission:
    name: str
    message: str
    token: str | None = None


def idempotency_key(value: str | None, where: str) -> str | None:
    """The key if `value` is a valid one, None if absent; InvalidSubmission if malformed."""
    if value is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidSubmission(f"{where} must be 1-128 characters from A-Z a-z 0-9 . _ : ~ -")
    return value


def parse(content_type: str, body: bytes) -> Submission:
    """Turn a request body into a Submission or raise InvalidSubmission."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmission("the body is not valid UTF-8") from None
    if content_type == JSON_TYPE:
        fields = _json_fields(text)
    elif content_type == FORM_TYPE:
        fields = _form_fields(text)
    else:  # the handler checks the type first; keep this function total anyway
        raise InvalidSubmission(f"unsupported content type {content_type!r}")

    token = fields.pop(TOKEN_FIELD, None) if content_type == FORM_TYPE else None
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidSubmission(
            f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(FIELDS)})"
        )
    values = {}
    for field, limit in FIELDS.items():
        raw = fields.get(field)
        if raw is None:
            raise InvalidSubmission(f"{field} is missing (1-{limit} characters)")
        value = _LINE_BREAKS.sub("\n", raw).strip()
        if not 1 <= len(value) <= limit:
            raise InvalidSubmission(f"{field} must be 1-{limit} characters, got {len(value)}")
        if any(
            unicodedata.category(c).startswith("C") and c not in ALLOWED_CONTROLS for c in value
        ):
            raise InvalidSubmission(f"{field} contains control or unassigned characters")
        values[field] = value
    return Submission(**values, token=idempotency_key(token, "the form's token"))


def _json_fields(text: str) -> dict[str, str]:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(f"the body is not valid JSON ({exc.msg})") from None
    except RecursionError:
        # Nesting deeper than the interpreter's recursion limit: a client's doing, not ours.
        raise InvalidSubmission("the JSON body is nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidSubmission("the JSON body must be an object with name and message")
    for key, value in data.items():
        if not isinstance(value, str):
            raise InvalidSubmission(f"{key} must be a string")
    return data


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise InvalidSubmission(f"{key} is given more than once")
    return dict(pairs)


def _form_fields(text: str) -> dict[str, str]:
    try:
        # errors="strict": a percent-encoded byte sequence that is not UTF-8 is refused,
        # not stored as replacement characters.
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=len(FIELDS) + 4,
            errors="strict",
        )
    except UnicodeDecodeError:
        raise InvalidSubmission("a form value is not valid UTF-8 once decoded") from None
    except ValueError:
        raise InvalidSubmission("the body is not a valid form (name=...&message=...)") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InvalidSubmission(f"{key} is given more than once")
        fields[key] = value
    return fields
