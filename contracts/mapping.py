"""Which AWS contract covers each resource type the program declares.

Every Pulumi type maps explicitly to one of:
- `Cfn(...)`: CloudFormation registry types whose handlers do what the Pulumi resource does
  (a sub-resource of the bucket maps to AWS::S3::Bucket, whose handlers set that property);
- `Api(...)`: the API actions the resource calls, each from the AWS API reference cited;
- `Skip(...)`: the resource talks to something other than AWS, with the reason.
A type missing from TYPE_MAP is an error of the check, never silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cfn:
    """Covered by these CloudFormation types' create/read/update/delete handlers."""

    types: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Api:
    """Covered by these API actions; `source` cites the AWS API reference."""

    actions: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Skip:
    """Not an AWS API resource."""

    reason: str


Coverage = Cfn | Api | Skip

_GRAFANA_API = (
    "The Grafana provider calls the workspace's Grafana HTTP API with a service-account "
    "token, not an AWS API (Amazon Managed Grafana User Guide, 'Grafana HTTP APIs')"
)

TYPE_MAP: dict[str, Coverage] = {
    "aws:acm/certificate:Certificate": Cfn(("AWS::CertificateManager::Certificate",)),
    # Waits until the certificate is ISSUED: it only reads the certificate.
    "aws:acm/certificateValidation:CertificateValidation": Api(
        ("acm:DescribeCertificate",),
        "https://docs.aws.amazon.com/acm/latest/APIReference/API_DescribeCertificate.html",
    ),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": Cfn(
        ("AWS::APS::Workspace",), "the Workspace's AlertManagerDefinition property"
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": Cfn(("AWS::APS::RuleGroupsNamespace",)),
    "aws:amp/workspace:Workspace": Cfn(("AWS::APS::Workspace",)),
    "aws:amp/workspaceConfiguration:WorkspaceConfiguration": Cfn(
        ("AWS::APS::Workspace",), "the Workspace's WorkspaceConfiguration property"
    ),
    "aws:appautoscaling/policy:Policy": Cfn(("AWS::ApplicationAutoScaling::ScalingPolicy",)),
    "aws:appautoscaling/target:Target": Cfn(("AWS::ApplicationAutoScaling::ScalableTarget",)),
    "aws:autoscaling/group:Group": Cfn(("AWS::AutoScaling::AutoScalingGroup",)),
    "aws:cloudwatch/dashboard:Dashboard": Cfn(("AWS::CloudWatch::Dashboard",)),
    "aws:cloudwatch/logGroup:LogGroup": Cfn(("AWS::Logs::LogGroup",)),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Cfn(("AWS::CloudWatch::Alarm",)),
    # Adopts the VPC's default group and rewrites its rules: the SecurityGroup handlers'
    # rule and tag calls.
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Cfn(("AWS::EC2::SecurityGroup",)),
    "aws:ec2/eip:Eip": Cfn(("AWS::EC2::EIP",)),
    "aws:ec2/flowLog:FlowLog": Cfn(("AWS::EC2::FlowLog",)),
    "aws:ec2/instance:Instance": Cfn(("AWS::EC2::Instance",)),
    "aws:ec2/keyPair:KeyPair": Cfn(("AWS::EC2::KeyPair",)),
    # With vpc_id set, the gateway is also attached to the VPC.
    "aws:ec2/internetGateway:InternetGateway": Cfn(
        ("AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment")
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": Cfn(("AWS::EC2::LaunchTemplate",)),
    "aws:ec2/natGateway:NatGateway": Cfn(("AWS::EC2::NatGateway",)),
    "aws:ec2/networkInterface:NetworkInterface": Cfn(("AWS::EC2::NetworkInterface",)),
    "aws:ec2/route:Route": Cfn(("AWS::EC2::Route",)),
    "aws:ec2/routeTable:RouteTable": Cfn(("AWS::EC2::RouteTable",)),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Cfn(
        ("AWS::EC2::SubnetRouteTableAssociation",)
    ),
    "aws:ec2/securityGroup:SecurityGroup": Cfn(("AWS::EC2::SecurityGroup",)),
    "aws:ec2/subnet:Subnet": Cfn(("AWS::EC2::Subnet",)),
    "aws:ec2/vpc:Vpc": Cfn(("AWS::EC2::VPC",)),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Cfn(("AWS::EC2::VPCEndpoint",)),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Cfn(
        ("AWS::ECR::Repository",), "the Repository's LifecyclePolicy property"
    ),
    "aws:ecr/repository:Repository": Cfn(("AWS::ECR::Repository",)),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Cfn(
        ("AWS::ECR::Repository",), "the Repository's RepositoryPolicyText property"
    ),
    "aws:ecs/capacityProvider:CapacityProvider": Cfn(("AWS::ECS::CapacityProvider",)),
    "aws:ecs/cluster:Cluster": Cfn(("AWS::ECS::Cluster",)),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": Cfn(
        ("AWS::ECS::ClusterCapacityProviderAssociations",)
    ),
    "aws:ecs/service:Service": Cfn(("AWS::ECS::Service",)),
    "aws:ecs/taskDefinition:TaskDefinition": Cfn(("AWS::ECS::TaskDefinition",)),
    "aws:grafana/workspace:Workspace": Cfn(("AWS::Grafana::Workspace",)),
    "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": Api(
        (
            "grafana:CreateWorkspaceServiceAccount",
            "grafana:ListWorkspaceServiceAccounts",
            "grafana:DeleteWorkspaceServiceAccount",
        ),
        "https://docs.aws.amazon.com/grafana/latest/APIReference/API_CreateWorkspaceServiceAccount.html"
        " (and ListWorkspaceServiceAccounts, DeleteWorkspaceServiceAccount)",
    ),
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": Api(
        (
            "grafana:CreateWorkspaceServiceAccountToken",
            "grafana:ListWorkspaceServiceAccountTokens",
            "grafana:DeleteWorkspaceServiceAccountToken",
        ),
        "https://docs.aws.amazon.com/grafana/latest/APIReference/API_CreateWorkspaceServiceAccountToken.html"
        " (and ListWorkspaceServiceAccountTokens, DeleteWorkspaceServiceAccountToken)",
    ),
    "aws:iam/instanceProfile:InstanceProfile": Cfn(("AWS::IAM::InstanceProfile",)),
    "aws:iam/policy:Policy": Cfn(("AWS::IAM::ManagedPolicy",)),
    "aws:iam/role:Role": Cfn(("AWS::IAM::Role",)),
    "aws:iam/rolePolicy:RolePolicy": Cfn(("AWS::IAM::RolePolicy",)),
    # Attaching a managed policy is the Role handlers' ManagedPolicyArns.
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Cfn(
        ("AWS::IAM::Role",), "the Role's ManagedPolicyArns property"
    ),
    "aws:kms/alias:Alias": Cfn(("AWS::KMS::Alias",)),
    "aws:kms/key:Key": Cfn(("AWS::KMS::Key",)),
    "aws:lb/listener:Listener": Cfn(("AWS::ElasticLoadBalancingV2::Listener",)),
    "aws:lb/listenerRule:ListenerRule": Cfn(("AWS::ElasticLoadBalancingV2::ListenerRule",)),
    "aws:lb/loadBalancer:LoadBalancer": Cfn(("AWS::ElasticLoadBalancingV2::LoadBalancer",)),
    "aws:lb/targetGroup:TargetGroup": Cfn(("AWS::ElasticLoadBalancingV2::TargetGroup",)),
    "aws:rds/instance:Instance": Cfn(("AWS::RDS::DBInstance",)),
    "aws:rds/parameterGroup:ParameterGroup": Cfn(("AWS::RDS::DBParameterGroup",)),
    "aws:rds/subnetGroup:SubnetGroup": Cfn(("AWS::RDS::DBSubnetGroup",)),
    "aws:route53/healthCheck:HealthCheck": Cfn(("AWS::Route53::HealthCheck",)),
    "aws:route53/record:Record": Cfn(("AWS::Route53::RecordSet",)),
    "aws:route53/zone:Zone": Cfn(("AWS::Route53::HostedZone",)),
    "aws:s3/bucket:Bucket": Cfn(("AWS::S3::Bucket",)),
    "aws:s3/bucketV2:BucketV2": Cfn(("AWS::S3::Bucket",)),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Cfn(
        ("AWS::S3::Bucket",), "the Bucket's LifecycleConfiguration property"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Cfn(
        ("AWS::S3::Bucket",), "the Bucket's OwnershipControls property"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Cfn(
        ("AWS::S3::Bucket",), "the Bucket's PublicAccessBlockConfiguration property"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Cfn(
        ("AWS::S3::Bucket",), "the Bucket's BucketEncryption property"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Cfn(
        ("AWS::S3::Bucket",), "the Bucket's VersioningConfiguration property"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": Cfn(("AWS::S3::BucketPolicy",)),
    "aws:secretsmanager/secret:Secret": Cfn(("AWS::SecretsManager::Secret",)),
    # A version is written with PutSecretValue, read back with GetSecretValue, and retired
    # by moving its staging label (UpdateSecretVersionStage).
    "aws:secretsmanager/secretVersion:SecretVersion": Api(
        (
            "secretsmanager:PutSecretValue",
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:UpdateSecretVersionStage",
        ),
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html"
        " (and GetSecretValue, DescribeSecret, UpdateSecretVersionStage)",
    ),
    "aws:sns/topic:Topic": Cfn(("AWS::SNS::Topic",)),
    "aws:sns/topicPolicy:TopicPolicy": Cfn(("AWS::SNS::TopicPolicy",)),
    "aws:sns/topicSubscription:TopicSubscription": Cfn(("AWS::SNS::Subscription",)),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Cfn(
        ("AWS::EC2::SecurityGroupEgress",)
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Cfn(
        ("AWS::EC2::SecurityGroupIngress",)
    ),
    "aws:wafv2/webAcl:WebAcl": Cfn(("AWS::WAFv2::WebACL",)),
    "aws:wafv2/webAclAssociation:WebAclAssociation": Cfn(("AWS::WAFv2::WebACLAssociation",)),
    # The image is built locally and pushed to the stack's repository with the registry
    # token ("Pushing a Docker image", Amazon ECR User Guide: the push permissions).
    "docker:index/image:Image": Api(
        (
            "ecr:GetAuthorizationToken",
            "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
            "ecr:BatchGetImage",
        ),
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html",
    ),
    "grafana:oss/dashboard:Dashboard": Skip(_GRAFANA_API),
    "grafana:oss/dataSource:DataSource": Skip(_GRAFANA_API),
    "grafana:oss/folder:Folder": Skip(_GRAFANA_API),
}


@dataclass(frozen=True)
class ProviderCalls:
    """Calls the Pulumi AWS provider (built on the Terraform AWS provider) makes beyond what
    the CloudFormation handlers list; `when` names an input that must be set for them."""

    actions: tuple[str, ...]
    source: str
    when: str = ""


_TF = "hashicorp/terraform-provider-aws internal/service/"
PROVIDER_CALLS: dict[str, tuple[ProviderCalls, ...]] = {
    # The NAT instances attach their interface at boot; on delete the provider detaches an
    # attached interface before deleting it.
    "aws:ec2/networkInterface:NetworkInterface": (
        ProviderCalls(
            ("ec2:DetachNetworkInterface",),
            _TF + "ec2/vpc_network_interface.go, resourceNetworkInterfaceDelete",
        ),
    ),
    # Deleting a role first removes it from every instance profile that holds it.
    "aws:iam/role:Role": (
        ProviderCalls(
            ("iam:ListInstanceProfilesForRole", "iam:RemoveRoleFromInstanceProfile"),
            _TF + "iam/role.go, deleteRoleInstanceProfiles",
        ),
    ),
    # An instance profile's tags are updated in place.
    "aws:iam/instanceProfile:InstanceProfile": (
        ProviderCalls(
            ("iam:TagInstanceProfile", "iam:UntagInstanceProfile"),
            _TF + "iam/tags.go, instanceProfileUpdateTags",
        ),
    ),
    # Changing network.ipv6 swaps the VPC's Amazon-provided IPv6 block in place.
    "aws:ec2/vpc:Vpc": (
        ProviderCalls(
            ("ec2:AssociateVpcCidrBlock", "ec2:DisassociateVpcCidrBlock"),
            _TF + "ec2/vpc_.go, modifyVPCIPv6CIDRBlockAssociation",
        ),
    ),
    # A changed rule is modified in place, not revoked and re-authorized.
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        ProviderCalls(
            ("ec2:ModifySecurityGroupRules",),
            _TF + "ec2/vpc_security_group_ingress_rule.go, Update",
        ),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        ProviderCalls(
            ("ec2:ModifySecurityGroupRules",),
            _TF + "ec2/vpc_security_group_egress_rule.go, Update",
        ),
    ),
    "aws:s3/bucket:Bucket": (
        # Every read fills the bucket's legacy inline attributes; only "not implemented"
        # answers are tolerated, AccessDenied fails the refresh.
        ProviderCalls(
            (
                "s3:GetBucketPolicy",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketVersioning",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketLogging",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketObjectLockConfiguration",
            ),
            _TF + "s3/bucket.go, resourceBucketRead",
        ),
        # force_destroy empties every object version before DeleteBucket.
        ProviderCalls(
            ("s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"),
            _TF + "s3/bucket.go, resourceBucketDelete (force_destroy)",
            when="forceDestroy",
        ),
    ),
}

# Lookups (invokes) the program makes during every preview and update. sts:GetCallerIdentity
# needs no permission ("GetCallerIdentity", AWS STS API Reference); elb.getServiceAccount is a
# table inside the provider.
LOOKUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws.get_availability_zones": (
        ("ec2:DescribeAvailabilityZones",),
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html",
    ),
    "aws.ssm.get_parameter (public AMI ids under /aws/service/)": (
        ("ssm:GetParameter",),
        "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html",
    ),
    "aws.route53.get_zone": (
        ("route53:ListHostedZones", "route53:GetHostedZone", "route53:ListTagsForResource"),
        "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZones.html",
    ),
    "aws.ecr.get_authorization_token": (
        ("ecr:GetAuthorizationToken",),
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html",
    ),
    # The image the service runs, kept when a deployment gives no release (components/registry.py
    # running_release): the service's task definition, then that task definition's container.
    "aws.ecs.get_service (the running release)": (
        ("ecs:DescribeServices",),
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html",
    ),
    "aws.ecs.get_container_definition (the running release)": (
        ("ecs:DescribeTaskDefinition",),
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html",
    ),
}


def is_component(type_token: str, custom: bool) -> bool:
    """Components and providers have no API of their own."""
    return not custom or type_token.startswith("pulumi:providers:") or ":" not in type_token


def coverage(type_token: str) -> Coverage | None:
    return TYPE_MAP.get(type_token)
