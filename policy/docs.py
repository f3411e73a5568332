"""The security documentation's tables, generated from the rules and the exceptions so the
documentation cannot drift from what the pack enforces.

``rules_markdown`` lists every rule (id, level, scope, what it checks with the checkov,
FSBP and awsguard ids it stands for); ``exceptions_markdown`` lists every named exception
(the rules it covers, what it matches exactly, why).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from policy.exceptions import EXCEPTIONS, PolicyException
from policy.rules import RULES, Rule


def _cell(text: str) -> str:
    """Text safe inside one table cell: a pipe would end the cell, a newline the row."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _rule_row(rule: Rule) -> tuple[str, str, str, str]:
    return (f"`{rule.id}`", rule.enforcement.value, rule.scope, rule.description)


def rules_markdown() -> str:
    """The table of every rule, in the order the pack lists them."""
    return _table(("rule", "level", "scope", "what it checks (IDs)"), map(_rule_row, RULES))


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _exception_row(exception: PolicyException) -> tuple[str, str, str, str]:
    why = _sentence(exception.reason)
    if exception.note:
        why += " " + _sentence(exception.note)
    return (
        f"`{exception.name}`",
        ", ".join(f"`{rule}`" for rule in sorted(exception.rules)),
        exception.matches,
        why,
    )


def exceptions_markdown() -> str:
    """The table of every named exception, in declaration order."""
    return _table(("exception", "rules", "matches exactly", "why"), map(_exception_row, EXCEPTIONS))
