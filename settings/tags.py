"""Tags: who owns the stack and who pays for it, on every resource."""

from __future__ import annotations

from dataclasses import dataclass

from aws_facts import TAG_VALUE
from settings.engine import setting


def _tag_value_problem(value: str) -> str | None:
    if not TAG_VALUE.match(value):
        return "must be 1-256 characters of letters, digits, spaces and _ . : / = + - @"
    return None


@dataclass(frozen=True)
class TagSettings:
    """Stack-wide tags; Project, Environment and ManagedBy are added by the program."""

    owner: str = setting(
        "",
        "Team or person accountable for the stack (tag Owner).",
        required=True,
        check=_tag_value_problem,
    )
    cost_centre: str = setting(
        "",
        "Cost centre the stack is billed to (tag CostCentre).",
        required=True,
        check=_tag_value_problem,
    )


# The tags every resource carries (StackSettings.stack_tags, through the provider's default tags).
STACK_TAG_KEYS = ("Project", "Environment", "ManagedBy", "Owner", "CostCentre")
