"""EcsService: the website's cluster, task definition, roles and service in the private
subnets, its autoscaling and its capacity (Fargate, Fargate Spot or an Auto Scaling group of
EC2 instances). The site's name points at the load balancer through `Dns.alias`.

A release is a new image reference: it makes a new task definition revision, and the service
then runs the deployment configuration it is given (BlueGreen builds it), rolling back on the
circuit breaker or on any of the rollback alarms. Without an approval gate `pulumi up` waits
for that deployment's outcome and fails when ECS rolls it back (see `watches_release`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Required, TypedDict

import pulumi
import pulumi_aws as aws
import yaml
from pulumi import ResourceOptions

from aws_facts import (
    CAPACITY_PROVIDER_NAME,
    CAPACITY_PROVIDER_RESERVED_PREFIXES,
    ECS_CONTAINER_INSTANCE_POLICY,
    linear_step_count,
)
from components.bluegreen import LoadBalancerOffer
from components.database import DatabaseEndpoint
from components.iam import (
    PolicyDocument,
    Statement,
    assume_role_policy,
    document,
    policy_document,
    statement,
)
from components.instance import image_id, instance_identity, launch_template
from components.network import Subnets
from settings import METRICS_PORT, ServiceSettings

CONTAINER_NAME = "web"
COLLECTOR_NAME = "collector"
# The website serves /metrics on METRICS_PORT only (settings: the container port may not be
# it); no target group, listener or security group rule reaches it, the collector in the same
# task scrapes it.
# The website image runs as this user (app/Dockerfile: USER 10001:10001).
WEBSITE_USER = "10001:10001"
# The image's own liveness check (app/Dockerfile HEALTHCHECK, app/website/healthcheck.py).
HEALTH_CHECK_COMMAND = ("CMD", "python", "-m", "website.healthcheck")
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"
# ECS-optimised Amazon Linux 2023 images, published by AWS as public SSM parameters.
ECS_AMI_PARAMETER = {
    "arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    "x86_64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
}
EXEC_CHANNEL_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
DEFAULT_COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"


def capacity_provider_name(cluster_name: str) -> str:
    """The EC2 capacity provider's name: the cluster's (unique per stack, as capacity provider
    names are per account and region) behind a `cp-` prefix, because cluster names here
    start with the project's `ecs-`, a prefix CreateCapacityProvider refuses."""
    name = f"cp-{cluster_name}-ec2"
    if not CAPACITY_PROVIDER_NAME.fullmatch(name) or name.lower().startswith(
        CAPACITY_PROVIDER_RESERVED_PREFIXES
    ):
        raise ValueError(f"capacity provider name {name!r} is not one ECS accepts")
    return name


DeploymentConfiguration = aws.ecs.ServiceDeploymentConfigurationArgsDict


def _known(value: object, what: str) -> float:
    """A number of the deployment configuration, which BlueGreen builds from plain settings:
    an Output here would mean the configuration is no longer known when the program runs."""
    if value is None:
        return 0
    if isinstance(value, int | float | str):
        return float(value)
    raise TypeError(f"{what} must be known when the program runs, not {value!r}")


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def watches_release(deployment_configuration: DeploymentConfiguration) -> bool:
    """Whether `pulumi up` waits for a release to finish: yes, unless a PAUSE lifecycle hook
    holds the deployment for an operator (waiting would then hold `pulumi up` until the
    hook's timeout rolls the release back; the workflow follows that deployment instead)."""
    hooks = deployment_configuration.get("lifecycle_hooks") or ()
    if not isinstance(hooks, list | tuple):
        raise TypeError(f"lifecycle_hooks must be known when the program runs, not {hooks!r}")
    return not any(_mapping(hook).get("target_type") == "PAUSE" for hook in hooks)


# Minutes a release needs besides its bake times: new tasks start and pass the target group's
# health checks, old ones drain. The provider's own default is 20 minutes in all.
RELEASE_MARGIN_MINUTES = 30


