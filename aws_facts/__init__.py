"""What AWS offers, as data with a dated source: settings check a stack against it before
anything is declared.

Nothing here is derived from this program. Each table names where it was read and when;
tests/test_aws_facts.py checks the tables against the copies of AWS's data shipped in the
development tools (botocore's endpoint data, cfn-lint's registry extensions), so a stale
entry shows up when those tools are upgraded.
"""

from __future__ import annotations

import json
import math
import re
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
# Reference, PutRetentionPolicy, retentionInDays: "Possible values are ..."; the same list is
# AWS::Logs::LogGroup RetentionInDays's enum in the CloudFormation registry).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
    2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

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
# stepBakeTimeInMinutes 0-1440; DeploymentLifecycleHookTimeoutConfiguration timeoutInMinutes
# 1-20160), keyed by the program's own field names.
ECS_STRATEGY_BOUNDS: dict[str, tuple[float, float]] = {
    "bake_time_minutes": (0, 1440),
    "canary_percent": (0.1, 100),
    "canary_bake_time_minutes": (0, 1440),
    "linear_step_percent": (3, 100),
    "linear_step_bake_time_minutes": (0, 1440),
    "approval_timeout_minutes": (1, 20160),
}
# Canary and linear shares are "multiples of 0.1" (the same API Reference pages).
ECS_TRAFFIC_PERCENT_STEP = 0.1
# What the program sends when a canary or linear setting is left out. These are the program's
# own choices, always sent explicitly: ECS's API defaults differ (CanaryConfiguration: 5.0
# percent and 10 minutes; LinearConfiguration: 10.0 percent and 6 minutes, per the ECS API
# Reference), and a small first share baked briefly suits a site whose alarms fire in minutes.
DEFAULT_CANARY_PERCENT = 10.0
DEFAULT_CANARY_BAKE_MINUTES = 5
DEFAULT_LINEAR_STEP_PERCENT = 25.0
DEFAULT_LINEAR_STEP_BAKE_MINUTES = 2


def linear_step_count(step_percent: float) -> int:
    """How many traffic shifts a LINEAR deployment makes: stepPercent at a time until all
    traffic is on the new version, the last step taking what is left (ECS Developer Guide,
    "Linear deployments"). A hair of tolerance keeps 100/33.3-style float noise from adding a
    step that ECS does not make."""
    return math.ceil(100 / step_percent - 1e-9)


# ---------------------------------------------------------------------------------------------
# Periods, intervals and lifetimes AWS allows.

# CloudWatch PutMetricAlarm, Period (CloudWatch API Reference): "Valid values are 10, 20, 30,
# and any multiple of 60"; 10, 20 and 30 only for high-resolution metrics (PutMetricData with
# a StorageResolution of 1), and "If you specify a period of 10, 20, or 30 for a metric that
# does not have sub-minute resolution, ... the alarm might often lapse into INSUFFICENT_DATA".
CLOUDWATCH_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
CLOUDWATCH_STANDARD_PERIOD_SECONDS = 60
# The same page: "An alarm's total current evaluation period can be no longer than seven days,
# so Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with
# a period of less than one hour (3,600 seconds), the total evaluation period can't be longer
# than one day (86,400 seconds)."
CLOUDWATCH_MAX_EVALUATION_SECONDS = 604_800
CLOUDWATCH_SHORT_PERIOD_SECONDS = 3_600
CLOUDWATCH_MAX_SHORT_PERIOD_EVALUATION_SECONDS = 86_400


def cloudwatch_max_evaluation_seconds(period_seconds: int) -> int:
    """The longest Period x EvaluationPeriods CloudWatch accepts for an alarm of this period."""
    if period_seconds < CLOUDWATCH_SHORT_PERIOD_SECONDS:
        return CLOUDWATCH_MAX_SHORT_PERIOD_EVALUATION_SECONDS
    return CLOUDWATCH_MAX_EVALUATION_SECONDS


