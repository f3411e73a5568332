"""The bootstrap's resources under Pulumi mocks: bucket, key, OIDC provider and roles."""

from __future__ import annotations

import json
from typing import Any

import bootstrap_policies as pol
import bootstrap_resources as res
import pulumi
import pytest

ACCOUNT = "123456789012"


def _settings(**overrides: Any) -> pol.BootstrapSettings:
    values: dict[str, Any] = {"github_repository": "acme/ecs-platform", "region": "eu-west-1"}
    values.update(overrides)
    return pol.BootstrapSettings(**values)


def _of_type(mocks: Any, typ: str) -> list[Any]:
    return [r for r in mocks.resources if r.typ == typ]


def _wait(built: res.Bootstrap) -> pulumi.Output[Any]:
    roles = [*built.deploy_roles.values(), built.preview_role]
    return pulumi.Output.all(
        built.bucket.arn, built.key.arn, built.boundary.arn, *[r.arn for r in roles]
    )


@pytest.fixture(scope="module")
def built(mocks: Any) -> tuple[Any, res.Bootstrap]:
    holder: dict[str, res.Bootstrap] = {}

    @pulumi.runtime.test
    def declare() -> pulumi.Output[Any]:
        holder["built"] = res.declare(_settings(), ACCOUNT)
        return _wait(holder["built"])

    declare()
    return mocks, holder["built"]


def test_state_bucket_blocks_every_kind_of_public_access(built: Any) -> None:
    mocks, _ = built
    (block,) = _of_type(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag


def test_state_bucket_is_versioned_and_encrypted_with_the_key(built: Any) -> None:
    mocks, _b = built
    (versioning,) = _of_type(mocks, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    (sse,) = _of_type(
        mocks,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    (rule,) = sse.inputs["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert default["kmsMasterKeyId"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")


def test_old_state_versions_expire(built: Any) -> None:
    mocks, _ = built
    (lifecycle,) = _of_type(
        mocks, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"] == {
        "noncurrentDays": 90,
        "newerNoncurrentVersions": 10,
    }


def test_bucket_policy_denies_non_tls(built: Any) -> None:
    mocks, _ = built
    (policy,) = _of_type(mocks, "aws:s3/bucketPolicy:BucketPolicy")
    doc = json.loads(policy.inputs["policy"])
    assert doc == pol.state_bucket_policy("arn:aws:s3:::pulumi-state-abc123")


def test_bucket_and_key_are_protected_from_deletion(built: Any) -> None:
    mocks, b = built
    (bucket,) = _of_type(mocks, "aws:s3/bucket:Bucket")
    assert bucket.inputs.get("forceDestroy") is False
    assert b.bucket._protect is True
    assert b.key._protect is True


def test_secrets_key_rotates(built: Any) -> None:
    mocks, _ = built
    (key,) = _of_type(mocks, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    (alias,) = _of_type(mocks, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/ecs-platform-pulumi"


def test_oidc_provider_trusts_github_for_sts(built: Any) -> None:
    mocks, _ = built
    (provider,) = _of_type(mocks, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_one_deploy_role_per_environment_and_one_preview_role(built: Any) -> None:
    mocks, _ = built
    roles = {r.name: r for r in _of_type(mocks, "aws:iam/role:Role")}
    assert set(roles) == {"deploy-stage", "deploy-prod", "preview"}
    subjects = {
        name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        for name, r in roles.items()
    }
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    for _name, role in roles.items():
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Federated": provider}
        assert role.inputs["path"] == "/ecs-platform-ci/"
    aud = "token.actions.githubusercontent.com:aud"
    sub = "token.actions.githubusercontent.com:sub"
    assert subjects == {
        "deploy-stage": {aud: "sts.amazonaws.com", sub: "repo:acme/ecs-platform:environment:stage"},
        "deploy-prod": {aud: "sts.amazonaws.com", sub: "repo:acme/ecs-platform:environment:prod"},
        "preview": {aud: "sts.amazonaws.com", sub: "repo:acme/ecs-platform:pull_request"},
    }


def test_roles_get_exactly_their_documents(built: Any) -> None:
    mocks, _ = built
    policies = {
        p.name: json.loads(p.inputs["policy"]) for p in _of_type(mocks, "aws:iam/policy:Policy")
    }
    bucket = "arn:aws:s3:::pulumi-state-abc123"
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/ecs-platform/workload-boundary-r4nd0m"
    for env in ("stage", "prod"):
        assert policies[f"deploy-{env}-state"]["Statement"] == pol.state_access_statements(
            bucket, key, write=True
        )
        assert policies[f"deploy-{env}-services"] == pol.deploy_services_policy("eu-west-1")
        assert policies[f"deploy-{env}-iam"] == pol.deploy_iam_policy(
            ACCOUNT, "/ecs-platform/", boundary
        )
    assert policies["preview-state"]["Statement"] == pol.state_access_statements(
        bucket, key, write=False
    )
    assert policies["preview-read"] == pol.preview_read_policy(
        "eu-west-1", ACCOUNT, "/ecs-platform/"
    )
    assert policies["workload-boundary"] == pol.workload_boundary_policy()
    attachments = {
        a.name for a in _of_type(mocks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attachments == {n for n in policies if n != "workload-boundary"}


def test_resource_names_are_unique(built: Any) -> None:
    mocks, _ = built
    keys = [(r.typ, r.name) for r in mocks.resources]
    assert len(keys) == len(set(keys))


def test_every_taggable_resource_carries_the_project_tag(built: Any) -> None:
    mocks, _ = built
    for typ in ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:iam/role:Role"):
        for r in _of_type(mocks, typ):
            assert r.inputs["tags"]["Project"] == "ecs-platform", r.name
