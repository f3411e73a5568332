"""The resources one AWS account needs before the ecs-platform stacks can run.

State bucket, the key for state and secrets, GitHub's OIDC provider, one deploy role per
GitHub environment and a read-only role for pull-request previews.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import bootstrap_policies as pol
import pulumi
import pulumi_aws as aws
from bootstrap_policies import BootstrapSettings


def settings_from_config(values: Mapping[str, Any], region: str) -> BootstrapSettings:
    """Typed settings from the stack's `ecs-platform-bootstrap:` config (raises on bad input)."""
    known = {
        "githubRepository",
        "environments",
        "noncurrentVersionDays",
        "noncurrentVersionsKept",
        "kmsAlias",
        "workloadIamPath",
        "ciIamPath",
        "existingOidcProviderArn",
        "tags",
    }
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"invalid bootstrap settings:\n  - unknown config keys {unknown}: "
            f"allowed are {sorted(known)}"
        )
    defaults = BootstrapSettings.__dataclass_fields__
    environments = values.get("environments", defaults["environments"].default)
    if not isinstance(environments, list | tuple) or not all(
        isinstance(e, str) for e in environments
    ):
        raise ValueError(
            f"invalid bootstrap settings:\n  - environments={environments!r}: "
            "expected a list of names, e.g. [stage, prod]"
        )

    def number(key: str, field: str) -> int:
        raw = values.get(key, defaults[field].default)
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid bootstrap settings:\n  - {key}={raw!r}: expected a whole number"
            ) from None

    return BootstrapSettings(
        github_repository=str(values.get("githubRepository", "")),
        region=region,
        environments=tuple(environments),
        noncurrent_version_days=number("noncurrentVersionDays", "noncurrent_version_days"),
        noncurrent_versions_kept=number("noncurrentVersionsKept", "noncurrent_versions_kept"),
        kms_alias=str(values.get("kmsAlias", defaults["kms_alias"].default)),
        workload_iam_path=str(values.get("workloadIamPath", defaults["workload_iam_path"].default)),
        ci_iam_path=str(values.get("ciIamPath", defaults["ci_iam_path"].default)),
        existing_oidc_provider_arn=str(values.get("existingOidcProviderArn", "")),
        tags=dict(values.get("tags", {})),
    )