# KMS ScheduleKeyDeletion, PendingWindowInDays (KMS API Reference): "it must be between 7 and
# 30, inclusive. If you do not include a value, it defaults to 30." (The service model's
# integer shape is looser, 1-365; the documented constraint is the one KMS enforces.)
KMS_DELETION_WINDOW_DAYS = (7, 30)
# Route 53 HealthCheckConfig, RequestInterval (Route 53 API Reference): 10 (fast) or 30
# (standard, the default) seconds; the service model bounds it to min 10, max 30.
ROUTE53_HEALTH_CHECK_INTERVALS = (10, 30)
# CloudWatch publishes the metrics of Route 53 health checks in US East (N. Virginia) only
# (Route 53 Developer Guide, "Monitoring health check status and getting notifications"), so
# an alarm on them lives there whatever the stack's region.
ROUTE53_HEALTH_CHECK_METRICS_REGION = "us-east-1"
# ACM renews a certificate it issued starting 60 days before it expires (ACM User Guide,
# "Managed certificate renewal"): fewer days left than that means renewal has not succeeded.
ACM_RENEWAL_START_DAYS = 60
# ACM publishes DaysToExpiry (namespace AWS/CertificateManager, dimension CertificateArn) once a
# day (ACM User Guide, "Supported CloudWatch metrics"): an alarm on it evaluates daily periods.
ACM_METRIC_PERIOD_SECONDS = 86_400
# Managed Grafana CreateWorkspaceServiceAccountToken, secondsToLive (Managed Grafana API
# Reference): 1 to 2592000 seconds, "up to 30 days in the future".
GRAFANA_TOKEN_MAX_SECONDS = 30 * 24 * 3600
# Managed Service for Prometheus: a workspace keeps samples 150 days unless configured
# otherwise, and a retention period is at most 1095 days (Managed Service for Prometheus
# User Guide, "Configure your workspace": "The maximum is 1095 days (three years)";
# UpdateWorkspaceConfiguration, retentionPeriodInDays: min 1).
PROMETHEUS_RETENTION_DAYS = (1, 1095)
PROMETHEUS_DEFAULT_RETENTION_DAYS = 150
# WAFv2 RateBasedStatement, Limit (WAFv2 API Reference; service model shape RateLimit): 10 to
# 2,000,000,000 requests per evaluation window.
WAF_RATE_LIMIT = (10, 2_000_000_000)

# ---------------------------------------------------------------------------------------------
# Names and values AWS restricts.

# VPC and subnet IPv4 blocks: "between a /16 netmask (65,536 IP addresses) and /28 netmask
# (16 IP addresses)" (VPC User Guide, "VPC CIDR blocks" and "Subnet CIDR blocks").
VPC_IPV4_PREFIX_LENGTHS = (16, 28)

# Region names: two letters, an optional partition marker (-gov, -iso, -isob, ...), a direction
# and a number, as the regionRegex of botocore's endpoint data describes the aws, aws-cn,
# aws-us-gov and aws-iso* partitions (endpoints.json, "partitions").
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")

# A DNS name as Route 53 and ACM take it: labels of 1-63 characters of letters, digits and
# hyphens, no hyphen first or last, at most 253 characters in all (RFC 1035 section 2.3.4; ACM
# API Reference, DomainNameString: max 253). The program writes names in lower case.
DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DNS_NAME_MAX_LENGTH = 253