def release_timeout_minutes(deployment_configuration: DeploymentConfiguration) -> int:
    """How long `pulumi up` may wait for a release: the margin plus every bake time the
    strategy adds (the final bake, the canary's, each linear step's)."""
    config = deployment_configuration
    minutes = RELEASE_MARGIN_MINUTES + int(
        _known(config.get("bake_time_in_minutes"), "bake_time_in_minutes")
    )
    canary = _mapping(config.get("canary_configuration"))
    if canary:
        bake = canary.get("canary_bake_time_in_minutes")
        minutes += int(_known(bake, "canary_bake_time_in_minutes"))
    linear = _mapping(config.get("linear_configuration"))
    if linear:
        steps = linear_step_count(_known(linear["step_percent"], "step_percent"))
        bake = linear.get("step_bake_time_in_minutes")
        minutes += steps * int(_known(bake, "step_bake_time_in_minutes"))
    return minutes


def capacity_provider_strategy(
    capacity: Literal["fargate", "ec2"],
    fargate_spot_percent: int,
    ec2_provider: pulumi.Input[str] | None = None,
) -> list[aws.ecs.ServiceCapacityProviderStrategyArgsDict]:
    """How the service spreads its tasks over capacity providers."""
    if capacity == "ec2":
        if ec2_provider is None:
            raise ValueError("capacity ec2 needs the EC2 capacity provider")
        return [{"capacity_provider": ec2_provider, "weight": 1, "base": 0}]
    if fargate_spot_percent >= 100:
        return [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    if fargate_spot_percent <= 0:
        return [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    # One task always on demand; the rest split by weight.
    return [
        {"capacity_provider": "FARGATE", "weight": 100 - fargate_spot_percent, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": fargate_spot_percent, "base": 0},
    ]


def ec2_user_data(cluster_name: str) -> str:
    """Boot script of an EC2 capacity instance: join the cluster; tasks may not reach the
    instance's metadata (and so its role). Holds no secret."""
    return f"""#!/bin/bash
set -euo pipefail
cat >> /etc/ecs/ecs.config <<'CONFIG'
ECS_CLUSTER={cluster_name}
ECS_AWSVPC_BLOCK_IMDS=true
ECS_ENABLE_TASK_IAM_ROLE=true
ECS_CONTAINER_STOP_TIMEOUT=30s
CONFIG
"""


# --- the task's containers as ECS reads them ------------------------------------------------
# Key names and enums are those of the RegisterTaskDefinition API: botocore's ECS service model
# (botocore/data/ecs/2014-11-13/service-2.json), shapes ContainerDefinition, PortMapping,
# KeyValuePair, Secret, MountPoint, LinuxParameters, KernelCapabilities, HealthCheck,
# LogConfiguration and ContainerDependency. Only the members this program sets are declared;
# a test holds every name and enum here to that model.
TransportProtocol = Literal["tcp", "udp"]
"""Enum TransportProtocol."""
ContainerCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
"""Enum ContainerCondition."""


class PortMapping(TypedDict):
    containerPort: int
    protocol: TransportProtocol
    name: str


class KeyValuePair(TypedDict):
    name: str
    value: str


class Secret(TypedDict):
    name: str
    valueFrom: str
    """An ARN; for a Secrets Manager JSON key, `<secret arn>:<json key>::`."""


class MountPoint(TypedDict):
    sourceVolume: str
    containerPath: str
    readOnly: bool


class KernelCapabilities(TypedDict):
    drop: list[str]


class LinuxParameters(TypedDict, total=False):
    capabilities: Required[KernelCapabilities]
    initProcessEnabled: bool


class HealthCheck(TypedDict):
    command: list[str]
    interval: int
    timeout: int
    retries: int
    startPeriod: int


# The awslogs driver's options (LogConfigurationOptionsMap is a string map in the model; the
# keys are the driver's, Amazon ECS Developer Guide, "Send Amazon ECS logs to CloudWatch").
AwsLogsOptions = TypedDict(
    "AwsLogsOptions",
    {
        "awslogs-group": str,
        "awslogs-region": str,
        "awslogs-stream-prefix": str,
        "mode": Literal["blocking", "non-blocking"],
        "max-buffer-size": str,
    },
)


class LogConfiguration(TypedDict):
    logDriver: Literal["awslogs"]
    """One value of enum LogDriver: the one that writes to CloudWatch Logs."""
    options: AwsLogsOptions


class ContainerDependency(TypedDict):
    containerName: str
    condition: ContainerCondition


class ContainerDefinition(TypedDict, total=False):
    """One container of the task definition (`containerDefinitions` entry).

    Members the model marks required are required in these types too; the model leaves the
    rest optional, and those required here are the ones every container of this task sets."""

    name: Required[str]
    image: Required[str]
    essential: Required[bool]
    user: str
    readonlyRootFilesystem: bool
    privileged: bool
    portMappings: list[PortMapping]
    environment: list[KeyValuePair]
    secrets: list[Secret]
    mountPoints: list[MountPoint]
    linuxParameters: LinuxParameters
    healthCheck: HealthCheck
    dependsOn: list[ContainerDependency]
    memoryReservation: int
    stopTimeout: int
    logConfiguration: Required[LogConfiguration]


class CollectorSidecar(TypedDict):
    """The metrics collector's image and its configuration (YAML)."""

    image: str
    config: str


def container_definitions(
    *,
    image: str,
    region: str,
    log_group: str,
    container_port: int,
    metrics_port: int = METRICS_PORT,
    secret_arn: str,
    database_host: str,
    database_port: int,
    database_name: str,
    app_version: str,
    app_color: str,
    stack_name: str,
    ecs_exec: bool = False,
    collector: CollectorSidecar | None = None,
) -> list[ContainerDefinition]:
    """The task's containers as plain data: the website and, optionally, the metrics
    collector."""

    def log(stream_prefix: str) -> LogConfiguration:
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": stream_prefix,
                "mode": "non-blocking",
                "max-buffer-size": "4m",
            },
        }

    web: ContainerDefinition = {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "user": WEBSITE_USER,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "portMappings": [
            {"containerPort": container_port, "protocol": "tcp", "name": "http"},
        ],
        # Only the site's port is mapped: the metrics port is for the collector on localhost.
        "environment": [
            {"name": "PORT", "value": str(container_port)},
            {"name": "METRICS_PORT", "value": str(metrics_port)},
            {"name": "APP_VERSION", "value": app_version},
            {"name": "APP_COLOR", "value": app_color},
            {"name": "STACK_NAME", "value": stack_name},
            {"name": "DB_HOST", "value": database_host},
            {"name": "DB_PORT", "value": str(database_port)},
            {"name": "DB_NAME", "value": database_name},
            {"name": "DB_SSLMODE", "value": "require"},
        ],
        # Injected by ECS from the RDS-managed secret; never in the task definition itself.
        "secrets": [
            {"name": "DB_USER", "valueFrom": f"{secret_arn}:username::"},
            {"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:password::"},
        ],
        "mountPoints": [
            {"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}
        ],
        "linuxParameters": {
            "capabilities": {"drop": ["ALL"]},
            # ECS Exec's agent needs an init process to reap its sessions.
            "initProcessEnabled": ecs_exec,
        },
        "healthCheck": {
            "command": list(HEALTH_CHECK_COMMAND),
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "stopTimeout": 30,
        "logConfiguration": log(CONTAINER_NAME),
    }
    containers = [web]
    if collector is not None:
        containers.append(
            {
                "name": COLLECTOR_NAME,
                "image": collector["image"],
                # Metrics must never take the website down.
                "essential": False,
                "user": WEBSITE_USER,
                "readonlyRootFilesystem": True,
                "privileged": False,
                "environment": [{"name": "AOT_CONFIG_CONTENT", "value": collector["config"]}],
                "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                "dependsOn": [{"containerName": CONTAINER_NAME, "condition": "START"}],
                "memoryReservation": 64,
                "logConfiguration": log(COLLECTOR_NAME),
            }
        )
    return containers


# --- the collector sidecar (pure functions, no Pulumi runtime needed) -------------------------
def remote_write_policy(workspace_arn: str) -> PolicyDocument:
    """IAM policy for the task role: remote write to this one workspace, nothing else."""
    if not workspace_arn.startswith("arn:") or ":workspace/" not in workspace_arn:
        raise ValueError(
            f"workspace_arn must be a Managed Prometheus workspace ARN, got {workspace_arn!r}"
        )
    return policy_document(statement("RemoteWriteToWorkspace", ["aps:RemoteWrite"], workspace_arn))


def collector_config(
    remote_write_url: str,
    region: str,
    *,
    scrape_interval_seconds: int = 15,
    port: int = METRICS_PORT,
) -> str:
    """The ADOT collector sidecar's configuration (YAML): scrape /metrics on `port` in the
    same task as job `website`, remote-write to the workspace signed with SigV4. EcsService
    passes the website's metrics port (METRICS_PORT).

    The metrics port is not the one the load balancer forwards to: tasks in awsvpc mode share
    one network namespace, so the collector reaches `localhost:<port>` while no target group,
    listener or security group rule does. Every task's collector scrapes `localhost`, so the
    `instance` label is replaced by the task's metadata URI, which is unique per task (ECS
    sets it in every container).
    """
    if not remote_write_url.startswith("https://"):
        raise ValueError(f"remote_write_url must be an https URL, got {remote_write_url!r}")
    if not region:
        raise ValueError("region is required for SigV4 signing")
    if not 5 <= scrape_interval_seconds <= 300:
        raise ValueError(f"scrape_interval_seconds is {scrape_interval_seconds}, allowed: 5 to 300")
    interval = f"{scrape_interval_seconds}s"
    config = {
        "extensions": {"sigv4auth": {"region": region, "service": "aps"}},
        "receivers": {
            "prometheus": {
                "config": {
                    "global": {
                        "scrape_interval": interval,
                        "scrape_timeout": f"{min(10, scrape_interval_seconds)}s",
                    },
                    "scrape_configs": [
                        {
                            "job_name": "website",
                            "metrics_path": "/metrics",
                            "static_configs": [{"targets": [f"localhost:{port}"]}],
                            "relabel_configs": [
                                {
                                    "target_label": "instance",
                                    "replacement": "${env:ECS_CONTAINER_METADATA_URI_V4}",
                                }
                            ],
                        }
                    ],
                }
            }
        },
        "exporters": {
            "prometheusremotewrite": {
                "endpoint": remote_write_url,
                "auth": {"authenticator": "sigv4auth"},
            }
        },
        "service": {
            "extensions": ["sigv4auth"],
            "pipelines": {
                "metrics": {"receivers": ["prometheus"], "exporters": ["prometheusremotewrite"]}
            },
        },
    }
    return str(yaml.safe_dump(config, sort_keys=False))


@dataclass(frozen=True)
class EcsServiceArgs:
    """What the website runs, where, on what capacity and behind which load balancer."""

    network: Subnets
    """The VPC and its subnets: the tasks (and EC2 capacity) go in the private ones, with no
    public IPs."""
    cluster_name: str
    """Physical cluster name, unique per stack (e.g. ecs-platform-stage)."""
    service_name: str
    """Physical service name, unique per stack (e.g. ecs-platform-stage-web)."""
    image: pulumi.Input[str]
    """The website image, by digest."""
    repository_arn: pulumi.Input[str]
    """ECR repository the image is pulled from (the execution role may read only it)."""
    kms_key_arn: pulumi.Input[str]
    """Stack key: log groups, ECS Exec sessions and the database secret."""
    database: DatabaseEndpoint
    """The database the website uses: the tasks may connect to it, read its secret."""
    load_balancer: LoadBalancerOffer
    """The load balancer in front (BlueGreen.offer): the only source the tasks admit, the
    service's load balancer entries and deployment configuration, the scaling dimensions."""
    rollback_alarm_names: pulumi.Input[list[str]]
    """CloudWatch alarms that roll a deployment back while it runs."""
    app_version: str
    """Release version shown by the website (APP_VERSION): the release's version."""
    app_color: Literal["blue", "green"]
    """Colour of the release (APP_COLOR): the release's colour."""
    stack_name: str
    """Stack name shown by the website (STACK_NAME)."""
    config: ServiceSettings = field(default_factory=ServiceSettings)
    """Task size and architecture, capacity, counts and scaling targets, the website's port,
    log retention and ECS Exec: the stack's service settings."""
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    """Stack-wide tags for what the EC2 capacity's Auto Scaling group launches: the provider's
    default tags reach neither the group nor its instances."""
    health_check_grace_period_seconds: int = 30
    """Seconds after a task starts before load balancer health checks count."""
    prometheus_remote_write_url: pulumi.Input[str] | None = None
    """Managed Prometheus remote-write URL; with it a collector sidecar ships the metrics."""
    prometheus_workspace_arn: pulumi.Input[str] | None = None
    """Workspace the collector writes to (required with prometheus_remote_write_url)."""
    collector_image: str = DEFAULT_COLLECTOR_IMAGE
    """Image of the metrics collector sidecar."""

    def __post_init__(self) -> None:
        # Only what code could get wrong: sizes, counts, ranges and the rules between them a
        # user types are checked by settings, before anything is declared (among them that
        # the container port is not METRICS_PORT, the port the collector scrapes).
        problems = []
        if len(self.load_balancer.target_group_arn_suffixes) != 2:
            problems.append("target_group_arn_suffixes must hold blue and green")
        if (self.prometheus_remote_write_url is None) != (self.prometheus_workspace_arn is None):
            problems.append("prometheus_remote_write_url and prometheus_workspace_arn go together")
        if problems:
            raise ValueError("; ".join(problems))


class EcsService(pulumi.ComponentResource):
    """Cluster, task definition, roles, service, autoscaling and capacity."""

    cluster_name: pulumi.Output[str]
    """Name of the cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the cluster."""
    service_name: pulumi.Output[str]
    """Name of the service."""
    service_arn: pulumi.Output[str]
    """ARN of the service: what a workflow follows a gated release's deployment with."""
    watches_release: bool
    """True when `pulumi up` waits for each release's outcome (no approval gate); False when
    the release pauses for an operator and the workflow must follow the deployment."""
    task_definition_arn: pulumi.Output[str]
    """The current task definition revision."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks."""
    log_group_name: pulumi.Output[str]
    """Log group of the website's containers."""
    execution_role_arn: pulumi.Output[str]
    """Role ECS pulls the image, writes logs and reads the database secret with."""
    task_role_arn: pulumi.Output[str]
    """Role the website's code runs with."""

    def __init__(self, name: str, args: EcsServiceArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:ecs:EcsService", name, None, opts)
        child = ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id

        # Logs ----------------------------------------------------------------------------
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{args.service_name}",
            retention_in_days=args.config.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags={"Name": f"{name}-logs"},
            opts=child,
        )
        exec_log_group = None
        if args.config.ecs_exec:
            exec_log_group = aws.cloudwatch.LogGroup(
                f"{name}-exec-logs",
                name=f"/ecs/{args.service_name}/exec",
                retention_in_days=args.config.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags={"Name": f"{name}-exec-logs"},
                opts=child,
            )

        # Cluster -----------------------------------------------------------------------------
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": "enabled"}],
            configuration=(
                {
                    "execute_command_configuration": {
                        "kms_key_id": args.kms_key_arn,
                        "logging": "OVERRIDE",
                        "log_configuration": {
                            "cloud_watch_log_group_name": exec_log_group.name,
                            "cloud_watch_encryption_enabled": True,
                        },
                    }
                }
                if exec_log_group is not None
                else None
            ),
            tags={"Name": f"{name}-cluster"},
            opts=child,
        )

        # Security group of the tasks ----------------------------------------------------------
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.network.vpc_id,
            description="Website tasks: only the load balancer in; database and HTTPS out",
            tags={"Name": f"{name}-tasks"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-load-balancer",
            security_group_id=sg.id,
            referenced_security_group_id=args.load_balancer.security_group_id,
            ip_protocol="tcp",
            from_port=args.config.container_port,
            to_port=args.config.container_port,
            description="HTTP from the load balancer",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-database",
            security_group_id=sg.id,
            referenced_security_group_id=args.database.security_group_id,
            ip_protocol="tcp",
            from_port=args.database.port,
            to_port=args.database.port,
            description="PostgreSQL to the database",
            opts=child,
        )
        # ECR, Secrets Manager, Logs and Prometheus are HTTPS APIs (through NAT or endpoints).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https",
            security_group_id=sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs",
            opts=child,
        )

        # Roles ---------------------------------------------------------------------------------
        tasks_trust = assume_role_policy("ecs-tasks.amazonaws.com", source_account=account)
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=tasks_trust,
            description="ECS pulls the website image, writes its logs, reads its database secret",
            tags={"Name": f"{name}-execution"},
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=document(
                *execution_statements(
                    repository_arn=args.repository_arn,
                    log_group_arn=log_group.arn,
                    secret_arn=args.database.secret_arn,
                    kms_key_arn=args.kms_key_arn,
                    region=region,
                )
            ),
            opts=child,
        )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            assume_role_policy=tasks_trust,
            description="The website's own permissions (none beyond what its options need)",
            tags={"Name": f"{name}-task"},
            opts=child,
        )
        if exec_log_group is not None:
            aws.iam.RolePolicy(
                f"{name}-task-exec-policy",
                role=task_role.id,
                policy=document(
                    *exec_statements(log_group_arn=exec_log_group.arn, kms_key_arn=args.kms_key_arn)
                ),
                opts=child,
            )
        collector = args.prometheus_remote_write_url is not None
        if args.prometheus_workspace_arn is not None:
            aws.iam.RolePolicy(
                f"{name}-task-remote-write-policy",
                role=task_role.id,
                policy=pulumi.Output.from_input(args.prometheus_workspace_arn).apply(
                    lambda arn: json.dumps(remote_write_policy(arn))
                ),
                opts=child,
            )

        # Task definition ---------------------------------------------------------------------
        containers = pulumi.Output.all(
            image=args.image,
            region=region,
            log_group=log_group.name,
            secret=args.database.secret_arn,
            host=args.database.address,
            remote_write=args.prometheus_remote_write_url if collector else "",
        ).apply(
            lambda v: json.dumps(
                container_definitions(
                    image=v["image"],
                    region=v["region"],
                    log_group=v["log_group"],
                    container_port=args.config.container_port,
                    metrics_port=METRICS_PORT,
                    secret_arn=v["secret"],
                    database_host=v["host"],
                    database_port=args.database.port,
                    database_name=args.database.name,
                    app_version=args.app_version,
                    app_color=args.app_color,
                    stack_name=args.stack_name,
                    ecs_exec=args.config.ecs_exec,
                    collector=_collector(args, v["remote_write"], v["region"]),
                )
            )
        )
        fargate = args.config.capacity == "fargate"
        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.service_name,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE" if fargate else "EC2"],
            cpu=str(args.config.cpu),
            memory=str(args.config.memory),
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": "ARM64" if args.config.architecture == "arm64" else "X86_64",
            },
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=containers,
            volumes=[{"name": SCRATCH_VOLUME}],
            tags={"Name": f"{name}-task"},
            # Older revisions stay registered so that ECS can roll back to them.
            skip_destroy=True,
            opts=child,
        )

        # Capacity ---------------------------------------------------------------------------
        ec2_provider = None
        if fargate:
            providers: list[pulumi.Input[str]] = ["FARGATE", "FARGATE_SPOT"]
        else:
            ec2_provider = self._ec2_capacity(name, args, cluster, child)
            providers = [ec2_provider.name]
        strategy = capacity_provider_strategy(
            args.config.capacity,
            args.config.fargate_spot_percent,
            ec2_provider.name if ec2_provider is not None else None,
        )
        cluster_providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=providers,
            default_capacity_provider_strategies=strategy,
            opts=child,
        )

        # Service -----------------------------------------------------------------------------
        network: aws.ecs.ServiceNetworkConfigurationArgsDict = {
            "subnets": args.network.private,
            "security_groups": [sg.id],
            "assign_public_ip": False,
        }
        alarms: aws.ecs.ServiceAlarmsArgsDict = {
            "alarm_names": args.rollback_alarm_names,
            "enable": True,
            "rollback": True,
        }
        load_balancers = list(args.load_balancer.load_balancers)
        deployment = args.load_balancer.deployment_configuration
        # With wait_for_steady_state the provider (terraform-provider-aws, resource
        # aws_ecs_service, internal/service/ecs/service.go: waitServiceStable ->
        # statusServiceWaitForStable -> findDeploymentStatus) follows the service deployment
        # a change starts (ListServiceDeployments, DescribeServiceDeployments) and fails the
        # update when it ends STOPPED, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED, with ECS's
        # statusReason: a rolled-back release fails `pulumi up`. Behind an approval gate it
        # would instead sit in the PAUSE hook until the hook's timeout rolls back.
        watch = watches_release(deployment)
        timeout = f"{release_timeout_minutes(deployment)}m"
        service = aws.ecs.Service(
            f"{name}-service",
            name=args.service_name,
            cluster=cluster.arn,
            task_definition=task_definition.arn,
            desired_count=args.config.desired_count,
            capacity_provider_strategies=strategy,
            # LATEST is 1.4.0 on Linux; FARGATE_SPOT takes ARM64 tasks from 1.4.0 on (ECS API
            # reference, CapacityProviderStrategyItem), so stage's Graviton tasks may use Spot.
            platform_version="LATEST" if fargate else None,
            network_configuration=network,
            load_balancers=load_balancers,
            health_check_grace_period_seconds=args.health_check_grace_period_seconds,
            deployment_controller={"type": "ECS"},
            deployment_configuration=deployment,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms=alarms,
            enable_execute_command=args.config.ecs_exec,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            availability_zone_rebalancing="ENABLED",
            wait_for_steady_state=watch,
            tags={"Name": f"{name}-service"},
            opts=ResourceOptions(
                parent=self,
                # Autoscaling owns the task count once the service exists. ECS owns the load
                # balancer block: a blue/green release moves production to the alternate
                # target group, so which group is primary alternates release after release,
                # and re-sending the declared pair pins blue and stops the alternation
                # (hashicorp/terraform-provider-aws#45678). The provider's Read stores what
                # DescribeServices reports; its Update sends loadBalancers only when they
                # differ from the program (internal/service/ecs/service.go,
                # resourceServiceUpdate). Ignoring the block after creation means neither a
                # refresh nor a later `pulumi up` sends the declared pair back. A change to
                # the container port or the target groups therefore needs a new service.
                ignore_changes=["desiredCount", "loadBalancers"],
                depends_on=[cluster_providers],
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)
                if watch
                else None,
            ),
        )

        # Autoscaling -------------------------------------------------------------------------
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.all(cluster.name, service.name).apply(
                lambda v: f"service/{v[0]}/{v[1]}"
            ),
            min_capacity=args.config.min_count,
            max_capacity=args.config.max_count,
            tags={"Name": f"{name}-scaling"},
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-cpu-scaling",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": args.config.cpu_target_percent,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-requests-scaling",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": args.config.requests_per_target,
                "customized_metric_specification": {
                    "metrics": requests_per_task_metrics(
                        load_balancer=args.load_balancer.arn_suffix,
                        target_groups=args.load_balancer.target_group_arn_suffixes,
                        cluster=args.cluster_name,
                        service=args.service_name,
                    )
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=child,
        )

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.service_name = service.name
        self.service_arn = service.arn
        self.watches_release = watch
        self.task_definition_arn = task_definition.arn
        self.security_group_id = sg.id
        self.log_group_name = log_group.name
        self.execution_role_arn = execution_role.arn
        self.task_role_arn = task_role.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "security_group_id": self.security_group_id,
                "log_group_name": self.log_group_name,
            }
        )

    def _ec2_capacity(
        self,
        name: str,
        args: EcsServiceArgs,
        cluster: aws.ecs.Cluster,
        child: ResourceOptions,
    ) -> aws.ecs.CapacityProvider:
        """An Auto Scaling group of ECS-optimised instances behind a capacity provider that
        scales it to the tasks' needs."""
        sg = aws.ec2.SecurityGroup(
            f"{name}-instances-sg",
            vpc_id=args.network.vpc_id,
            description="ECS capacity instances: nothing in; HTTPS out to ECS, ECR and SSM",
            tags={"Name": f"{name}-instances"},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-instances-https",
            security_group_id=sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to ECS, ECR and SSM",
            opts=child,
        )
        identity = instance_identity(
            f"{name}-instance",
            description="ECS capacity instances: register with the cluster, be reached by SSM",
            name_tag=f"{name}-instances",
            managed_policies={"ecs": ECS_CONTAINER_INSTANCE_POLICY},
            opts=child,
        )
        template = launch_template(
            f"{name}-instances-lt",
            image=image_id(ECS_AMI_PARAMETER[args.config.architecture], self),
            instance_type=args.config.ec2_instance_type,
            profile=identity.profile,
            root_volume_gb=30,
            user_data=base64.b64encode(ec2_user_data(args.cluster_name).encode()).decode(),
            launch_tags={**args.stack_tags, "Name": f"{name}-instance"},
            name_tag=f"{name}-instances",
            detailed_monitoring=True,
            security_group_ids=[sg.id],
            opts=child,
        )
        # The deploy roles create only what the request tags with their environment
        # (aws:RequestTag/Environment), and CreateAutoScalingGroup carries only these tags.
        group_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": key, "value": value, "propagate_at_launch": True}
            for key, value in args.stack_tags.items()
        ]
        group = aws.autoscaling.Group(
            f"{name}-instances-asg",
            min_size=0,
            # awsvpc tasks take an interface each: one task per instance is the safe bound.
            max_size=args.config.max_count,
            vpc_zone_identifiers=args.network.private,
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            health_check_type="EC2",
            health_check_grace_period=60,
            tags=[
                *group_tags,
                {"key": "Name", "value": f"{name}-instance", "propagate_at_launch": True},
                # ECS adds this tag to a group it manages; declaring it avoids a diff.
                {"key": "AmazonECSManaged", "value": "true", "propagate_at_launch": True},
            ],
            # The capacity provider sets the desired capacity from now on.
            opts=ResourceOptions(parent=self, ignore_changes=["desiredCapacity"]),
        )
        return aws.ecs.CapacityProvider(
            f"{name}-ec2-capacity",
            name=capacity_provider_name(args.cluster_name),
            auto_scaling_group_provider={
                "auto_scaling_group_arn": group.arn,
                "managed_draining": "ENABLED",
                "managed_termination_protection": "DISABLED",
                "managed_scaling": {
                    "status": "ENABLED",
                    "target_capacity": 100,
                    "minimum_scaling_step_size": 1,
                    "maximum_scaling_step_size": 2,
                    "instance_warmup_period": 60,
                },
            },
            tags={"Name": f"{name}-ec2-capacity"},
            opts=child,
        )


