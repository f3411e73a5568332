"""Feasibility: combinations each area accepts alone but AWS (or the running service) refuses.

Every rule names the key its message blames, says what is allowed and why, with its source.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aws_facts
from settings.bastion import BastionSettings
from settings.database import DatabaseSettings
from settings.deployment import DeploymentSettings, access_log_bucket_prefix
from settings.dns import DnsSettings
from settings.engine import PROJECT, Issue
from settings.network import NetworkSettings, SubnetPlan
from settings.observability import ObservabilitySettings
from settings.release import ReleaseSettings
from settings.service import METRICS_PORT, ServiceSettings


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
    if not aws_facts.REGION_NAME.match(c.region):
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


def _alarm_window_fits_cloudwatch(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    obs = c.observability
    window = obs.alarm_period_seconds * obs.alarm_evaluation_periods
    limit = aws_facts.cloudwatch_max_evaluation_seconds(obs.alarm_period_seconds)
    if window > limit:
        yield (
            "observability.alarmPeriodSeconds",
            obs.alarm_period_seconds,
            f"times alarmEvaluationPeriods ({obs.alarm_evaluation_periods}) is {window} s; "
            f"CloudWatch evaluates an alarm over at most {limit} s "
            f"({aws_facts.CLOUDWATCH_MAX_SHORT_PERIOD_EVALUATION_SECONDS} s for periods under "
            f"{aws_facts.CLOUDWATCH_SHORT_PERIOD_SECONDS} s)",
        )


def _bake_time_outlasts_the_alarms(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    d, obs = c.deployment, c.observability
    if d.strategy == "rolling":
        return
    window = obs.alarm_period_seconds * obs.alarm_evaluation_periods
    bakes = [("deployment.bakeTimeMinutes", d.bake_time_minutes)]
    shift = d.traffic_shift
    if d.strategy == "canary" and shift is not None:
        bakes.append(("deployment.canaryBakeTimeMinutes", shift.bake_minutes))
    for key, minutes in bakes:
        if minutes * 60 < window:
            yield (
                key,
                minutes,
                f"must be at least {-(-window // 60)} minutes: the rollback alarms need "
                f"alarmPeriodSeconds x alarmEvaluationPeriods = {window} s to fire, and ECS "
                "rolls back on them only while the release bakes",
            )


# Stack names end up in names AWS restricts: the database identifier `ecs-platform-<stack>`
# (RDS: letters, digits and hyphens, a letter first, no two hyphens in a row, no hyphen last:
# a stack name of that shape keeps the identifier so), the access-log bucket prefix
# `ecs-platform-<stack>-alb-logs-` (the provider's bucket_prefix limit), capacity provider and
# cluster names.
_STACK_NAME_MAX = min(
    aws_facts.S3_BUCKET_PREFIX_MAX_LENGTH - len(access_log_bucket_prefix("")),
    aws_facts.RDS_INSTANCE_IDENTIFIER_MAX_LENGTH - len(f"{PROJECT}-"),
)
_PRODUCTION_NAMES = re.compile(r"^(prod|production|prd|live)([-_.].*)?$")


def _stack_name_fits_aws_names(c: Candidate) -> Iterable[tuple[str, Any, str]]:
    if not aws_facts.RDS_INSTANCE_IDENTIFIER.match(c.stack) or len(c.stack) > _STACK_NAME_MAX:
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
        "bake-time",
        "a release bakes long enough for the rollback alarms",
        _bake_time_outlasts_the_alarms,
    ),
    Feasibility(
        "alarm-window",
        "an alarm's period times its evaluation periods fits CloudWatch's evaluation limit",
        _alarm_window_fits_cloudwatch,
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
