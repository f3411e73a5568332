"""Field checks several areas share: CIDR blocks, EC2 instance types, how far a list of
source ranges reaches into the internet."""

from __future__ import annotations

import aws_facts
from address_space import WIDEST_PUBLIC_RANGE, prefix_problem, scope
from settings.engine import Issue


def cidr_problem(value: str) -> str | None:
    return prefix_problem(value)


def ec2_class_problem(value: str) -> str | None:
    if aws_facts.instance_type(value) is None:
        return "must be an EC2 instance type such as t4g.nano or m7g.large"
    return None


def arm_ec2_class_problem(value: str) -> str | None:
    found = aws_facts.instance_type(value)
    if found is None or "arm64" not in found.architectures:
        return "must be a Graviton (ARM64) instance type such as t4g.nano or c7g.medium"
    return None


def cidr_list_issues(key: str, cidrs: tuple[str, ...], issues: list[Issue]) -> str | None:
    """Reports malformed CIDRs; says how far the valid ones together reach into the internet
    when their union is wider than one rule may admit, else None."""
    valid = []
    for cidr in cidrs:
        problem = cidr_problem(cidr)
        if problem is not None:
            issues.append(Issue(key, cidr, problem))
        else:
            valid.append(cidr)
    reach = scope(valid)
    if not reach.too_wide():
        return None
    whole = " (the whole internet)" if reach.whole_internet() else ""
    return (
        f"must not admit more than {WIDEST_PUBLIC_RANGE} space; these ranges "
        f"admit {reach.describe()}{whole}"
    )