def _collector(args: EcsServiceArgs, remote_write: str, region: str) -> CollectorSidecar | None:
    if not remote_write:
        return None
    return {
        "image": args.collector_image,
        "config": collector_config(remote_write, region, port=METRICS_PORT),
    }


def execution_statements(
    *,
    repository_arn: pulumi.Input[str],
    log_group_arn: pulumi.Input[str],
    secret_arn: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    region: pulumi.Input[str],
) -> list[Statement]:
    """The execution role's statements: pull the one image repository, write the one log
    group, read the one database secret, decrypt it with the stack key through Secrets
    Manager."""
    return [
        statement(
            "PullWebsiteImage",
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            repository_arn,
        ),
        # GetAuthorizationToken has no resource to scope to.
        statement("GetRegistryToken", ["ecr:GetAuthorizationToken"], "*"),
        statement(
            "WriteTaskLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            pulumi.Output.from_input(log_group_arn).apply(lambda a: f"{a}:*"),
        ),
        statement("ReadDatabaseSecret", ["secretsmanager:GetSecretValue"], secret_arn),
        statement(
            "DecryptDatabaseSecret",
            ["kms:Decrypt"],
            kms_key_arn,
            condition={
                "StringEquals": {
                    "kms:ViaService": pulumi.Output.from_input(region).apply(
                        lambda r: f"secretsmanager.{r}.amazonaws.com"
                    )
                }
            },
        ),
    ]


