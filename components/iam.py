"""IAM helpers of the components: where roles live, and policy documents as typed data.

Every role and instance profile lives under one path with one permissions boundary: the CI
deploy roles (bootstrap/) may create roles only there and only with that boundary, so that a
deployment can never grant itself more than the boundary allows. `iam_scope` is the
transformation that applies both to every role and instance profile the components declare.

Policy documents are built as plain data (`statement`, `document`, `assume_role_policy`) so
that tests read them as JSON. Their types follow the IAM User Guide's "IAM JSON policy
elements reference"; a value may be a Pulumi Input (an ARN not known yet), which `document`
resolves before the JSON is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Required, TypedDict

import pulumi

ROLE_TYPES = ("aws:iam/role:Role",)
PATH_TYPES = ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile")

POLICY_VERSION: Literal["2012-10-17"] = "2012-10-17"
"""The current policy language version (IAM JSON policy elements: Version); without it IAM
reads a document as the 2008 language, which lacks policy variables."""

PolicyEffect = Literal["Allow", "Deny"]
"""IAM JSON policy elements: Effect, "Allow" or "Deny" (case-sensitive)."""

Values = pulumi.Input[str] | Sequence[pulumi.Input[str]]
"""One value or a list of them: what Principal, Resource and a condition key accept."""

Conditions = Mapping[str, Mapping[str, Values]]
"""IAM JSON policy elements: Condition, condition operator -> condition key -> value(s).
Operators stay `str`: besides the base names (StringEquals, ArnLike, Bool, ...) IAM accepts
each with an `IfExists` suffix and a `ForAllValues:` / `ForAnyValue:` prefix."""


class Principals(TypedDict, total=False):
    """IAM JSON policy elements: Principal, by kind (an AWS account or role, or a service)."""

    AWS: Values
    Service: Values


class Statement(TypedDict, total=False):
    """One policy statement (IAM JSON policy elements: Sid, Effect, Principal, Action,
    Resource, Condition). Trust policies have no Resource; resource policies add Principal."""

    Sid: str
    Effect: Required[PolicyEffect]
    Principal: Principals
    Action: Required[str | list[str]]
    Resource: Values
    Condition: Conditions


class PolicyDocument(TypedDict):
    """A policy document: identity-based, resource-based or a trust policy."""

    Version: Literal["2012-10-17"]
    Statement: list[Statement]


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
    resources: Values,
    *,
    effect: PolicyEffect = "Allow",
    principal: Principals | None = None,
    condition: Conditions | None = None,
) -> Statement:
    """One policy statement; resources may hold Outputs (resolve with `document`)."""
    out: Statement = {"Sid": sid, "Effect": effect, "Action": actions}
    if principal is not None:
        out["Principal"] = principal
    out["Resource"] = resources
    if condition is not None:
        out["Condition"] = condition
    return out


def policy_document(*statements: Statement) -> PolicyDocument:
    """The statements as one document (Outputs inside still unresolved)."""
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def document(*statements: Statement) -> pulumi.Output[str]:
    """A policy document as JSON text, Outputs inside it resolved."""
    return pulumi.Output.json_dumps(policy_document(*statements))


def assume_role_policy(
    service: str, *, source_account: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume a role (pinned to the account if given)."""
    trust: Statement = {
        "Sid": "AssumedBy" + "".join(p.title() for p in service.split(".")[0].split("-")),
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return pulumi.Output.json_dumps(policy_document(trust))
