"""What AWS offers, as data with a dated source: settings check a stack against it before
anything is declared.

Nothing here is derived from this program. Each table names where it was read and when;
tests/test_aws_facts.py checks the tables against the copies of AWS's data shipped in the
development tools (botocore's endpoint data, cfn-lint's registry extensions), so a stale
entry shows up when those tools are upgraded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent

# Availability zones a new account can use per region: the AZ ids that offer EC2 instances,
# from EC2 DescribeInstanceTypeOfferings (--location-type availability-zone-id) as recorded in
# moto's moto/ec2/resources/instance_type_offerings/availability-zone-id/<region>.json, commit
# 34d6cad5abbb7b91c97578f3249b39a7e2df1ed5 (2026-08-02). Zones closed to new accounts
# (usw1-az2, apne1-az3) are not offered there, which matches what `aws ec2
# describe-availability-zones --filters Name=state,Values=available` returns to them.
AZ_SOURCE = "EC2 instance type offerings per AZ id, recorded 2026-08-02"
AZ_COUNT: dict[str, int] = {
    "af-south-1": 3,
    "ap-east-1": 3,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
    "ap-northeast-3": 3,
    "ap-south-1": 3,
    "ap-south-2": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "ap-southeast-3": 3,
    "ap-southeast-4": 3,
    "ap-southeast-5": 3,
    "ca-central-1": 3,
    "ca-west-1": 3,
    "eu-central-1": 3,
    "eu-central-2": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "eu-south-2": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "il-central-1": 3,
    "me-central-1": 3,
    "me-south-1": 3,
    "sa-east-1": 3,
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
}

# Regions of the `aws` partition that serve Amazon Managed Grafana: the `grafana` service's
# endpoints in botocore 1.44.8 data/endpoints.json (read 2026-11-29). Managed Service for
# Prometheus (`aps`) and WAFv2 are served in every region of AZ_COUNT.
GRAFANA_SOURCE = "botocore 1.44.8 endpoint data, read 2026-11-29"
GRAFANA_REGIONS = frozenset(
    {
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "us-east-1",
        "us-east-2",
        "us-west-2",
    }
)

# ELB: an Application Load Balancer needs subnets in at least two Availability Zones
# (CreateLoadBalancer, Subnets: "[Application Load Balancers] You must specify subnets from at
# least two Availability Zones"), each a /27 or larger with at least 8 free addresses
# (ELB User Guide, "Subnets for your load balancer").
ALB_MIN_AZS = 2
ALB_MAX_SUBNET_PREFIX = 27
# RDS: a DB subnet group must cover at least two Availability Zones (CreateDBSubnetGroup).
RDS_SUBNET_GROUP_MIN_AZS = 2
# VPC: AWS keeps the first four and the last address of every subnet (VPC User Guide,
# "Subnet CIDR blocks").
VPC_RESERVED_ADDRESSES_PER_SUBNET = 5

# RDS for PostgreSQL's default max_connections: LEAST({DBInstanceClassMemory/9531392}, 5000)
# (RDS User Guide, "Maximum number of database connections"). DBInstanceClassMemory is a little
# below the class's nominal memory, so the nominal figure gives an upper bound.
POSTGRES_BYTES_PER_CONNECTION = 9531392
POSTGRES_MAX_CONNECTIONS_CAP = 5000

# ECS: the container agent registers less memory than the instance's nominal size (kernel and
# platform overhead; AWS's m4.large example registers 7985 of 8192 MiB) and AWS recommends
# keeping about 5% for the agent and system processes (ECS Developer Guide, "Reserving Amazon
# ECS Linux container instance memory"; AWS Batch User Guide, "Reserve system memory").
ECS_INSTANCE_MEMORY_SHARE = 0.95
# ECS: one vCPU is 1024 CPU units (ECS Developer Guide, task definition parameters, cpu).
CPU_UNITS_PER_VCPU = 1024


# CloudWatch Logs: the values a log group's retention accepts, in days (CloudWatch Logs API
# Reference, PutRetentionPolicy, retentionInDays "Valid Values").
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

# ECS deployment strategies: the bounds of each field (ECS API Reference, DeploymentConfiguration:
# bakeTimeInMinutes 0-1440; CanaryConfiguration canaryPercent 0.1-100.0 and
# canaryBakeTimeInMinutes 0-1440; LinearConfiguration stepPercent 3.0-100.0 and
# stepBakeTimeInMinutes 0-1440; DeploymentLifecycleHook's timeout 1-20160 minutes), keyed by the
# program's own field names.
ECS_STRATEGY_BOUNDS: dict[str, tuple[float, float]] = {
    "bake_time_minutes": (0, 1440),
    "canary_percent": (0.1, 100),
    "canary_bake_time_minutes": (0, 1440),
    "linear_step_percent": (3, 100),
    "linear_step_bake_time_minutes": (0, 1440),
    "approval_timeout_minutes": (1, 20160),
}
# What ECS takes when a canary or linear configuration leaves a field out (ECS Developer
# Guide, "Amazon ECS canary deployments" and "Amazon ECS linear deployments").
DEFAULT_CANARY_PERCENT = 10.0
DEFAULT_CANARY_BAKE_MINUTES = 5
DEFAULT_LINEAR_STEP_PERCENT = 25.0
DEFAULT_LINEAR_STEP_BAKE_MINUTES = 2

@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type as DescribeInstanceTypes describes it."""

    name: str
    vcpus: int
    memory_mib: int
    architectures: tuple[str, ...]
    max_network_interfaces: int


