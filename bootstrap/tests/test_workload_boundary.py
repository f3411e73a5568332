"""Every action the program's own role policies grant is inside the workload boundary, or
it would be silently denied (stage and prod rendered from their stack files)."""

from __future__ import annotations

import fnmatch
import json

import bootstrap_policies as pol
import pytest

import aws_facts
from mock_engine import Recording, render_stack

# AWS-managed policies the program attaches; their documents are not available offline, so
# each is listed with what of it the boundary allows (AWS Managed Policy Reference).
MANAGED_POLICIES = {
    # ssmmessages:*, ec2messages:*, ssm:UpdateInstanceInformation: Session Manager works.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    # logs:* on the RDSOSMetrics log group.
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    # elasticloadbalancing:* for ECS's blue/green traffic shifts.
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
    # ecs:*, ecr pulls, logs:*, ec2:DescribeTags for the EC2 capacity option's instances.
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
}


@pytest.fixture(scope="module")
def stacks() -> dict[str, Recording]:
    return {stack: render_stack(stack) for stack in ("stage", "prod")}


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _granted(recording: Recording) -> set[str]:
    actions: set[str] = set()
    for r in recording.of_type("aws:iam/rolePolicy:RolePolicy"):
        doc = r.inputs["policy"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        for st in doc["Statement"]:
            if st["Effect"] == "Allow":
                actions.update(_list(st["Action"]))
    return actions


def _allowed_by_boundary(action: str) -> bool:
    for st in pol.workload_boundary_policy()["Statement"]:
        if st["Effect"] == "Allow" and any(
            fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(st["Action"])
        ):
            return True
    return False


def test_every_inline_role_action_is_inside_the_boundary(stacks: dict[str, Recording]) -> None:
    for stack, recording in stacks.items():
        granted = _granted(recording)
        assert granted, stack
        outside = sorted(a for a in granted if not _allowed_by_boundary(a))
        assert outside == [], stack


def test_only_known_managed_policies_are_attached(stacks: dict[str, Recording]) -> None:
    for recording in stacks.values():
        attached = {
            r.inputs["policyArn"]
            for r in recording.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        }
        assert attached <= MANAGED_POLICIES


def test_nat_instances_and_interfaces_carry_the_tags_the_boundary_requires(
    stacks: dict[str, Recording],
) -> None:
    stage = stacks["stage"]
    groups = stage.of_type("aws:autoscaling/group:Group")
    nat_groups = [g for g in groups if any(t["key"] == "Role" for t in g.inputs.get("tags", []))]
    assert nat_groups
    for group in nat_groups:
        tags = {t["key"]: (t["value"], t["propagateAtLaunch"]) for t in group.inputs["tags"]}
        assert tags["Role"] == ("nat", True)
        assert tags["Project"] == (pol.PROJECT, True)
    for eni in stage.of_type("aws:ec2/networkInterface:NetworkInterface"):
        assert eni.inputs["tags"]["Role"] == "nat", eni.name


# AmazonSSMManagedInstanceCore, as the AWS Managed Policy Reference lists its actions.
SSM_MANAGED_INSTANCE_CORE = aws_facts.MANAGED_POLICIES[
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
][0]


def test_the_ssm_agent_on_the_instances_is_inside_the_boundary() -> None:
    outside = [a for a in SSM_MANAGED_INSTANCE_CORE if not _allowed_by_boundary(a)]
    assert outside == []
