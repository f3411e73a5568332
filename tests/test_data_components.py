"""StackKey, Registry and Database: exact child contracts."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.database import (
    Database,
    DatabaseArgs,
    final_snapshot_identifier,
    parameter_group_family,
)
from components.kms import StackKey, StackKeyArgs
from components.network import Subnets
from components.registry import (
    NoRunningRelease,
    Registry,
    RegistryArgs,
    RunningRelease,
    RunningService,
    context_hash,
    lifecycle_policy,
    running_release,
)
from mock_engine.mocks import RUNNING_ENVIRONMENT, AwsMocks
from settings import DatabaseSettings

KEY = "arn:aws:kms:us-east-1:123456789012:key/test"
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64
RUNNING = RunningService("ecs-platform-stage", "ecs-platform-stage-web", "web")


def key_args(**overrides: Any) -> StackKeyArgs:
    """The key's arguments: protected, as a stack with protectStatefulResources has it."""
    return StackKeyArgs(**{"protect": True, **overrides})


def registry_args(**overrides: Any) -> RegistryArgs:
    """The repository's arguments: protected, no image and no build unless given."""
    values: dict[str, Any] = {
        "kms_key_arn": KEY,
        "image": "",
        "build": False,
        "version": "dev",
        "protect": True,
    }
    return RegistryArgs(**{**values, **overrides})


# StackKey -----------------------------------------------------------------------------------


def test_stack_key_rotates_and_names_its_alias(build) -> None:
    rec = build(lambda: StackKey("stack", key_args(alias="ecs-platform-stage")))
    key = rec.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert rec.one("aws:kms/alias:Alias").inputs["name"] == "alias/ecs-platform-stage"
    assert key.parent_type == "ecs-platform:kms:StackKey"


def test_stack_key_policy_names_only_the_account_logs_and_cloudwatch(build) -> None:
    rec = build(lambda: StackKey("stack", key_args(alias="a")))
    policy = json.loads(rec.one("aws:kms/key:Key").inputs["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert principals == [
        {"AWS": "arn:aws:iam::123456789012:root"},
        {"Service": "logs.us-east-1.amazonaws.com"},
        {"Service": ["cloudwatch.amazonaws.com", "aps.amazonaws.com"]},
    ]
    logs = policy["Statement"][1]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:*"}
    }
    assert policy["Statement"][2]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_stack_key_is_protected_and_retained_unless_disposable(build) -> None:
    rec = build(lambda: StackKey("stack", key_args(alias="a")))
    key = rec.one("aws:kms/key:Key")
    assert (key.protect, key.retain_on_delete) == (True, True)
    # The alias is deleted with the stack so that a re-created stack can create it again.
    alias = rec.one("aws:kms/alias:Alias")
    assert (alias.protect, alias.retain_on_delete) == (False, False)
    disposable = build(lambda: StackKey("stack", key_args(alias="a", protect=False)))
    key = disposable.one("aws:kms/key:Key")
    assert (key.protect, key.retain_on_delete) == (False, False)


def test_stack_key_rejects_a_short_deletion_window() -> None:
    with pytest.raises(ValueError, match="between 7 and 30"):
        key_args(alias="a", deletion_window_days=3)


# Registry -----------------------------------------------------------------------------------


