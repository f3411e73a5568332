"""The resources one AWS account needs before the ecs-platform stacks can run.

State bucket, the key for state and secrets, GitHub's OIDC provider, one deploy role per
GitHub environment and a read-only role for pull-request previews.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import bootstrap_policies as pol
import pulumi
import pulumi_aws as aws
from bootstrap_policies import BootstrapSettings

CONFIG_TYPES: dict[str, str] = {
    "githubRepository": "string",
    "environments": "list",
    "pullRequestEnvironment": "string",
    "noncurrentVersionDays": "number",
    "noncurrentVersionsKept": "number",
    "kmsAlias": "string",
    "workloadIamPath": "string",
    "ciIamPath": "string",
    "existingOidcProviderArn": "string",
    "tags": "object",
}
"""Every `ecs-platform-bootstrap:` key and the YAML type its stack file holds."""

_INVALID = "invalid bootstrap settings:\n  - "

ConfigValue = str | int | list[str] | dict[str, str]
"""A decoded config value: text, a whole number, a list of names or a tag mapping."""


def decode_cli_config(raw: Mapping[str, str]) -> tuple[dict[str, ConfigValue], list[str]]:
    """Values as the Pulumi CLI hands them to a program, decoded by each key's type.

    The CLI passes a plain YAML string as it is (`acme/ecs-platform`), a number or boolean
    as its text (`90`), and only objects and lists as JSON. Returns the decoded values and
    one problem per value that does not have its key's type (key, value, what is allowed).
    """
    values: dict[str, ConfigValue] = {}
    problems: list[str] = []
    for key, text in raw.items():
        kind = CONFIG_TYPES.get(key)
        if kind in (None, "string"):
            values[key] = text  # unknown keys are reported by settings_from_config
            continue
        if kind == "number":
            if re.fullmatch(r"[+-]?\d+", text.strip()):
                values[key] = int(text)
            else:
                problems.append(f"{key}={text!r}: expected a whole number, e.g. 90")
            continue
        decoded: object
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = text
        if (
            kind == "list"
            and isinstance(decoded, list)
            and all(isinstance(item, str) for item in decoded)
        ):
            values[key] = decoded
        elif (
            kind == "object"
            and isinstance(decoded, dict)
            and all(
                isinstance(v, str | int | float) and not isinstance(v, bool)
                for v in decoded.values()
            )
        ):
            values[key] = {str(k): str(v) for k, v in decoded.items()}
        elif kind == "list":
            problems.append(f"{key}={text!r}: expected a YAML list of names, e.g. [stage, prod]")
        else:
            problems.append(
                f"{key}={text!r}: expected a YAML mapping of tag names to text values, "
                "e.g. {Owner: platform-team}"
            )
    return values, problems


def settings_from_cli_config(raw: Mapping[str, str], region: str) -> BootstrapSettings:
    """Typed settings from the config the CLI passes (raises ValueError naming every problem)."""
    values, problems = decode_cli_config(raw)
    settings: BootstrapSettings | None = None
    try:
        settings = settings_from_config(values, region)
    except ValueError as error:
        problems += str(error).removeprefix(_INVALID).split("\n  - ")
    if problems or settings is None:
        raise ValueError(_INVALID + "\n  - ".join(problems))
    return settings


def settings_from_config(values: Mapping[str, object], region: str) -> BootstrapSettings:
    """Typed settings from the stack's `ecs-platform-bootstrap:` config (raises on bad input)."""
    known = set(CONFIG_TYPES)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{_INVALID}unknown config keys {unknown}: allowed are {sorted(known)}")
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
        if isinstance(raw, str | int | float):
            try:
                return int(raw)
            except ValueError:
                pass
        raise ValueError(f"invalid bootstrap settings:\n  - {key}={raw!r}: expected a whole number")

    tags = values.get("tags", {})
    if not isinstance(tags, Mapping):
        raise ValueError(
            f"invalid bootstrap settings:\n  - tags={tags!r}: "
            "expected a YAML mapping of tag names to text values, e.g. {Owner: platform-team}"
        )

    return BootstrapSettings(
        github_repository=str(values.get("githubRepository", "")),
        region=region,
        environments=tuple(environments),
        pull_request_environment=str(
            values.get("pullRequestEnvironment", defaults["pull_request_environment"].default)
        ),
        noncurrent_version_days=number("noncurrentVersionDays", "noncurrent_version_days"),
        noncurrent_versions_kept=number("noncurrentVersionsKept", "noncurrent_versions_kept"),
        kms_alias=str(values.get("kmsAlias", defaults["kms_alias"].default)),
        workload_iam_path=str(values.get("workloadIamPath", defaults["workload_iam_path"].default)),
        ci_iam_path=str(values.get("ciIamPath", defaults["ci_iam_path"].default)),
        existing_oidc_provider_arn=str(values.get("existingOidcProviderArn", "")),
        tags={str(name): str(value) for name, value in tags.items()},
    )


