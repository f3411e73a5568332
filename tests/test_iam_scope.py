"""The IAM scope transformation: path and permissions boundary on every role."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.iam import iam_scope
from mock_engine import render_config

BOUNDARY = "arn:aws:iam::123456789012:policy/ecs-platform/workload-boundary"


def test_roles_get_the_path_and_boundary_and_profiles_the_path(build) -> None:
    def make() -> None:
        scoped = pulumi.ResourceOptions(transformations=[iam_scope("/ecs-platform/", BOUNDARY)])
        role = aws.iam.Role("r", assume_role_policy=json.dumps({}), opts=scoped)
        aws.iam.InstanceProfile("p", role=role.name, opts=scoped)
        aws.iam.Role("outside", assume_role_policy=json.dumps({}))

    rec = build(make)
    assert rec.named("r").inputs["path"] == "/ecs-platform/"
    assert rec.named("r").inputs["permissionsBoundary"] == BOUNDARY
    assert rec.named("p").inputs["path"] == "/ecs-platform/"
    assert "permissionsBoundary" not in rec.named("p").inputs
    assert "path" not in rec.named("outside").inputs


def test_no_boundary_is_set_when_none_is_configured(build) -> None:
    rec = build(
        lambda: aws.iam.Role(
            "r",
            assume_role_policy="{}",
            opts=pulumi.ResourceOptions(transformations=[iam_scope("/x/", "")]),
        )
    )
    assert "permissionsBoundary" not in rec.named("r").inputs


def test_configured_boundary_reaches_every_role_of_the_program() -> None:
    config = {
        "aws:region": "us-east-1",
        "ecs-platform:tags": {"owner": "web", "costCentre": "cc-1"},
        "ecs-platform:dns": {"domain": "stage.example.com"},
        "ecs-platform:iam": {"permissionsBoundaryArn": BOUNDARY},
    }
    rec = render_config("stage", config)
    roles = rec.of_type("aws:iam/role:Role")
    assert roles
    assert {r.inputs.get("permissionsBoundary") for r in roles} == {BOUNDARY}