def exec_statements(
    *, log_group_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str]
) -> list[Statement]:
    """The task role's statements for ECS Exec: the session channels, the session log
    group, the session key."""
    return [
        # Session Manager's channel actions have no resource to scope to.
        statement("EcsExecChannels", EXEC_CHANNEL_ACTIONS, "*"),
        statement(
            "EcsExecWriteSessionLogs",
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            pulumi.Output.from_input(log_group_arn).apply(lambda a: f"{a}:*"),
        ),
        # The agent checks the log group exists; DescribeLogGroups cannot be scoped.
        statement("EcsExecFindLogGroup", ["logs:DescribeLogGroups"], "*"),
        statement("EcsExecSessionKey", ["kms:Decrypt"], kms_key_arn),
    ]


ScalingMetric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgsDict


def requests_per_task_metrics(
    *,
    load_balancer: pulumi.Input[str],
    target_groups: Sequence[pulumi.Input[str]],
    cluster: str,
    service: str,
) -> list[ScalingMetric]:
    """Metric math for request-based scaling: requests to blue and green together per
    running task, so scaling keeps working whichever target group holds the traffic."""

    def requests(key: str, target_group: pulumi.Input[str]) -> ScalingMetric:
        return {
            "id": key,
            "return_data": False,
            "metric_stat": {
                "stat": "Sum",
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "RequestCount",
                    "dimensions": [
                        {"name": "LoadBalancer", "value": load_balancer},
                        {"name": "TargetGroup", "value": target_group},
                    ],
                },
            },
        }

    blue, green = target_groups
    return [
        requests("blue", blue),
        requests("green", green),
        {
            "id": "tasks",
            "return_data": False,
            "metric_stat": {
                "stat": "Average",
                "metric": {
                    "namespace": "ECS/ContainerInsights",
                    "metric_name": "RunningTaskCount",
                    "dimensions": [
                        {"name": "ClusterName", "value": cluster},
                        {"name": "ServiceName", "value": service},
                    ],
                },
            },
        },
        {
            "id": "per_task",
            "label": "Requests per task",
            "expression": "(FILL(blue, 0) + FILL(green, 0)) / FILL(tasks, 1)",
            "return_data": True,
        },
    ]