def _json(doc: pulumi.Input[pol.Document]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(doc).apply(lambda d: json.dumps(d, indent=2))


@dataclass
class Bootstrap:
    """What the bootstrap declared; the outputs docs/operations.md's steps and the GitHub settings use."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    """The state bucket's key (SSE-KMS); used by CI roles only through S3."""
    alias: aws.kms.Alias
    secrets_keys: dict[str, aws.kms.Key]
    """Per environment, the key of its stack's `awskms://` secrets provider."""
    secrets_aliases: dict[str, aws.kms.Alias]
    oidc_provider_arn: pulumi.Output[str]
    deploy_roles: dict[str, aws.iam.Role]
    preview_role: aws.iam.Role
    """The pull-request preview role (the pull-request environment's stack only)."""
    preview_roles: dict[str, aws.iam.Role]
    """Per environment, the role that previews its stack (the pull-request role for one)."""
    boundary: aws.iam.Policy


DEPLOY_SESSION_SECONDS = 7200
"""Deploy-role session length: a prod deploy job may run 90 minutes (deploy.yml's
`timeout-minutes`), and configure-aws-credentials' `role-duration-seconds` may not exceed
the role's MaxSessionDuration (IAM CreateRole API reference: 3600 to 43200 seconds)."""
PREVIEW_SESSION_SECONDS = 3600


def secrets_alias(s: BootstrapSettings, environment: str) -> str:
    """Alias of an environment's secrets key, e.g. alias/ecs-platform-pulumi-stage."""
    return f"{s.kms_alias}-{environment}"


def declare(s: BootstrapSettings, account_id: str, partition: str = "aws") -> Bootstrap:
    """Declare every resource; `account_id` comes from sts:GetCallerIdentity in __main__."""
    tags = {**s.tags, "Project": pol.PROJECT, "ManagedBy": "pulumi-bootstrap"}
    # Losing the state bucket or a key loses every stack: none may be deleted by Pulumi.
    keep = pulumi.ResourceOptions(protect=True, retain_on_delete=True)

    key = aws.kms.Key(
        "pulumi-state",
        description="ecs-platform: Pulumi state bucket encryption",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(pol.kms_key_policy(account_id, partition)),
        tags=tags,
        opts=keep,
    )
    alias = aws.kms.Alias("pulumi-state", name=s.kms_alias, target_key_id=key.key_id)

    # One secrets key per stack, tagged with its environment: a role of one environment
    # cannot decrypt another's secrets (its policy names only its own key, and the deploy
    # roles' guard refuses keys tagged with another environment).
    secrets_keys: dict[str, aws.kms.Key] = {}
    secrets_aliases: dict[str, aws.kms.Alias] = {}
    for env in s.environments:
        secrets_keys[env] = aws.kms.Key(
            f"secrets-{env}",
            description=f"ecs-platform: awskms:// secrets provider of the {env} stack",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(pol.kms_key_policy(account_id, partition)),
            tags={**tags, "Environment": env},
            opts=keep,
        )
        secrets_aliases[env] = aws.kms.Alias(
            f"secrets-{env}",
            name=secrets_alias(s, env),
            target_key_id=secrets_keys[env].key_id,
        )

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
    encrypt_with_key: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict = {
        "apply_server_side_encryption_by_default": {
            "sse_algorithm": "aws:kms",
            "kms_master_key_id": key.arn,
        },
        "bucket_key_enabled": True,
    }
    aws.s3.BucketServerSideEncryptionConfiguration(
        "pulumi-state", bucket=bucket.id, rules=[encrypt_with_key], opts=child
    )
    expire_old_versions: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
        "id": "expire-old-state-versions",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "noncurrent_version_expiration": {
            "noncurrent_days": s.noncurrent_version_days,
            "newer_noncurrent_versions": s.noncurrent_versions_kept,
        },
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    aws.s3.BucketLifecycleConfiguration(
        "pulumi-state", bucket=bucket.id, rules=[expire_old_versions], opts=child
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

    # Under the CI path, which no CI role manages: the deploy roles may manage policies only
    # under the workload path, so they cannot write a new version of their own ceiling.
    boundary = aws.iam.Policy(
        "workload-boundary",
        path=s.ci_iam_path,
        description="Ceiling for every role the ecs-platform program creates",
        policy=json.dumps(pol.workload_boundary_policy(partition)),
        tags=tags,
    )

    def state(env: str, write: bool) -> pulumi.Output[str]:
        return _json(
            pulumi.Output.all(bucket.arn, key.arn, secrets_keys[env].arn).apply(
                lambda a: {
                    "Version": "2012-10-17",
                    "Statement": pol.state_access_statements(
                        a[0], a[1], a[2], stack=env, region=s.region, write=write
                    ),
                }
            )
        )

    def iam_document(boundary_arn: str, env: str) -> pol.Document:
        return pol.deploy_iam_policy(
            account_id, s.workload_iam_path, boundary_arn, partition, environment=env
        )

    deploy_roles: dict[str, aws.iam.Role] = {}
    for env in s.environments:
        role = _role(
            f"deploy-{env}",
            s,
            provider_arn,
            pol.github_subject(s.github_repository, env),
            pol.github_workflow_ref(s.github_repository, pol.DEPLOY_WORKFLOW, pol.DEPLOY_REF),
            f"GitHub Actions deploys of the {env} stack",
            tags,
            DEPLOY_SESSION_SECONDS,
        )
        policies = {"state": state(env, write=True)}
        for suffix, document in pol.deploy_services_policies(s.region, env).items():
            policies[suffix] = _json(document)
        policies["iam"] = _json(boundary.arn.apply(functools.partial(iam_document, env=env)))
        _attach(f"deploy-{env}", role, policies, s, tags)
        deploy_roles[env] = role

    preview_roles: dict[str, aws.iam.Role] = {}
    for env in s.environments:
        pull_request = env == s.pull_request_environment
        name = "preview" if pull_request else f"preview-{env}"
        subject = pol.github_subject(
            s.github_repository,
            None if pull_request else f"{env}{pol.PREVIEW_ENVIRONMENT_SUFFIX}",
        )
        description = (
            f"GitHub Actions pull-request previews of the {env} stack (read-only)"
            if pull_request
            else f"GitHub Actions previews of the {env} stack from its -preview environment"
        )
        workflow_ref = pol.github_workflow_ref(
            s.github_repository, pol.PULL_REQUEST_WORKFLOW, pol.PULL_REQUEST_REF
        )
        role = _role(
            name,
            s,
            provider_arn,
            subject,
            workflow_ref,
            description,
            tags,
            PREVIEW_SESSION_SECONDS,
        )
        _attach(
            name,
            role,
            {
                "state": state(env, write=False),
                "read": _json(
                    pol.preview_read_policy(s.region, account_id, s.workload_iam_path, partition)
                ),
            },
            s,
            tags,
        )
        preview_roles[env] = role

    return Bootstrap(
        bucket=bucket,
        key=key,
        alias=alias,
        secrets_keys=secrets_keys,
        secrets_aliases=secrets_aliases,
        oidc_provider_arn=provider_arn,
        deploy_roles=deploy_roles,
        preview_role=preview_roles[s.pull_request_environment],
        preview_roles=preview_roles,
        boundary=boundary,
    )


def _role(
    name: str,
    s: BootstrapSettings,
    provider_arn: pulumi.Output[str],
    subject: str,
    workflow_ref: str,
    description: str,
    tags: dict[str, str],
    session_seconds: int,
) -> aws.iam.Role:
    return aws.iam.Role(
        name,
        path=s.ci_iam_path,
        description=description,
        max_session_duration=session_seconds,
        assume_role_policy=_json(
            provider_arn.apply(lambda arn: pol.github_trust_policy(arn, subject, workflow_ref))
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
