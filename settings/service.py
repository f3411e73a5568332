"""The service: the website's ECS service, its task size, capacity and scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_facts import FARGATE_SIZES, LOG_RETENTION_DAYS
from settings.engine import Issue, setting
from settings.fields import ec2_class_problem

# The website serves /metrics on this port (app/website: METRICS_PORT); no target group
# reaches it, so the container port must be another one.
METRICS_PORT = 9102


@dataclass(frozen=True)
class ServiceSettings:
    """The website's ECS service and its tasks."""

    cpu: int = setting(256, "Task CPU units (Fargate sizes: 256, 512, 1024, ... 32768).")
    memory: int = setting(512, "Task memory in MiB; must suit cpu on Fargate.")
    architecture: Literal["arm64", "x86_64"] = setting(
        "arm64",
        "CPU architecture of the tasks (arm64 is about 20% cheaper; release.build builds "
        "app/ for arm64 only).",
    )
    capacity: Literal["fargate", "ec2"] = setting(
        "fargate", "Where tasks run: Fargate, or EC2 instances of an Auto Scaling group."
    )
    fargate_spot_percent: int = setting(
        0,
        "Share of tasks on Fargate Spot (0-100); arm64 tasks need platform version 1.4.0, which LATEST is.",
        minimum=0,
        maximum=100,
    )
    ec2_instance_type: str = setting(
        "t4g.small", "Instance type of the EC2 capacity.", check=ec2_class_problem
    )
    desired_count: int = setting(1, "Tasks to run before autoscaling acts.", minimum=1, maximum=100)
    min_count: int = setting(1, "Autoscaling floor.", minimum=1, maximum=100)
    max_count: int = setting(2, "Autoscaling ceiling.", minimum=1, maximum=100)
    cpu_target_percent: int = setting(
        60, "Target tracking: average CPU to hold.", minimum=10, maximum=90
    )
    requests_per_target: int = setting(
        1000, "Target tracking: ALB requests per task per minute.", minimum=10, maximum=100000
    )
    container_port: int = setting(8080, "Port the website listens on.", minimum=1024, maximum=65535)
    log_retention_days: int = setting(
        30, "Days the website's logs are kept.", one_of=LOG_RETENTION_DAYS
    )
    ecs_exec: bool = setting(False, "Allow `aws ecs execute-command` (sessions are logged).")


def service_issues(service: ServiceSettings, issues: list[Issue]) -> None:
    """A Fargate task size AWS offers; Spot only on Fargate; counts in order."""
    if service.capacity == "fargate" and service.memory not in FARGATE_SIZES.get(service.cpu, ()):
        if service.cpu not in FARGATE_SIZES:
            issues.append(
                Issue(
                    "service.cpu",
                    service.cpu,
                    f"must be a Fargate CPU size: {', '.join(str(c) for c in FARGATE_SIZES)}",
                )
            )
        else:
            sizes = FARGATE_SIZES[service.cpu]
            issues.append(
                Issue(
                    "service.memory",
                    service.memory,
                    f"must be a Fargate memory size for cpu {service.cpu}: "
                    f"{sizes[0]}-{sizes[-1]} MiB in the steps "
                    f"{', '.join(str(m) for m in sizes[:4])}, ...",
                )
            )
    if service.capacity == "ec2" and service.fargate_spot_percent:
        issues.append(
            Issue(
                "service.fargateSpotPercent",
                service.fargate_spot_percent,
                "applies only to capacity fargate; must be 0 with capacity ec2",
            )
        )
    if service.min_count > service.max_count:
        issues.append(
            Issue(
                "service.minCount",
                service.min_count,
                f"must not exceed maxCount ({service.max_count})",
            )
        )
    if not service.min_count <= service.desired_count <= service.max_count:
        issues.append(
            Issue(
                "service.desiredCount",
                service.desired_count,
                f"must lie between minCount ({service.min_count}) and maxCount "
                f"({service.max_count})",
            )
        )