@cache
def _instance_table() -> dict[str, InstanceType]:
    document = json.loads((_HERE / "ec2_instance_types.json").read_text())
    return {
        name: InstanceType(name, vcpus, memory, tuple(archs.split("/")), enis)
        for name, (vcpus, memory, archs, enis) in document["types"].items()
    }


def instance_type_source() -> str:
    """Where the instance type table comes from, and when it was recorded."""
    return str(json.loads((_HERE / "ec2_instance_types.json").read_text())["source"])


def instance_type(name: str) -> InstanceType | None:
    """The EC2 instance type `name` (e.g. t4g.small), or None when EC2 has no such type."""
    return _instance_table().get(name)


def rds_class_memory_mib(instance_class: str) -> int | None:
    """Nominal memory of an RDS instance class: RDS classes are EC2 sizes behind `db.`
    (db.t4g.micro is a t4g.micro), so the EC2 table answers; None when it does not know it."""
    if not instance_class.startswith("db."):
        return None
    found = instance_type(instance_class[3:])
    return found.memory_mib if found else None


def postgres_max_connections(instance_class: str) -> int | None:
    """Upper bound of RDS for PostgreSQL's default max_connections on `instance_class`."""
    memory = rds_class_memory_mib(instance_class)
    if memory is None:
        return None
    by_memory = memory * 1024 * 1024 // POSTGRES_BYTES_PER_CONNECTION
    return min(by_memory, POSTGRES_MAX_CONNECTIONS_CAP)


# AWS managed policies the program attaches, with the actions the AWS Managed Policy
# Reference lists for their current version (read 2026-11-29), and the page of each.
_MPR = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
MANAGED_POLICIES: dict[str, tuple[tuple[str, ...], str]] = {
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers": (
        (
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyRule",
        ),
        _MPR + "AmazonECSInfrastructureRolePolicyForLoadBalancers.html",
    ),
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": (
        (
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
        ),
        _MPR + "AmazonRDSEnhancedMonitoringRole.html",
    ),
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role": (
        (
            "ec2:DescribeTags",
            "ecs:CreateCluster",
            "ecs:DeregisterContainerInstance",
            "ecs:DiscoverPollEndpoint",
            "ecs:Poll",
            "ecs:RegisterContainerInstance",
            "ecs:StartTelemetrySession",
            "ecs:UpdateContainerInstancesState",
            "ecs:Submit*",
            "ecs:TagResource",
            "ecr:GetAuthorizationToken",
            "ecr:BatchCheckLayerAvailability",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ),
        _MPR + "AmazonEC2ContainerServiceforEC2Role.html",
    ),
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore": (
        (
            "ssm:DescribeAssociation",
            "ssm:GetDeployablePatchSnapshotForInstance",
            "ssm:GetDocument",
            "ssm:DescribeDocument",
            "ssm:GetManifest",
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:ListAssociations",
            "ssm:ListInstanceAssociations",
            "ssm:PutInventory",
            "ssm:PutComplianceItems",
            "ssm:PutConfigurePackageResult",
            "ssm:UpdateAssociationStatus",
            "ssm:UpdateInstanceAssociationStatus",
            "ssm:UpdateInstanceInformation",
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
            "ec2messages:AcknowledgeMessage",
            "ec2messages:DeleteMessage",
            "ec2messages:FailMessage",
            "ec2messages:GetEndpoint",
            "ec2messages:GetMessages",
            "ec2messages:SendReply",
        ),
        _MPR + "AmazonSSMManagedInstanceCore.html",
    ),
}
