"""The bootstrap's policy documents and settings validation, without the Pulumi runtime."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import bootstrap_policies as pol
import bootstrap_resources as res
import pytest

REPO = "acme/ecs-platform"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
BUCKET = "arn:aws:s3:::pulumi-state-abc123"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/k"
BOUNDARY = "arn:aws:iam::123456789012:policy/ecs-platform-ci/workload-boundary"


def settings(**overrides: object) -> pol.BootstrapSettings:
    values: dict[str, object] = {"github_repository": REPO, "region": "eu-west-1"}
    values.update(overrides)
    return pol.BootstrapSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("environment", "subject"),
    [
        ("stage", "repo:acme/ecs-platform:environment:stage"),
        ("prod", "repo:acme/ecs-platform:environment:prod"),
        (None, "repo:acme/ecs-platform:pull_request"),
    ],
)
def test_trust_pins_audience_subject_and_workflow_to_the_repository(
    environment: str | None, subject: str
) -> None:
    workflow_ref = "acme/ecs-platform/.github/workflows/deploy.yml@refs/heads/main"
    assert pol.github_subject(REPO, environment) == subject
    assert pol.github_trust_policy(PROVIDER, subject, workflow_ref) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": subject,
                    },
                    "StringLike": {
                        "token.actions.githubusercontent.com:job_workflow_ref": workflow_ref
                    },
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("workflow", "ref", "claim"),
    [
        # The claim's shape as GitHub documents it: OWNER/REPO/<workflow path>@<ref>.
        (
            "deploy.yml",
            "refs/heads/main",
            "acme/ecs-platform/.github/workflows/deploy.yml@refs/heads/main",
        ),
        (
            "pull-request.yml",
            "refs/pull/*/merge",
            "acme/ecs-platform/.github/workflows/pull-request.yml@refs/pull/*/merge",
        ),
    ],
)
def test_workflow_ref_names_the_workflow_file_and_ref_as_github_does(
    workflow: str, ref: str, claim: str
) -> None:
    assert pol.github_workflow_ref(REPO, workflow, ref) == claim


@pytest.mark.parametrize(
    ("token_claim", "admitted"),
    [
        ("acme/ecs-platform/.github/workflows/pull-request.yml@refs/pull/42/merge", True),
        ("acme/ecs-platform/.github/workflows/pull-request.yml@refs/heads/main", False),
        ("acme/ecs-platform/.github/workflows/deploy.yml@refs/pull/42/merge", False),
        ("acme/ecs-platform/.github/workflows/other.yml@refs/pull/42/merge", False),
        ("acme/fork/.github/workflows/pull-request.yml@refs/pull/42/merge", False),
    ],
)
def test_preview_workflow_ref_admits_only_pull_request_runs_of_the_pull_request_workflow(
    token_claim: str, admitted: bool
) -> None:
    # StringLike's `*` matches any run of characters, as fnmatch's does here.
    pattern = pol.github_workflow_ref(REPO, pol.PULL_REQUEST_WORKFLOW, pol.PULL_REQUEST_REF)
    assert fnmatch.fnmatchcase(token_claim, pattern) is admitted


def test_state_bucket_refuses_requests_without_tls_1_2() -> None:
    doc = pol.state_bucket_policy(BUCKET)
    resources = [BUCKET, f"{BUCKET}/*"]
    assert doc["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOldTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]
    assert all(st["Effect"] == "Deny" for st in doc["Statement"]), "grants nothing to *"


def test_key_policy_names_the_account_not_everyone() -> None:
    (statement,) = pol.kms_key_policy("123456789012")["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


STAGE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/stage"


def _state(write: bool, stack: str = "stage") -> list[pol.Statement]:
    return pol.state_access_statements(
        BUCKET, KEY, STAGE_KEY, stack=stack, region="eu-west-1", write=write
    )


def test_deploy_role_reads_and_writes_only_its_own_stacks_state() -> None:
    assert _state(write=True) == [
        {
            "Sid": "ListStateObjects",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": BUCKET,
            "Condition": {"StringLike": {"s3:prefix": [".pulumi", ".pulumi/*"]}},
        },
        {
            "Sid": "LocateStateBucket",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": BUCKET,
        },
        {
            "Sid": "ReadStateLayout",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/.pulumi/meta.yaml",
        },
        {
            "Sid": "ReadWriteOwnStackState",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [
                f"{BUCKET}/.pulumi/stacks/ecs-platform/stage.*",
                f"{BUCKET}/.pulumi/history/ecs-platform/stage/*",
                f"{BUCKET}/.pulumi/backups/ecs-platform/stage/*",
                f"{BUCKET}/.pulumi/locks/organization/ecs-platform/stage/*",
            ],
        },
        {
            "Sid": "UseStateBucketKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": KEY,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        },
        {
            "Sid": "UseOwnStackSecretsKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": STAGE_KEY,
        },
    ]


# Object keys the DIY backend writes for a project-scoped stack (pulumi/pulumi
# pkg/backend/diy: store.go, state.go, stack_tags.go, lock.go, backend.go).
def _stack_objects(stack: str) -> list[str]:
    return [
        f"{BUCKET}/.pulumi/stacks/ecs-platform/{stack}.json",
        f"{BUCKET}/.pulumi/stacks/ecs-platform/{stack}.json.bak",
        f"{BUCKET}/.pulumi/stacks/ecs-platform/{stack}.json.gz",
        f"{BUCKET}/.pulumi/stacks/ecs-platform/{stack}.pulumi-tags",
        f"{BUCKET}/.pulumi/history/ecs-platform/{stack}/{stack}-1700000000.history.json",
        f"{BUCKET}/.pulumi/history/ecs-platform/{stack}/{stack}-1700000000.checkpoint.json",
        f"{BUCKET}/.pulumi/backups/ecs-platform/{stack}/{stack}.1700000000.json",
        f"{BUCKET}/.pulumi/locks/organization/ecs-platform/{stack}/3f2a.json",
    ]


def _writable(statements: list[pol.Statement], key: str) -> bool:
    return any(
        fnmatch.fnmatchcase(key, resource)
        for st in statements
        if st["Effect"] == "Allow" and "s3:PutObject" in _actions(st)
        for resource in _resources(st)
    )


def _readable(statements: list[pol.Statement], key: str) -> bool:
    return any(
        fnmatch.fnmatchcase(key, resource)
        for st in statements
        if st["Effect"] == "Allow" and "s3:GetObject" in _actions(st)
        for resource in _resources(st)
    )


def test_deploy_role_can_write_every_object_of_its_stack() -> None:
    for key in _stack_objects("stage"):
        assert _writable(_state(write=True), key), key


def test_stage_deploy_role_cannot_read_or_write_prods_state() -> None:
    for key in _stack_objects("prod"):
        assert not _writable(_state(write=True), key), key
        assert not _readable(_state(write=True), key), key


def test_preview_role_reads_its_stack_and_writes_no_state_object() -> None:
    statements = _state(write=False)
    assert _readable(statements, f"{BUCKET}/.pulumi/stacks/ecs-platform/stage.json")
    assert not _readable(statements, f"{BUCKET}/.pulumi/stacks/ecs-platform/prod.json")
    writes = [
        st
        for st in statements
        if any(a in ("s3:PutObject", "s3:DeleteObject") for a in _actions(st))
    ]
    assert writes == []


def test_preview_role_decrypts_only_its_stacks_secrets_key() -> None:
    kms = [st for st in _state(write=False) if _actions(st)[0].startswith("kms:")]
    assert {a for st in kms for a in _actions(st)} == {"kms:Decrypt", "kms:DescribeKey"}
    direct = [st for st in kms if "Condition" not in st]
    assert [st["Resource"] for st in direct] == [STAGE_KEY]


def test_state_bucket_key_is_usable_only_through_s3() -> None:
    for write in (True, False):
        (bucket_key,) = [st for st in _state(write) if st["Resource"] == KEY]
        assert bucket_key["Condition"] == {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        }


def test_no_role_can_touch_the_bootstraps_own_state() -> None:
    for write in (True, False):
        for st in _state(write):
            for r in _resources(st):
                assert r in (BUCKET, KEY, STAGE_KEY) or r.startswith(f"{BUCKET}/.pulumi/"), r
        assert not _readable(_state(write), f"{BUCKET}/bootstrap/.pulumi/stacks/x/account.json")


def test_preview_read_policy_is_describe_only() -> None:
    doc = pol.preview_read_policy("eu-west-1", "123456789012", "/ecs-platform/")
    verbs = ("Describe", "Get", "List")
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        for action in _actions(st):
            assert action.split(":")[1].startswith(verbs), action
    assert "secretsmanager:GetSecretValue" not in str(doc)


def _deploy_documents(env: str = "stage", region: str = "eu-west-1") -> dict[str, pol.Document]:
    return {
        **pol.deploy_services_policies(region, env),
        "iam": pol.deploy_iam_policy("123456789012", "/ecs-platform/", BOUNDARY, environment=env),
    }


def test_deploy_policies_never_grant_every_action() -> None:
    docs = [
        *_deploy_documents().values(),
        pol.preview_read_policy("eu-west-1", "123456789012", "/ecs-platform/"),
    ]
    for doc in docs:
        for st in doc["Statement"]:
            for action in _actions(st):
                assert action != "*" and not action.endswith(":*"), action


def test_regional_services_are_limited_to_the_stack_region() -> None:
    regional = [
        st
        for name, doc in _deploy_documents().items()
        if name.startswith("services-")
        for st in doc["Statement"]
    ]
    assert regional
    for st in regional:
        assert st["Condition"]["StringEquals"]["aws:RequestedRegion"] == "eu-west-1", st["Sid"]
        assert "secretsmanager:GetSecretValue" not in st["Action"]


def test_deploy_role_cannot_destroy_resources_of_other_projects() -> None:
    guard = pol.deploy_services_policies("eu-west-1", "stage")["guards"]["Statement"][0]
    assert guard["Effect"] == "Deny"
    assert guard["Condition"] == {"StringNotEquals": {"aws:ResourceTag/Project": "ecs-platform"}}
    assert "rds:DeleteDBInstance" in guard["Action"]


def test_deploy_role_manages_only_workload_roles_and_only_within_the_boundary() -> None:
    doc = pol.deploy_iam_policy("123456789012", "/ecs-platform/", BOUNDARY, environment="stage")
    by_sid = {st["Sid"]: st for st in doc["Statement"]}
    create = by_sid["GrantOnlyWithinBoundaryCreateTaggedForEnvironment"]
    assert create["Resource"] == "arn:aws:iam::123456789012:role/ecs-platform/*"
    assert create["Action"] == ["iam:CreateRole"]
    assert create["Condition"]["StringEquals"] == {
        "iam:PermissionsBoundary": BOUNDARY,
        "aws:RequestTag/Environment": "stage",
    }
    grant = by_sid["GrantOnlyWithinBoundaryChangeTaggedWithEnvironment"]
    assert grant["Condition"] == {
        "StringEquals": {
            "iam:PermissionsBoundary": BOUNDARY,
            "aws:ResourceTag/Environment": "stage",
        }
    }
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(grant["Action"])
    unbounded = [
        st
        for st in doc["Statement"]
        if st["Effect"] == "Allow" and "iam:PermissionsBoundary" not in json.dumps(st)
    ]
    assert not any("iam:CreateRole" in _actions(st) for st in unbounded)
    pass_role = by_sid["PassOwnWorkloadRolesToTheirServices"]
    assert pass_role["Resource"] == "arn:aws:iam::123456789012:role/ecs-platform/*"
    passed = pass_role["Condition"]["StringEquals"]
    assert "ecs-tasks.amazonaws.com" in passed["iam:PassedToService"]
    assert passed["aws:ResourceTag/Environment"] == "stage"
    assert by_sid["NeverRemoveTheBoundary"]["Effect"] == "Deny"
    for st in doc["Statement"]:
        if st["Effect"] == "Allow" and st["Sid"] != "ReadAwsManagedPolicies":
            assert "ecs-platform-ci" not in str(st["Resource"])


def test_every_managed_policy_fits_the_aws_size_limit() -> None:
    longest_env = "e" * 32
    docs: list[pol.Document] = [
        *_deploy_documents(longest_env, "ap-southeast-2").values(),
        pol.preview_read_policy("ap-southeast-2", "123456789012", "/ecs-platform/"),
        pol.workload_boundary_policy(),
        {"Version": "2012-10-17", "Statement": _state(write=True, stack=longest_env)},
    ]
    for doc in docs:
        assert pol.compact_size(doc) <= pol.MANAGED_POLICY_LIMIT


def test_bad_settings_are_all_reported_at_once() -> None:
    with pytest.raises(ValueError) as err:
        settings(
            github_repository="not a repo",
            region="mars-1",
            environments=("Stage", "prod", "prod"),
            noncurrent_version_days=0,
            kms_alias="alias/aws/s3",
            ci_iam_path="/ecs-platform/ci/",
            pull_request_environment="qa",
        )
    message = str(err.value)
    for fragment in (
        "githubRepository='not a repo': expected OWNER/REPO",
        "aws:region='mars-1'",
        "environments item 'Stage'",
        "names must be unique",
        "noncurrentVersionDays=0: expected 1 to 3650 days",
        "kmsAlias='alias/aws/s3'",
        "must not overlap workloadIamPath",
        "pullRequestEnvironment='qa': expected one of environments",
    ):
        assert fragment in message


def test_cli_values_are_decoded_by_their_keys_type() -> None:
    values, problems = res.decode_cli_config(
        {
            "githubRepository": "acme/ecs-platform",
            "noncurrentVersionDays": "90",
            "environments": '["stage", "prod"]',
            "tags": '{"Owner": "platform-team", "CostCentre": 42}',
            "kmsAlias": "alias/x",
        }
    )
    assert problems == []
    assert values == {
        "githubRepository": "acme/ecs-platform",
        "noncurrentVersionDays": 90,
        "environments": ["stage", "prod"],
        "tags": {"Owner": "platform-team", "CostCentre": "42"},
        "kmsAlias": "alias/x",
    }


def test_cli_values_of_the_wrong_type_are_each_named() -> None:
    _values, problems = res.decode_cli_config(
        {"noncurrentVersionsKept": "true", "environments": "stage", "tags": "[1]"}
    )
    assert problems == [
        "noncurrentVersionsKept='true': expected a whole number, e.g. 90",
        "environments='stage': expected a YAML list of names, e.g. [stage, prod]",
        "tags='[1]': expected a YAML mapping of tag names to text values, "
        "e.g. {Owner: platform-team}",
    ]


def test_config_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown config keys \['githubRepo'\]"):
        res.settings_from_config({"githubRepo": REPO}, "eu-west-1")


def test_config_with_a_non_numeric_retention_is_refused() -> None:
    with pytest.raises(ValueError, match="noncurrentVersionDays='ninety': expected a whole"):
        res.settings_from_config(
            {"githubRepository": REPO, "noncurrentVersionDays": "ninety"}, "eu-west-1"
        )


def test_the_stack_file_is_valid() -> None:
    import yaml

    stack = yaml.safe_load((pol_dir() / "Pulumi.account.yaml").read_text())["config"]
    prefix = "ecs-platform-bootstrap:"
    values = {k.removeprefix(prefix): v for k, v in stack.items() if k.startswith(prefix)}
    parsed = res.settings_from_config(values, stack["aws:region"])
    assert parsed.environments == ("stage", "prod")


def pol_dir() -> Path:
    return Path(pol.__file__).resolve().parent


def _actions(statement: pol.Statement) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: pol.Statement) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def test_deploy_role_manages_only_its_stacks_access_log_buckets_in_s3() -> None:
    docs = pol.deploy_services_policies("us-east-1", "stage").values()
    s3 = [
        st
        for doc in docs
        for st in doc["Statement"]
        if st["Effect"] == "Allow" and any(str(a).startswith("s3:") for a in _actions(st))
    ]
    assert [st["Sid"] for st in s3] == ["ManageOwnAccessLogBuckets"]
    (statement,) = s3
    resources = statement["Resource"]
    assert fnmatch.fnmatch("arn:aws:s3:::ecs-platform-stage-alb-logs-20260101", resources[0])
    assert not any(
        fnmatch.fnmatch(bucket, r)
        for r in resources
        for bucket in (
            "arn:aws:s3:::ecs-platform-pulumi-state",
            "arn:aws:s3:::ecs-platform-prod-alb-logs-1",
        )
    )
    assert "s3:PutObject" not in statement["Action"]
