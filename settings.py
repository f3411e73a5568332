"""Typed, validated stack settings: the only place the program reads stack configuration.

Every key lives under the `ecs-platform:` namespace of `Pulumi.<stack>.yaml`, one object per
area (`network`, `database`, ...). `load_settings` turns those objects into one frozen
`StackSettings`, checking everything before a single resource is declared: a bad stack file
fails with every problem listed at once, each naming the key path, the value and what is
allowed. Nothing here needs the Pulumi engine except `from_pulumi_config`, which only
collects the raw values.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

import aws_facts
from address_space import prefix_problem, scope
from secret_detection import SAFE_NAME, sensitive_name, value_reason

PROJECT = "ecs-platform"

# The website serves /metrics on this port (app/website: METRICS_PORT); no target group
# reaches it, so the container port must be another one.
METRICS_PORT = 9102

# Values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)

# Fargate's valid task sizes: CPU units -> memory (MiB) allowed with it (the CloudFormation
# registry's AWS::ECS::TaskDefinition Fargate rules, as cfn-lint ships them; tests compare).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
    32768: (61440, 122880, 249856),
}

_SIZE = r"(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[0-9]+xl)?)"
_RDS_CLASS = re.compile(rf"^db\.[a-z]+[1-9][a-z0-9]*\.{_SIZE}$")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_IMAGE_BY_DIGEST = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
_DB_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")
_RESERVED_DB_USERS = ("admin", "postgres", "rdsadmin", "root", "master", "administrator")


# ---------------------------------------------------------------------------------------------
# How a setting is declared: its key, default, documentation and checks live in one place, and
# the README's configuration table and Pulumi.yaml's config block are generated from it.


def setting(
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    one_of: Iterable[Any] | None = None,
    check: Callable[[Any], str | None] | None = None,
    required: bool = False,
) -> Any:
    """Declares one configuration key of an area; the camelCase key is derived from the name."""
    metadata = {
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "one_of": tuple(one_of) if one_of is not None else None,
        "check": check,
        "required": required,
    }
    return field(default=default, metadata=metadata)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Issue:
    """One thing wrong with the stack configuration."""

    path: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        hidden = self.secret_reason()
        if self.value is _MISSING:
            shown = "(missing)"
        elif hidden:
            shown = f"(value hidden: {hidden})"
        else:
            shown = json.dumps(self.value, default=str)
        allowed = self.allowed
        if hidden:
            for text in _strings(self.value):
                if len(text) >= 4:
                    allowed = allowed.replace(text, "(hidden)")
        return f"{PROJECT}:{self.path} = {shown}: {allowed}"

    def secret_reason(self) -> str | None:
        """Why the value must not be shown (messages end up in CI logs), or None.

        A value is hidden when its key, or a key inside it, names a secret (password, token,
        key, credential, ...), or when any string in it looks like one (a private key block,
        an access key, a token, a long high-entropy string)."""
        if self.value is _MISSING:
            return None
        for text in _strings(self.value):
            reason = value_reason(text)
            if reason:
                return reason.replace("value ", "it ", 1)
        for key in (self.path.rsplit(".", 1)[-1], *_keys(self.value)):
            if _secret_key_name(key):
                return f"the key {key!r} names a secret"
        return None


# Besides the names the policy pack treats as credentials, a settings key that speaks of a key,
# a passphrase or a credential is taken as one: no settings key but the SSH public key holds
# such a thing, so any other key named so is a secret put in the wrong place.
_SECRET_WORDS = re.compile(r"(key|pass|cred|secret|token|pwd|auth|cert)", re.IGNORECASE)


def _secret_key_name(key: str) -> bool:
    if "public" in key.lower():
        return False  # a public key (bastion.sshPublicKey) is meant to be shown
    return sensitive_name(key) or (bool(_SECRET_WORDS.search(key)) and not SAFE_NAME.search(key))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _keys(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value] + [k for item in value.values() for k in _keys(item)]
    if isinstance(value, list | tuple):
        return [k for item in value for k in _keys(item)]
    return []


class SettingsError(pulumi.RunError):
    """The stack configuration is invalid; `issues` lists every problem found."""

    def __init__(self, stack: str, issues: list[Issue]) -> None:
        self.stack = stack
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        noun = "problem" if len(issues) == 1 else "problems"
        super().__init__(
            f"stack '{stack}' configuration has {len(issues)} {noun}; nothing was declared:\n"
            f"{lines}"
        )


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


_MISSING: Any = _Missing()


# ---------------------------------------------------------------------------------------------
# Field checks shared by several areas.


def _cidr_problem(value: str) -> str | None:
    return prefix_problem(value)


def _ec2_class_problem(value: str) -> str | None:
    if aws_facts.instance_type(value) is None:
        return "must be an EC2 instance type such as t4g.nano or m7g.large"
    return None


def _arm_ec2_class_problem(value: str) -> str | None:
    found = aws_facts.instance_type(value)
    if found is None or "arm64" not in found.architectures:
        return "must be a Graviton (ARM64) instance type such as t4g.nano or c7g.medium"
    return None


def _rds_class_problem(value: str) -> str | None:
    if not _RDS_CLASS.match(value):
        return "must be an RDS instance class such as db.t4g.micro or db.r7g.large"
    return None


def domain_problem(value: str) -> str | None:
    """Why `value` is not a fully qualified lower-case DNS name, or None when it is one."""
    if value == "":
        return None
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(_DNS_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return "must be a lower-case DNS name such as www.example.com (labels of a-z, 0-9, '-')"
    return None


def _tag_value_problem(value: str) -> str | None:
    if not _TAG_VALUE.match(value):
        return "must be 1-256 characters of letters, digits, spaces and _ . : / = + - @"
    return None


def _image_problem(value: str) -> str | None:
    if value and not _IMAGE_BY_DIGEST.match(value):
        return (
            "must be an image referenced by digest, "
            "<registry>/<repository>@sha256:<64 hex digits>, never a mutable tag"
        )
    return None


def _identifier_problem(value: str) -> str | None:
    if not _DB_IDENTIFIER.match(value):
        return "must start with a letter and hold only a-z, 0-9 and _ (at most 63 characters)"
    return None


def _db_user_problem(value: str) -> str | None:
    if value in _RESERVED_DB_USERS:
        return f"must not be a well-known administrator name ({', '.join(_RESERVED_DB_USERS)})"
    return _identifier_problem(value)


def _engine_version_problem(value: str) -> str | None:
    if not re.match(r"^1[3-8](\.[0-9]+)?$", value):
        return "must be a PostgreSQL major version 13-18, optionally with a minor (e.g. 16 or 16.4)"
    return None


def _path_problem(value: str) -> str | None:
    if not re.match(r"^/[A-Za-z0-9._~/-]{0,1023}$", value):
        return "must be an absolute URL path such as /readyz"
    return None


def _email_problem(value: str) -> str | None:
    if value and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
        return "must be an e-mail address such as oncall@example.com, or empty for none"
    return None


def _public_key_problem(value: str) -> str | None:
    if value and not re.match(r"^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+", value):
        return (
            "must be an OpenSSH public key (ssh-ed25519 ..., ecdsa-sha2-nistp256 ..., ssh-rsa ...)"
        )
    return None


# ---------------------------------------------------------------------------------------------
# The areas.


@dataclass(frozen=True)
class TagSettings:
    """Stack-wide tags; Project, Environment and ManagedBy are added by the program."""

    owner: str = setting(
        "",
        "Team or person accountable for the stack (tag Owner).",
        required=True,
        check=_tag_value_problem,
    )
    cost_centre: str = setting(
        "",
        "Cost centre the stack is billed to (tag CostCentre).",
        required=True,
        check=_tag_value_problem,
    )


@dataclass(frozen=True)
class NetworkSettings:
    """The VPC, its subnets and how private subnets reach the internet."""

    cidr: str = setting(
        "10.0.0.0/16",
        "IPv4 range of the VPC, /16 to /20 (a /20 needs publicSubnetCidrs: the /28 public "
        "subnets computed from it are too small for the load balancer).",
        check=_cidr_problem,
    )
    az_count: int = setting(
        2,
        "Availability zones the VPC spans: 2 or more (the load balancer and the database "
        "subnet group need two), at most what the region offers a new account.",
        minimum=1,
        maximum=6,
    )
    nat_strategy: Literal["none", "single", "per-az", "instance"] = setting(
        "instance",
        "Outbound path of private subnets: none, one NAT Gateway (single), one per AZ "
        "(per-az), or a NAT instance per AZ on a small ARM instance (instance, cheapest).",
    )
    nat_instance_type: str = setting(
        "t4g.nano", "Graviton instance type of the NAT instances.", check=_arm_ec2_class_problem
    )
    public_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit public subnet CIDRs, one per AZ; empty computes them from cidr."
    )
    private_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit private (task) subnet CIDRs, one per AZ; empty computes them."
    )
    database_subnet_cidrs: tuple[str, ...] = setting(
        (), "Explicit database subnet CIDRs, one per AZ; empty computes them."
    )
    ipv6: bool = setting(
        True,
        "Dual-stack public tier: an Amazon IPv6 block, IPv6 public subnets, the load balancer "
        "reachable over IPv6 (AAAA record). Private and database subnets stay IPv4. Free.",
    )
    interface_endpoints: bool = setting(
        False,
        "Interface endpoints for ECR api/dkr, Logs and Secrets Manager (0.01 USD/AZ-hour "
        "each; required with natStrategy none); the S3 gateway endpoint is always there, free.",
    )
    flow_log_retention_days: int = setting(
        30, "Days VPC flow logs are kept.", one_of=LOG_RETENTION_DAYS
    )


@dataclass(frozen=True)
class DnsSettings:
    """Public name and certificate of the site."""

    domain: str = setting(
        "",
        "Host name of the site (e.g. www.example.com); empty for none "
        "(allowed only outside production, with plain HTTP opted in).",
        check=domain_problem,
    )
    zone_name: str = setting(
        "",
        "Public hosted zone holding the domain; empty takes the domain without its first label.",
        check=domain_problem,
    )
    create_zone: bool = setting(
        False,
        "Create the hosted zone instead of looking up an existing "
        "one (then delegate to its name servers).",
    )


@dataclass(frozen=True)
class DatabaseSettings:
    """PostgreSQL on RDS in the private database subnets."""

    instance_class: str = setting("db.t4g.micro", "RDS instance class.", check=_rds_class_problem)
    engine_version: str = setting(
        "16", "PostgreSQL version (major, or major.minor).", check=_engine_version_problem
    )
    allocated_storage_gb: int = setting(
        20, "Initial gp3 storage in GiB.", minimum=20, maximum=65536
    )
    max_allocated_storage_gb: int = setting(
        100, "Storage autoscaling ceiling in GiB.", minimum=20, maximum=65536
    )
    multi_az: bool = setting(False, "Standby replica in a second AZ (required in production).")
    deletion_protection: bool = setting(True, "Refuse DeleteDBInstance (required in production).")
    backup_retention_days: int = setting(
        7, "Days automated backups are kept (production: 7+).", minimum=1, maximum=35
    )
    final_snapshot: bool = setting(True, "Take a snapshot when the instance is deleted.")
    protect: bool = setting(
        True,
        "Pulumi `protect`: `pulumi destroy` refuses to delete it (protectStatefulResources "
        "turns it on too).",
    )
    performance_insights: bool = setting(True, "Performance Insights, 7 days, KMS-encrypted.")
    monitoring_interval_seconds: int = setting(
        60, "Enhanced monitoring interval; 0 turns it off.", one_of=(0, 1, 5, 10, 15, 30, 60)
    )
    database_name: str = setting(
        "app", "Name of the application database.", check=_identifier_problem
    )
    master_username: str = setting(
        "app_admin",
        "Master user; its password is generated and kept by RDS in Secrets Manager.",
        check=_db_user_problem,
    )


@dataclass(frozen=True)
class BastionSettings:
    """Jump host for operators to reach the database."""

    enabled: bool = setting(True, "Create the bastion host.")
    instance_type: str = setting(
        "t4g.nano", "Graviton instance type of the bastion.", check=_arm_ec2_class_problem
    )
    ssh_cidrs: tuple[str, ...] = setting(
        (),
        "Source CIDRs allowed to SSH, each with its prefix length; empty means no SSH and no "
        "public IP (SSM only).",
    )
    ssh_public_key: str = setting(
        "",
        "OpenSSH public key installed for SSH (needed with sshCidrs).",
        check=_public_key_problem,
    )
    dangerously_allow_ssh_from_internet: bool = setting(
        False,
        "INSECURE: accept sshCidrs that together admit more than a /16 of public IPv4 or a /32 "
        "of IPv6, up to the whole internet (never in production without "
        "acknowledgeUnsafeProduction).",
    )


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
        "t4g.small", "Instance type of the EC2 capacity.", check=_ec2_class_problem
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


@dataclass(frozen=True)
class DeploymentSettings:
    """The load balancer and how a release moves traffic (blue/green component)."""

    strategy: Literal["rolling", "blue-green", "canary", "linear"] = setting(
        "blue-green",
        "rolling, blue-green (all at once after green is healthy), canary "
        "(canaryPercent, then the rest) or linear (linearStepPercent steps).",
    )
    bake_time_minutes: int = setting(
        5,
        "Minutes both versions stay up after the shift, for a quick rollback; at least the "
        "alarm window (alarmPeriodSeconds x alarmEvaluationPeriods) with a traffic shift.",
        minimum=0,
        maximum=1440,
    )
    canary_percent: float | None = setting(
        None,
        "Canary only: percent of traffic shifted first (0.1-100, default 10).",
        minimum=0.1,
        maximum=100,
    )
    canary_bake_time_minutes: int | None = setting(
        None,
        "Canary only: minutes before the rest shifts (0-1440, default 5).",
        minimum=0,
        maximum=1440,
    )
    linear_step_percent: float | None = setting(
        None, "Linear only: percent shifted per step (3-100, default 25).", minimum=3, maximum=100
    )
    linear_step_bake_time_minutes: int | None = setting(
        None, "Linear only: minutes between steps (0-1440, default 2).", minimum=0, maximum=1440
    )
    approval_gate: bool = setting(
        False, "Pause before production traffic shifts until an operator approves (lifecycle hook)."
    )
    approval_timeout_minutes: int = setting(
        60,
        "With approvalGate: minutes ECS waits for the approval before it rolls back (1-20160).",
        minimum=1,
        maximum=20160,
    )
    test_listener_port: int = setting(
        8443,
        "Port of the test listener that reaches the new version before production traffic.",
        minimum=1024,
        maximum=65535,
    )
    test_listener_cidrs: tuple[str, ...] = setting(
        (),
        "Operators' source CIDRs allowed on the test listener (together at most a /16 of "
        "public IPv4 or a /32 of IPv6); the VPC's NAT Gateway addresses are always allowed.",
    )
    health_check_path: str = setting(
        "/readyz", "Target group health check path.", check=_path_problem
    )
    health_check_interval_seconds: int = setting(
        10, "Seconds between health checks.", minimum=5, maximum=300
    )
    health_check_timeout_seconds: int = setting(
        5, "Health check timeout (less than interval).", minimum=2, maximum=120
    )
    healthy_threshold: int = setting(
        2, "Passing checks before a target takes traffic.", minimum=2, maximum=10
    )
    unhealthy_threshold: int = setting(
        2, "Failing checks before a target is unhealthy.", minimum=2, maximum=10
    )
    deregistration_delay_seconds: int = setting(
        15, "Seconds a leaving target drains.", minimum=0, maximum=3600
    )
    waf: bool = setting(
        True,
        "AWS WAF web ACL with AWS managed rule groups on the load balancer (about 8 USD a "
        "month; required in production).",
    )
    load_balancer_deletion_protection: bool = setting(
        True, "Refuse to delete the load balancer (required in production)."
    )
    insecure_allow_plain_http: bool = setting(
        False,
        "INSECURE: serve plain HTTP on port 80 when there is no domain (never in production).",
    )


@dataclass(frozen=True)
class ObservabilitySettings:
    """Alarms, dashboards, metrics and the synthetic probe."""

    alarm_email: str = setting(
        "", "Address subscribed to the alarm topic; empty for none.", check=_email_problem
    )
    log_retention_days: int = setting(
        30, "Days observability logs are kept.", one_of=LOG_RETENTION_DAYS
    )
    dashboard: bool = setting(True, "CloudWatch dashboard of the service's signals.")
    prometheus: bool = setting(
        True,
        "Amazon Managed Service for Prometheus workspace, rules, "
        "alert manager, and the collector sidecar.",
    )
    grafana: bool = setting(False, "Grafana with the repository's dashboards.")
    synthetic_probe: bool = setting(True, "Probe of the public URL from outside the service.")
    error_rate_percent: float = setting(
        5.0, "5xx share of requests that trips an alarm (and a rollback).", minimum=0.1, maximum=100
    )
    p99_latency_seconds: float = setting(
        1.0,
        "p99 target response time that trips an alarm (and a rollback).",
        minimum=0.01,
        maximum=60,
    )
    cpu_percent: float = setting(
        80.0,
        "ECS service CPU utilisation alarm; above service.cpuTargetPercent.",
        minimum=1,
        maximum=100,
    )
    memory_percent: float = setting(
        80.0, "ECS service memory utilisation alarm.", minimum=1, maximum=100
    )
    database_cpu_percent: float = setting(
        80.0, "RDS CPU utilisation alarm.", minimum=1, maximum=100
    )
    database_free_storage_gb: float = setting(
        2.0,
        "RDS free storage alarm, GiB; below database.allocatedStorageGb.",
        minimum=0.5,
        maximum=10000,
    )
    database_connections: int = setting(
        80,
        "RDS connection count alarm; below the max_connections of the instance class.",
        minimum=1,
        maximum=100000,
    )
    alarm_period_seconds: int = setting(
        60,
        "CloudWatch alarm period: 60 or 300 (the watched metrics are per minute).",
        one_of=(10, 30, 60, 300),
    )
    alarm_evaluation_periods: int = setting(
        2, "Periods in breach before an alarm fires.", minimum=1, maximum=10
    )


def _iam_path_problem(value: str) -> str | None:
    if not re.match(r"^/([A-Za-z0-9+=,.@_-]+/)*$", value):
        return "must be an IAM path that starts and ends with / (e.g. /ecs-platform/)"
    return None


def _policy_arn_problem(value: str) -> str | None:
    if value and not re.match(
        r"^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", value
    ):
        return "must be an IAM policy ARN (arn:aws:iam::<account>:policy/...), or empty"
    return None


@dataclass(frozen=True)
class IamSettings:
    """Where the program's roles live (the CI deploy roles only manage roles there)."""

    role_path: str = setting(
        "/ecs-platform/", "IAM path of every role and instance profile.", check=_iam_path_problem
    )
    permissions_boundary_arn: str = setting(
        "",
        "Permissions boundary put on every role: the bootstrap's workloadBoundaryArn "
        "output; empty for none.",
        check=_policy_arn_problem,
    )