def test_repository_is_immutable_scanned_and_kms_encrypted(build) -> None:
    rec = build(lambda: Registry("registry", registry_args(image=DIGEST)))
    repo = rec.one("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY}]
    assert repo.inputs["forceDelete"] is False


def test_repository_is_protected_retained_and_never_force_deleted_by_default(build) -> None:
    rec = build(lambda: Registry("registry", registry_args(image=DIGEST)))
    repo = rec.one("aws:ecr/repository:Repository")
    assert (repo.protect, repo.retain_on_delete, repo.inputs["forceDelete"]) == (True, True, False)


def test_disposable_repository_is_deleted_with_its_images(build) -> None:
    # DeleteRepository refuses a repository holding images unless `force` is set (ECR API).
    rec = build(lambda: Registry("registry", registry_args(image=DIGEST, protect=False)))
    repo = rec.one("aws:ecr/repository:Repository")
    assert (repo.protect, repo.retain_on_delete, repo.inputs["forceDelete"]) == (
        False,
        False,
        True,
    )


def test_lifecycle_keeps_n_tagged_images_and_expires_untagged_after_a_day(build) -> None:
    rec = build(lambda: Registry("registry", registry_args(image=DIGEST, keep_tagged_images=12)))
    rules = json.loads(rec.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    untagged, tagged = rules["rules"]
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 1,
    }
    assert tagged["selection"]["countType"] == "imageCountMoreThan"
    assert tagged["selection"]["countNumber"] == 12
    assert (
        lifecycle_policy(12) == rec.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"]
    )


def test_given_image_is_used_as_is_and_nothing_is_built(build) -> None:
    registry: list[Registry] = []
    rec = build(lambda: registry.append(Registry("registry", registry_args(image=DIGEST))))
    assert not [r for r in rec.resources if r.type.startswith("docker:")]


def test_a_build_is_for_arm64_and_referenced_by_digest(build) -> None:
    rec = build(
        lambda: Registry("registry", registry_args(build=True, version="1.2.3")),
        stack="stage",
    )
    image = rec.one("docker:index/image:Image")
    assert image.inputs["build"]["platform"] == "linux/arm64"
    assert image.inputs["build"]["context"] == "app"
    assert image.inputs["imageName"].endswith(f":1.2.3-{context_hash(Path('app'))}")
    assert "@sha256:" in image.outputs["repoDigest"]


def test_the_running_release_is_read_from_the_service_task_definition(build) -> None:
    found: list[RunningRelease] = []
    build(lambda: found.append(running_release(RUNNING)), stack="stage")
    # The mock service runs an image of its own repository, by digest (mock_engine/mocks.py).
    repository = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecs-platform-stage"
    assert re.fullmatch(re.escape(repository) + "@sha256:[0-9a-f]{64}", found[0].image)
    assert found[0].environment == RUNNING_ENVIRONMENT


def fails_to_find_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service does not exist yet: the provider's data source fails, as it does for a
    missing service (terraform-provider-aws, ecs service data source: a singular find error).
    The engine hands the program such a failure as the invoke's error, not a crash."""
    answer = AwsMocks.call

    # The invoke fails as the provider fails it: no outputs, one check failure.
    def call(self: AwsMocks, args: pulumi.runtime.MockCallArgs) -> object:
        if args.token == "aws:ecs/getService:getService":
            return {}, [("serviceName", "reading ECS Service: couldn't find resource")]
        return answer(self, args)

    monkeypatch.setattr(AwsMocks, "call", call)


def test_a_stack_that_runs_nothing_yet_is_told_how_to_deploy_first(build, monkeypatch) -> None:
    fails_to_find_the_service(monkeypatch)
    with pytest.raises(NoRunningRelease) as caught:
        build(lambda: running_release(RUNNING))
    text = str(caught.value)
    assert "the stack runs no release yet" in text
    assert "set release.image, or release.build: true for the first deploy" in text
    assert "couldn't find resource" in text
    # A RunError: the engine prints the message without a Python traceback.
    assert isinstance(caught.value, pulumi.RunError)


def test_a_running_image_not_referenced_by_digest_is_not_kept(build, monkeypatch) -> None:
    answer = AwsMocks._invoke

    def invoke(self: AwsMocks, token: str, a: dict) -> object:
        found = answer(self, token, a)
        if token == "aws:ecs/getContainerDefinition:getContainerDefinition":
            return {**(found or {}), "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"}
        return found

    monkeypatch.setattr(AwsMocks, "_invoke", invoke)
    with pytest.raises(NoRunningRelease, match="not an image by digest"):
        build(lambda: running_release(RUNNING))


def test_an_image_and_a_build_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        registry_args(image=DIGEST, build=True)


def test_without_image_or_build_the_registry_has_nothing_to_deploy() -> None:
    with pytest.raises(ValueError, match="or build"):
        registry_args()


def test_a_tag_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="digest"):
        registry_args(image="registry.example.com/web:latest")


