"""IAM helpers of the components: where roles live, and policy documents as plain data.

Every role and instance profile lives under one path with one permissions boundary: the CI
deploy roles (bootstrap/) may create roles only there and only with that boundary, so that a
deployment can never grant itself more than the boundary allows. `iam_scope` is the
transformation that applies both to every role and instance profile the components declare.

Policy documents are built as plain data (`statement`, `document`, `assume_role_policy`) so
that tests read them as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi

ROLE_TYPES = ("aws:iam/role:Role",)
PATH_TYPES = ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile")


def iam_scope(
    role_path: str, boundary_arn: str
) -> Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]:
    """A transformation giving roles and instance profiles `role_path`, and roles the
    permissions boundary `boundary_arn` (none when empty)."""

    def transform(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if args.type_ not in PATH_TYPES:
            return None
        props = {**args.props, "path": role_path}
        if args.type_ in ROLE_TYPES and boundary_arn:
            props["permissions_boundary"] = boundary_arn
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform


def statement(
    sid: str,
    actions: list[str],
    resources: pulumi.Input[str] | Sequence[pulumi.Input[str]],
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One policy statement; resources may hold Outputs (resolve with `document`)."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": actions}
    if principal is not None:
        out["Principal"] = principal
    out["Resource"] = resources
    if condition is not None:
        out["Condition"] = condition
    return out


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A policy document as JSON text, Outputs inside it resolved."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(
    service: str, *, source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume a role (pinned to the account if given)."""
    trust: dict[str, Any] = {
        "Sid": "AssumedBy" + "".join(p.title() for p in service.split(".")[0].split("-")),
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [trust]})