@dataclass(frozen=True)
class ReleaseSettings:
    """The version being deployed; CI sets these with `pulumi config set --path release.*`."""

    image: str = setting(
        "",
        "Image by digest to deploy; empty keeps the image the service runs now (or builds "
        "app/ with release.build).",
        check=_image_problem,
    )
    build: bool = setting(
        False,
        "Build app/ and deploy it (the first deploy of a stack, or a deliberate development "
        "build); false with release.image empty keeps the running image.",
    )
    version: str = setting(
        "dev",
        "Version shown by the website and in app_build_info.",
        check=lambda v: (
            None
            if re.match(r"^[A-Za-z0-9._+-]{1,64}$", v)
            else "must be 1-64 characters of letters, digits and . _ + -"
        ),
    )
    color: Literal["blue", "green"] = setting("blue", "Colour of this release (CI alternates).")

    @property
    def keeps_running_image(self) -> bool:
        """Neither an image nor a build is asked for: the service keeps the image it runs."""
        return not self.image and not self.build


# Top-level keys: area objects plus two scalars.
AREAS: dict[str, type] = {
    "tags": TagSettings,
    "network": NetworkSettings,
    "dns": DnsSettings,
    "database": DatabaseSettings,
    "bastion": BastionSettings,
    "service": ServiceSettings,
    "deployment": DeploymentSettings,
    "observability": ObservabilitySettings,
    "iam": IamSettings,
    "release": ReleaseSettings,
}
SCALARS: dict[str, tuple[type, Any, str]] = {
    "production": (bool, False, "Production stack: the safety settings below must stay on."),
    "acknowledgeUnsafeProduction": (
        str,
        "",
        "Reason for running production with a safety setting off; empty for none.",
    ),
    "protectStatefulResources": (
        bool,
        True,
        "Pulumi `protect` and `retainOnDelete` on what cannot be recreated without loss: the "
        "stack's KMS key, the ECR repository and the database (required in production); "
        "false makes them disposable with the stack (the repository is force-deleted).",
    ),
}


