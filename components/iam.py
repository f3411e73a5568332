"""Where the program's IAM roles live: one path and one permissions boundary for all of them.

The CI deploy roles (bootstrap/) may create roles only under this path and only with this
boundary, so that a deployment can never grant itself more than the boundary allows.
A transformation applies both to every role and instance profile the components declare.
"""

from __future__ import annotations

from collections.abc import Callable

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
