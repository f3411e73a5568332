"""BlueGreen: the internet-facing load balancer, its two target groups and the listener rules
ECS moves traffic with, plus the deployment configuration of the service behind it.

Production traffic reaches the service through one listener *rule* (not the listener's
default action) that forwards to the blue and green target groups with weights; a second
rule on the test listener does the same for test traffic. During a deployment ECS rewrites
those weights itself, so Pulumi ignores the rules' actions after creating them: the next
`pulumi up` must not move traffic back.

Those two forward rules are the only rules on their listeners. ECS's guide to Application
Load Balancer resources for blue/green deployments lists as a limitation that a deployment
fails when the listener rules mix forward and non-forward actions (redirect, fixed-response,
authenticate): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html
So nothing is hidden from the internet by a rule: the website serves its Prometheus metrics
on a port of its own that no target group reaches (EcsService, METRICS_PORT).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from aws_facts import ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY, WAF_RATE_LIMIT
from components.iam import assume_role_policy, document, statement
from components.network import Subnets
from settings import DeploymentSettings

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
ACCESS_LOG_PREFIX = "alb"
# ECS's name of each strategy settings offer.
ECS_STRATEGY: dict[str, str] = {
    "rolling": "ROLLING",
    "blue-green": "BLUE_GREEN",
    "canary": "CANARY",
    "linear": "LINEAR",
}
# The last stage before production traffic moves that a PAUSE hook may use (PAUSE hooks
# cannot sit on the traffic-shift stages themselves).
APPROVAL_STAGE = "POST_TEST_TRAFFIC_SHIFT"
# Priority of the one rule on each listener: the rule ECS moves traffic with.
ECS_RULE_PRIORITY = 10


def deployment_configuration(
    config: DeploymentSettings,
) -> aws.ecs.ServiceDeploymentConfigurationArgsDict:
    """The service's `deployment_configuration` for the stack's deployment settings, as plain
    data. Settings have checked every value against ECS's bounds, and resolved a canary or
    linear field the stack leaves out to the program's own default (`traffic_shift`; those
    defaults are the program's choices, sent explicitly, not ECS's)."""
    out: aws.ecs.ServiceDeploymentConfigurationArgsDict = {
        "strategy": ECS_STRATEGY[config.strategy]
    }
    if config.strategy == "rolling":
        return out
    # The provider takes minutes as strings.
    out["bake_time_in_minutes"] = str(config.bake_time_minutes)
    shift = config.traffic_shift
    if config.strategy == "canary" and shift is not None:
        out["canary_configuration"] = {
            "canary_percent": shift.percent,
            "canary_bake_time_in_minutes": str(shift.bake_minutes),
        }
    if config.strategy == "linear" and shift is not None:
        out["linear_configuration"] = {
            "step_percent": shift.percent,
            "step_bake_time_in_minutes": str(shift.bake_minutes),
        }
    if config.approval_gate:
        out["lifecycle_hooks"] = [
            {
                "target_type": "PAUSE",
                "lifecycle_stages": [APPROVAL_STAGE],
                "timeout_configuration": {
                    "timeout_in_minutes": str(config.approval_timeout_minutes),
                    "action": "ROLLBACK",
                },
            }
        ]
    return out


def forward_action(
    blue_arn: pulumi.Input[str], green_arn: pulumi.Input[str]
) -> list[aws.lb.ListenerRuleActionArgsDict]:
    """A rule's only action: forward, all weight on blue; ECS moves the weights later."""
    return [
        {
            "type": "forward",
            "forward": {
                "target_groups": [
                    {"arn": blue_arn, "weight": 100},
                    {"arn": green_arn, "weight": 0},
                ]
            },
        }
    ]


