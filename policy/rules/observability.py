"""Log groups, alarm topics and the website's metrics port (scraped inside the task, reached
from nowhere else)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policy.graph import (
    ECS_SERVICE,
    LISTENERS,
    SECURITY_GROUP,
    TARGET_GROUPS,
    StackIndex,
    number,
)
from policy.model import Resource, StackContext
from policy.rules.containers import TASK_DEFINITION, containers
from policy.rules.network import group_name
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    Violation,
    as_index,
    listing,
    resource_rule,
    stack_rule,
)

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


# --- The website's metrics port ---------------------------------------------------------

METRICS_PORT_VARIABLE = "METRICS_PORT"


def metrics_ports(index: StackIndex) -> set[int]:
    """Ports the stack's task definitions give their containers as METRICS_PORT."""
    ports: set[int] = set()
    for task in index.of_type(TASK_DEFINITION):
        for container in containers(task):
            for variable in listing(container.get("environment")):
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
    index = as_index(resources)
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
            for entry in listing(service.get("loadBalancers")):
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
                f"{group_name(index, e.group)} admits {e.ports_text()}, which covers metrics port {port}",
                e.detail(),
                e.resource,
            )
            for e in index.rule_entries("ingress")
            if e.group in task_groups and e.covers(port)
        )
    return out