def _json(doc: pulumi.Input[Any]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(doc).apply(lambda d: json.dumps(d, indent=2))


@dataclass
class Bootstrap:
    """What the bootstrap declared; the outputs the README steps and GitHub settings use."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    alias: aws.kms.Alias
    oidc_provider_arn: pulumi.Output[str]
    deploy_roles: dict[str, aws.iam.Role]
    preview_role: aws.iam.Role
    boundary: aws.iam.Policy


def declare(s: BootstrapSettings, account_id: str, partition: str = "aws") -> Bootstrap:
    """Declare every resource; `account_id` comes from sts:GetCallerIdentity in __main__."""
    tags = {**s.tags, "Project": pol.PROJECT, "ManagedBy": "pulumi-bootstrap"}
    # Losing the state bucket or the key loses every stack: neither may be deleted by Pulumi.
    keep = pulumi.ResourceOptions(protect=True, retain_on_delete=True)

    key = aws.kms.Key(
        "pulumi-state",
        description="ecs-platform: Pulumi state bucket encryption and awskms:// secrets",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(pol.kms_key_policy(account_id, partition)),
        tags=tags,
        opts=keep,
    )
    alias = aws.kms.Alias("pulumi-state", name=s.kms_alias, target_key_id=key.key_id)

    bucket = aws.s3.Bucket("pulumi-state", force_destroy=False, tags=tags, opts=keep)
    child = pulumi.ResourceOptions(parent=bucket)
    aws.s3.BucketOwnershipControls(
        "pulumi-state",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child,
    )
    access_block = aws.s3.BucketPublicAccessBlock(
        "pulumi-state",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketVersioning(
        "pulumi-state",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "pulumi-state",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key.arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        "pulumi-state",
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-old-state-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {
                    "noncurrent_days": s.noncurrent_version_days,
                    "newer_noncurrent_versions": s.noncurrent_versions_kept,
                },
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
        opts=child,
    )
    aws.s3.BucketPolicy(
        "pulumi-state",
        bucket=bucket.id,
        policy=_json(bucket.arn.apply(pol.state_bucket_policy)),
        # The public access block must exist first, or S3 may evaluate the policy as public.
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[access_block]),
    )

    if s.existing_oidc_provider_arn:
        provider_arn: pulumi.Output[str] = pulumi.Output.from_input(s.existing_oidc_provider_arn)
    else:
        provider = aws.iam.OpenIdConnectProvider(
            "github-actions",
            url=pol.GITHUB_OIDC_URL,
            client_id_lists=[pol.STS_AUDIENCE],
            tags=tags,
        )
        provider_arn = provider.arn

    boundary = aws.iam.Policy(
        "workload-boundary",
        path=s.workload_iam_path,
        description="Ceiling for every role the ecs-platform program creates",
        policy=json.dumps(pol.workload_boundary_policy()),
        tags=tags,
    )

    deploy_roles: dict[str, aws.iam.Role] = {}
    for env in s.environments:
        role = _role(
            f"deploy-{env}",
            s,
            provider_arn,
            pol.github_subject(s.github_repository, env),
            f"GitHub Actions deploys of the {env} stack",
            tags,
        )
        policies = {
            "state": _json(
                pulumi.Output.all(bucket.arn, key.arn).apply(
                    lambda a: {
                        "Version": "2012-10-17",
                        "Statement": pol.state_access_statements(a[0], a[1], write=True),
                    }
                )
            ),
            "services": _json(pol.deploy_services_policy(s.region)),
            "iam": _json(
                boundary.arn.apply(
                    lambda arn: pol.deploy_iam_policy(
                        account_id, s.workload_iam_path, arn, partition
                    )
                )
            ),
        }
        _attach(f"deploy-{env}", role, policies, s, tags)
        deploy_roles[env] = role

    preview = _role(
        "preview",
        s,
        provider_arn,
        pol.github_subject(s.github_repository, None),
        "GitHub Actions pull-request previews (read-only)",
        tags,
    )
    _attach(
        "preview",
        preview,
        {
            "state": _json(
                pulumi.Output.all(bucket.arn, key.arn).apply(
                    lambda a: {
                        "Version": "2012-10-17",
                        "Statement": pol.state_access_statements(a[0], a[1], write=False),
                    }
                )
            ),
            "read": _json(
                pol.preview_read_policy(s.region, account_id, s.workload_iam_path, partition)
            ),
        },
        s,
        tags,
    )

    return Bootstrap(
        bucket=bucket,
        key=key,
        alias=alias,
        oidc_provider_arn=provider_arn,
        deploy_roles=deploy_roles,
        preview_role=preview,
        boundary=boundary,
    )


def _role(
    name: str,
    s: BootstrapSettings,
    provider_arn: pulumi.Output[str],
    subject: str,
    description: str,
    tags: dict[str, str],
) -> aws.iam.Role:
    return aws.iam.Role(
        name,
        path=s.ci_iam_path,
        description=description,
        max_session_duration=3600,
        assume_role_policy=_json(
            provider_arn.apply(lambda arn: pol.github_trust_policy(arn, subject))
        ),
        tags=tags,
    )


def _attach(
    prefix: str,
    role: aws.iam.Role,
    documents: dict[str, pulumi.Output[str]],
    s: BootstrapSettings,
    tags: dict[str, str],
) -> None:
    child = pulumi.ResourceOptions(parent=role)
    for suffix, document in documents.items():
        policy = aws.iam.Policy(
            f"{prefix}-{suffix}",
            path=s.ci_iam_path,
            policy=document,
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{prefix}-{suffix}", role=role.name, policy_arn=policy.arn, opts=child
        )