def test_context_hash_changes_with_the_content(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    before = context_hash(tmp_path)
    (tmp_path / "app.py").write_text("print(2)\n")
    assert context_hash(tmp_path) != before


# Database -----------------------------------------------------------------------------------


DATABASE_FIELDS = {f.name for f in dataclasses.fields(DatabaseSettings)}
NETWORK = Subnets(
    vpc_id="vpc-1",
    vpc_cidr="10.0.0.0/16",
    public=["subnet-p1", "subnet-p2"],
    private=["subnet-t1", "subnet-t2"],
    database=["subnet-a", "subnet-b"],
)


def db_args(**overrides: object) -> DatabaseArgs:
    """The database's arguments; an override names a field of the arguments (`protect` is the
    arguments' Pulumi protection) or of the database settings."""
    config = {
        k: overrides.pop(k) for k in list(overrides) if k in DATABASE_FIELDS and k != "protect"
    }
    values: dict = {
        "network": NETWORK,
        "kms_key_arn": KEY,
        "identifier": "ecs-platform-test",
        "protect": True,
        "retain_on_delete": True,
        "log_retention_days": 30,
        "config": DatabaseSettings(**config),
    }
    values.update(overrides)
    return DatabaseArgs(**values)


def build_db(build, **overrides: object):
    def make() -> None:
        db = Database("db", db_args(**overrides))
        db.admit("service", "sg-service", "PostgreSQL from the website's tasks")
        db.admit("bastion", "sg-bastion", "PostgreSQL from the bastion")

    return build(make)


def test_database_declares_exactly_these_resources(build) -> None:
    assert build_db(build).counts() == {
        "ecs-platform:database:Database": 1,
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "aws:rds/subnetGroup:SubnetGroup": 1,
        "aws:rds/parameterGroup:ParameterGroup": 1,
        "aws:cloudwatch/logGroup:LogGroup": 2,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:rds/instance:Instance": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,
    }


def test_database_is_private_encrypted_and_its_password_managed_by_aws(build) -> None:
    db = build_db(build).one("aws:rds/instance:Instance").inputs
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == KEY
    assert db["manageMasterUserPassword"] is True
    assert db["masterUserSecretKmsKeyId"] == KEY
    assert "password" not in db
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["autoMinorVersionUpgrade"] is True
    assert db["copyTagsToSnapshot"] is True
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == KEY
    assert db["monitoringInterval"] == 60


def test_database_enforces_tls_through_its_parameter_group(build) -> None:
    rec = build_db(build, engine_version="16.4")
    params = rec.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert params["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1"} in params["parameters"]
    assert (
        rec.one("aws:rds/instance:Instance").inputs["parameterGroupName"]
        == (rec.one("aws:rds/parameterGroup:ParameterGroup").outputs["name"])
    )


def test_database_admits_only_the_given_security_groups_on_5432(build) -> None:
    rec = build_db(build)
    rules = rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [
        (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"])
        for r in rules
    ] == [("sg-bastion", 5432, 5432), ("sg-service", 5432, 5432)]
    assert all("cidrIpv4" not in r.inputs for r in rules)
    sg = rec.one("aws:ec2/securityGroup:SecurityGroup").inputs
    assert "ingress" not in sg or sg["ingress"] == []


def test_safety_settings_follow_the_args(build) -> None:
    safe = build_db(build)
    instance = safe.one("aws:rds/instance:Instance")
    assert instance.protect is True
    assert instance.retain_on_delete is True
    assert instance.inputs["deletionProtection"] is True
    assert instance.inputs["skipFinalSnapshot"] is False
    assert instance.inputs["finalSnapshotIdentifier"].startswith("ecs-platform-test-final-")
    loose = build_db(
        build,
        protect=False,
        retain_on_delete=False,
        deletion_protection=False,
        final_snapshot=False,
        multi_az=True,
    )
    instance = loose.one("aws:rds/instance:Instance")
    assert instance.protect is False
    assert instance.retain_on_delete is False
    assert "finalSnapshotIdentifier" not in instance.inputs
    assert instance.inputs["deletionProtection"] is False
    assert instance.inputs["skipFinalSnapshot"] is True
    assert instance.inputs["multiAz"] is True


def test_log_groups_exist_before_rds_writes_to_them(build) -> None:
    rec = build_db(build, log_retention_days=14)
    groups = rec.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g.inputs["name"] for g in groups) == [
        "/aws/rds/instance/ecs-platform-test/postgresql",
        "/aws/rds/instance/ecs-platform-test/upgrade",
    ]
    assert {g.inputs["retentionInDays"] for g in groups} == {14}
    assert {g.inputs["kmsKeyId"] for g in groups} == {KEY}
    instance = rec.one("aws:rds/instance:Instance")
    assert set(instance.depends_on) >= {g.urn for g in groups}


def snapshot_name_is_valid(name: str) -> bool:
    """DeleteDBInstance, FinalDBSnapshotIdentifier (RDS API reference): 1 to 255 letters,
    digits or hyphens; first a letter; no two consecutive hyphens; not ending in a hyphen."""
    return (
        1 <= len(name) <= 255
        and re.fullmatch(r"[A-Za-z0-9-]+", name) is not None
        and name[0].isalpha()
        and "--" not in name
        and not name.endswith("-")
    )


def test_final_snapshot_name_follows_the_rds_naming_rule(build) -> None:
    name = build_db(build).one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"]
    assert snapshot_name_is_valid(name)
    longest_identifier = "a" * 63  # DB instance identifiers are at most 63 characters
    assert snapshot_name_is_valid(final_snapshot_identifier(longest_identifier, "sg-1"))


def test_a_final_snapshot_name_breaking_the_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="first a letter"):
        final_snapshot_identifier("1-db", "sg-1")
    with pytest.raises(ValueError, match="no two hyphens"):
        final_snapshot_identifier("db-", "sg-1")


