"""IAM: the path and permissions boundary of every role the program creates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_facts import IAM_PATH, IAM_PATH_MAX_LENGTH
from settings.engine import setting


def _iam_path_problem(value: str) -> str | None:
    if not IAM_PATH.match(value) or len(value) > IAM_PATH_MAX_LENGTH:
        return "must be an IAM path that starts and ends with / (e.g. /ecs-platform/)"
    return None


def _policy_arn_problem(value: str) -> str | None:
    if value and not re.match(
        r"^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", value
    ):
        return "must be an IAM policy ARN (arn:aws:iam::<account>:policy/...), or empty"
    return None


@dataclass(frozen=True)
class IamSettings:
    """Where the program's roles live (the CI deploy roles only manage roles there)."""

    role_path: str = setting(
        "/ecs-platform/", "IAM path of every role and instance profile.", check=_iam_path_problem
    )
    permissions_boundary_arn: str = setting(
        "",
        "Permissions boundary put on every role: the bootstrap's workloadBoundaryArn "
        "output; empty for none.",
        check=_policy_arn_problem,
    )