# RDS CreateDBInstance, DBInstanceIdentifier (RDS API Reference): 1 to 63 letters, digits or
# hyphens, a letter first, no hyphen last and no two in a row (stored in lower case).
RDS_INSTANCE_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
RDS_INSTANCE_IDENTIFIER_MAX_LENGTH = 63
# RDS CreateDBInstance: BackupRetentionPeriod "a value from 0 to 35" (0 turns backups off);
# MonitoringInterval "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60"; AllocatedStorage for RDS
# for PostgreSQL on General Purpose (SSD) storage "an integer from 20 to 65536" GiB.
RDS_BACKUP_RETENTION_DAYS = (0, 35)
# RDS DeleteDBInstance, FinalDBSnapshotIdentifier (RDS API Reference; CreateDBSnapshot's
# DBSnapshotIdentifier says the same): 1 to 255 letters, digits or hyphens, a letter first,
# "Can't end with a hyphen or contain two consecutive hyphens".
RDS_SNAPSHOT_IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")
RDS_SNAPSHOT_IDENTIFIER_MAX_LENGTH = 255
# RDS instance classes: `db.` + an EC2-style family and generation with attributes + a size
# (RDS User Guide, "DB instance class types"), e.g. db.t4g.micro, db.r7g.2xlarge.
_SIZE = r"(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[0-9]+xl)?)"
RDS_INSTANCE_CLASS = re.compile(rf"^db\.[a-z]+[1-9][a-z0-9]*\.{_SIZE}$")
# RDS for PostgreSQL, CreateDBInstance DBName: 1 to 63 letters, digits or underscores, a letter
# first. The program writes names in lower case and holds the master user to the same form.
POSTGRES_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RDS_MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
RDS_GP_STORAGE_GIB = (20, 65536)

# ECS CreateCapacityProvider, name (ECS API Reference): up to 255 letters, digits, underscores
# and hyphens, and it "can't be prefixed with aws, ecs, or fargate".
CAPACITY_PROVIDER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
CAPACITY_PROVIDER_RESERVED_PREFIXES = ("aws", "ecs", "fargate")

# S3 bucket names are at most 63 characters (S3 User Guide, "General purpose bucket naming
# rules"); the AWS provider's `bucket_prefix` is therefore at most 37 characters, leaving room
# for the 26-character unique suffix it appends (pulumi_aws.s3.Bucket, bucket_prefix: "Must be
# lowercase and less than or equal to 37 characters in length").
S3_BUCKET_NAME_MAX_LENGTH = 63
S3_BUCKET_PREFIX_MAX_LENGTH = 37

# ELB target groups (ELB API Reference, CreateTargetGroup; the same bounds in the
# CloudFormation registry's AWS::ElasticLoadBalancingV2::TargetGroup): health check interval
# 5-300 s, timeout 2-120 s, healthy and unhealthy thresholds 2-10, path 1-1024 characters; the
# deregistration_delay.timeout_seconds attribute 0-3600 s (TargetGroupAttribute).
TARGET_GROUP_BOUNDS: dict[str, tuple[int, int]] = {
    "health_check_interval_seconds": (5, 300),
    "health_check_timeout_seconds": (2, 120),
    "healthy_threshold": (2, 10),
    "unhealthy_threshold": (2, 10),
    "deregistration_delay_seconds": (0, 3600),
}
TARGET_GROUP_HEALTH_CHECK_PATH_MAX_LENGTH = 1024

# Tags: a value is at most 256 letters, digits, spaces and _ . : / = + - @ (ECS API Reference,
# Tag; the Tagging AWS Resources User Guide gives the same set for every service).
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
TAG_VALUE_MAX_LENGTH = 256

# IAM paths: "/" alone, or "/" + printable ASCII + "/", at most 512 characters (IAM API
# Reference, pathType). The program takes the stricter form the IAM User Guide ("IAM
# identifiers") writes names in: segments of letters, digits and + = , . @ _ -.
IAM_PATH = re.compile(r"^/([A-Za-z0-9+=,.@_-]+/)*$")
IAM_PATH_MAX_LENGTH = 512


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


# AWS managed policies the program attaches, each named once here (components import the
# constant), with the actions the AWS Managed Policy Reference lists for their current version
# (read 2026-11-29), and the page of each. The ARNs are the Reference's own: two of them sit
# under service-role/, the other two have no path.
_MPR = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/"
ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
)
RDS_ENHANCED_MONITORING_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
)
ECS_CONTAINER_INSTANCE_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
)
SSM_MANAGED_INSTANCE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
MANAGED_POLICIES: dict[str, tuple[tuple[str, ...], str]] = {
    ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY: (
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
    RDS_ENHANCED_MONITORING_POLICY: (
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
    ECS_CONTAINER_INSTANCE_POLICY: (
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
    SSM_MANAGED_INSTANCE_POLICY: (
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