def not_found_action() -> list[aws.lb.ListenerDefaultActionArgsDict]:
    """Default action of a listener: what no rule matches gets a plain 404 (nothing does: the
    ECS rule matches /*). ECS shifts traffic by rewriting the listener rules it is given
    (advanced_configuration.production_listener_rule / test_listener_rule), not this action.
    The ELB guide calls the default action the listener's "default rule"; ECS's limitation
    names mixed forward and non-forward *rules* and does not say whether the default counts,
    so this stays the one non-forward action on ECS's listeners."""
    return [
        {
            "type": "fixed-response",
            "fixed_response": {
                "content_type": "text/plain",
                "message_body": "Not found",
                "status_code": "404",
            },
        }
    ]


@dataclass(frozen=True)
class BlueGreenArgs:
    """Where the load balancer sits, how targets are checked and how releases move traffic."""

    network: Subnets
    """The VPC: the load balancer spans its public subnets, one per AZ."""
    container_port: int
    """Port the tasks listen on (the target groups' port): the service's container port."""
    dualstack: bool
    """Answer over IPv6 too (the public subnets must have IPv6 blocks): the network's ipv6."""
    access_log_bucket_prefix: str
    """Name prefix of the access-log bucket (the CI deploy roles manage buckets named so):
    the stack's `access_log_bucket_prefix`."""
    config: DeploymentSettings = field(default_factory=DeploymentSettings)
    """How a release moves traffic (strategy, bakes, approval gate), how targets are checked,
    the test listener's port and operators' ranges, WAF, deletion protection and the plain
    HTTP opt-in: the stack's deployment settings."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the site; None serves plain HTTP and needs
    config.insecure_allow_plain_http."""
    test_listener_nat_ips: Sequence[pulumi.Input[str]] = ()
    """Public addresses of the VPC's NAT, each admitted on the test listener as a /32: the
    load balancer is internet-facing, so a client inside the VPC (the release's smoke test)
    reaches it from these, not from a VPC address. None by default."""
    waf_rate_limit: int = 2000
    """WAF: requests per 5 minutes one IP may send before it is blocked."""
    desync_mitigation_mode: Literal["defensive", "strictest"] = "defensive"
    """How the load balancer treats requests that may cause HTTP desync."""
    access_log_retention_days: int = 90
    """Days access logs are kept in their bucket."""

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None

    def __post_init__(self) -> None:
        # The strategy, its bounds, ports, health-check timings and the operators' ranges are
        # the stack's settings, checked there; here only what code could get wrong.
        problems = []
        plain_http = self.config.insecure_allow_plain_http
        if self.certificate_arn is None and not plain_http:
            problems.append(
                "certificate_arn is required; to serve plain HTTP set insecure_allow_plain_http"
            )
        if self.certificate_arn is not None and plain_http:
            problems.append("insecure_allow_plain_http must be False when a certificate is given")
        low, high = WAF_RATE_LIMIT
        if not low <= self.waf_rate_limit <= high:
            problems.append(f"waf_rate_limit is {self.waf_rate_limit}, allowed: {low} to {high}")
        if self.desync_mitigation_mode not in ("defensive", "strictest"):
            problems.append("desync_mitigation_mode must be defensive or strictest")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class LoadBalancerOffer:
    """What the load balancer offers the service behind it: the security group the tasks
    admit, the service's load balancer entries and deployment configuration, the CloudWatch
    dimensions request-based scaling and alarms use, and the alias target of the site's name."""

    security_group_id: pulumi.Input[str]
    """Security group of the load balancer: the only source the tasks admit."""
    load_balancers: Sequence[aws.ecs.ServiceLoadBalancerArgsDict]
    """The service's `load_balancers` (see `BlueGreen.service_load_balancers`): applied when
    the service is created, ECS owns which target group is primary afterwards."""
    deployment_configuration: aws.ecs.ServiceDeploymentConfigurationArgsDict
    """The service's deployment configuration for the strategy."""
    arn_suffix: pulumi.Input[str]
    """app/<name>/<id> of the load balancer (CloudWatch LoadBalancer dimension)."""
    target_group_arn_suffixes: Sequence[pulumi.Input[str]]
    """targetgroup/<name>/<id> of blue and green, in that order."""
    dns_name: pulumi.Input[str]
    """DNS name of the load balancer (the target of the site's alias records)."""
    zone_id: pulumi.Input[str]
    """Hosted zone of the load balancer's DNS name."""
    dualstack: bool
    """The load balancer answers over IPv6 too (an AAAA alias may point at it)."""