@dataclass(frozen=True)
class SubnetPlan:
    """CIDR blocks of each tier, one per availability zone, in AZ order."""

    public: tuple[str, ...]
    private: tuple[str, ...]
    database: tuple[str, ...]


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs to know about one stack, validated."""

    stack: str
    region: str
    production: bool
    acknowledge_unsafe_production: str
    protect_stateful_resources: bool
    tags: TagSettings
    network: NetworkSettings
    dns: DnsSettings
    database: DatabaseSettings
    bastion: BastionSettings
    service: ServiceSettings
    deployment: DeploymentSettings
    observability: ObservabilitySettings
    iam: IamSettings
    release: ReleaseSettings
    subnets: SubnetPlan

    @property
    def name_prefix(self) -> str:
        """Prefix of the few physical names AWS needs fixed: unique per stack."""
        return f"{PROJECT}-{self.stack}"

    @property
    def https(self) -> bool:
        """Whether the site is served over HTTPS (it is whenever a domain is configured)."""
        return self.dns.domain != ""

    @property
    def zone_name(self) -> str:
        """Hosted zone of the domain."""
        if self.dns.zone_name:
            return self.dns.zone_name
        labels = self.dns.domain.split(".")
        return ".".join(labels[1:]) if len(labels) > 2 else self.dns.domain

    def stack_tags(self) -> dict[str, str]:
        """Tags every resource gets through the AWS provider's default tags."""
        return {
            "Project": PROJECT,
            "Environment": self.stack,
            "ManagedBy": "pulumi",
            "Owner": self.tags.owner,
            "CostCentre": self.tags.cost_centre,
        }


