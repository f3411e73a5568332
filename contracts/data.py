"""The checks' own reviewed data: exclusions, the release path, name rules, managed policies.

Every entry carries its one-line reason or its source. Nothing is excluded by default: an
action a contract lists and the deploy role lacks is reported unless it is named here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_facts
from contracts.evaluator import action_matches


@dataclass(frozen=True)
class Exclusion:
    """An action (pattern) a contract lists that the deploy role need not hold."""

    pattern: str
    reason: str
    sources: tuple[str, ...] = ()  # CFN types (or API citations) it applies to; () = all


_UNUSED = "a feature of the type the program does not configure"

EXCLUSIONS: tuple[Exclusion, ...] = (
    # CloudFormation-only or other-service integrations the schemas list for every caller.
    Exclusion(
        "lambda:*ProvisionedConcurrencyConfig",
        "scalable targets of Lambda only; the program scales an ECS service",
        ("AWS::ApplicationAutoScaling::ScalableTarget",),
    ),
    Exclusion(
        "application-autoscaling:*ScheduledAction",
        "scheduled scaling: " + _UNUSED,
        ("AWS::ApplicationAutoScaling::ScalableTarget",),
    ),
    Exclusion(
        "autoscaling:*LoadBalancer*",
        "the groups register no load balancer (ECS registers tasks)",
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:*TrafficSources",
        "the groups attach no traffic source",
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:*InstanceRefresh",
        "instance refresh: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:*NotificationConfiguration",
        "group notifications: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:*MetricsCollection",
        "group metrics collection: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:SuspendProcesses",
        "process suspension: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "autoscaling:ResumeProcesses",
        "process suspension: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "managed-fleets:*", "managed fleets: " + _UNUSED, ("AWS::AutoScaling::AutoScalingGroup",)
    ),
    Exclusion(
        "vpc-lattice:*",
        "VPC Lattice: " + _UNUSED,
        ("AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::VPCEndpoint"),
    ),
    Exclusion(
        "ssm:Get*",
        "launch templates hold a literal AMI id from the program's lookup, never resolve:ssm:",
        ("AWS::AutoScaling::AutoScalingGroup",),
    ),
    Exclusion(
        "aps:*QueryLoggingConfiguration",
        "query logging of the workspace: " + _UNUSED,
        ("AWS::APS::Workspace",),
    ),
    Exclusion(
        "acm-pca:*",
        "private CA certificates: the certificate is public, validated by DNS",
        ("AWS::CertificateManager::Certificate",),
    ),
    Exclusion(
        "acm:UpdateCertificateOptions",
        "certificate transparency options: " + _UNUSED,
        ("AWS::CertificateManager::Certificate",),
    ),
    Exclusion(
        "ec2:AcceptAddressTransfer",
        "Elastic IP transfer between accounts: " + _UNUSED,
        ("AWS::EC2::EIP",),
    ),
    Exclusion(
        "iam:CreateServiceLinkedRole",
        "flow logs to CloudWatch Logs use the role the program passes, no service-linked role",
        ("AWS::EC2::FlowLog",),
    ),
    Exclusion(
        "logs:*LogDelivery",
        "flow logs go to CloudWatch Logs with a role, not vended delivery to S3/Firehose",
        ("AWS::EC2::FlowLog",),
    ),
    Exclusion(
        "ssm:*Association*",
        "SSM associations (CloudFormation's SsmAssociations property): " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:*PrivateNatGatewayAddress",
        "private NAT gateways: the program's NAT gateways are public",
        ("AWS::EC2::NatGateway",),
    ),
    Exclusion(
        "ec2:AssignIpv6Addresses",
        "the NAT interfaces get no extra IPv6 address",
        ("AWS::EC2::NetworkInterface",),
    ),
    Exclusion(
        "ec2:UnassignIpv6Addresses",
        "the NAT interfaces get no extra IPv6 address",
        ("AWS::EC2::NetworkInterface",),
    ),
    Exclusion(
        "ec2:*PrivateIpAddresses",
        "the NAT interfaces get no secondary private address",
        ("AWS::EC2::NetworkInterface",),
    ),
    Exclusion(
        "vpce:AllowMultiRegion",
        "cross-region interface endpoints: " + _UNUSED,
        ("AWS::EC2::VPCEndpoint",),
    ),
    Exclusion(
        "cognito-idp:*",
        "listener authentication with Cognito: " + _UNUSED,
        ("AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"),
    ),
    Exclusion(
        "iam:DeleteRolePermissionsBoundary",
        "the program never removes a boundary; the deploy role denies it on purpose",
        ("AWS::IAM::Role",),
    ),
    Exclusion(
        "kms:DisableKey",
        "the program never disables its key (deletion is scheduled instead)",
        ("AWS::KMS::Key",),
    ),
    Exclusion(
        "kms:EnableKey",
        "the program never disables its key, so never re-enables it",
        ("AWS::KMS::Key",),
    ),
    Exclusion(
        "kms:DisableKeyRotation",
        "rotation is always on (enable_key_rotation=True)",
        ("AWS::KMS::Key",),
    ),
    Exclusion("firehose:*", "log delivery to Firehose: " + _UNUSED, ("AWS::Logs::LogGroup",)),
    Exclusion(
        "s3:REST.PUT.OBJECT",
        "not an IAM action (an S3 access-log operation name in the schema)",
        ("AWS::Logs::LogGroup",),
    ),
    Exclusion(
        "logs:*DataProtectionPolicy", "log data protection: " + _UNUSED, ("AWS::Logs::LogGroup",)
    ),
    Exclusion("logs:*IndexPolicy", "field index policies: " + _UNUSED, ("AWS::Logs::LogGroup",)),
    Exclusion(
        "logs:*ResourcePolicy", "the log groups carry no resource policy", ("AWS::Logs::LogGroup",)
    ),
    Exclusion(
        "logs:CreateLogDelivery",
        "vended delivery from a log group: " + _UNUSED,
        ("AWS::Logs::LogGroup",),
    ),
    Exclusion(
        "logs:PutBearerTokenAuthentication",
        "bearer-token ingestion: " + _UNUSED,
        ("AWS::Logs::LogGroup",),
    ),
    Exclusion(
        "logs:PutLogGroupDeletionProtection",
        "log-group deletion protection: " + _UNUSED,
        ("AWS::Logs::LogGroup",),
    ),
    Exclusion(
        "iam:ListRoles",
        "associated IAM roles of the instance: " + _UNUSED,
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion(
        "rds:*RoleToDBInstance",
        "associated IAM roles of the instance: " + _UNUSED,
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion(
        "rds:RemoveRoleFromDBInstance",
        "associated IAM roles of the instance: " + _UNUSED,
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion("rds:PromoteReadReplica", "read replicas: " + _UNUSED, ("AWS::RDS::DBInstance",)),
    Exclusion(
        "rds:RestoreDBInstance*",
        "restoring from a snapshot or a point in time: " + _UNUSED,
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion(
        "rds:*DBInstanceAutomatedBackupsReplication",
        "cross-region backup replication: " + _UNUSED,
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion(
        "route53-recovery-control-config:*",
        "routing-control health checks: " + _UNUSED,
        ("AWS::Route53::HealthCheck",),
    ),
    Exclusion(
        "route53:*VPC*HostedZone",
        "private hosted zones: the program's zone is public",
        ("AWS::Route53::HostedZone",),
    ),
    Exclusion(
        "route53:*QueryLoggingConfig",
        "DNS query logging: " + _UNUSED,
        ("AWS::Route53::HostedZone",),
    ),
    Exclusion(
        "route53:UpdateHostedZoneFeatures",
        "hosted-zone features: " + _UNUSED,
        ("AWS::Route53::HostedZone",),
    ),
    Exclusion("s3tables:*", "S3 Tables (metadata tables): " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:CreateBucketMetadata*", "S3 Metadata tables: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:UpdateBucketMetadata*", "S3 Metadata tables: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:DeleteBucketMetadata*", "S3 Metadata tables: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion(
        "s3:PutObjectAcl",
        "ACLs are disabled (BucketOwnerEnforced); CloudFormation's AccessControl only",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "sns:PutDataProtectionPolicy", "message data protection: " + _UNUSED, ("AWS::SNS::Topic",)
    ),
    Exclusion(
        "payments:*",
        "WAF paid marketplace rule groups: only AWS managed rule groups are used",
        ("AWS::WAFv2::WebACL",),
    ),
    Exclusion(
        "amplify:*",
        "web ACLs on Amplify apps: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "apigateway:*",
        "web ACLs on API Gateway: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "apprunner:*",
        "web ACLs on App Runner: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "appsync:*",
        "web ACLs on AppSync: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "bedrock-agentcore:*",
        "web ACLs on AgentCore gateways: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "cognito-idp:*WebACL*",
        "web ACLs on Cognito: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "wafv2:PutPermissionPolicy",
        "sharing rule groups across accounts: " + _UNUSED,
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "ec2:AttachVolume",
        "extra EBS volumes (CloudFormation's Volumes property): " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:DetachVolume",
        "extra EBS volumes (CloudFormation's Volumes property): " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:ModifyInstancePlacement",
        "placement groups, hosts and tenancy: " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:ModifyInstanceMaintenanceOptions",
        "instance auto-recovery options: " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:ModifyPrivateDnsNameOptions",
        "private DNS name options: " + _UNUSED,
        ("AWS::EC2::Instance",),
    ),
    Exclusion(
        "ec2:*VpnGateway",
        "virtual private gateways: the VPC attaches only its internet gateway",
        ("AWS::EC2::VPCGatewayAttachment",),
    ),
    Exclusion(
        "ec2:*NatGatewayAddress",
        "secondary NAT gateway addresses: " + _UNUSED,
        ("AWS::EC2::NatGateway",),
    ),
    Exclusion(
        "ec2:ModifyPublicIpDnsNameOptions",
        "public DNS name options of interfaces: " + _UNUSED,
        ("AWS::EC2::NetworkInterface",),
    ),
    Exclusion(
        "ec2:CreateVpcEncryptionControl", "VPC encryption controls: " + _UNUSED, ("AWS::EC2::VPC",)
    ),
    Exclusion(
        "ec2:ModifyVpcTenancy",
        "dedicated tenancy: the VPC keeps the default tenancy",
        ("AWS::EC2::VPC",),
    ),
    Exclusion(
        "ecs:PutAccountSetting*",
        "account-wide ECS settings are not the program's to change",
        ("AWS::ECS::Cluster",),
    ),
    Exclusion(
        "ec2:*VerifiedAccessInstanceWebAcl",
        "web ACLs on Verified Access: the ACL protects the load balancer",
        ("AWS::WAFv2::WebACLAssociation",),
    ),
    Exclusion(
        "s3:PutAnalyticsConfiguration",
        "storage-class analytics: separate provider resources the program does not declare",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutInventoryConfiguration",
        "S3 Inventory: separate provider resources the program does not declare",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutMetricsConfiguration",
        "request metrics: separate provider resources the program does not declare",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutIntelligentTieringConfiguration",
        "Intelligent-Tiering archive: separate provider resources the program does not declare",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutAccelerateConfiguration", "transfer acceleration: " + _UNUSED, ("AWS::S3::Bucket",)
    ),
    Exclusion("s3:PutBucketCORS", "CORS on the log bucket: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:DeleteBucketCors", "CORS on the log bucket: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:PutBucketWebsite", "website hosting: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:DeleteBucketWebsite", "website hosting: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:PutBucketReplication", "replication: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:PutReplicationConfiguration", "replication: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:DeleteBucketReplication", "replication: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:PutBucketNotification", "event notifications: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion("s3:Put*ObjectLockConfiguration", "Object Lock: " + _UNUSED, ("AWS::S3::Bucket",)),
    Exclusion(
        "s3:PutBucketLogging",
        "server access logging of the log bucket: " + _UNUSED,
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutBucketAcl",
        "ACLs are disabled (BucketOwnerEnforced): no ACL is written",
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "s3:PutBucketAbac",
        "attribute-based access control for the bucket: " + _UNUSED,
        ("AWS::S3::Bucket",),
    ),
    Exclusion(
        "rds:CreateDBInstanceReadReplica",
        "read replicas: the instance sets no replicate_source_db",
        ("AWS::RDS::DBInstance",),
    ),
    Exclusion(
        "ec2:CreateKeyPair",
        "the bastion's key pair imports the operator's public key (ImportKeyPair); AWS never "
        "generates one",
        ("AWS::EC2::KeyPair",),
    ),
    Exclusion(
        "ssm:*Parameter",
        "CloudFormation keeps a generated private key in Parameter Store; an imported public "
        "key has none",
        ("AWS::EC2::KeyPair",),
    ),
)


def excluded(action: str, source: str) -> bool:
    """Whether a reviewed exclusion covers `action` as listed by `source` (by its listed
    name or by the IAM action AWS authorizes it with)."""
    names = {action, IAM_ACTION_FOR.get(action, action)}
    return any(
        action_matches(e.pattern, name) and (not e.sources or source in e.sources)
        for e in EXCLUSIONS
        for name in names
    )


# Names some registry schemas list that are API operations, not IAM actions, with the IAM
# action AWS checks for them (Amazon S3 API Reference, each operation's "Permissions": e.g.
# DeleteBucketLifecycle "requires the s3:PutLifecycleConfiguration action").
IAM_ACTION_FOR: dict[str, str] = {
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketCors": "s3:PutBucketCORS",
    "s3:DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "s3:PutBucketReplication": "s3:PutReplicationConfiguration",
    "s3:DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "s3:DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "s3:PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
}


def iam_action(name: str) -> str:
    """The IAM action AWS authorizes a listed name with (the name itself when it is one)."""
    return IAM_ACTION_FOR.get(name, name)


# What the deploy workflow does besides `pulumi up`, each with why.
_COPY = (
    "the deploy workflow copies the released digest from stage's repository to prod's "
    "(.github/scripts/promote-image.sh; Amazon ECR User Guide, 'Private repository policies' "
    "lists the pull and push actions)"
)
_FOLLOW = (
    "following the ECS deployment to its end (Amazon ECS API Reference, "
    "ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions)"
)
RELEASE_PATH: dict[str, str] = {
    "ecr:GetAuthorizationToken": _COPY,
    "ecr:BatchGetImage": _COPY,
    "ecr:GetDownloadUrlForLayer": _COPY,
    "ecr:BatchCheckLayerAvailability": _COPY,
    "ecr:InitiateLayerUpload": _COPY,
    "ecr:UploadLayerPart": _COPY,
    "ecr:CompleteLayerUpload": _COPY,
    "ecr:PutImage": _COPY,
    "ecr:DescribeImages": "the workflow resolves the tag it releases to a digest",
    "ecs:ListServiceDeployments": _FOLLOW,
    "ecs:DescribeServiceDeployments": _FOLLOW,
    "ecs:DescribeServiceRevisions": _FOLLOW,
    "ecs:DescribeServices": _FOLLOW,
    "ecs:DescribeTasks": "the workflow reports why a task of a failed deployment stopped",
    "ecs:ListTasks": "the workflow reports why a task of a failed deployment stopped",
    "ecs:StopServiceDeployment": "rolling a release back by hand (docs/operations.md, 'Roll back')",
    "ecs:ContinueServiceDeployment": (
        "the deploy workflow continues the prod deployment its PAUSE hook holds after approval, "
        "or rolls it back (Amazon ECS API Reference, ContinueServiceDeployment)"
    ),
    "ssm:SendCommand": (
        "the deploy workflow smoke-tests the test listener from the bastion inside the VPC "
        "(.github/scripts/smoke-test-in-vpc.sh; AWS Systems Manager API Reference, SendCommand)"
    ),
    "ssm:GetCommandInvocation": (
        "the deploy workflow reads that smoke test's outcome (AWS Systems Manager API "
        "Reference, GetCommandInvocation)"
    ),
    "elasticloadbalancing:DescribeTargetHealth": "the smoke test waits for healthy targets",
}

# The state backend and the secrets provider (bootstrap_policies.state_access_statements).
STATE_ACTIONS: dict[str, str] = {
    "s3:ListBucket": "pulumi lists the stack's objects in the DIY backend",
    "s3:GetBucketLocation": "pulumi finds the state bucket's region",
    "s3:GetObject": "pulumi reads the stack's checkpoint",
    "s3:PutObject": "pulumi writes the checkpoint, history, backups and the lock",
    "s3:DeleteObject": "pulumi removes its lock and old backups",
    "kms:Decrypt": "awskms:// secrets provider and SSE-KMS state objects",
    "kms:Encrypt": "awskms:// secrets provider",
    "kms:GenerateDataKey": "SSE-KMS state objects and the secrets provider's data key",
    "kms:DescribeKey": "the secrets provider resolves the alias",
}

# Actions the deploy role may hold though no contract lists them, each with its reason.
REASONED_EXTRAS: dict[str, str] = {}

READ_WILDCARD_VERBS = ("Describe", "List", "Get")
READ_WILDCARD_REASON = (
    "a Describe*/List*/Get* wildcard of a service the program manages: the provider reads back "
    "more than the CloudFormation read handlers list (terraform-provider-aws reads attributes "
    "and tags with calls of its own), a read changes nothing, and a provider upgrade's new read "
    "must not fail a deploy; accepted only while every action it adds is of access level Read "
    "or List and none returns secret material (SENSITIVE_READS)"
)
SENSITIVE_READS: frozenset[str] = frozenset(
    a.lower()
    for a in (
        # Reads that return secret material: never granted through a wildcard.
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "wafv2:GetDecryptedAPIKey",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "kms:GetParametersForImport",
        "rds:DownloadDBLogFilePortion",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
        "ecr:GetAuthorizationToken",
    )
)


def reasoned_extra(action: str) -> bool:
    return any(action_matches(p, action) for p in REASONED_EXTRAS)


# parliament findings above low severity accepted with a reason:
# (origin substring, issue, substring of the finding's detail).
_TLS = (
    "s3:TlsVersion is a numeric key every S3 action carries (Amazon S3 User Guide, 'Enforcing "
    "TLS' example uses NumericLessThan 1.2); parliament's catalog lacks it"
)
_LOGS_KEY = (
    "the CloudWatch Logs key-policy statement as AWS documents it (CloudWatch Logs User Guide, "
    "'Encrypt log data using AWS KMS': ArnLike on kms:EncryptionContext:aws:logs:arn)"
)
_PER_TYPE = (
    "one statement allows the action on some of its resource types (the untagged image, "
    "interface, volume or default option group) and the tag-scoped statements the others: "
    "IAM evaluates each resource of the request (EC2 User Guide, 'Example: Work with "
    "RunInstances'); parliament expects every type in one statement"
)
LINT_EXCEPTIONS: dict[tuple[str, str, str], str] = {
    ("bootstrap: BucketPolicy", "MISMATCHED_TYPE", "s3:TlsVersion"): _TLS,
    ("bootstrap: BucketPolicy", "UNKNOWN_CONDITION_FOR_ACTION", "s3:TlsVersion"): _TLS,
    ("Key stack-key", "MISMATCHED_TYPE", "ArnLike"): _LOGS_KEY,
    ("Key stack-key", "UNKNOWN_CONDITION_FOR_ACTION", "kms:EncryptionContext:aws:logs:arn"): (
        _LOGS_KEY
    ),
    ("bootstrap: Policy", "INVALID_ARN", "Account expected"): (
        "arn:aws:iam::aws:policy/... names AWS managed policies, whose account field is 'aws'"
    ),
    ("bootstrap: Policy deploy-", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", "-alb-logs-*"): (
        "the program writes the access-log bucket's policy (ELB log delivery); the deploy role "
        "reaches only its own environment's alb-logs buckets, which hold access logs only"
    ),
    ("bootstrap: Policy deploy-", "RESOURCE_MISMATCH", "'ec2:RunInstances'"): _PER_TYPE,
    ("bootstrap: Policy deploy-", "RESOURCE_MISMATCH", "'rds:CreateDBInstance'"): _PER_TYPE,
    ("bootstrap: Policy deploy-", "RESOURCE_MISMATCH", "'rds:ModifyDBInstance'"): _PER_TYPE,
    ("bootstrap: Policy", "RESOURCE_MISMATCH", "'ssm:GetParameter'"): (
        "public parameters have no account in their ARN (arn:aws:ssm:<region>::parameter/aws/"
        "service/..., Systems Manager User Guide, 'Working with public parameters')"
    ),
}


def lint_excepted(origin: str, issue: str, detail: str) -> bool:
    return any(
        part in origin and issue == i and text in detail for (part, i, text) in LINT_EXCEPTIONS
    )


# AWS managed policies the program attaches and their actions: an AWS fact (aws_facts).
MANAGED_POLICIES = aws_facts.MANAGED_POLICIES


# --- names ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameRule:
    """Where a type's physical name lives and what AWS requires of it."""

    input_key: str
    cfn: tuple[str, str] | None
    unique_in_account: bool
    source: str