class BlueGreen(pulumi.ComponentResource):
    """Load balancer, listeners, blue and green target groups, the rules ECS shifts, WAF."""

    load_balancer_arn: pulumi.Output[str]
    """ARN of the load balancer."""
    load_balancer_arn_suffix: pulumi.Output[str]
    """app/<name>/<id>: the CloudWatch LoadBalancer dimension."""
    dns_name: pulumi.Output[str]
    """DNS name of the load balancer."""
    zone_id: pulumi.Output[str]
    """Hosted zone of the load balancer's DNS name (for alias records)."""
    security_group_id: pulumi.Output[str]
    """Security group of the load balancer: the only one open to the internet."""
    blue_target_group_arn: pulumi.Output[str]
    """Target group production traffic starts on."""
    green_target_group_arn: pulumi.Output[str]
    """The alternate target group a release is started in."""
    target_group_arn_suffixes: list[pulumi.Output[str]]
    """targetgroup/<name>/<id> of blue and green, in that order (CloudWatch dimension)."""
    production_rule_arn: pulumi.Output[str]
    """Listener rule that carries production traffic."""
    test_rule_arn: pulumi.Output[str]
    """Listener rule that carries test traffic."""
    infrastructure_role_arn: pulumi.Output[str]
    """Role ECS uses to rewrite the rules and target groups during a deployment; resolves only
    once its managed policy is attached, so a service given it waits for the attachment."""
    deployment_configuration: aws.ecs.ServiceDeploymentConfigurationArgsDict
    """The service's deployment configuration for the strategy, as plain data."""
    web_acl_arn: pulumi.Output[str] | None
    """WAF web ACL on the load balancer; None when WAF is off."""
    access_log_bucket: pulumi.Output[str]
    """Bucket the access logs are written to."""

    def __init__(self, name: str, args: BlueGreenArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:bluegreen:BlueGreen", name, None, opts)
        self._name = name
        self._args = args
        child = ResourceOptions(parent=self)

        # Security group ----------------------------------------------------------------
        self._sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.network.vpc_id,
            description="Load balancer: HTTP(S) from the internet, test port from listed ranges",
            tags={"Name": f"{name}-alb"},
            opts=child,
        )
        public_ports = (80, 443) if args.https else (80,)
        internet = (
            (("", "0.0.0.0/0"), ("ipv6-", "::/0")) if args.dualstack else (("", "0.0.0.0/0"),)
        )
        for (family, everyone), port in itertools.product(internet, public_ports):
            ipv6 = ":" in everyone
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-internet-{family}{port}",
                security_group_id=self._sg.id,
                cidr_ipv4=None if ipv6 else everyone,
                cidr_ipv6=everyone if ipv6 else None,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=(
                    "HTTPS from the internet"
                    if port == 443
                    else "HTTP from the internet (redirected to HTTPS)"
                    if args.https
                    else "INSECURE plain HTTP from the internet (no domain)"
                ),
                opts=child,
            )
        # An internet-facing load balancer sees a client inside the VPC arrive from the NAT's
        # public address (Elastic Load Balancing User Guide, "Security groups for your
        # Application Load Balancer"; the VPC's range would admit nobody), so the test
        # listener admits the NAT's addresses and the operators' ranges only.
        for i, ip in enumerate(args.test_listener_nat_ips):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-test-nat-{i}",
                security_group_id=self._sg.id,
                cidr_ipv4=pulumi.Output.from_input(ip).apply(lambda a: f"{a}/32"),
                ip_protocol="tcp",
                from_port=args.config.test_listener_port,
                to_port=args.config.test_listener_port,
                description=f"Test listener from the VPC's NAT {i}",
                opts=child,
            )
        for i, cidr in enumerate(args.config.test_listener_cidrs):
            ipv6 = ":" in cidr
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-test-{i}",
                security_group_id=self._sg.id,
                cidr_ipv4=None if ipv6 else cidr,
                cidr_ipv6=cidr if ipv6 else None,
                ip_protocol="tcp",
                from_port=args.config.test_listener_port,
                to_port=args.config.test_listener_port,
                description=f"Test listener from {cidr}",
                opts=child,
            )

        # Access logs -----------------------------------------------------------------------
        bucket = self._access_log_bucket(name, args, child)

        # Load balancer ---------------------------------------------------------------------
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="dualstack" if args.dualstack else "ipv4",
            security_groups=[self._sg.id],
            subnets=args.network.public,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=args.desync_mitigation_mode,
            enable_deletion_protection=args.config.load_balancer_deletion_protection,
            enable_http2=True,
            idle_timeout=60,
            access_logs={"bucket": bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            tags={"Name": f"{name}-alb"},
            # The load balancer checks that it may write to the bucket when logs are turned on.
            opts=ResourceOptions(parent=self, depends_on=[self._bucket_policy]),
        )

        # Target groups ---------------------------------------------------------------------
        groups = {
            color: aws.lb.TargetGroup(
                f"{name}-{color}",
                target_type="ip",
                port=args.container_port,
                protocol="HTTP",
                protocol_version="HTTP1",
                vpc_id=args.network.vpc_id,
                deregistration_delay=args.config.deregistration_delay_seconds,
                load_balancing_algorithm_type="least_outstanding_requests",
                health_check={
                    "enabled": True,
                    "path": args.config.health_check_path,
                    "port": "traffic-port",
                    "protocol": "HTTP",
                    "matcher": "200",
                    "interval": args.config.health_check_interval_seconds,
                    "timeout": args.config.health_check_timeout_seconds,
                    "healthy_threshold": args.config.healthy_threshold,
                    "unhealthy_threshold": args.config.unhealthy_threshold,
                },
                tags={"Name": f"{name}-{color}"},
                opts=child,
            )
            for color in ("blue", "green")
        }
        blue, green = groups["blue"], groups["green"]

        # Listeners and rules ---------------------------------------------------------------
        if args.https:
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {
                            "port": "443",
                            "protocol": "HTTPS",
                            "status_code": "HTTP_301",
                        },
                    }
                ],
                tags={"Name": f"{name}-http-redirect"},
                opts=child,
            )
        # Plain HTTP (opted in, without a domain) has no TLS policy and no certificate.
        protocol = "HTTPS" if args.https else "HTTP"
        ssl_policy = TLS_POLICY if args.https else None
        certificate_arn = args.certificate_arn if args.https else None
        production = aws.lb.Listener(
            f"{name}-production",
            load_balancer_arn=alb.arn,
            port=443 if args.https else 80,
            protocol=protocol,
            ssl_policy=ssl_policy,
            certificate_arn=certificate_arn,
            default_actions=not_found_action(),
            tags={"Name": f"{name}-production"},
            opts=child,
        )
        test = aws.lb.Listener(
            f"{name}-test",
            load_balancer_arn=alb.arn,
            port=args.config.test_listener_port,
            protocol=protocol,
            ssl_policy=ssl_policy,
            certificate_arn=certificate_arn,
            default_actions=not_found_action(),
            tags={"Name": f"{name}-test"},
            opts=child,
        )
        # ECS rewrites these rules' forward weights during every deployment. They are the only
        # rules of their listeners: no fixed-response or redirect rule sits beside them.
        ecs_owned = ResourceOptions(parent=self, ignore_changes=["actions"])
        rules = {
            kind: aws.lb.ListenerRule(
                f"{name}-{kind}-rule",
                listener_arn=listener.arn,
                priority=ECS_RULE_PRIORITY,
                actions=forward_action(blue.arn, green.arn),
                conditions=[{"path_pattern": {"values": ["/*"]}}],
                tags={"Name": f"{name}-{kind}"},
                opts=ecs_owned,
            )
            for kind, listener in (("production", production), ("test", test))
        }

        # Infrastructure role ECS shifts traffic with -------------------------------------------
        role = aws.iam.Role(
            f"{name}-ecs-infrastructure",
            assume_role_policy=assume_role_policy("ecs.amazonaws.com"),
            description="ECS moves traffic between the blue and green target groups",
            tags={"Name": f"{name}-ecs-infrastructure"},
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-ecs-infrastructure-policy",
            role=role.name,
            policy_arn=ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY,
            opts=child,
        )

        # WAF -----------------------------------------------------------------------------------
        self.web_acl_arn = None
        if args.config.waf:
            self.web_acl_arn = self._web_acl(name, args, alb, child)

        self.load_balancer_arn = alb.arn
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = self._sg.id
        self.blue_target_group_arn = blue.arn
        self.green_target_group_arn = green.arn
        self.target_group_arn_suffixes = [blue.arn_suffix, green.arn_suffix]
        self.production_rule_arn = rules["production"].arn
        self.test_rule_arn = rules["test"].arn
        # The role is useless to ECS until its policy is attached: whatever takes the ARN (the
        # service's advanced_configuration) then depends on the attachment, not only the role.
        self.infrastructure_role_arn = pulumi.Output.all(role.arn, attachment.id).apply(
            lambda v: v[0]
        )
        self.deployment_configuration = deployment_configuration(args.config)
        self.access_log_bucket = bucket.bucket
        self.register_outputs(
            {
                "load_balancer_arn": self.load_balancer_arn,
                "dns_name": self.dns_name,
                "security_group_id": self.security_group_id,
                "blue_target_group_arn": self.blue_target_group_arn,
                "green_target_group_arn": self.green_target_group_arn,
                "production_rule_arn": self.production_rule_arn,
                "test_rule_arn": self.test_rule_arn,
                "infrastructure_role_arn": self.infrastructure_role_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )

    @property
    def container_port(self) -> int:
        """Port the target groups send traffic to."""
        return self._args.container_port

    def url(self, domain: str = "") -> pulumi.Output[str]:
        """The site's public URL: https://<domain>, or http://<load balancer> without one."""
        if self._args.https:
            if not domain:
                raise ValueError("url needs the domain the certificate is for")
            return pulumi.Output.from_input(f"https://{domain}")
        return self.dns_name.apply(lambda host: f"http://{host}")

    def test_url(self, domain: str = "") -> pulumi.Output[str]:
        """URL of the test listener (reaches the green version during a deployment)."""
        port = self._args.config.test_listener_port
        if self._args.https:
            if not domain:
                raise ValueError("test_url needs the domain the certificate is for")
            return pulumi.Output.from_input(f"https://{domain}:{port}")
        return self.dns_name.apply(lambda host: f"http://{host}:{port}")

    def service_load_balancers(
        self, container_name: str
    ) -> list[aws.ecs.ServiceLoadBalancerArgsDict]:
        """The service's `load_balancers`: blue as the target group and, unless rolling, green
        as the alternate with the rules and role ECS shifts traffic with."""
        entry: aws.ecs.ServiceLoadBalancerArgsDict = {
            "container_name": container_name,
            "container_port": self._args.container_port,
            "target_group_arn": self.blue_target_group_arn,
        }
        if self._args.config.strategy != "rolling":
            entry["advanced_configuration"] = {
                "alternate_target_group_arn": self.green_target_group_arn,
                "production_listener_rule": self.production_rule_arn,
                "test_listener_rule": self.test_rule_arn,
                "role_arn": self.infrastructure_role_arn,
            }
        return [entry]

    def offer(self, container_name: str) -> LoadBalancerOffer:
        """What the load balancer offers the service whose container `container_name`
        receives its traffic."""
        return LoadBalancerOffer(
            security_group_id=self.security_group_id,
            load_balancers=self.service_load_balancers(container_name),
            deployment_configuration=self.deployment_configuration,
            arn_suffix=self.load_balancer_arn_suffix,
            target_group_arn_suffixes=self.target_group_arn_suffixes,
            dns_name=self.dns_name,
            zone_id=self.zone_id,
            dualstack=self._args.dualstack,
        )

    def forward_to(self, client: str, security_group_id: pulumi.Input[str]) -> None:
        """Lets the load balancer reach one client security group on the container port;
        the load balancer reaches nothing else."""
        port = self._args.container_port
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-to-{client}",
            security_group_id=self._sg.id,
            referenced_security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"HTTP to the {client} tasks on {port}",
            opts=ResourceOptions(parent=self),
        )

    def admit_test_client(self, client: str, security_group_id: pulumi.Input[str]) -> None:
        """Lets one client security group (the bastion, for the release's smoke test) open
        connections to the test listener. The load balancer's public addresses belong to AWS
        and change, so the egress names the port, not the addresses."""
        port = self._args.config.test_listener_port
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-test-client-{client}",
            security_group_id=security_group_id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"To the load balancer's test listener on {port}",
            opts=ResourceOptions(parent=self),
        )

    def _access_log_bucket(
        self,
        name: str,
        args: BlueGreenArgs,
        child: ResourceOptions,
    ) -> aws.s3.Bucket:
        invoke = pulumi.InvokeOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-logs",
            bucket_prefix=args.access_log_bucket_prefix,
            # A stage without deletion protection can be torn down with its logs.
            force_destroy=not args.config.load_balancer_deletion_protection,
            tags={"Name": f"{name}-access-logs"},
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-logs-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-logs-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        # Load balancer access logs can only be written to buckets encrypted with SSE-S3
        # (AES256): the log delivery cannot use a KMS key. The policy pack names this exception.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-logs-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{ACCESS_LOG_PREFIX}/"},
                    "expiration": {"days": args.access_log_retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=child,
        )
        elb_account = aws.elb.get_service_account_output(opts=invoke)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        log_objects = pulumi.Output.all(bucket.arn, account).apply(
            lambda v: f"{v[0]}/{ACCESS_LOG_PREFIX}/AWSLogs/{v[1]}/*"
        )
        self._bucket_policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=bucket.id,
            policy=document(
                statement(
                    "ElbWritesAccessLogs",
                    ["s3:PutObject"],
                    log_objects,
                    principal={"AWS": elb_account.arn},
                ),
                statement(
                    "DenyInsecureTransport",
                    ["s3:*"],
                    [bucket.arn, bucket.arn.apply(lambda a: f"{a}/*")],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                ),
            ),
            opts=child,
        )
        return bucket

    def _web_acl(
        self, name: str, args: BlueGreenArgs, alb: aws.lb.LoadBalancer, child: ResourceOptions
    ) -> pulumi.Output[str]:
        def visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
            return {
                "cloudwatch_metrics_enabled": True,
                "metric_name": metric,
                "sampled_requests_enabled": True,
            }

        rules: list[aws.wafv2.WebAclRuleArgsDict] = [
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {
                    "managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}
                },
                "visibility_config": visibility(group),
            }
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        rules.append(
            {
                "name": "rate-limit-per-ip",
                "priority": len(MANAGED_RULE_GROUPS) + 1,
                "action": {"block": {}},
                "statement": {
                    "rate_based_statement": {
                        "limit": args.waf_rate_limit,
                        "aggregate_key_type": "IP",
                    }
                },
                "visibility_config": visibility("rate-limit-per-ip"),
            }
        )
        allow: aws.wafv2.WebAclDefaultActionArgsDict = {"allow": {}}
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description="AWS managed rules and a per-IP rate limit in front of the site",
            default_action=allow,
            rules=rules,
            visibility_config=visibility(f"{name}-waf"),
            tags={"Name": f"{name}-waf"},
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-association",
            resource_arn=alb.arn,
            web_acl_arn=acl.arn,
            opts=child,
        )
        return acl.arn
