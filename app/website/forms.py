"""Parsing and validation of a guest book submission (form-encoded or JSON)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 4096
FIELDS = {"name": 40, "message": 280}
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
ACCEPTED_TYPES = (FORM_TYPE, JSON_TYPE)


class InvalidSubmission(ValueError):
    """The body is malformed or a field is out of bounds; the text says which."""


@dataclass(frozen=True)
class Submission:
    name: str
    message: str


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
        value = raw.strip()
        if not 1 <= len(value) <= limit:
            raise InvalidSubmission(f"{field} must be 1-{limit} characters, got {len(value)}")
        if any(unicodedata.category(c).startswith("C") and c != "\n" for c in value):
            raise InvalidSubmission(f"{field} contains control or unassigned characters")
        values[field] = value
    return Submission(**values)


def _json_fields(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(f"the body is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InvalidSubmission("the JSON body must be an object with name and message")
    for key, value in data.items():
        if not isinstance(value, str):
            raise InvalidSubmission(f"{key} must be a string")
    return data


def _form_fields(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, max_num_fields=len(FIELDS) + 4
        )
    except ValueError:
        raise InvalidSubmission("the body is not a valid form (name=...&message=...)") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InvalidSubmission(f"{key} is given more than once")
        fields[key] = value
    return fields
