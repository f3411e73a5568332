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
