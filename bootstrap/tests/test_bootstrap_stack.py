"""The bootstrap's resources under Pulumi mocks: bucket, key, OIDC provider and roles."""

from __future__ import annotations

import json
from typing import Protocol

import bootstrap_policies as pol
import bootstrap_resources as res
import pulumi
import pytest

ACCOUNT = "123456789012"


class Recorder(Protocol):
    """The `mocks` fixture: every resource the program registered, in order."""

    resources: list[pulumi.runtime.MockResourceArgs]


Built = tuple[Recorder, res.Bootstrap]


def _settings() -> pol.BootstrapSettings:
    return pol.BootstrapSettings(github_repository="acme/ecs-platform", region="eu-west-1")


def _of_type(mocks: Recorder, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
    return [r for r in mocks.resources if r.typ == typ]


def _wait(built: res.Bootstrap) -> pulumi.Output[list[str]]:
    roles = [*built.deploy_roles.values(), *built.preview_roles.values()]
    keys = [built.key, *built.secrets_keys.values()]
    return pulumi.Output.all(
        built.bucket.arn, built.boundary.arn, *[k.arn for k in keys], *[r.arn for r in roles]
    )


@pytest.fixture(scope="module")
def built(mocks: Recorder) -> Built:
    holder: dict[str, res.Bootstrap] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]  # Pulumi's test decorator is unannotated
    def declare() -> pulumi.Output[list[str]]:
        holder["built"] = res.declare(_settings(), ACCOUNT)
        return _wait(holder["built"])

    declare()
    return mocks, holder["built"]