STACK_TAG_KEYS = ("Project", "Environment", "ManagedBy", "Owner", "CostCentre")


# ---------------------------------------------------------------------------------------------
# The CIDR plan.


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Splits the VPC into private subnets (large, for tasks) and public and database subnets.

    The VPC is cut into 16 blocks: blocks 0-5 are the private subnets of up to six AZs, block 14
    is cut into 16 public subnets and block 15 into 16 database subnets. Tasks get the big
    blocks because every Fargate task takes an address; the other tiers hold a few ENIs each.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(vpc.subnets(prefixlen_diff=4))
    public = list(blocks[14].subnets(prefixlen_diff=4))
    database = list(blocks[15].subnets(prefixlen_diff=4))
    return SubnetPlan(
        public=tuple(str(public[i]) for i in range(az_count)),
        private=tuple(str(blocks[i]) for i in range(az_count)),
        database=tuple(str(database[i]) for i in range(az_count)),
    )


# ---------------------------------------------------------------------------------------------
# Parsing.


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin is tuple:
        return "list of strings"
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _type_name(inner[0])
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[annotation]


def _coerce(annotation: Any, value: Any) -> tuple[Any, str | None]:
    """Checks a raw value against a field's annotation; returns (value, problem)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None, None
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _coerce(inner[0], value)
    if origin is Literal:
        allowed = typing.get_args(annotation)
        if value in allowed:
            return value, None
        return value, f"must be one of {', '.join(json.dumps(a) for a in allowed)}"
    if origin is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value), None
        return value, "must be a list of strings"
    if annotation is bool:
        return value, None if isinstance(value, bool) else "must be true or false"
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return value, "must be a whole number"
        return int(value), None
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, "must be a number"
        return float(value), None
    if annotation is str:
        return value, None if isinstance(value, str) else "must be a string"
    raise TypeError(f"unsupported setting type {annotation!r}")


def _unknown_key_issue(path: str, key: str, known: list[str], value: Any) -> Issue:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Issue(f"{path}{key}", value, f"unknown key; {hint}allowed: {', '.join(known)}")


def _parse_area(area: str, cls: type, raw: Any, issues: list[Issue]) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        issues.append(Issue(area, raw, f"must be an object with keys of {cls.__name__}"))
        raw = {}
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    known = [camel(f.name) for f in fields]
    for key in raw:
        if key not in known:
            issues.append(_unknown_key_issue(f"{area}.", key, known, raw[key]))
    values: dict[str, Any] = {}
    for f in fields:
        key, meta = camel(f.name), f.metadata
        path = f"{area}.{key}"
        if key not in raw:
            if meta["required"]:
                issues.append(Issue(path, _MISSING, f"is required: {meta['doc']}"))
            continue
        value, problem = _coerce(hints[f.name], raw[key])
        if problem is None and value is not None:
            problem = _bounds_problem(value, meta)
        if problem is None and value is not None and meta["check"] is not None:
            problem = meta["check"](value)
        if problem is not None:
            issues.append(Issue(path, raw[key], problem))
            continue
        values[f.name] = value
    return cls(**values)


def _bounds_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    if meta["one_of"] is not None and value not in meta["one_of"]:
        return f"must be one of {', '.join(str(v) for v in meta['one_of'])}"
    low, high = meta["minimum"], meta["maximum"]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and ((low is not None and value < low) or (high is not None and value > high)):
        return f"must be between {low:g} and {high:g}"
    return None


# ---------------------------------------------------------------------------------------------
# Checks across fields and areas.


def _network_issues(net: NetworkSettings, issues: list[Issue]) -> SubnetPlan | None:
    if _cidr_problem(net.cidr) is not None:
        return None
    vpc = ipaddress.ip_network(net.cidr)
    if vpc.version != 4 or not 16 <= vpc.prefixlen <= 20:
        issues.append(Issue("network.cidr", net.cidr, "must be an IPv4 block from /16 to /20"))
        return None
    planned = plan_subnets(net.cidr, net.az_count)
    tiers: dict[str, tuple[str, ...]] = {}
    for tier, given, default in (
        ("public", net.public_subnet_cidrs, planned.public),
        ("private", net.private_subnet_cidrs, planned.private),
        ("database", net.database_subnet_cidrs, planned.database),
    ):
        key = f"network.{tier}SubnetCidrs"
        if not given:
            tiers[tier] = default
            continue
        if len(given) != net.az_count:
            issues.append(
                Issue(
                    key,
                    list(given),
                    f"must list exactly one CIDR per AZ ({net.az_count}, from azCount)",
                )
            )
        for cidr in given:
            problem = _cidr_problem(cidr)
            if problem is not None:
                issues.append(Issue(key, cidr, problem))
            elif not ipaddress.ip_network(cidr).subnet_of(vpc):  # type: ignore[arg-type]
                issues.append(Issue(key, cidr, f"must lie inside the VPC {net.cidr}"))
            elif ipaddress.ip_network(cidr).prefixlen > 28:
                issues.append(Issue(key, cidr, "must be /28 or larger (AWS's smallest subnet)"))
        tiers[tier] = given
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for tier, cidrs in tiers.items():
        for cidr in cidrs:
            if _cidr_problem(cidr) is not None:
                continue
            network = ipaddress.ip_network(cidr)
            for other_tier, other in seen:
                if network.overlaps(other):
                    issues.append(
                        Issue(
                            f"network.{tier}SubnetCidrs",
                            cidr,
                            f"overlaps {other} of the {other_tier} subnets",
                        )
                    )
            seen.append((tier, network))
    return SubnetPlan(tiers["public"], tiers["private"], tiers["database"])


def _cidr_list_issues(key: str, cidrs: tuple[str, ...], issues: list[Issue]) -> str | None:
    """Reports malformed CIDRs; says how far the valid ones together reach into the internet
    when their union is wider than one rule may admit, else None."""
    valid = []
    for cidr in cidrs:
        problem = _cidr_problem(cidr)
        if problem is not None:
            issues.append(Issue(key, cidr, problem))
        else:
            valid.append(cidr)
    reach = scope(valid)
    if not reach.too_wide():
        return None
    whole = " (the whole internet)" if reach.whole_internet() else ""
    return (
        "must not admit more than a /16 of public IPv4 or a /32 of IPv6 space; these ranges "
        f"admit {reach.describe()}{whole}"
    )


def _area_issues(s: dict[str, Any], issues: list[Issue]) -> None:
    """Checks across the fields of one area; checks across areas are the FEASIBILITY table."""
    db: DatabaseSettings = s["database"]
    bastion: BastionSettings = s["bastion"]
    service: ServiceSettings = s["service"]
    deploy: DeploymentSettings = s["deployment"]
    dns: DnsSettings = s["dns"]
    release: ReleaseSettings = s["release"]

    if release.build and release.image:
        issues.append(
            Issue(
                "release.build",
                True,
                f"must be false when release.image is given ({release.image}): release.image "
                "deploys that image, release.build builds app/; set one of them",
            )
        )

    if db.max_allocated_storage_gb < db.allocated_storage_gb:
        issues.append(
            Issue(
                "database.maxAllocatedStorageGb",
                db.max_allocated_storage_gb,
                f"must be at least allocatedStorageGb ({db.allocated_storage_gb})",
            )
        )

    open_ssh = _cidr_list_issues("bastion.sshCidrs", bastion.ssh_cidrs, issues)
    if open_ssh and not bastion.dangerously_allow_ssh_from_internet:
        issues.append(
            Issue(
                "bastion.sshCidrs",
                list(bastion.ssh_cidrs),
                f"{open_ssh}; list your own ranges, or set "
                "bastion.dangerouslyAllowSshFromInternet: true to accept the risk",
            )
        )
    key_rejected = any(issue.path == "bastion.sshPublicKey" for issue in issues)
    if bastion.ssh_cidrs and not bastion.ssh_public_key and not key_rejected:
        issues.append(
            Issue("bastion.sshPublicKey", "", "is required when bastion.sshCidrs allows SSH")
        )
    if (bastion.ssh_cidrs or bastion.ssh_public_key) and not bastion.enabled:
        issues.append(Issue("bastion.enabled", False, "must be true when SSH settings are given"))

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

    _deployment_issues(deploy, issues)

    if dns.create_zone and not dns.domain:
        issues.append(Issue("dns.createZone", True, "needs dns.domain"))
    if (
        dns.zone_name
        and dns.domain
        and not (dns.domain == dns.zone_name or dns.domain.endswith("." + dns.zone_name))
    ):
        issues.append(
            Issue(
                "dns.zoneName",
                dns.zone_name,
                f"must be the domain {dns.domain} or one of its parents",
            )
        )


_STRATEGY_FIELDS = {
    "canary": ("canary_percent", "canary_bake_time_minutes"),
    "linear": ("linear_step_percent", "linear_step_bake_time_minutes"),
}


def _deployment_issues(d: DeploymentSettings, issues: list[Issue]) -> None:
    for strategy, names in _STRATEGY_FIELDS.items():
        if d.strategy == strategy:
            continue
        for name in names:
            if getattr(d, name) is not None:
                issues.append(
                    Issue(
                        f"deployment.{camel(name)}",
                        getattr(d, name),
                        f"applies only to strategy {strategy!r}, not {d.strategy!r}",
                    )
                )
    for name in ("canary_percent", "linear_step_percent"):
        value = getattr(d, name)
        if value is not None and abs(value * 10 - round(value * 10)) > 1e-9:
            issues.append(
                Issue(f"deployment.{camel(name)}", value, "must be a multiple of 0.1 (AWS's step)")
            )
    if d.strategy == "rolling" and d.approval_gate:
        issues.append(
            Issue(
                "deployment.approvalGate",
                True,
                "needs a traffic-shifting strategy (blue-green, canary or linear)",
            )
        )
    if d.health_check_timeout_seconds >= d.health_check_interval_seconds:
        issues.append(
            Issue(
                "deployment.healthCheckTimeoutSeconds",
                d.health_check_timeout_seconds,
                f"must be less than healthCheckIntervalSeconds ({d.health_check_interval_seconds})",
            )
        )
    open_test = _cidr_list_issues("deployment.testListenerCidrs", d.test_listener_cidrs, issues)
    if open_test:
        issues.append(
            Issue(
                "deployment.testListenerCidrs",
                list(d.test_listener_cidrs),
                f"{open_test}: the test listener serves unreleased versions",
            )
        )


# ---------------------------------------------------------------------------------------------
# Feasibility: combinations each area accepts alone but AWS (or the running service) refuses.
# Every rule names the key its message blames, says what is allowed and why, with its source.


@dataclass(frozen=True)
class Candidate:
    """What the feasibility rules see: the parsed areas, the stack and its region."""

    stack: str
    region: str
    production: bool
    acknowledged: bool
    protect_stateful_resources: bool
    subnets: SubnetPlan | None
    dns: DnsSettings
    network: NetworkSettings
    database: DatabaseSettings
    bastion: BastionSettings
    service: ServiceSettings
    deployment: DeploymentSettings
    observability: ObservabilitySettings
    release: ReleaseSettings


@dataclass(frozen=True)
class Feasibility:
    """One cross-area rule: `check` returns (key, value, what is allowed) for each breach."""

    name: str
    reason: str
    check: Callable[[Candidate], Iterable[tuple[str, Any, str]]]


def _alb_and_rds_need_two_azs(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.network.az_count < max(aws_facts.ALB_MIN_AZS, aws_facts.RDS_SUBNET_GROUP_MIN_AZS):
        yield (
            "network.azCount",
            c.network.az_count,
            "must be 2 or more: an Application Load Balancer needs subnets in two "
            "Availability Zones and an RDS subnet group spans two",
        )


def _region_has_the_azs(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    offered = aws_facts.AZ_COUNT.get(c.region)
    if not _REGION.match(c.region):
        return  # reported as malformed
    if offered is None:
        yield (
            "(aws:region)",
            c.region,
            "is not a region whose Availability Zones this program knows "
            f"({', '.join(sorted(aws_facts.AZ_COUNT))}; source: {aws_facts.AZ_SOURCE})",
        )
    elif c.network.az_count > offered:
        yield (
            "network.azCount",
            c.network.az_count,
            f"must be at most {offered}: {c.region} offers {offered} Availability Zones to a "
            f"new account ({aws_facts.AZ_SOURCE})",
        )


def _public_subnets_hold_a_load_balancer(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.subnets is None:
        return
    limit = aws_facts.ALB_MAX_SUBNET_PREFIX
    small = [p for p in c.subnets.public if ipaddress.ip_network(p).prefixlen > limit]
    if not small:
        return
    allowed = (
        f"a load balancer subnet must be a /{limit} or larger with 8 free addresses "
        "(ELB User Guide, subnets for your load balancer)"
    )
    if c.network.public_subnet_cidrs:
        yield "network.publicSubnetCidrs", small, f"are too small: {allowed}"
    else:
        yield (
            "network.cidr",
            c.network.cidr,
            f"gives public subnets of /{ipaddress.ip_network(small[0]).prefixlen}, but {allowed}; "
            "use a /19 or larger VPC, or list network.publicSubnetCidrs",
        )


def _private_subnets_hold_the_tasks(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.subnets is None:
        return
    reserved = aws_facts.VPC_RESERVED_ADDRESSES_PER_SUBNET
    usable = sum(ipaddress.ip_network(p).num_addresses - reserved for p in c.subnets.private)
    endpoints = len(c.subnets.private) * 4 if c.network.interface_endpoints else 0
    # Every awsvpc task takes an address; during a blue/green release both colours run.
    needed = 2 * c.service.max_count + endpoints + (1 if c.bastion.enabled else 0)
    if needed > usable:
        yield (
            "service.maxCount",
            c.service.max_count,
            f"needs {needed} addresses in the private subnets during a release (two colours "
            f"of maxCount tasks, interface endpoints, the bastion) but they hold {usable} "
            f"usable ones (AWS keeps {reserved} per subnet); lower maxCount or widen "
            "network.privateSubnetCidrs",
        )


_NO_NAT = "with network.natStrategy none, tasks have no way out of the VPC"


def _no_nat_needs_endpoints(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.network.nat_strategy != "none":
        return
    if not c.network.interface_endpoints:
        yield (
            "network.interfaceEndpoints",
            False,
            f"must be true: {_NO_NAT} but through interface endpoints, and tasks need ECR "
            "(image), CloudWatch Logs and Secrets Manager (database password); or choose a "
            "NAT strategy",
        )
    if c.observability.prometheus:
        yield (
            "observability.prometheus",
            True,
            f"needs a NAT strategy: {_NO_NAT}; the metrics collector's image is on ECR Public "
            "and remote write goes to Managed Prometheus, neither served by the VPC's endpoints",
        )
    if c.service.capacity == "ec2":
        yield (
            "service.capacity",
            "ec2",
            f"needs a NAT strategy: {_NO_NAT}; the ECS agent on EC2 capacity reaches the ecs, "
            "ecs-agent and ecs-telemetry APIs, which have no endpoint here",
        )
    if c.service.ecs_exec:
        yield (
            "service.ecsExec",
            True,
            f"needs a NAT strategy: {_NO_NAT}; ECS Exec talks to ssmmessages, which has no "
            "endpoint here",
        )
    image = c.release.image
    own_registry = f".dkr.ecr.{c.region}.amazonaws.com/"
    if image and own_registry not in image:
        yield (
            "release.image",
            image,
            f"must come from this region's ECR ({own_registry[1:]}...): {_NO_NAT}, and the "
            "endpoints reach only the region's private registry",
        )


def _ec2_capacity_holds_a_task(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    svc = c.service
    if svc.capacity != "ec2":
        return
    found = aws_facts.instance_type(svc.ec2_instance_type)
    if found is None:
        return  # the field check reports it
    if svc.architecture not in found.architectures:
        yield (
            "service.ec2InstanceType",
            svc.ec2_instance_type,
            f"must be an {svc.architecture} instance type for architecture {svc.architecture} "
            f"({svc.ec2_instance_type} is {'/'.join(found.architectures)})",
        )
    cpu_units = found.vcpus * aws_facts.CPU_UNITS_PER_VCPU
    memory = int(found.memory_mib * aws_facts.ECS_INSTANCE_MEMORY_SHARE)
    if svc.cpu > cpu_units or svc.memory > memory:
        yield (
            "service.ec2InstanceType",
            svc.ec2_instance_type,
            f"cannot hold one task of cpu {svc.cpu} and memory {svc.memory} MiB: it has "
            f"{cpu_units} CPU units and about {memory} MiB for tasks ({found.memory_mib} MiB "
            "less what the ECS agent and the system keep); choose a larger type",
        )
    if found.max_network_interfaces < 2:
        yield (
            "service.ec2InstanceType",
            svc.ec2_instance_type,
            "must take a second network interface: every awsvpc task gets its own",
        )


# The image the program builds with release.build (Registry's platform) and the one the
# workflows push: ARM64 only.
BUILT_IMAGE_ARCHITECTURE = "arm64"


def _built_image_matches_the_tasks(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.release.build and c.service.architecture != BUILT_IMAGE_ARCHITECTURE:
        yield (
            "service.architecture",
            c.service.architecture,
            f"must be {BUILT_IMAGE_ARCHITECTURE} while the program builds the image "
            f"(release.build true): it builds app/ for linux/{BUILT_IMAGE_ARCHITECTURE} only, "
            f"which {c.service.architecture} tasks cannot run; or set release.image to an image "
            f"for {c.service.architecture}",
        )


def _container_port_is_not_the_metrics_port(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.service.container_port == METRICS_PORT:
        yield (
            "service.containerPort",
            METRICS_PORT,
            f"must not be {METRICS_PORT}: the website serves its metrics there, out of the "
            "load balancer's reach",
        )


def _grafana_reads_prometheus(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    obs = c.observability
    if obs.grafana and not obs.prometheus:
        yield (
            "observability.grafana",
            True,
            "needs observability.prometheus: true: Grafana's dashboards read the Managed "
            "Prometheus workspace",
        )
    if obs.grafana and c.region not in aws_facts.GRAFANA_REGIONS:
        yield (
            "observability.grafana",
            True,
            f"must be false in {c.region}: Amazon Managed Grafana is offered only in "
            f"{', '.join(sorted(aws_facts.GRAFANA_REGIONS))} ({aws_facts.GRAFANA_SOURCE})",
        )


def _free_storage_alarm_below_storage(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    threshold = c.observability.database_free_storage_gb
    if threshold >= c.database.allocated_storage_gb:
        yield (
            "observability.databaseFreeStorageGb",
            threshold,
            f"must be below database.allocatedStorageGb ({c.database.allocated_storage_gb}): "
            "free storage never exceeds the allocation, so the alarm would fire from the start",
        )


def _connection_alarm_below_max_connections(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    limit = aws_facts.postgres_max_connections(c.database.instance_class)
    threshold = c.observability.database_connections
    if limit is not None and threshold >= limit:
        yield (
            "observability.databaseConnections",
            threshold,
            f"must be below {limit}, the max_connections PostgreSQL on "
            f"{c.database.instance_class} allows (LEAST(memory/9531392, 5000), RDS User "
            "Guide): the alarm could never fire",
        )


def _cpu_alarm_above_scaling_target(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    threshold = c.observability.cpu_percent
    if threshold <= c.service.cpu_target_percent:
        yield (
            "observability.cpuPercent",
            threshold,
            f"must be above service.cpuTargetPercent ({c.service.cpu_target_percent}): "
            "autoscaling holds the service at its target, so the alarm would fire in normal "
            "operation",
        )


def _alarm_period_matches_the_metrics(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    period = c.observability.alarm_period_seconds
    if period % 60:
        yield (
            "observability.alarmPeriodSeconds",
            period,
            "must be 60 or 300: the alarms watch AWS/ECS, AWS/ApplicationELB and AWS/RDS "
            "metrics, published once a minute; a 10 or 30 second period sees no data in "
            "most periods",
        )


def _bake_time_outlasts_the_alarms(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    d, obs = c.deployment, c.observability
    if d.strategy == "rolling":
        return
    window = obs.alarm_period_seconds * obs.alarm_evaluation_periods
    bakes = [("deployment.bakeTimeMinutes", d.bake_time_minutes)]
    if d.strategy == "canary":
        bakes.append(
            ("deployment.canaryBakeTimeMinutes", _or(d.canary_bake_time_minutes, 5)),
        )
    for key, minutes in bakes:
        if minutes * 60 < window:
            yield (
                key,
                minutes,
                f"must be at least {-(-window // 60)} minutes: the rollback alarms need "
                f"alarmPeriodSeconds x alarmEvaluationPeriods = {window} s to fire, and ECS "
                "rolls back on them only while the release bakes",
            )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


# Stack names end up in names AWS restricts: the database identifier `ecs-platform-<stack>`
# (RDS: letters, digits and hyphens, a letter first, no two hyphens in a row, no hyphen last),
# the access-log bucket prefix `ecs-platform-<stack>-alb-logs-` (S3: lower case; the provider
# takes a bucket_prefix of at most 37 characters), capacity provider and cluster names.
_STACK_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_STACK_NAME_MAX = 37 - len(f"{PROJECT}--alb-logs-")
_PRODUCTION_NAMES = re.compile(r"^(prod|production|prd|live)([-_.].*)?$")


def _stack_name_fits_aws_names(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if not _STACK_NAME.match(c.stack) or len(c.stack) > _STACK_NAME_MAX:
        yield (
            "(stack name)",
            c.stack,
            f"must be 1-{_STACK_NAME_MAX} lower-case letters, digits and single hyphens, a "
            "letter first: it becomes part of the database identifier and the access-log "
            "bucket name, which AWS restricts so",
        )


def _production_stack_says_so(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if _PRODUCTION_NAMES.match(c.stack) and not c.production:
        yield (
            "production",
            False,
            f"must be true for a stack named {c.stack!r}: production stacks keep their safety "
            "settings on (deletion protection, Multi-AZ, WAF, ...)",
        )


def _ssm_bastion_needs_nat(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.bastion.enabled and not c.bastion.ssh_cidrs and c.network.nat_strategy == "none":
        yield (
            "bastion.enabled",
            True,
            "a bastion without SSH is reached through "
            "SSM from a private subnet, which needs network.natStrategy other "
            "than none; set sshCidrs, a NAT strategy, or enabled: false",
        )


def _test_listener_port_is_its_own(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.deployment.test_listener_port == c.service.container_port:
        yield (
            "deployment.testListenerPort",
            c.deployment.test_listener_port,
            "must differ from service.containerPort",
        )


def _https_needs_a_domain(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    plain = c.deployment.insecure_allow_plain_http
    if not c.dns.domain and not plain:
        yield (
            "dns.domain",
            "",
            "is required to serve HTTPS; set it, or (outside "
            "production) set deployment.insecureAllowPlainHttp: true",
        )
    if c.dns.domain and plain:
        yield (
            "deployment.insecureAllowPlainHttp",
            True,
            "must be false when dns.domain is set: the site is served on HTTPS",
        )


def _probe_needs_a_domain(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if c.observability.synthetic_probe and not c.dns.domain:
        yield (
            "observability.syntheticProbe",
            True,
            "needs dns.domain: the probe checks the site's public HTTPS name; "
            "set it to false for a stack without a domain",
        )


def _production_keeps_its_safety(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if not c.production:
        return
    if not c.dns.domain:
        yield "dns.domain", "", "is required in production (production: true)"
    if c.deployment.insecure_allow_plain_http:
        yield (
            "deployment.insecureAllowPlainHttp",
            True,
            "is never allowed in production (production: true)",
        )
    if c.acknowledged:
        return
    db, deploy, bastion = c.database, c.deployment, c.bastion
    for key, value, ok, need in (
        ("database.deletionProtection", db.deletion_protection, db.deletion_protection, "true"),
        ("database.multiAz", db.multi_az, db.multi_az, "true"),
        (
            "database.backupRetentionDays",
            db.backup_retention_days,
            db.backup_retention_days >= 7,
            "7 or more",
        ),
        ("database.finalSnapshot", db.final_snapshot, db.final_snapshot, "true"),
        ("database.protect", db.protect, db.protect, "true"),
        (
            "deployment.loadBalancerDeletionProtection",
            deploy.load_balancer_deletion_protection,
            deploy.load_balancer_deletion_protection,
            "true",
        ),
        ("deployment.waf", deploy.waf, deploy.waf, "true"),
        (
            "bastion.dangerouslyAllowSshFromInternet",
            bastion.dangerously_allow_ssh_from_internet,
            not bastion.dangerously_allow_ssh_from_internet,
            "false",
        ),
        (
            "protectStatefulResources",
            c.protect_stateful_resources,
            c.protect_stateful_resources,
            "true",
        ),
    ):
        if not ok:
            yield (
                key,
                value,
                f"must be {need} in production; to run without it, give the reason in "
                "acknowledgeUnsafeProduction",
            )


FEASIBILITY: tuple[Feasibility, ...] = (
    Feasibility(
        "two-azs",
        "ELB CreateLoadBalancer and RDS CreateDBSubnetGroup need two AZs",
        _alb_and_rds_need_two_azs,
    ),
    Feasibility(
        "region-azs", "the region must offer azCount Availability Zones", _region_has_the_azs
    ),
    Feasibility(
        "public-subnet-size",
        "a load balancer subnet is /27 or larger",
        _public_subnets_hold_a_load_balancer,
    ),
    Feasibility(
        "private-subnet-room",
        "every awsvpc task takes an address of the private subnets",
        _private_subnets_hold_the_tasks,
    ),
    Feasibility(
        "no-nat-reachability",
        "without NAT only the VPC's endpoints are reachable",
        _no_nat_needs_endpoints,
    ),
    Feasibility(
        "ec2-task-fits",
        "EC2 capacity must hold one task of the configured size",
        _ec2_capacity_holds_a_task,
    ),
    Feasibility(
        "metrics-port",
        "the container port is not the metrics port",
        _container_port_is_not_the_metrics_port,
    ),
    Feasibility(
        "grafana-prometheus",
        "Grafana reads Prometheus, in a region that offers it",
        _grafana_reads_prometheus,
    ),
    Feasibility(
        "free-storage-alarm",
        "the free-storage alarm lies below the storage",
        _free_storage_alarm_below_storage,
    ),
    Feasibility(
        "connections-alarm",
        "the connections alarm lies below max_connections",
        _connection_alarm_below_max_connections,
    ),
    Feasibility(
        "cpu-alarm",
        "the CPU alarm lies above the autoscaling target",
        _cpu_alarm_above_scaling_target,
    ),
    Feasibility(
        "alarm-period",
        "alarm periods match the one-minute metrics",
        _alarm_period_matches_the_metrics,
    ),
    Feasibility(
        "bake-time",
        "a release bakes long enough for the rollback alarms",
        _bake_time_outlasts_the_alarms,
    ),
    Feasibility(
        "stack-name", "the stack name fits the AWS names built from it", _stack_name_fits_aws_names
    ),
    Feasibility(
        "production-name",
        "a stack named for production declares production",
        _production_stack_says_so,
    ),
    Feasibility(
        "production-safety",
        "production keeps HTTPS, deletion protection, Multi-AZ, backups, WAF and protection "
        "unless a reason is acknowledged",
        _production_keeps_its_safety,
    ),
    Feasibility(
        "https-domain",
        "HTTPS needs a domain; plain HTTP only without one",
        _https_needs_a_domain,
    ),
    Feasibility(
        "probe-domain", "the synthetic probe checks the site's name", _probe_needs_a_domain
    ),
    Feasibility(
        "bastion-ssm-nat",
        "an SSM-only bastion reaches Systems Manager through NAT",
        _ssm_bastion_needs_nat,
    ),
    Feasibility(
        "image-architecture",
        "the tasks run the architecture the image is built for",
        _built_image_matches_the_tasks,
    ),
    Feasibility(
        "test-listener-port",
        "the test listener has a port of its own",
        _test_listener_port_is_its_own,
    ),
)


def feasibility_issues(candidate: Candidate) -> list[Issue]:
    """Every breach of the FEASIBILITY table."""
    return [
        Issue(key, value, allowed)
        for rule in FEASIBILITY
        for key, value, allowed in rule.check(candidate)
    ]


# ---------------------------------------------------------------------------------------------
# Entry points.


def load_settings(stack: str, raw: Mapping[str, Any], region: str = "us-east-1") -> StackSettings:
    """Builds validated settings from the project's config values (keys without namespace)
    and the stack's `aws:region`.

    Raises SettingsError listing every problem when anything is wrong.
    """
    issues: list[Issue] = []
    if not _REGION.match(region or ""):
        issues.append(
            Issue(
                "(aws:region)",
                region,
                "must be an AWS region such as us-east-1; "
                "set it with `pulumi config set aws:region us-east-1`",
            )
        )
    known = [*AREAS, *SCALARS]
    for key in raw:
        if key not in known:
            issues.append(_unknown_key_issue("", key, known, raw[key]))

    scalars: dict[str, Any] = {}
    for key, (kind, default, _doc) in SCALARS.items():
        value = raw.get(key, default)
        if kind is bool and isinstance(value, str) and value in ("true", "false"):
            value = value == "true"
        if not isinstance(value, kind):
            issues.append(Issue(key, value, f"must be {_type_name(kind)}"))
            value = default
        scalars[key] = value

    areas = {area: _parse_area(area, cls, raw.get(area), issues) for area, cls in AREAS.items()}
    subnets = _network_issues(areas["network"], issues)
    acknowledged = bool(scalars["acknowledgeUnsafeProduction"].strip())
    _area_issues(areas, issues)
    candidate = Candidate(
        stack=stack,
        region=region,
        production=scalars["production"],
        acknowledged=acknowledged,
        protect_stateful_resources=scalars["protectStatefulResources"],
        subnets=subnets,
        **{k: v for k, v in areas.items() if k not in ("tags", "iam")},
    )
    issues.extend(feasibility_issues(candidate))

    if issues:
        raise SettingsError(stack, issues)
    assert subnets is not None
    return StackSettings(
        stack=stack,
        region=region,
        production=scalars["production"],
        acknowledge_unsafe_production=scalars["acknowledgeUnsafeProduction"],
        protect_stateful_resources=scalars["protectStatefulResources"],
        subnets=subnets,
        **areas,
    )


def _decode(value: Any) -> Any:
    """Config values reach the program as strings; objects, lists and scalars as JSON text."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def raw_project_config() -> dict[str, Any]:
    """Every `ecs-platform:*` config value the engine passed to the program, decoded."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    # String settings are taken as written ("123" or "true" as a reason stays text); the
    # rest arrive as JSON text (objects, lists, booleans).
    text_keys = {key for key, (kind, _default, _doc) in SCALARS.items() if kind is str}
    raw = {}
    for key, value in merged.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            raw[name] = value if name in text_keys else _decode(value)
    return raw


def from_pulumi_config() -> StackSettings:
    """Loads the settings of the stack being deployed (or rendered under mocks)."""
    from pulumi.runtime import config as runtime_config

    region = runtime_config.get_config("aws:region") or ""
    return load_settings(pulumi.get_stack(), raw_project_config(), region=str(region))


# ---------------------------------------------------------------------------------------------
# Reference documentation, generated from the declarations above.


def reference_rows() -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) for every configuration key, in declaration order."""
    rows = [
        (key, _type_name(kind), json.dumps(default), doc)
        for key, (kind, default, doc) in SCALARS.items()
    ]
    for area, cls in AREAS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = (
                "(required)"
                if f.metadata["required"]
                else json.dumps(list(f.default) if isinstance(f.default, tuple) else f.default)
            )
            if f.default is None:
                default = "(strategy default)"
            rows.append(
                (f"{area}.{camel(f.name)}", _type_name(hints[f.name]), default, f.metadata["doc"])
            )
    return rows


def reference_table() -> str:
    """The README's configuration table, as Markdown."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, doc in reference_rows():
        lines.append(f"| `{key}` | {kind} | `{default}` | {doc.replace('|', '/')} |")
    return "\n".join(lines)


def area_defaults(area: str) -> dict[str, Any]:
    """Default object of an area, as Pulumi.yaml declares it (required keys left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(AREAS[area]):
        if f.metadata["required"] or f.default is None:
            continue
        out[camel(f.name)] = list(f.default) if isinstance(f.default, tuple) else f.default
    return out


if __name__ == "__main__":
    print(reference_table())