_UNIQUE = "names are unique per account and region"
NAME_RULES: dict[str, NameRule] = {
    # CreateAutoScalingGroup: "unique within the scope of your Amazon Web Services account"
    # (Amazon EC2 Auto Scaling API Reference).
    "aws:autoscaling/group:Group": NameRule(
        "name",
        ("AWS::AutoScaling::AutoScalingGroup", "AutoScalingGroupName"),
        True,
        "CreateAutoScalingGroup: " + _UNIQUE,
    ),
    # CreateCapacityProvider: up to 255 letters, numbers, underscores and hyphens; cannot be
    # prefixed with aws, ecs or fargate (Amazon ECS API Reference).
    "aws:ecs/capacityProvider:CapacityProvider": NameRule(
        "name", ("AWS::ECS::CapacityProvider", "Name"), True, "CreateCapacityProvider: " + _UNIQUE
    ),
    # CreateCluster: up to 255 letters, numbers, underscores and hyphens, unique per region.
    "aws:ecs/cluster:Cluster": NameRule(
        "name", ("AWS::ECS::Cluster", "ClusterName"), True, "CreateCluster: " + _UNIQUE
    ),
    # CreateLogGroup: unique within a region for an account (CloudWatch Logs API Reference).
    "aws:cloudwatch/logGroup:LogGroup": NameRule(
        "name", ("AWS::Logs::LogGroup", "LogGroupName"), True, "CreateLogGroup: " + _UNIQUE
    ),
    # CreateLoadBalancer / CreateTargetGroup: at most 32 characters, alphanumeric and hyphens,
    # not beginning or ending with a hyphen; a load balancer not beginning with internal-
    # (Elastic Load Balancing API Reference, version 2015-12-01); unique per region.
    "aws:lb/loadBalancer:LoadBalancer": NameRule(
        "name",
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"),
        True,
        "CreateLoadBalancer: " + _UNIQUE,
    ),
    "aws:lb/targetGroup:TargetGroup": NameRule(
        "name",
        ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name"),
        True,
        "CreateTargetGroup: " + _UNIQUE,
    ),
    "aws:kms/alias:Alias": NameRule(
        "name", ("AWS::KMS::Alias", "AliasName"), True, "CreateAlias: " + _UNIQUE
    ),
    "aws:rds/instance:Instance": NameRule(
        "identifier",
        ("AWS::RDS::DBInstance", "DBInstanceIdentifier"),
        True,
        "CreateDBInstance: " + _UNIQUE,
    ),
    "aws:rds/parameterGroup:ParameterGroup": NameRule(
        "name",
        ("AWS::RDS::DBParameterGroup", "DBParameterGroupName"),
        True,
        "CreateDBParameterGroup: " + _UNIQUE,
    ),
    "aws:rds/subnetGroup:SubnetGroup": NameRule(
        "name",
        ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName"),
        True,
        "CreateDBSubnetGroup: " + _UNIQUE,
    ),
    "aws:ecr/repository:Repository": NameRule(
        "name",
        ("AWS::ECR::Repository", "RepositoryName"),
        True,
        "CreateRepository: " + _UNIQUE,
    ),
    "aws:sns/topic:Topic": NameRule(
        "name", ("AWS::SNS::Topic", "TopicName"), True, "CreateTopic: " + _UNIQUE
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule(
        "name", ("AWS::CloudWatch::Alarm", "AlarmName"), True, "PutMetricAlarm: " + _UNIQUE
    ),
    "aws:cloudwatch/dashboard:Dashboard": NameRule(
        "dashboardName",
        ("AWS::CloudWatch::Dashboard", "DashboardName"),
        True,
        "PutDashboard: " + _UNIQUE,
    ),
    "aws:secretsmanager/secret:Secret": NameRule(
        "name", ("AWS::SecretsManager::Secret", "Name"), True, "CreateSecret: " + _UNIQUE
    ),
    "aws:wafv2/webAcl:WebAcl": NameRule(
        "name", ("AWS::WAFv2::WebACL", "Name"), True, "CreateWebACL: " + _UNIQUE + " and scope"
    ),
    "aws:grafana/workspace:Workspace": NameRule(
        "name", ("AWS::Grafana::Workspace", "Name"), False, "CreateWorkspace"
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": NameRule(
        "name",
        ("AWS::EC2::LaunchTemplate", "LaunchTemplateName"),
        True,
        "CreateLaunchTemplate: " + _UNIQUE,
    ),
    "aws:iam/role:Role": NameRule(
        "name", ("AWS::IAM::Role", "RoleName"), True, "CreateRole: names are unique per account"
    ),
    "aws:iam/instanceProfile:InstanceProfile": NameRule(
        "name",
        ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
        True,
        "CreateInstanceProfile: names are unique per account",
    ),
    "aws:iam/policy:Policy": NameRule(
        "name",
        ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
        True,
        "CreatePolicy: names are unique per account",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule(
        "family",
        ("AWS::ECS::TaskDefinition", "Family"),
        True,
        "RegisterTaskDefinition: a family is shared by every revision in the region",
    ),
}

# Types whose names are unique only inside a parent the stacks never share.
NAMES_SCOPED_TO_PARENT: dict[str, str] = {
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "unique within its workspace "
    "(Amazon Managed Service for Prometheus API Reference, CreateRuleGroupsNamespace)",
    "aws:ecs/service:Service": "unique within its cluster (Amazon ECS API Reference, CreateService)",
    "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": "unique within its workspace "
    "(Amazon Managed Grafana API Reference, CreateWorkspaceServiceAccount)",
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": "unique within its "
    "service account (CreateWorkspaceServiceAccountToken)",
}

_ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")


def api_name_problems(type_token: str, name: str) -> list[str]:
    """Rules from the API references that the CloudFormation schemas do not carry."""
    problems = []
    if type_token == "aws:ecs/capacityProvider:CapacityProvider":
        # CreateCapacityProvider: "The name can't be prefixed with "aws", "ecs", or "fargate""
        # (Amazon ECS API Reference).
        if name.lower().startswith(("aws", "ecs", "fargate")):
            problems.append("capacity provider names may not start with aws, ecs or fargate")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            problems.append("capacity provider names are 1-255 letters, digits, _ and -")
    if type_token in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
        if len(name) > 32:
            problems.append("load balancer and target group names are at most 32 characters")
        if not _ELB_NAME.match(name[:32]):
            problems.append(
                "load balancer and target group names are letters, digits and hyphens, "
                "not starting or ending with a hyphen"
            )
    if type_token == "aws:lb/loadBalancer:LoadBalancer" and name.startswith("internal-"):
        problems.append("load balancer names may not start with internal-")
    if type_token == "aws:ecs/cluster:Cluster" and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
        problems.append("cluster names are 1-255 letters, digits, _ and -")
    return problems