def test_final_snapshot_name_is_stable_across_deployments(build) -> None:
    first = build_db(build).one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"]
    again = build_db(build).one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"]
    assert first == again


def test_each_incarnation_of_the_database_gets_its_own_final_snapshot_name(build) -> None:
    # A second deletion of the stack, or of a replaced instance, must not reuse a name RDS
    # already holds (DBSnapshotAlreadyExists): a re-created stack has a new security group
    # id, a replaced instance a new key, database name or master user.
    base = ("postgres", "sg-0aaa", KEY, "app", "app_admin")
    names = {
        final_snapshot_identifier("ecs-platform-prod", *generation)
        for generation in (
            base,
            ("postgres", "sg-0bbb", KEY, "app", "app_admin"),
            ("postgres", "sg-0aaa", KEY + "-new", "app", "app_admin"),
            ("postgres", "sg-0aaa", KEY, "shop", "app_admin"),
        )
    }
    assert len(names) == 4
    rec = build_db(build)
    sg = rec.one("aws:ec2/securityGroup:SecurityGroup").id
    instance = rec.one("aws:rds/instance:Instance").inputs
    assert instance["finalSnapshotIdentifier"] == final_snapshot_identifier(
        "ecs-platform-test", "postgres", sg, KEY, "app", "app_admin"
    )


def test_parameter_group_family_follows_the_major_version() -> None:
    assert parameter_group_family("17") == "postgres17"
    assert parameter_group_family("15.8") == "postgres15"
