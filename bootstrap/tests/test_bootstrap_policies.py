"""The bootstrap's policy documents and settings validation, without the Pulumi runtime."""

from __future__ import annotations

import bootstrap_policies as pol
import bootstrap_resources as res
import pytest

REPO = "acme/ecs-platform"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
BUCKET = "arn:aws:s3:::pulumi-state-abc123"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/k"
BOUNDARY = "arn:aws:iam::123456789012:policy/ecs-platform/workload-boundary"


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
def test_trust_pins_audience_and_subject_to_the_repository(
    environment: str | None, subject: str
) -> None:
    assert pol.github_subject(REPO, environment) == subject
    assert pol.github_trust_policy(PROVIDER, subject) == {
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
                    }
                },
            }
        ],
    }


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


def test_deploy_role_reads_and_writes_only_the_programs_state() -> None:
    assert pol.state_access_statements(BUCKET, KEY, write=True) == [
        {
            "Sid": "ListStateObjects",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": BUCKET,
            "Condition": {"StringLike": {"s3:prefix": [".pulumi", ".pulumi/*"]}},
        },
        {
            "Sid": "ReadWriteState",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{BUCKET}/.pulumi/*",
        },
        {
            "Sid": "UseStateAndSecretsKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": KEY,
        },
    ]


def test_preview_role_writes_nothing_but_the_stack_lock() -> None:
    statements = pol.state_access_statements(BUCKET, KEY, write=False)
    writes = [
        st
        for st in statements
        if any(a in ("s3:PutObject", "s3:DeleteObject") for a in _actions(st))
    ]
    assert [w["Resource"] for w in writes] == [f"{BUCKET}/.pulumi/locks/*"]
    assert {a for st in statements for a in _actions(st) if a.startswith("kms:")} == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
    }


def test_no_role_can_touch_the_bootstraps_own_state() -> None:
    for write in (True, False):
        for st in pol.state_access_statements(BUCKET, KEY, write=write):
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            assert all(r in (BUCKET, KEY) or r.startswith(f"{BUCKET}/.pulumi/") for r in resources)


def test_preview_read_policy_is_describe_only() -> None:
    doc = pol.preview_read_policy("eu-west-1", "123456789012", "/ecs-platform/")
    verbs = ("Describe", "Get", "List")
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        for action in _actions(st):
            assert action.split(":")[1].startswith(verbs), action
    assert "secretsmanager:GetSecretValue" not in str(doc)


def test_deploy_policies_never_grant_every_action() -> None:
    docs = [
        pol.deploy_services_policy("eu-west-1"),
        pol.deploy_iam_policy("123456789012", "/ecs-platform/", BOUNDARY),
        pol.preview_read_policy("eu-west-1", "123456789012", "/ecs-platform/"),
    ]
    for doc in docs:
        for st in doc["Statement"]:
            for action in _actions(st):
                assert action != "*" and not action.endswith(":*"), action


def test_regional_services_are_limited_to_the_stack_region() -> None:
    allow = pol.deploy_services_policy("eu-west-1")["Statement"][0]
    assert allow["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert "secretsmanager:GetSecretValue" not in allow["Action"]


def test_deploy_role_cannot_destroy_resources_of_other_projects() -> None:
    guard = pol.deploy_services_policy("eu-west-1")["Statement"][-1]
    assert guard["Effect"] == "Deny"
    assert guard["Condition"] == {"StringNotEquals": {"aws:ResourceTag/Project": "ecs-platform"}}
    assert "rds:DeleteDBInstance" in guard["Action"]


def test_deploy_role_manages_only_workload_roles_and_only_within_the_boundary() -> None:
    doc = pol.deploy_iam_policy("123456789012", "/ecs-platform/", BOUNDARY)
    by_sid = {st["Sid"]: st for st in doc["Statement"]}
    grant = by_sid["GrantOnlyWithinBoundary"]
    assert grant["Resource"] == "arn:aws:iam::123456789012:role/ecs-platform/*"
    assert grant["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert "iam:CreateRole" in grant["Action"]
    assert "iam:CreateRole" not in by_sid["ManageWorkloadRoles"]["Action"]
    pass_role = by_sid["PassWorkloadRolesToTheirServices"]
    assert pass_role["Resource"] == "arn:aws:iam::123456789012:role/ecs-platform/*"
    assert (
        "ecs-tasks.amazonaws.com" in pass_role["Condition"]["StringEquals"]["iam:PassedToService"]
    )
    assert by_sid["NeverRemoveTheBoundary"]["Effect"] == "Deny"
    for st in doc["Statement"]:
        if st["Effect"] == "Allow" and st["Sid"] != "ReadAwsManagedPolicies":
            assert "ecs-platform-ci" not in str(st["Resource"])


def test_every_managed_policy_fits_the_aws_size_limit() -> None:
    docs = [
        pol.deploy_services_policy("ap-southeast-2"),
        pol.deploy_iam_policy("123456789012", "/ecs-platform/", BOUNDARY),
        pol.preview_read_policy("ap-southeast-2", "123456789012", "/ecs-platform/"),
        pol.workload_boundary_policy(),
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
    ):
        assert fragment in message


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


def pol_dir():  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(pol.__file__).resolve().parent


def _actions(statement: dict[str, object]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)  # type: ignore[arg-type]


def test_deploy_role_manages_only_the_access_log_buckets_in_s3() -> None:
    import fnmatch

    doc = pol.deploy_services_policy("us-east-1")
    s3 = [s for s in doc["Statement"] if any(str(a).startswith("s3:") for a in s["Action"])]
    assert [s["Sid"] for s in s3] == ["ManageAccessLogBuckets"]
    (statement,) = s3
    resources = statement["Resource"]
    assert fnmatch.fnmatch("arn:aws:s3:::ecs-platform-stage-alb-logs-20260101", resources[0])
    assert not any(fnmatch.fnmatch("arn:aws:s3:::ecs-platform-pulumi-state", r) for r in resources)
    assert "s3:PutObject" not in statement["Action"]
