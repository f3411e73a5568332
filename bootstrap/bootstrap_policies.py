"""IAM and bucket policy documents for the bootstrap program, as plain functions.

Nothing here needs the Pulumi runtime: every function takes plain strings and returns a
JSON-ready dict, so the tests can assert every statement exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from deploy_actions import (  # the tables live there; re-exported for callers
    DEPLOY_GLOBAL_ACTIONS,
    DEPLOY_SERVICE_ACTIONS,
    PREVIEW_GLOBAL_READ_ACTIONS,
    PREVIEW_READ_ACTIONS,
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

Document = dict[str, Any]
Statement = dict[str, Any]


@dataclass(frozen=True)
class BootstrapSettings:
    """What one AWS account needs to host the ecs-platform stacks; validated on creation."""

    github_repository: str
    """`OWNER/REPO` whose workflows may assume the CI roles (the OIDC `sub` is pinned to it)."""
    region: str
    """AWS region of the stacks; regional actions are refused elsewhere."""
    environments: tuple[str, ...] = ("stage", "prod")
    """GitHub environments, one deploy role each (`repo:OWNER/REPO:environment:<name>`)."""
    noncurrent_version_days: int = 90
    """Days an overwritten state version is kept before it expires (1-3650)."""
    noncurrent_versions_kept: int = 10
    """Newest overwritten versions kept regardless of age (0-100)."""
    kms_alias: str = "alias/ecs-platform-pulumi"
    """Alias of the key for the state bucket and the `awskms://` secrets provider."""
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


def github_subject(repository: str, environment: str | None) -> str:
    """The OIDC `sub` claim GitHub sends: a job in an environment, or a pull request."""
    if environment is None:
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:environment:{environment}"


def github_trust_policy(provider_arn: str, subject: str) -> Document:
    """Only a workflow of this repository, with this exact subject, may assume the role."""
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
                    }
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


def state_access_statements(bucket_arn: str, key_arn: str, *, write: bool) -> list[Statement]:
    """Read (preview) or read/write (deploy) the main program's state, never bootstrap's."""
    state_objects = f"{bucket_arn}/{STATE_PREFIX}/*"
    statements: list[Statement] = [
        {
            "Sid": "ListStateObjects",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [STATE_PREFIX, f"{STATE_PREFIX}/*"]}},
        },
    ]
    if write:
        statements.append(
            {
                "Sid": "ReadWriteState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": state_objects,
            }
        )
        kms_actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    else:
        statements += [
            {
                "Sid": "ReadState",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": state_objects,
            },
            {
                # A preview takes the stack's lock like an update does.
                "Sid": "TakePreviewLock",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{bucket_arn}/{STATE_PREFIX}/locks/*",
            },
        ]
        kms_actions = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
    statements.append(
        {
            "Sid": "UseStateAndSecretsKey",
            "Effect": "Allow",
            "Action": kms_actions,
            "Resource": key_arn,
        }
    )
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
ACCESS_LOG_BUCKET_PATTERN = f"{PROJECT}-*-alb-logs-*"
ACCESS_LOG_BUCKET_ACTIONS: tuple[str, ...] = (
    "s3:CreateBucket",
    "s3:DeleteBucket*",
    "s3:List*",
    "s3:Get*",
    "s3:PutBucket*",
    "s3:Put*Configuration",
    "s3:DeleteObject*",
)


def deploy_services_policy(region: str) -> Document:
    """The AWS services the main program manages, only in its region (and global DNS)."""
    regional = sorted({a for actions in DEPLOY_SERVICE_ACTIONS.values() for a in actions})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageProgramServicesInRegion",
                "Effect": "Allow",
                "Action": regional,
                # Most of these create actions cannot be scoped to an ARN before the resource
                # exists; the region condition and the tag guard below narrow them instead.
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "ManageDns",
                "Effect": "Allow",
                "Action": list(DEPLOY_GLOBAL_ACTIONS),
                "Resource": "*",
            },
            {
                # Public AMI and ECS-optimised image ids, nothing else in Parameter Store.
                "Sid": "ReadPublicAmiParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
            },
            {
                # The load balancers' access-log buckets (named <project>-<stack>-alb-logs-*),
                # never the state bucket or anything else in S3.
                "Sid": "ManageAccessLogBuckets",
                "Effect": "Allow",
                "Action": list(ACCESS_LOG_BUCKET_ACTIONS),
                "Resource": [
                    f"arn:aws:s3:::{ACCESS_LOG_BUCKET_PATTERN}",
                    f"arn:aws:s3:::{ACCESS_LOG_BUCKET_PATTERN}/*",
                ],
            },
            {
                "Sid": "DestroyOnlyProjectResources",
                "Effect": "Deny",
                "Action": list(TAG_GUARDED_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/Project": PROJECT}},
            },
        ],
    }


def deploy_iam_policy(
    account_id: str,
    workload_path: str,
    boundary_arn: str,
    partition: str = "aws",
) -> Document:
    """Roles, profiles and policies under the workload path, each capped by the boundary."""
    role = f"arn:{partition}:iam::{account_id}:role{workload_path}*"
    profile = f"arn:{partition}:iam::{account_id}:instance-profile{workload_path}*"
    policy = f"arn:{partition}:iam::{account_id}:policy{workload_path}*"
    boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Creating a role or granting it anything requires the workload boundary,
                # so no role the program creates can exceed it (no privilege escalation).
                "Sid": "GrantOnlyWithinBoundary",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateRole",
                    "iam:PutRolePermissionsBoundary",
                    "iam:PutRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:DeleteRolePolicy",
                ],
                "Resource": role,
                "Condition": boundary,
            },
            {
                "Sid": "ManageWorkloadRoles",
                "Effect": "Allow",
                "Action": [
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:DeleteRole",
                    "iam:UpdateRole",
                    "iam:UpdateRoleDescription",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:ListRolePolicies",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListInstanceProfilesForRole",
                    "iam:ListRoleTags",
                ],
                "Resource": role,
            },
            {
                "Sid": "ManageWorkloadInstanceProfiles",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateInstanceProfile",
                    "iam:DeleteInstanceProfile",
                    "iam:GetInstanceProfile",
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:TagInstanceProfile",
                    "iam:UntagInstanceProfile",
                ],
                "Resource": profile,
            },
            {
                "Sid": "ManageWorkloadPolicies",
                "Effect": "Allow",
                "Action": [
                    "iam:CreatePolicy",
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:ListPolicyVersions",
                    "iam:TagPolicy",
                    "iam:UntagPolicy",
                ],
                "Resource": policy,
            },
            {
                "Sid": "ReadAwsManagedPolicies",
                "Effect": "Allow",
                "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
                "Resource": f"arn:{partition}:iam::aws:policy/*",
            },
            {
                "Sid": "PassWorkloadRolesToTheirServices",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": role,
                "Condition": {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
            },
            {
                "Sid": "CreateServiceLinkedRoles",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": (f"arn:{partition}:iam::{account_id}:role/aws-service-role/*"),
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
        ],
    }


def workload_boundary_policy() -> Document:
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
