"""Both stacks, rendered from their stack files by the real program: zero mandatory
violations, every advisory or excepted finding listed with its reason, no secret in an
output. Then a component broken on purpose, and the pack catching it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

import policy
from components.database import Database, DatabaseArgs
from components.network import Subnets
from mock_engine import RecordedResource, Recording
from policy.model import Enforcement, Finding, StackContext, context_of
from policy.recorded import to_resource
from policy.rules import evaluate
from policy.secrets import scan_outputs
from settings import DatabaseSettings, read_stack

KEY = "arn:aws:kms:us-east-1:123456789012:key/test"


def findings_of(recording: Recording, ctx: StackContext) -> list[Finding]:
    return evaluate([to_resource(r) for r in recording.resources], ctx)


@pytest.fixture(scope="module")
def stacks(stage: Recording, prod: Recording) -> dict[str, tuple[StackContext, list[Finding]]]:
    out = {}
    for name, recording in (("stage", stage), ("prod", prod)):
        stack_file = read_stack(name)
        out[name] = (context_of(stack_file), policy.findings(recording, stack_file))
    return out


def test_prod_is_checked_as_production_and_stage_is_not(stacks: dict) -> None:
    assert stacks["prod"][0].production is True
    assert stacks["stage"][0].production is False


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_no_mandatory_violation(stack: str, stacks: dict) -> None:
    _, findings = stacks[stack]
    assert [f.line() for f in findings if f.blocking] == []


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_every_other_finding_is_listed_with_its_reason(stack: str, stacks: dict) -> None:
    _, findings = stacks[stack]
    for f in findings:
        assert f.message, f
        assert f.enforcement is Enforcement.ADVISORY or (f.exception and f.reason), f.line()
    print(f"\n{stack}: {len(findings)} findings")
    for f in findings:
        print("  " + f.line())


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_the_stack_covers_the_resources_the_rules_are_about(stack: str, request: Any) -> None:
    recording: Recording = request.getfixturevalue(stack)
    types = {r.type for r in recording.resources}
    assert {
        "aws:ec2/vpc:Vpc",
        "aws:rds/instance:Instance",
        "aws:ec2/securityGroup:SecurityGroup",
    } <= types


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_outputs_expose_no_secret(stack: str, request: Any) -> None:
    recording: Recording = request.getfixturevalue(stack)
    assert recording.outputs, "the program exports outputs"
    assert scan_outputs(recording.outputs) == []


# A component broken on purpose ------------------------------------------------------------


def database(
    build: Callable[..., Recording], stack: str, *transforms: Any, **overrides: Any
) -> Recording:
    # The database settings of a production stack, with an override naming one of them.
    config: dict[str, Any] = {"multi_az": True, "deletion_protection": True, "final_snapshot": True}
    config.update(overrides)
    args = DatabaseArgs(
        network=Subnets(
            vpc_id="vpc-1",
            vpc_cidr="10.0.0.0/16",
            public=["subnet-p1", "subnet-p2"],
            private=["subnet-t1", "subnet-t2"],
            database=["subnet-a", "subnet-b"],
        ),
        kms_key_arn=KEY,
        identifier=f"ecs-platform-{stack}",
        protect=True,
        retain_on_delete=True,
        log_retention_days=30,
        config=DatabaseSettings(**config),
    )
    opts = pulumi.ResourceOptions(transformations=list(transforms))
    return build(lambda: Database("db", args, opts), stack=stack)


def make_public(
    args: pulumi.ResourceTransformationArgs,
) -> pulumi.ResourceTransformationResult | None:
    if args.type_ == "aws:rds/instance:Instance":
        return pulumi.ResourceTransformationResult(
            {**args.props, "publicly_accessible": True}, args.opts
        )
    return None


def mandatory(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule and f.blocking]


def test_a_database_made_public_is_caught(build: Callable[..., Recording]) -> None:
    ctx = StackContext(stack="stage")
    assert (
        mandatory(findings_of(database(build, "stage"), ctx), "rds-instance-public-access-check")
        == []
    )
    broken = database(build, "stage", make_public)
    assert broken.one("aws:rds/instance:Instance").inputs["publiclyAccessible"] is True
    assert mandatory(findings_of(broken, ctx), "rds-instance-public-access-check")


def test_a_prod_database_without_its_safety_settings_is_caught(
    build: Callable[..., Recording],
) -> None:
    ctx = StackContext(stack="prod", production=True)
    unsafe = database(
        build, "prod", multi_az=False, deletion_protection=False, final_snapshot=False
    )
    findings = findings_of(unsafe, ctx)
    assert mandatory(findings, "rds-instance-multi-az-enabled")
    assert {f.message for f in mandatory(findings, "prod-deletion-protection")} == {
        "deletionProtection is not true",
        "skipFinalSnapshot is true",
    }


def test_the_offline_check_exits_non_zero_on_a_mandatory_violation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from policy import check

    public = RecordedResource(
        type="aws:rds/instance:Instance",
        name="db",
        urn="urn:pulumi:stage::ecs-platform::aws:rds/instance:Instance::db",
        parent="",
        inputs={"publiclyAccessible": True},
        outputs={},
        id="db",
    )
    recording = Recording(resources=[public], outputs={"url": "https://x"})
    monkeypatch.setattr(check, "render_stack", lambda stack: recording)
    assert check.main(["--stack", "stage"]) == 1
    assert (
        "rds-instance-public-access-check: db: publiclyAccessible is true"
        in capsys.readouterr().out
    )
    empty = Recording(resources=[], outputs={"url": "https://x"})
    monkeypatch.setattr(check, "render_stack", lambda stack: empty)
    assert check.main(["--stack", "stage"]) == 0
