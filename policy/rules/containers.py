"""ECS (clusters, services, task definitions) and ECR repositories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policy import secrets
from policy.graph import (
    ECS_SERVICE,
    StackIndex,
)
from policy.model import Resource, StackContext, decode_json
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    as_index,
    listing,
    resource_rule,
    stack_rule,
    truthy,
    without_companion,
)

CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def containers(r: Resource) -> list[Mapping[str, Any]]:
    decoded = decode_json(r.get("containerDefinitions"))
    return [c for c in listing(decoded) if isinstance(c, Mapping)]


@resource_rule(
    "ecs-cluster-container-insights",
    M,
    [CLUSTER],
    "Container Insights is on for the cluster (checkov CKV_AWS_65; FSBP ECS.12).",
)
def ecs_container_insights(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    for setting in listing(r.get("settings")):
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
    if truthy(r.get("networkConfiguration", "assignPublicIp")):
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
        if truthy(c.get("privileged"))
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
        if not truthy(c.get("readonlyRootFilesystem"))
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
        for env in listing(c.get("environment")):
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
    if not truthy(r.get("imageScanningConfiguration", "scanOnPush")):
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
    configs = [c for c in listing(r.get("encryptionConfigurations")) if isinstance(c, Mapping)]
    if not any(c.get("encryptionType") == "KMS" for c in configs):
        return ["repository is not encrypted with KMS"]
    return []


@stack_rule(
    "ecr-lifecycle-policy",
    A,
    "Every repository has a lifecycle policy expiring old images (FSBP ECR.3).",
)
def ecr_lifecycle(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources),
        ECR_REPOSITORY,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "repository",
        "no lifecycle policy",
    )
