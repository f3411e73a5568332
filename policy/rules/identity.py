"""Policy documents: IAM policies and trust policies, and the resource policies of
buckets, topics, keys, repositories and secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policy.model import Resource, StackContext, decode_json
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    listing,
    resource_rule,
)


def statements(document: Any) -> list[Mapping[str, Any]]:
    decoded = decode_json(document)
    if not isinstance(decoded, Mapping):
        return []
    found = decoded.get("Statement") or decoded.get("statements") or []
    if isinstance(found, Mapping):
        found = [found]
    return [s for s in listing(found) if isinstance(s, Mapping)]


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _allow(s: Mapping[str, Any]) -> bool:
    return bool(s.get("Effect", s.get("effect", "Allow")) == "Allow")


def _actions(s: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in _values(s.get("Action", s.get("actions")))]


def _resources(s: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in _values(s.get("Resource", s.get("resources")))]


def _public_principal(s: Mapping[str, Any]) -> bool:
    principal = s.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _values(v) for v in principal.values())
    return False


POLICY_PROPS: dict[str, tuple[str, ...]] = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies",),
}
RESOURCE_POLICY_PROPS: dict[str, str] = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
}


def identity_statements(r: Resource) -> list[Mapping[str, Any]]:
    if r.type == "aws:iam/role:Role":
        return [
            s
            for p in listing(r.get("inlinePolicies"))
            if isinstance(p, Mapping)
            for s in statements(p.get("policy"))
        ]
    return statements(r.get("policy"))


@resource_rule(
    "iam-no-admin-policy",
    M,
    list(POLICY_PROPS),
    "No IAM policy allows `*` actions on `*` resources (checkov CKV_AWS_62; FSBP IAM.1).",
)
def iam_no_admin(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    for s in identity_statements(r):
        if _allow(s) and "*" in _actions(s) and "*" in _resources(s):
            return ["policy allows *:* (full administrator access)"]
    return []


@resource_rule(
    "iam-no-wildcard-actions",
    M,
    list(POLICY_PROPS),
    "No IAM policy allows `*` or `service:*` actions (checkov CKV_AWS_63; FSBP IAM.21).",
)
def iam_no_wildcard_actions(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"policy allows wildcard action {a}"
        for s in identity_statements(r)
        if _allow(s)
        for a in _actions(s)
        if a == "*" or a.endswith(":*")
    ]


# Actions that AWS only grants on "*" (no resource-level permissions).
UNSCOPABLE_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "ec2:Describe",
    "ecs:Describe",
    "ecs:List",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "elasticloadbalancing:Describe",
    "logs:DescribeLogGroups",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:",
    "ec2messages:",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sts:GetCallerIdentity",
    "kms:ListAliases",
    "tag:GetResources",
    "aps:ListWorkspaces",
)


@resource_rule(
    "iam-scoped-resources",
    A,
    list(POLICY_PROPS),
    "Actions that support resource-level permissions are not granted on `*` (checkov CKV_AWS_355).",
)
def iam_scoped_resources(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    for s in identity_statements(r):
        if _allow(s) and "*" in _resources(s):
            loose = [a for a in _actions(s) if not a.startswith(UNSCOPABLE_ACTIONS)]
            if loose:
                out.append(f"{', '.join(sorted(loose))} granted on Resource *")
    return out


ESCALATION_ACTIONS = {
    "iam:passrole",
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:attachrolepolicy",
    "iam:attachuserpolicy",
    "iam:putrolepolicy",
    "iam:putuserpolicy",
    "iam:updateassumerolepolicy",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "sts:assumerole",
    "secretsmanager:getsecretvalue",
    "ssm:getparameter",
    "ssm:getparameters",
    "s3:getobject",
    "s3:putbucketpolicy",
}


@resource_rule(
    "iam-no-escalation-or-exposure",
    A,
    list(POLICY_PROPS),
    "No unconstrained privilege escalation, credential exposure or data exfiltration "
    "(checkov CKV_AWS_286, CKV_AWS_287, CKV_AWS_288, CKV_AWS_289, CKV_AWS_290).",
)
def iam_no_escalation(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    for s in identity_statements(r):
        if _allow(s) and "*" in _resources(s) and not s.get("Condition"):
            risky = sorted(a for a in _actions(s) if a.lower() in ESCALATION_ACTIONS)
            if risky:
                out.append(f"{', '.join(risky)} on Resource * without a condition")
    return out


@resource_rule(
    "iam-trust-no-wildcard-principal",
    A,
    ["aws:iam/role:Role"],
    "Trust policies name a service or a pinned principal, never `*` "
    "(checkov CKV_AWS_60, CKV_AWS_61).",
)
def iam_trust_principal(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if any(_allow(s) and _public_principal(s) for s in statements(r.get("assumeRolePolicy"))):
        return ["trust policy allows any principal (*)"]
    return []


GITHUB_OIDC = "token.actions.githubusercontent.com"


def _condition_values(s: Mapping[str, Any], key: str, operators: Sequence[str]) -> list[str]:
    condition = s.get("Condition") or {}
    found: list[str] = []
    for op in operators:
        block = condition.get(op) if isinstance(condition, Mapping) else None
        if isinstance(block, Mapping) and key in block:
            found.extend(str(v) for v in _values(block[key]))
    return found


def _pinned_subject(subject: str) -> bool:
    parts = subject.split(":")
    if len(parts) < 3 or parts[0] != "repo":
        return False
    owner_repo = parts[1]
    return "/" in owner_repo and "*" not in owner_repo and "?" not in owner_repo


@resource_rule(
    "iam-github-oidc-trust-pinned",
    M,
    ["aws:iam/role:Role"],
    "A GitHub Actions OIDC trust pins `token.actions.githubusercontent.com:sub` to "
    "repo:OWNER/REPO:... and the audience to sts.amazonaws.com (checkov CKV_AWS_358, CKV_AWS_393).",
)
def iam_github_oidc_trust(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    for s in statements(r.get("assumeRolePolicy")):
        principal = s.get("Principal") or {}
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        if not _allow(s) or not any(GITHUB_OIDC in str(f) for f in _values(federated)):
            continue
        subjects = _condition_values(s, f"{GITHUB_OIDC}:sub", ("StringEquals", "StringLike"))
        audiences = _condition_values(s, f"{GITHUB_OIDC}:aud", ("StringEquals",))
        if not subjects or not all(_pinned_subject(x) for x in subjects):
            out.append(f"GitHub OIDC trust does not pin the subject to one repository: {subjects}")
        if audiences != ["sts.amazonaws.com"]:
            out.append(
                f"GitHub OIDC trust does not pin the audience to sts.amazonaws.com: {audiences}"
            )
    return out


@resource_rule(
    "resource-policy-not-public",
    A,
    list(RESOURCE_POLICY_PROPS),
    "Bucket, topic, key, repository and secret policies grant nothing to `*` without a "
    "condition (checkov CKV_AWS_70, CKV_AWS_169, CKV_AWS_33, CKV_AWS_32).",
)
def resource_policy_not_public(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    for s in statements(r.get(RESOURCE_POLICY_PROPS[r.type])):
        if _allow(s) and _public_principal(s) and not s.get("Condition"):
            return ["policy allows any principal (*) without a condition"]
    return []
