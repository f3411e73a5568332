"""The policy rules as plain functions, their registry, and ``evaluate``.

Resource rules take one resource (and the stack context) and return messages; stack rules
take every resource of the stack. Each rule's description names the checks it stands for:
checkov (CKV_AWS_* / CKV2_AWS_*), AWS Security Hub FSBP controls and awsguard policies.
``evaluate`` runs them all and marks what a named exception covers (policy/exceptions.py).

Resource rules and their exceptions see one resource at a time, exactly as a pulumi-policy
resource validation does, so the pack, the offline plan and the tests agree.
"""

from __future__ import annotations

import base64
import functools
import importlib
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from policy import secrets
from policy.exceptions import find_exception
from policy.graph import (
    BASTION_COMPONENT,
    DEFAULT_SECURITY_GROUP,
    EC2_INSTANCE,
    ECS_SERVICE,
    LAUNCH_TEMPLATE,
    LISTENERS,
    LOAD_BALANCERS,
    RDS_CLUSTER,
    RDS_INSTANCE,
    S3_BUCKETS,
    SECURITY_GROUP,
    SG_EGRESS_RULE,
    SG_INGRESS_RULE,
    SG_RULE,
    SUBNET,
    TARGET_GROUPS,
    Ingress,
    StackIndex,
    internet_wide,
    is_public_cidr,
    number,
)
from policy.model import UNKNOWN, Enforcement, Finding, Resource, StackContext, decode_json

M = Enforcement.MANDATORY
A = Enforcement.ADVISORY


@dataclass(frozen=True)
class Violation:
    """What a rule returns when it needs more than a message: the offending resource (stack
    rules) and details that an exception predicate inspects (the port, the CIDR, ...)."""

    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    resource: Resource | None = None


Outcome = str | Violation


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    enforcement: Enforcement
    scope: Literal["resource", "stack"]
    check: Callable[..., Iterable[Outcome]]
    types: tuple[str, ...] = ()

    def applies_to(self, resource_type: str) -> bool:
        return self.scope == "resource" and resource_type in self.types


RULES: list[Rule] = []


def resource_rule(
    rule_id: str, enforcement: Enforcement, types: Sequence[str], description: str
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        RULES.append(Rule(rule_id, description, enforcement, "resource", fn, tuple(types)))
        return fn

    return register


def stack_rule(
    rule_id: str, enforcement: Enforcement, description: str
) -> Callable[[Callable[..., Iterable[Outcome]]], Callable[..., Iterable[Outcome]]]:
    def register(fn: Callable[..., Iterable[Outcome]]) -> Callable[..., Iterable[Outcome]]:
        RULES.append(Rule(rule_id, description, enforcement, "stack", fn))
        return fn

    return register


DEFAULT_CONTEXT = StackContext(stack="")


def _index(resources: Iterable[Resource] | StackIndex) -> StackIndex:
    return resources if isinstance(resources, StackIndex) else StackIndex(resources)


def _without_companion(
    index: StackIndex, subject_type: str, companion_type: str, ref: str, message: str
) -> list[Outcome]:
    """A violation for each `subject_type` resource that no `companion_type` resource points
    at through its `ref` property (a VPC without a flow log, a secret without rotation...)."""
    companions = index.of_type(companion_type)
    return [
        Violation(message, resource=subject)
        for subject in index.of_type(subject_type)
        if not any(subject in index.refs(companion, ref) for companion in companions)
    ]


def _known(value: Any) -> bool:
    return value is not None and value is not UNKNOWN


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _listing(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


# --- VPC and security groups ------------------------------------------------------------

SG_RESOURCES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SG_INGRESS_RULE, SG_RULE)


def _world_entries(
    r: Resource, select: Callable[[Ingress], bool] = lambda e: True
) -> list[tuple[Ingress, str]]:
    """Entries of `r` chosen by `select` whose source opens them to the internet, judged on the
    union of the chosen entries' ranges (two /1s are the internet as much as one /0)."""
    chosen = [e for e in StackIndex([r]).entries_of(r, "ingress") if select(e)]
    wide = internet_wide(c for e in chosen for c in e.cidrs)
    return [(e, cidr) for e in chosen for cidr in e.cidrs if cidr in wide]


@resource_rule(
    "default-security-group-closed",
    M,
    [DEFAULT_SECURITY_GROUP],
    "The VPC's default security group allows no traffic in or out "
    "(checkov CKV2_AWS_12; FSBP EC2.2).",
)
def default_security_group_closed(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"default security group has {direction} rules; it must allow nothing"
        for direction in ("ingress", "egress")
        if _listing(r.get(direction))
    ]


@resource_rule(
    "sg-no-world-ssh-rdp",
    M,
    SG_RESOURCES,
    "No ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) to SSH (22) "
    "or RDP (3389) "
    "(checkov CKV_AWS_24, CKV_AWS_25; FSBP EC2.13, EC2.14, EC2.53, EC2.54).",
)
def sg_no_world_ssh_rdp(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} reaches port {port} ({e.ports_text()})", e.detail(cidr))
        for port in (22, 3389)
        for e, cidr in _world_entries(r, _covering(port))
    ]


def _covering(port: int) -> Callable[[Ingress], bool]:
    return lambda e: e.covers(port)


@resource_rule(
    "sg-no-world-all-ports",
    M,
    SG_RESOURCES,
    "No ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) to all ports "
    "or protocols "
    "(checkov CKV_AWS_277; FSBP EC2.18, EC2.19).",
)
def sg_no_world_all_ports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} on all ports", e.detail(cidr))
        for e, cidr in _world_entries(r, lambda e: e.all_ports)
    ]


@resource_rule(
    "sg-world-ingress-web-ports",
    A,
    SG_RESOURCES,
    "Ingress from the internet (0.0.0.0/0, ::/0, or ranges as wide together) only to the load "
    "balancer on 80/443, under the named "
    "exception ALB_PUBLIC_HTTP_HTTPS (checkov CKV_AWS_260; FSBP EC2.18).",
)
def sg_world_ingress_web_ports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[Outcome]:
    return [
        Violation(f"ingress from {cidr} on {e.ports_text()}", e.detail(cidr))
        for e, cidr in _world_entries(r, lambda e: not e.all_ports)
    ]


def _default_description(text: Any) -> bool:
    return not isinstance(text, str) or not text.strip() or text.strip() == "Managed by Pulumi"


