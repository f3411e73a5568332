"""Helpers for IAM and resource policy documents, built as plain data so tests can read them."""

from __future__ import annotations

from typing import Any

import pulumi


def statement(
    sid: str,
    actions: list[str],
    resources: list[Any] | Any,
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


def assume_role_policy(service: str, *, source_account: pulumi.Input[str] | None = None) -> Any:
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