def test_state_bucket_blocks_every_kind_of_public_access(built: Built) -> None:
    mocks, _ = built
    (block,) = _of_type(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag


def test_state_bucket_is_versioned_and_encrypted_with_the_key(built: Built) -> None:
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


def test_old_state_versions_expire(built: Built) -> None:
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


def test_bucket_policy_denies_non_tls(built: Built) -> None:
    mocks, _ = built
    (policy,) = _of_type(mocks, "aws:s3/bucketPolicy:BucketPolicy")
    doc = json.loads(policy.inputs["policy"])
    assert doc == pol.state_bucket_policy("arn:aws:s3:::pulumi-state-abc123")


def test_bucket_and_keys_are_protected_from_deletion(built: Built) -> None:
    mocks, b = built
    (bucket,) = _of_type(mocks, "aws:s3/bucket:Bucket")
    assert bucket.inputs.get("forceDestroy") is False
    assert b.bucket._protect is True
    assert b.key._protect is True
    assert all(k._protect is True for k in b.secrets_keys.values())


def test_keys_rotate(built: Built) -> None:
    mocks, _ = built
    keys = _of_type(mocks, "aws:kms/key:Key")
    assert len(keys) == 3
    assert all(k.inputs["enableKeyRotation"] is True for k in keys)


def test_each_environment_has_its_own_secrets_key(built: Built) -> None:
    mocks, _ = built
    aliases = {a.name: a.inputs["name"] for a in _of_type(mocks, "aws:kms/alias:Alias")}
    assert aliases == {
        "pulumi-state": "alias/ecs-platform-pulumi",
        "secrets-stage": "alias/ecs-platform-pulumi-stage",
        "secrets-prod": "alias/ecs-platform-pulumi-prod",
    }
    keys = {k.name: k.inputs["tags"] for k in _of_type(mocks, "aws:kms/key:Key")}
    assert keys["secrets-stage"]["Environment"] == "stage"
    assert keys["secrets-prod"]["Environment"] == "prod"
    assert "Environment" not in keys["pulumi-state"]


def test_oidc_provider_trusts_github_for_sts(built: Built) -> None:
    mocks, _ = built
    (provider,) = _of_type(mocks, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_one_deploy_role_and_one_preview_role_per_environment(built: Built) -> None:
    mocks, _ = built
    roles = {r.name: r for r in _of_type(mocks, "aws:iam/role:Role")}
    assert set(roles) == {"deploy-stage", "deploy-prod", "preview", "preview-prod"}
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
        "preview-prod": {
            aud: "sts.amazonaws.com",
            sub: "repo:acme/ecs-platform:environment:prod-preview",
        },
    }


def test_only_the_deploy_workflow_on_main_may_assume_the_deploy_roles(built: Built) -> None:
    mocks, _ = built
    claim = "token.actions.githubusercontent.com:job_workflow_ref"
    workflow_refs = {
        r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringLike"]
        for r in _of_type(mocks, "aws:iam/role:Role")
    }
    deploy = "acme/ecs-platform/.github/workflows/deploy.yml@refs/heads/main"
    pull_request = "acme/ecs-platform/.github/workflows/pull-request.yml@refs/pull/*/merge"
    assert workflow_refs == {
        "deploy-stage": {claim: deploy},
        "deploy-prod": {claim: deploy},
        "preview": {claim: pull_request},
        "preview-prod": {claim: pull_request},
    }


def test_deploy_role_sessions_outlast_a_90_minute_job(built: Built) -> None:
    mocks, _ = built
    sessions = {
        r.name: r.inputs["maxSessionDuration"] for r in _of_type(mocks, "aws:iam/role:Role")
    }
    assert sessions["deploy-stage"] == sessions["deploy-prod"] == 7200
    assert sessions["preview"] == sessions["preview-prod"] == 3600


def test_boundary_lives_outside_the_path_the_deploy_roles_manage(built: Built) -> None:
    mocks, _ = built
    (boundary,) = [
        p for p in _of_type(mocks, "aws:iam/policy:Policy") if p.name == "workload-boundary"
    ]
    assert boundary.inputs["path"] == "/ecs-platform-ci/"


def test_roles_get_exactly_their_documents(built: Built) -> None:
    mocks, _ = built
    policies = {
        p.name: json.loads(p.inputs["policy"]) for p in _of_type(mocks, "aws:iam/policy:Policy")
    }
    bucket = "arn:aws:s3:::pulumi-state-abc123"
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/pulumi-state-1234abcd"
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/ecs-platform-ci/workload-boundary-r4nd0m"
    expected: dict[str, pol.Document] = {"workload-boundary": pol.workload_boundary_policy()}
    for env in ("stage", "prod"):
        own_key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/secrets-{env}-1234abcd"
        state = {
            "deploy": pol.state_access_statements(
                bucket, key, own_key, stack=env, region="eu-west-1", write=True
            ),
            "preview": pol.state_access_statements(
                bucket, key, own_key, stack=env, region="eu-west-1", write=False
            ),
        }
        expected[f"deploy-{env}-state"] = {"Version": "2012-10-17", "Statement": state["deploy"]}
        for suffix, doc in pol.deploy_services_policies("eu-west-1", env).items():
            expected[f"deploy-{env}-{suffix}"] = doc
        expected[f"deploy-{env}-iam"] = pol.deploy_iam_policy(
            ACCOUNT, "/ecs-platform/", boundary, environment=env
        )
        preview = "preview" if env == "stage" else f"preview-{env}"
        expected[f"{preview}-state"] = {"Version": "2012-10-17", "Statement": state["preview"]}
        expected[f"{preview}-read"] = pol.preview_read_policy(
            "eu-west-1", ACCOUNT, "/ecs-platform/"
        )
    assert policies == expected
    attachments = {
        a.name for a in _of_type(mocks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attachments == {n for n in policies if n != "workload-boundary"}


def test_every_role_fits_the_default_managed_policy_quota(built: Built) -> None:
    mocks, _ = built
    per_role: dict[str, int] = {}
    for a in _of_type(mocks, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        role = a.inputs["role"]
        per_role[role] = per_role.get(role, 0) + 1
    # IAM quota "managed policies attached to an IAM role": 10 by default.
    assert per_role and max(per_role.values()) <= 10


def test_resource_names_are_unique(built: Built) -> None:
    mocks, _ = built
    keys = [(r.typ, r.name) for r in mocks.resources]
    assert len(keys) == len(set(keys))


def test_every_taggable_resource_carries_the_project_tag(built: Built) -> None:
    mocks, _ = built
    for typ in ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:iam/role:Role"):
        for r in _of_type(mocks, typ):
            assert r.inputs["tags"]["Project"] == "ecs-platform", r.name