@resource_rule(
    "sg-descriptions",
    A,
    [SECURITY_GROUP, SG_INGRESS_RULE, SG_EGRESS_RULE, SG_RULE],
    "Every security group and rule says what it is for (checkov CKV_AWS_23).",
)
def sg_descriptions(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if _default_description(r.get("description")):
        out.append("has no description of its own")
    if r.type == SECURITY_GROUP:
        for direction in ("ingress", "egress"):
            for i, entry in enumerate(_listing(r.get(direction))):
                if isinstance(entry, Mapping) and _default_description(entry.get("description")):
                    out.append(f"{direction}[{i}] has no description")
    return out


@resource_rule(
    "subnet-no-auto-public-ip",
    A,
    [SUBNET],
    "Subnets do not give instances public IPs on launch, except the public tier under "
    "PUBLIC_SUBNET_TIER (checkov CKV_AWS_130; FSBP EC2.15).",
)
def subnet_no_auto_public_ip(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if _truthy(r.get("mapPublicIpOnLaunch")):
        return ["mapPublicIpOnLaunch is true"]
    return []


# --- Load balancer ----------------------------------------------------------------------

MODERN_TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-",
    "ELBSecurityPolicy-TLS13-1-3-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)


@resource_rule(
    "alb-http-to-https-redirection",
    M,
    LISTENERS,
    "Listeners speak HTTPS; an HTTP listener only redirects to HTTPS "
    "(checkov CKV_AWS_2, CKV2_AWS_20; FSBP ELB.1; awsguard alb-http-to-https-redirection).",
)
def alb_https_only(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    protocol = r.get("protocol")
    if protocol is UNKNOWN or (protocol or "HTTP").upper() != "HTTP":
        return []
    actions = [a for a in _listing(r.get("defaultActions")) if isinstance(a, Mapping)]
    if not actions:
        return ["HTTP listener has no default action; it must redirect to HTTPS"]
    for action in actions:
        redirect = action.get("redirect") or {}
        if action.get("type") != "redirect" or str(redirect.get("protocol")).upper() != "HTTPS":
            return ["HTTP listener must only redirect to HTTPS"]
    return []


@resource_rule(
    "alb-tls-policy",
    M,
    LISTENERS,
    "HTTPS listeners use a TLS 1.2+ security policy such as "
    "ELBSecurityPolicy-TLS13-1-2-2021-06 (checkov CKV_AWS_103, CKV2_AWS_74; FSBP ELB.17).",
)
def alb_tls_policy(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if str(r.get("protocol")).upper() not in {"HTTPS", "TLS"}:
        return []
    policy = r.get("sslPolicy")
    if policy is UNKNOWN:
        return []
    if not isinstance(policy, str) or not policy.startswith(MODERN_TLS_POLICIES):
        return [f"sslPolicy {policy!r} allows TLS below 1.2 (the default does)"]
    return []


def _application_lb(r: Resource) -> bool:
    return r.get("loadBalancerType") in (None, "application")


@resource_rule(
    "alb-drop-invalid-headers",
    M,
    LOAD_BALANCERS,
    "Application load balancers drop invalid HTTP header fields (checkov CKV_AWS_131; FSBP ELB.4).",
)
def alb_drop_invalid_headers(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if _application_lb(r) and not _truthy(r.get("dropInvalidHeaderFields")):
        return ["dropInvalidHeaderFields is not true"]
    return []


@resource_rule(
    "elb-access-logging-enabled",
    A,
    LOAD_BALANCERS,
    "Load balancers write access logs to S3 "
    "(checkov CKV_AWS_91; FSBP ELB.5; awsguard elb-access-logging-enabled).",
)
def elb_access_logs(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    logs = r.get("accessLogs") or {}
    if not isinstance(logs, Mapping) or not _truthy(logs.get("enabled")) or not logs.get("bucket"):
        return ["access logs are not enabled"]
    return []


@resource_rule(
    "elb-deletion-protection-enabled",
    A,
    LOAD_BALANCERS,
    "In production, load balancers have deletion protection "
    "(checkov CKV_AWS_150; FSBP ELB.6; awsguard elb-deletion-protection-enabled).",
)
def elb_deletion_protection(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if ctx.production and not _truthy(r.get("enableDeletionProtection")):
        return ["production load balancer without deletion protection"]
    return []


@resource_rule(
    "alb-desync-mitigation",
    A,
    LOAD_BALANCERS,
    "HTTP desync mitigation is defensive or strictest (checkov CKV_AWS_328; FSBP ELB.12).",
)
def alb_desync(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    mode = r.get("desyncMitigationMode")
    if _application_lb(r) and isinstance(mode, str) and mode not in {"defensive", "strictest"}:
        return [f"desyncMitigationMode is {mode!r}"]
    return []


@resource_rule(
    "alb-multi-az",
    A,
    LOAD_BALANCERS,
    "Load balancers span at least two availability zones (FSBP ELB.13).",
)
def alb_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    subnets = r.get("subnets")
    mappings = r.get("subnetMappings")
    if subnets is UNKNOWN or mappings is UNKNOWN:
        return []
    count = len(_listing(subnets)) + len(_listing(mappings))
    return [f"spans {count} subnet(s); at least 2 are needed"] if count < 2 else []


@resource_rule(
    "target-group-health-check-path",
    A,
    TARGET_GROUPS,
    "HTTP target groups have an enabled health check with a path (checkov CKV_AWS_261).",
)
def target_group_health_check(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if (
        str(r.get("protocol", default="HTTP")).upper() not in {"HTTP", "HTTPS"}
        or r.get("targetType") == "lambda"
    ):
        return []
    check = r.get("healthCheck") or {}
    if not isinstance(check, Mapping) or check.get("enabled") is False or not check.get("path"):
        return ["no health check path"]
    return []


# --- ECS --------------------------------------------------------------------------------

CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def containers(r: Resource) -> list[Mapping[str, Any]]:
    decoded = decode_json(r.get("containerDefinitions"))
    return [c for c in _listing(decoded) if isinstance(c, Mapping)]


@resource_rule(
    "ecs-cluster-container-insights",
    M,
    [CLUSTER],
    "Container Insights is on for the cluster (checkov CKV_AWS_65; FSBP ECS.12).",
)
def ecs_container_insights(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    for setting in _listing(r.get("settings")):
        if (
            isinstance(setting, Mapping)
            and setting.get("name") == "containerInsights"
            and setting.get("value") in {"enabled", "enhanced"}
        ):
            return []
    return ["containerInsights setting is not enabled"]


@resource_rule(
    "ecs-cluster-exec-logging",
    A,
    [CLUSTER],
    "ECS Exec, when configured, logs its sessions and encrypts them with a KMS key "
    "(checkov CKV_AWS_223, CKV_AWS_224).",
)
def ecs_exec_logging(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    config = r.get("configuration", "executeCommandConfiguration")
    if not isinstance(config, Mapping):
        return []
    out = []
    if config.get("logging") == "NONE":
        out.append("ECS Exec sessions are not logged")
    if not config.get("kmsKeyId"):
        out.append("ECS Exec sessions are not encrypted with a KMS key")
    return out


@resource_rule(
    "ecs-service-no-public-ip",
    M,
    [ECS_SERVICE],
    "ECS services do not assign public IPs to tasks (checkov CKV_AWS_333; FSBP ECS.2).",
)
def ecs_service_no_public_ip(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if _truthy(r.get("networkConfiguration", "assignPublicIp")):
        return ["networkConfiguration.assignPublicIp is true"]
    return []


@resource_rule(
    "ecs-fargate-latest-platform",
    A,
    [ECS_SERVICE],
    "Fargate services run platform version LATEST (checkov CKV_AWS_332; FSBP ECS.10).",
)
def ecs_fargate_latest(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    version = r.get("platformVersion")
    if isinstance(version, str) and version != "LATEST":
        return [f"platformVersion is pinned to {version}"]
    return []


@resource_rule(
    "ecs-task-not-privileged",
    M,
    [TASK_DEFINITION],
    "No container runs privileged (FSBP ECS.4).",
)
def ecs_not_privileged(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"container {c.get('name')} is privileged"
        for c in containers(r)
        if _truthy(c.get("privileged"))
    ]


@resource_rule(
    "ecs-task-read-only-root",
    M,
    [TASK_DEFINITION],
    "Containers have a read-only root filesystem (checkov CKV_AWS_336; FSBP ECS.5).",
)
def ecs_read_only_root(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"container {c.get('name')} has a writable root filesystem"
        for c in containers(r)
        if not _truthy(c.get("readonlyRootFilesystem"))
    ]


@resource_rule(
    "ecs-task-no-host-pid",
    M,
    [TASK_DEFINITION],
    "Tasks do not share the host's process namespace (checkov CKV_AWS_335; FSBP ECS.3).",
)
def ecs_no_host_pid(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["pidMode is host"] if r.get("pidMode") == "host" else []


@resource_rule(
    "ecs-task-no-secrets-in-environment",
    M,
    [TASK_DEFINITION],
    "Credentials reach containers through `secrets`, never `environment` (FSBP ECS.8).",
)
def ecs_no_env_secrets(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    for c in containers(r):
        for env in _listing(c.get("environment")):
            if not isinstance(env, Mapping):
                continue
            name, value = str(env.get("name", "")), env.get("value")
            reason = secrets.value_reason(value) if isinstance(value, str) else None
            if reason or (secrets.sensitive_name(name) and value not in (None, "")):
                out.append(f"container {c.get('name')} has {name} in environment; use secrets")
    return out


@resource_rule(
    "ecs-task-log-configuration",
    M,
    [TASK_DEFINITION],
    "Every container has a log configuration (FSBP ECS.9).",
)
def ecs_log_configuration(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"container {c.get('name')} has no logConfiguration"
        for c in containers(r)
        if not (c.get("logConfiguration") or {}).get("logDriver")
    ]


@resource_rule(
    "ecs-task-non-root-user",
    A,
    [TASK_DEFINITION],
    "Containers run as a non-root user (FSBP ECS.20).",
)
def ecs_non_root(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [
        f"container {c.get('name')} runs as root (set `user`)"
        for c in containers(r)
        if str(c.get("user") or "root").split(":")[0] in {"root", "0", ""}
    ]


@resource_rule(
    "ecs-task-no-host-network",
    A,
    [TASK_DEFINITION],
    "Tasks do not use the host network mode (FSBP ECS.17).",
)
def ecs_no_host_network(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["networkMode is host"] if r.get("networkMode") == "host" else []


@resource_rule(
    "ecs-task-separate-roles",
    A,
    [TASK_DEFINITION],
    "The execution role differs from the task role (checkov CKV_AWS_249).",
)
def ecs_separate_roles(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    execution, task = r.get("executionRoleArn"), r.get("taskRoleArn")
    if isinstance(execution, str) and execution and execution == task:
        return ["executionRoleArn and taskRoleArn are the same role"]
    return []


# --- ECR --------------------------------------------------------------------------------

ECR_REPOSITORY = "aws:ecr/repository:Repository"


@resource_rule(
    "ecr-scan-on-push",
    M,
    [ECR_REPOSITORY],
    "Images are scanned on push (checkov CKV_AWS_163; FSBP ECR.1).",
)
def ecr_scan_on_push(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if not _truthy(r.get("imageScanningConfiguration", "scanOnPush")):
        return ["imageScanningConfiguration.scanOnPush is not true"]
    return []


@resource_rule(
    "ecr-immutable-tags",
    M,
    [ECR_REPOSITORY],
    "Image tags are immutable (checkov CKV_AWS_51; FSBP ECR.2).",
)
def ecr_immutable_tags(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if r.get("imageTagMutability") not in {"IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"}:
        return [f"imageTagMutability is {r.get('imageTagMutability', default='MUTABLE')!r}"]
    return []


@resource_rule(
    "ecr-kms-encryption",
    A,
    [ECR_REPOSITORY],
    "Repositories are encrypted with a KMS key (checkov CKV_AWS_136).",
)
def ecr_kms(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    configs = [c for c in _listing(r.get("encryptionConfigurations")) if isinstance(c, Mapping)]
    if not any(c.get("encryptionType") == "KMS" for c in configs):
        return ["repository is not encrypted with KMS"]
    return []


# --- Policy documents (IAM, bucket, topic, key, repository policies) --------------------


def statements(document: Any) -> list[Mapping[str, Any]]:
    decoded = decode_json(document)
    if not isinstance(decoded, Mapping):
        return []
    found = decoded.get("Statement") or decoded.get("statements") or []
    if isinstance(found, Mapping):
        found = [found]
    return [s for s in _listing(found) if isinstance(s, Mapping)]


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _allow(s: Mapping[str, Any]) -> bool:
    return s.get("Effect", s.get("effect", "Allow")) == "Allow"


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
            for p in _listing(r.get("inlinePolicies"))
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


# --- RDS --------------------------------------------------------------------------------


@resource_rule(
    "rds-instance-public-access-check",
    M,
    [RDS_INSTANCE],
    "The database is not publicly accessible "
    "(checkov CKV_AWS_17; FSBP RDS.2; awsguard rds-instance-public-access-check).",
)
def rds_not_public(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["publiclyAccessible is true"] if _truthy(r.get("publiclyAccessible")) else []


@resource_rule(
    "rds-storage-encrypted",
    M,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Database storage is encrypted at rest "
    "(checkov CKV_AWS_16; FSBP RDS.3; awsguard rds-storage-encrypted).",
)
def rds_encrypted(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if _truthy(r.get("storageEncrypted")) else ["storageEncrypted is not true"]


@resource_rule(
    "rds-instance-multi-az-enabled",
    M,
    [RDS_INSTANCE],
    "In production the database is Multi-AZ "
    "(checkov CKV_AWS_157; FSBP RDS.5; awsguard rds-instance-multi-az-enabled).",
)
def rds_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if ctx.production and not _truthy(r.get("multiAz")):
        return ["production database is not Multi-AZ"]
    return []


@resource_rule(
    "rds-instance-backup-enabled",
    M,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Automated backups are kept 1 to 35 days "
    "(checkov CKV_AWS_133; FSBP RDS.11; awsguard rds-instance-backup-enabled).",
)
def rds_backups(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    days = number(r.get("backupRetentionPeriod"))
    if days is None or not 1 <= days <= 35:
        return [f"backupRetentionPeriod is {r.get('backupRetentionPeriod')!r}; set 1-35 days"]
    return []


@resource_rule(
    "rds-enhanced-monitoring",
    A,
    [RDS_INSTANCE],
    "Enhanced monitoring is on (checkov CKV_AWS_118; FSBP RDS.6).",
)
def rds_enhanced_monitoring(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    interval = number(r.get("monitoringInterval"))
    return [] if interval and interval > 0 else ["monitoringInterval is 0"]


@resource_rule(
    "rds-log-exports",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Database logs are exported to CloudWatch (checkov CKV_AWS_129; FSBP RDS.9).",
)
def rds_log_exports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return (
        []
        if _listing(r.get("enabledCloudwatchLogsExports"))
        else ["no logs exported to CloudWatch"]
    )


@resource_rule(
    "rds-iam-authentication",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "IAM database authentication is on (checkov CKV_AWS_161; FSBP RDS.10).",
)
def rds_iam_auth(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if _truthy(r.get("iamDatabaseAuthenticationEnabled")):
        return []
    return ["iamDatabaseAuthenticationEnabled is not true"]


@resource_rule(
    "rds-auto-minor-version-upgrade",
    A,
    [RDS_INSTANCE],
    "Minor engine upgrades are applied automatically (checkov CKV_AWS_226; FSBP RDS.13).",
)
def rds_auto_minor(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["autoMinorVersionUpgrade is false"] if r.get("autoMinorVersionUpgrade") is False else []


@resource_rule(
    "rds-copy-tags-to-snapshot",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Tags are copied to snapshots (checkov CKV2_AWS_60; FSBP RDS.17).",
)
def rds_copy_tags(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if _truthy(r.get("copyTagsToSnapshot")) else ["copyTagsToSnapshot is not true"]


@resource_rule(
    "rds-performance-insights-kms",
    A,
    [RDS_INSTANCE],
    "Performance Insights is on and encrypted with a customer key "
    "(checkov CKV_AWS_353, CKV_AWS_354).",
)
def rds_performance_insights(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if not _truthy(r.get("performanceInsightsEnabled")):
        return ["Performance Insights is off"]
    if not r.get("performanceInsightsKmsKeyId"):
        return ["Performance Insights uses the AWS-managed key"]
    return []


@resource_rule(
    "rds-non-default-username",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "The admin user name is not a default one (FSBP RDS.25).",
)
def rds_username(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    user = r.get("username", default=r.get("masterUsername"))
    if isinstance(user, str) and user.lower() in {"postgres", "admin", "root", "master", "sa"}:
        return [f"admin user name {user!r} is a default"]
    return []


@resource_rule(
    "rds-managed-master-password",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "The master password is generated and kept by AWS in Secrets Manager, never set from "
    "config (FSBP RDS.* guidance; no plain-text passwords).",
)
def rds_managed_password(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if r.get("password", default=r.get("masterPassword")) is not None:
        out.append("a master password is set by the program")
    if not _truthy(r.get("manageMasterUserPassword")):
        out.append("manageMasterUserPassword is not true")
    return out


# --- EC2 (bastion, ECS capacity) --------------------------------------------------------

ASG = "aws:autoscaling/group:Group"


def _lt_interfaces(r: Resource) -> list[Mapping[str, Any]]:
    return [n for n in _listing(r.get("networkInterfaces")) if isinstance(n, Mapping)]


@resource_rule(
    "ec2-imdsv2-required",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances require IMDSv2 tokens (checkov CKV_AWS_79; FSBP EC2.8).",
)
def ec2_imdsv2(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if r.get("metadataOptions", "httpTokens") != "required":
        return ["metadataOptions.httpTokens is not 'required'"]
    return []


@resource_rule(
    "ec2-imds-hop-limit",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "The instance metadata hop limit is 1 (checkov CKV_AWS_341).",
)
def ec2_hop_limit(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    hops = number(r.get("metadataOptions", "httpPutResponseHopLimit"))
    return [f"httpPutResponseHopLimit is {int(hops)}"] if hops and hops > 1 else []


@resource_rule(
    "encrypted-volumes",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Root and data volumes are encrypted "
    "(checkov CKV_AWS_8; FSBP EC2.3, EC2.7; awsguard encrypted-volumes).",
)
def encrypted_volumes(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if r.type == EC2_INSTANCE:
        if not _truthy(r.get("rootBlockDevice", "encrypted")):
            out.append("root volume is not encrypted")
        for d in _listing(r.get("ebsBlockDevices")):
            if isinstance(d, Mapping) and not _truthy(d.get("encrypted")):
                out.append(f"volume {d.get('deviceName')} is not encrypted")
    else:
        mappings = [m for m in _listing(r.get("blockDeviceMappings")) if isinstance(m, Mapping)]
        if not mappings:
            out.append("no block device mapping encrypts the root volume")
        for m in mappings:
            if not _truthy((m.get("ebs") or {}).get("encrypted")):
                out.append(f"volume {m.get('deviceName')} is not encrypted")
    return out


@resource_rule(
    "ec2-instance-no-public-ip",
    M,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances get no public IP; the bastion's, when SSH is configured, is the named "
    "exception BASTION_PUBLIC_SSH (checkov CKV_AWS_88; FSBP EC2.9; awsguard ec2-instance-no-public-ip).",
)
def ec2_no_public_ip(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if _truthy(r.get("associatePublicIpAddress")):
        return ["associatePublicIpAddress is true"]
    if any(_truthy(n.get("associatePublicIpAddress")) for n in _lt_interfaces(r)):
        return ["a network interface associates a public IP"]
    return []


@resource_rule(
    "ec2-instance-profile",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "Instances have an IAM role (instance profile) (checkov CKV2_AWS_41).",
)
def ec2_instance_profile(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("iamInstanceProfile") else ["no IAM instance profile"]


def _user_data(r: Resource) -> str | None:
    data = r.get("userData")
    if isinstance(data, str) and r.type == LAUNCH_TEMPLATE:
        try:
            return base64.b64decode(data, validate=True).decode("utf-8", "replace")
        except ValueError:
            return data
    return data if isinstance(data, str) else r.get("userDataBase64")


@resource_rule(
    "ec2-user-data-no-secrets",
    A,
    [EC2_INSTANCE, LAUNCH_TEMPLATE],
    "User data holds no secrets (checkov CKV_AWS_46).",
)
def ec2_user_data(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    data = _user_data(r)
    if not isinstance(data, str):
        return []
    out = []
    for line in data.splitlines():
        name, _, value = line.partition("=")
        literal = value.strip().strip("'\"")
        # `token=$(curl ...)` reads a value at boot; only a literal is a secret in user data.
        if (
            literal
            and not literal.startswith(("$", "`"))
            and secrets.sensitive_name(name.strip().removeprefix("export "))
        ):
            out.append(f"user data sets {name.strip()}")
        elif secrets.value_reason(line):
            out.append(f"user data line: {secrets.value_reason(line)}")
    return out


@resource_rule(
    "asg-launch-template",
    A,
    [ASG],
    "Auto Scaling groups use a launch template (checkov CKV_AWS_315; FSBP AutoScaling.9).",
)
def asg_launch_template(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if r.get("launchTemplate") or r.get("mixedInstancesPolicy"):
        return []
    return ["no launch template"]


@resource_rule(
    "asg-elb-health-check",
    A,
    [ASG],
    "Auto Scaling groups behind a load balancer use its health checks "
    "(checkov CKV2_AWS_15; FSBP AutoScaling.1).",
)
def asg_elb_health(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    attached = _listing(r.get("targetGroupArns")) or _listing(r.get("loadBalancers"))
    if attached and r.get("healthCheckType") != "ELB":
        return ["attached to a load balancer but healthCheckType is not ELB"]
    return []


@resource_rule(
    "asg-multi-az",
    A,
    [ASG],
    "Auto Scaling groups span several availability zones (FSBP AutoScaling.2).",
)
def asg_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    zones = r.get("vpcZoneIdentifiers")
    if zones is UNKNOWN:
        return []
    count = max(len(_listing(zones)), len(_listing(r.get("availabilityZones"))))
    return [f"spans {count} zone(s)"] if count < 2 else []


# --- Logs, topics, secrets, keys, certificates ------------------------------------------

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@resource_rule(
    "log-group-kms",
    M,
    [LOG_GROUP],
    "Log groups are encrypted with a KMS key (checkov CKV_AWS_158).",
)
def log_group_kms(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsKeyId") else ["kmsKeyId is not set"]


@resource_rule(
    "log-group-retention",
    M,
    [LOG_GROUP],
    "Log groups have a retention period (checkov CKV_AWS_66).",
)
def log_group_retention(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    days = number(r.get("retentionInDays"))
    return [] if days and days > 0 else ["retentionInDays is not set (logs kept forever)"]


@resource_rule(
    "sns-topic-encrypted",
    A,
    ["aws:sns/topic:Topic"],
    "Topics are encrypted with a KMS key (checkov CKV_AWS_26; FSBP SNS.1).",
)
def sns_encrypted(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsMasterKeyId") else ["kmsMasterKeyId is not set"]


@resource_rule(
    "secret-customer-key",
    A,
    ["aws:secretsmanager/secret:Secret"],
    "Secrets are encrypted with a customer-managed key (checkov CKV_AWS_149).",
)
def secret_customer_key(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsKeyId") else ["kmsKeyId is not set (AWS-managed key)"]


@resource_rule(
    "cmk-backing-key-rotation-enabled",
    M,
    ["aws:kms/key:Key"],
    "Symmetric KMS keys rotate yearly "
    "(checkov CKV_AWS_7; FSBP KMS.4; awsguard cmk-backing-key-rotation-enabled).",
)
def kms_rotation(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    spec = r.get("customerMasterKeySpec", default=r.get("keySpec", default="SYMMETRIC_DEFAULT"))
    if spec == "SYMMETRIC_DEFAULT" and not _truthy(r.get("enableKeyRotation")):
        return ["enableKeyRotation is not true"]
    return []


@resource_rule(
    "acm-dns-validation",
    A,
    ["aws:acm/certificate:Certificate"],
    "Certificates are validated by DNS so ACM renews them automatically (FSBP ACM.1).",
)
def acm_dns_validation(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    method = r.get("validationMethod")
    if r.get("domainName") and method != "DNS":
        return [f"validationMethod is {method!r}"]
    return []


# --- Stack rules ------------------------------------------------------------------------

VPC = "aws:ec2/vpc:Vpc"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


@stack_rule(
    "vpc-flow-logs-enabled",
    M,
    "Every VPC has flow logs (checkov CKV2_AWS_11; FSBP EC2.6).",
)
def vpc_flow_logs(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return _without_companion(
        _index(resources), VPC, "aws:ec2/flowLog:FlowLog", "vpcId", "VPC has no flow log"
    )


@stack_rule(
    "vpc-default-security-group-managed",
    M,
    "Every VPC's default security group is adopted and emptied (checkov CKV2_AWS_12; FSBP EC2.2).",
)
def vpc_default_sg(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return _without_companion(
        _index(resources),
        VPC,
        DEFAULT_SECURITY_GROUP,
        "vpcId",
        "the VPC's default security group is not managed (it allows traffic)",
    )


@stack_rule(
    "internet-ingress-only-load-balancer",
    M,
    "Nothing but the load balancer is reachable from the internet: any ingress from outside "
    "the private address space needs a named exception (checkov CKV_AWS_260, CKV_AWS_24, "
    "CKV_AWS_25, CKV_AWS_277; FSBP EC2.18, EC2.19).",
)
def internet_ingress(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for e in index.rule_entries("ingress"):
        for cidr in e.cidrs:
            if is_public_cidr(cidr):
                out.append(
                    Violation(
                        f"ingress from {cidr} on {e.ports_text()} to {_name(index, e.group)}",
                        e.detail(cidr),
                        e.resource,
                    )
                )
    return out


def _name(index: StackIndex, urn: str | None) -> str:
    r = index.by_urn.get(urn or "")
    return r.name if r else "an unresolved security group"


def _routes(index: StackIndex, table: Resource) -> list[Mapping[str, Any]]:
    inline = [x for x in _listing(table.get("routes")) if isinstance(x, Mapping)]
    separate = [
        route.props for route in index.of_type(ROUTE) if table in index.refs(route, "routeTableId")
    ]
    return inline + separate


def _default_route_to_igw(route: Mapping[str, Any]) -> bool:
    default = (
        route.get("cidrBlock", route.get("destinationCidrBlock")) == "0.0.0.0/0"
        or route.get("ipv6CidrBlock", route.get("destinationIpv6CidrBlock")) == "::/0"
    )
    gateway = route.get("gatewayId")
    return default and gateway is not None and not str(gateway).startswith("vgw-")


def route_tables_of(index: StackIndex, subnet: Resource) -> list[Resource]:
    return [
        table
        for assoc in index.of_type(ROUTE_TABLE_ASSOCIATION)
        if subnet in index.refs(assoc, "subnetId")
        for table in index.refs(assoc, "routeTableId", types=[ROUTE_TABLE])
    ]


def is_public_subnet(index: StackIndex, subnet: Resource) -> bool:
    if _truthy(subnet.get("mapPublicIpOnLaunch")):
        return True
    return any(
        _default_route_to_igw(route)
        for table in route_tables_of(index, subnet)
        for route in _routes(index, table)
    )


@stack_rule(
    "ecs-tasks-in-private-subnets",
    M,
    "ECS tasks run only in private subnets, without public IPs (checkov CKV_AWS_333; FSBP ECS.2).",
)
def ecs_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for service in index.of_type(ECS_SERVICE):
        subnets = index.refs(service, "networkConfiguration", types=[SUBNET])
        if not subnets:
            out.append(
                Violation(
                    "tasks' subnets cannot be traced to subnets of this stack", resource=service
                )
            )
        out.extend(
            Violation(f"tasks run in public subnet {s.name}", resource=service)
            for s in subnets
            if is_public_subnet(index, s)
        )
    return out


@stack_rule(
    "private-subnets-route-via-nat",
    A,
    "Private subnets reach the internet through NAT, never an Internet Gateway (checkov CKV2_AWS_35).",
)
def private_routes(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for subnet in index.of_type(SUBNET):
        label = f"{subnet.name} {subnet.get('tags', 'Name')}".lower()
        if any(word in label for word in ("private", "database", "isolated")) and any(
            _default_route_to_igw(r)
            for t in route_tables_of(index, subnet)
            for r in _routes(index, t)
        ):
            out.append(
                Violation("private subnet routes 0.0.0.0/0 to an Internet Gateway", resource=subnet)
            )
    return out


def _bastion_groups(index: StackIndex) -> set[str]:
    return {
        g.urn
        for r in index.of_type(EC2_INSTANCE, LAUNCH_TEMPLATE)
        if r.under(BASTION_COMPONENT)
        for g in index.groups_of(r)
    }


@stack_rule(
    "database-reachable-only-from-service-and-bastion",
    M,
    "The database's security groups take traffic only from the ECS service's and the "
    "bastion's security groups: no CIDR, no other group (checkov CKV_AWS_17; FSBP RDS.2).",
)
def database_reachability(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    allowed = {g.urn for s in index.of_type(ECS_SERVICE) for g in index.groups_of(s)}
    allowed |= _bastion_groups(index)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        groups = {g.urn for g in index.groups_of(db)}
        if not groups:
            out.append(
                Violation(
                    "database has no security group of this stack (default group?)", resource=db
                )
            )
            continue
        for e in index.rule_entries("ingress"):
            if e.group not in groups:
                continue
            where = f"{_name(index, e.group)} ({e.ports_text()})"
            for cidr in e.cidrs:
                out.append(
                    Violation(f"database group {where} takes {cidr}", e.detail(cidr), e.resource)
                )
            if e.self_reference:
                out.append(
                    Violation(f"database group {where} allows itself", e.detail(), e.resource)
                )
            if e.unresolved_sources:
                out.append(
                    Violation(
                        f"database group {where} has a source that cannot be traced",
                        e.detail(),
                        e.resource,
                    )
                )
            for source in e.sources:
                if source not in allowed:
                    out.append(
                        Violation(
                            f"database group {where} takes traffic from {_name(index, source)}, "
                            "which is neither the service's nor the bastion's",
                            e.detail(),
                            e.resource,
                        )
                    )
    return out


RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"


@stack_rule(
    "rds-force-ssl",
    M,
    "PostgreSQL enforces TLS through a parameter group with rds.force_ssl=1 "
    "(checkov CKV2_AWS_69; FSBP RDS.38).",
)
def rds_force_ssl(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        engine = db.get("engine")
        if isinstance(engine, str) and "postgres" not in engine:
            continue
        prop, kind = (
            ("parameterGroupName", RDS_PARAMETER_GROUP)
            if db.type == RDS_INSTANCE
            else ("dbClusterParameterGroupName", RDS_CLUSTER_PARAMETER_GROUP)
        )
        groups = index.refs(db, prop, types=[kind])
        if not groups and db.get(prop) is None:
            out.append(
                Violation("uses the default parameter group; rds.force_ssl is not set", resource=db)
            )
            continue
        if not groups:
            groups = [g for g in index.of_type(kind) if g.parent == db.parent]
        forced = any(
            isinstance(p, Mapping)
            and p.get("name") == "rds.force_ssl"
            and str(p.get("value")) == "1"
            for g in groups
            for p in _listing(g.get("parameters"))
        )
        if not forced:
            out.append(Violation("parameter group does not set rds.force_ssl=1", resource=db))
    return out


@stack_rule(
    "rds-private-subnet-group",
    A,
    "The database's subnet group holds only private subnets (FSBP RDS.18).",
)
def rds_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        for group in index.refs(db, "dbSubnetGroupName", types=["aws:rds/subnetGroup:SubnetGroup"]):
            public = [
                s.name
                for s in index.refs(group, "subnetIds", types=[SUBNET])
                if is_public_subnet(index, s)
            ]
            if public:
                out.append(Violation(f"subnet group includes public subnets {public}", resource=db))
    return out


@functools.cache
def taggable(resource_type: str) -> bool | None:
    """Whether pulumi_aws gives the type a ``tags`` input; None when the type is unknown."""
    try:
        package, module, cls = resource_type.split(":")
    except ValueError:
        return None
    if package != "aws":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            mod = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
        klass = getattr(mod, cls)
        return "tags" in inspect.signature(klass._internal_init).parameters
    except (ImportError, AttributeError, ValueError, TypeError):
        return None


def _provider_tags(index: StackIndex, r: Resource) -> Mapping[str, Any]:
    """Default tags of the resource's explicit provider (a reference is ``urn::id``)."""
    if not r.provider:
        return {}
    provider = index.by_urn.get(r.provider) or index.by_urn.get(r.provider.rsplit("::", 1)[0])
    # Provider inputs arrive with nested values encoded as JSON strings.
    defaults = decode_json(provider.get("defaultTags")) if provider else None
    tags = decode_json(defaults.get("tags")) if isinstance(defaults, Mapping) else None
    return tags if isinstance(tags, Mapping) else {}


@stack_rule(
    "stack-tags",
    M,
    "Every taggable resource carries the stack-wide tags Project, Environment, ManagedBy, "
    "Owner and CostCentre (from the provider's default tags) (checkov CKV_AWS_* tagging "
    "guidance; FSBP tagging controls such as EC2.33).",
)
def stack_tags(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for r in index.resources:
        if not r.type.startswith("aws:") or r.type.startswith("pulumi:"):
            continue
        kind = taggable(r.type)
        if kind is False or (kind is None and "tags" not in r.props and "tagsAll" not in r.props):
            continue
        tags = r.get("tagsAll")
        if tags is UNKNOWN:
            continue
        if not isinstance(tags, Mapping):
            own = r.get("tags")
            tags = {**_provider_tags(index, r), **(own if isinstance(own, Mapping) else {})}
        missing = [k for k in ctx.required_tags if not tags.get(k)]
        if missing:
            out.append(Violation(f"missing stack-wide tags {missing}", resource=r))
    return out


def _deletion_problems(r: Resource) -> list[str]:
    if r.type in (RDS_INSTANCE, RDS_CLUSTER):
        problems = []
        if not _truthy(r.get("deletionProtection")):
            problems.append("deletionProtection is not true")
        if _truthy(r.get("skipFinalSnapshot")):
            problems.append("skipFinalSnapshot is true")
        return problems
    if r.type in S3_BUCKETS and _truthy(r.get("forceDestroy")):
        return ["forceDestroy is true"]
    if r.type == ECR_REPOSITORY and _truthy(r.get("forceDelete")):
        return ["forceDelete is true"]
    if r.type == "aws:secretsmanager/secret:Secret" and number(r.get("recoveryWindowInDays")) == 0:
        return ["recoveryWindowInDays is 0 (deleted at once)"]
    return []


@stack_rule(
    "prod-deletion-protection",
    M,
    "In production, stateful resources are protected from deletion: the database has "
    "deletion protection and a final snapshot; buckets, repositories and secrets are not "
    "force-deleted (checkov CKV_AWS_293; FSBP RDS.8, RDS.7).",
)
def prod_deletion_protection(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    if not ctx.production:
        return []
    index = _index(resources)
    return [Violation(p, resource=r) for r in index.resources for p in _deletion_problems(r)]


def _bucket_parts(index: StackIndex, bucket: Resource, *types: str) -> list[Resource]:
    return [r for r in index.of_type(*types) if bucket in index.refs(r, "bucket")]


S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
S3_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_rule(
    "s3-public-access-block",
    M,
    "Every bucket blocks public access with all four flags "
    "(checkov CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56; FSBP S3.1, S3.8).",
)
def s3_public_access_block(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        blocks = _bucket_parts(index, bucket, *S3_PAB)
        if not blocks:
            out.append(Violation("no public access block", resource=bucket))
        for block in blocks:
            off = [f for f in PAB_FLAGS if not _truthy(block.get(f))]
            if off:
                out.append(Violation(f"public access block leaves {off} off", resource=block))
    return out


@stack_rule(
    "s3-bucket-versioning",
    M,
    "Every bucket is versioned (checkov CKV_AWS_21; FSBP S3.14).",
)
def s3_versioning(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        inline = _truthy(bucket.get("versioning", "enabled"))
        separate = any(
            v.get("versioningConfiguration", "status") == "Enabled"
            for v in _bucket_parts(index, bucket, *S3_VERSIONING)
        )
        if not (inline or separate):
            out.append(Violation("versioning is not enabled", resource=bucket))
    return out


def _sse_algorithms(index: StackIndex, bucket: Resource) -> list[str]:
    rules = [
        rule for sse in _bucket_parts(index, bucket, *S3_SSE) for rule in _listing(sse.get("rules"))
    ]
    rules += _listing(bucket.get("serverSideEncryptionConfiguration", "rule"))
    return [
        str((rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm"))
        for rule in rules
        if isinstance(rule, Mapping)
    ]


@stack_rule(
    "s3-bucket-kms-encryption",
    M,
    "Every bucket is encrypted with KMS by default; the load balancer's access-log bucket is "
    "the named exception ALB_ACCESS_LOGS_SSE_S3 (checkov CKV_AWS_145; FSBP S3.17).",
)
def s3_kms(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        algorithms = _sse_algorithms(index, bucket)
        if not any(a.startswith("aws:kms") for a in algorithms):
            algorithm = algorithms[0] if algorithms else None
            out.append(
                Violation(
                    f"default encryption is {algorithm or 'not configured'}, not aws:kms",
                    {"bucket": bucket.urn, "algorithm": algorithm},
                    bucket,
                )
            )
    return out


def _denies_insecure_transport(document: Any) -> bool:
    for s in statements(document):
        condition = s.get("Condition") or {}
        flag = (
            (condition.get("Bool") or {}).get("aws:SecureTransport")
            if isinstance(condition, Mapping)
            else None
        )
        if s.get("Effect") == "Deny" and str(flag).lower() == "false":
            return True
    return False


@stack_rule(
    "s3-bucket-ssl-requests-only",
    M,
    "Every bucket policy denies requests without TLS (FSBP S3.5).",
)
def s3_tls_only(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        documents = [p.get("policy") for p in _bucket_parts(index, bucket, *S3_POLICY)]
        documents.append(bucket.get("policy"))
        if not any(_denies_insecure_transport(d) for d in documents):
            out.append(Violation("no policy denies aws:SecureTransport=false", resource=bucket))
    return out


@stack_rule(
    "s3-bucket-lifecycle",
    A,
    "Buckets expire old object versions with a lifecycle rule (checkov CKV2_AWS_61).",
)
def s3_lifecycle(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    return [
        Violation("no lifecycle configuration", resource=b)
        for b in index.of_type(*S3_BUCKETS)
        if not _bucket_parts(index, b, *S3_LIFECYCLE) and not _listing(b.get("lifecycleRules"))
    ]


@stack_rule(
    "s3-bucket-logging-enabled",
    A,
    "Buckets log access to another bucket; log target buckets are exempt "
    "(checkov CKV_AWS_18; awsguard s3-bucket-logging-enabled).",
)
def s3_logging(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    loggings = index.of_type(*S3_LOGGING)
    targets = {t.urn for lg in loggings for t in index.refs(lg, "targetBucket")}
    targets |= {
        t.urn for lb in index.of_type(*LOAD_BALANCERS) for t in index.refs(lb, "accessLogs")
    }
    return [
        Violation("access logging is not enabled", resource=b)
        for b in index.of_type(*S3_BUCKETS)
        if b.urn not in targets
        and not any(b in index.refs(lg, "bucket") for lg in loggings)
        and not _listing(b.get("loggings"))
    ]


@stack_rule(
    "ecr-lifecycle-policy",
    A,
    "Every repository has a lifecycle policy expiring old images (FSBP ECR.3).",
)
def ecr_lifecycle(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return _without_companion(
        _index(resources),
        ECR_REPOSITORY,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "repository",
        "no lifecycle policy",
    )


@stack_rule(
    "alb-waf",
    A,
    "An internet-facing load balancer is protected by a WAF web ACL (checkov CKV2_AWS_28; FSBP ELB.16).",
)
def alb_waf(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    associations = index.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    return [
        Violation("no WAF web ACL association", resource=lb)
        for lb in index.of_type(*LOAD_BALANCERS)
        if not _truthy(lb.get("internal"))
        and _application_lb(lb)
        and not any(lb in index.refs(a, "resourceArn") for a in associations)
    ]


@stack_rule(
    "secrets-rotation",
    A,
    "Secrets the program creates are rotated (FSBP SecretsManager.1).",
)
def secrets_rotation(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return _without_companion(
        _index(resources),
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretRotation:SecretRotation",
        "secretId",
        "no rotation configured",
    )


# --- The website's metrics port ---------------------------------------------------------

METRICS_PORT_VARIABLE = "METRICS_PORT"


def metrics_ports(index: StackIndex) -> set[int]:
    """Ports the stack's task definitions give their containers as METRICS_PORT."""
    ports: set[int] = set()
    for task in index.of_type(TASK_DEFINITION):
        for container in containers(task):
            for variable in _listing(container.get("environment")):
                if isinstance(variable, Mapping) and variable.get("name") == METRICS_PORT_VARIABLE:
                    port = number(variable.get("value"))
                    if port is not None:
                        ports.add(int(port))
    return ports


@stack_rule(
    "metrics-port-unreachable",
    M,
    "The website's metrics port (METRICS_PORT) is reached by no target group, listener, "
    "service load balancer entry or ingress rule of the tasks' security groups: the collector "
    "scrapes it inside the task, so the blue/green listeners carry only ECS's forward rules "
    "(a project rule: checkov, FSBP and awsguard have no counterpart).",
)
def metrics_port_unreachable(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = _index(resources)
    out: list[Outcome] = []
    for port in sorted(metrics_ports(index)):
        detail = {"port": port}
        for group in index.of_type(*TARGET_GROUPS):
            if number(group.get("port")) == port:
                out.append(
                    Violation(f"target group forwards to metrics port {port}", detail, group)
                )
            if number(group.get("healthCheck", "port")) == port:
                out.append(
                    Violation(f"target group health-checks metrics port {port}", detail, group)
                )
        for listener in index.of_type(*LISTENERS):
            if number(listener.get("port")) == port:
                out.append(Violation(f"listener on metrics port {port}", detail, listener))
        task_groups: set[str] = set()
        for service in index.of_type(ECS_SERVICE):
            for entry in _listing(service.get("loadBalancers")):
                if isinstance(entry, Mapping) and number(entry.get("containerPort")) == port:
                    out.append(
                        Violation(
                            f"service maps metrics port {port} to a load balancer", detail, service
                        )
                    )
            groups = index.refs(service, "networkConfiguration", types=[SECURITY_GROUP])
            task_groups |= {g.urn for g in groups}
        out.extend(
            Violation(
                f"{_name(index, e.group)} admits {e.ports_text()}, which covers metrics port {port}",
                e.detail(),
                e.resource,
            )
            for e in index.rule_entries("ingress")
            if e.group in task_groups and e.covers(port)
        )
    return out


# --- Running the rules ------------------------------------------------------------------

BY_ID = {rule.id: rule for rule in RULES}
RESOURCE_RULES = [r for r in RULES if r.scope == "resource"]
STACK_RULES = [r for r in RULES if r.scope == "stack"]


def _finding(rule: Rule, outcome: Outcome, default: Resource | None, index: StackIndex) -> Finding:
    v = outcome if isinstance(outcome, Violation) else Violation(str(outcome))
    target = v.resource or default
    exception = find_exception(rule.id, target, v.detail, index)
    return Finding(
        rule=rule.id,
        enforcement=rule.enforcement,
        urn=target.urn if target else "",
        name=target.name if target else "",
        message=v.message,
        exception=exception.name if exception else None,
        reason=exception.reason if exception else None,
    )


def run_resource_rule(
    rule: Rule, resource: Resource, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Finding]:
    """One resource rule on one resource, alone, as a pulumi-policy resource validation sees it."""
    if not rule.applies_to(resource.type):
        return []
    alone = StackIndex([resource])
    return [_finding(rule, o, resource, alone) for o in rule.check(resource, ctx)]


def run_stack_rule(
    rule: Rule, resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Finding]:
    index = _index(resources)
    return [_finding(rule, o, None, index) for o in rule.check(index, ctx)]


def evaluate(resources: Iterable[Resource], ctx: StackContext = DEFAULT_CONTEXT) -> list[Finding]:
    """Every rule over a stack's resources; excepted findings are kept, marked with the exception."""
    index = StackIndex(resources)
    findings = [
        f
        for r in index.resources
        for rule in RESOURCE_RULES
        for f in run_resource_rule(rule, r, ctx)
    ]
    findings += [f for rule in STACK_RULES for f in run_stack_rule(rule, index, ctx)]
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]
