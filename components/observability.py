"""Observability: CloudWatch alarms and dashboard, the alarm topic, Managed Prometheus with
the repository's rules and routing, Managed Grafana with the repository's dashboards, and
a Route53 health check probing the public URL from outside.

Created before the ECS service: the service rolls back on `rollback_alarm_names` and its
collector sidecar remote-writes to `prometheus_remote_write_url` (the sidecar's configuration
and its permission are the service's own: components/ecs_service.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypedDict
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from aws_facts import (
    ACM_METRIC_PERIOD_SECONDS,
    ACM_RENEWAL_START_DAYS,
    GRAFANA_TOKEN_MAX_SECONDS,
    PROMETHEUS_DEFAULT_RETENTION_DAYS,
    PROMETHEUS_RETENTION_DAYS,
    ROUTE53_HEALTH_CHECK_INTERVALS,
    ROUTE53_HEALTH_CHECK_METRICS_REGION,
)
from components.bluegreen import LoadBalancerOffer
from components.iam import assume_role_policy, document, statement
from components.kms import DELETION_WINDOW_DAYS
from observability import render
from settings import ObservabilitySettings

GIB = 1024**3
#: ACM publishes DaysToExpiry (namespace AWS/CertificateManager, dimension CertificateArn)
#: once a day in the certificate's region, and stops once the certificate has expired
#: (ACM User Guide, "Supported CloudWatch metrics"; the CDK's metricDaysToExpiry notes
#: the latter). Two missing days in a row are therefore an alarm, one is not (a new
#: certificate has no data point yet).
CERTIFICATE_ALARM_DAYS = 2
#: The Grafana service-account token lives the longest AWS allows (30 days, aws_facts). It is
#: replaced by the first `pulumi up` of each window of this many days, so a token is at most
#: this old when it is replaced and still has 30 - 14 = 16 days to live.
GRAFANA_TOKEN_ROTATION_DAYS = 14
#: Day the rotation windows are counted from (any fixed day works; changing it rotates once).
GRAFANA_TOKEN_EPOCH = date(2024, 1, 1)
#: Auth type of a Grafana SigV4 data source that signs with the Managed Grafana workspace's
#: IAM role ("Workspace IAM role" in the editor). Grafana stores it as `ec2_iam_role`
#: (grafana-aws-sdk, AuthTypeEC2IAMRole; Grafana docs, "Configure AWS authentication"); any
#: other value, such as `ec2`, falls back to the SDK's default credential chain.
GRAFANA_SIGV4_AUTH_TYPE = "ec2_iam_role"
PROMETHEUS_QUERY_ACTIONS = [
    "aps:QueryMetrics",
    "aps:GetSeries",
    "aps:GetLabels",
    "aps:GetMetricMetadata",
    "aps:DescribeWorkspace",
]


# --- pure functions (no Pulumi runtime needed) -----------------------------------------------
def remote_write_url(prometheus_endpoint: str) -> str:
    """The remote-write URL of a Managed Prometheus workspace from its endpoint."""
    return prometheus_endpoint.rstrip("/") + "/api/v1/remote_write"


def grafana_token_name(today: date) -> str:
    """Name of the Grafana service-account token for a deployment made on `today`: it carries
    the first day of the rotation window `today` falls in. Every `pulumi up` inside a window
    declares the same name (no change); the first one past it declares a new name, and since
    a token cannot be updated, Pulumi replaces it, creating the new token before deleting
    the old one."""
    days = (today - GRAFANA_TOKEN_EPOCH).days
    start = GRAFANA_TOKEN_EPOCH + timedelta(days=days - days % GRAFANA_TOKEN_ROTATION_DAYS)
    return f"pulumi-provisioner-{start:%Y%m%d}"


class ProbeTarget(TypedDict):
    """What a Route53 health check probes: the HealthCheck resource's type, fqdn, port and
    resource_path (Route53 API, HealthCheckConfig: Type, FullyQualifiedDomainName, Port,
    ResourcePath)."""

    type: Literal["HTTP", "HTTPS"]
    """The two plain-request values of enum HealthCheckType."""
    fqdn: str
    port: int
    resource_path: str


def probe_target(public_url: str) -> ProbeTarget:
    """Route53 health-check fields for a URL: type, host, port and path."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"public_url must be an http(s) URL with a host, got {public_url!r}")
    secure = parts.scheme == "https"
    return {
        "type": "HTTPS" if secure else "HTTP",
        "fqdn": parts.hostname,
        "port": parts.port or (443 if secure else 80),
        "resource_path": parts.path or "/",
    }


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm as plain data: what it watches and when it fires."""

    key: str
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, pulumi.Input[str]]
    """Dimension values: plain strings or Pulumi Inputs."""
    statistic: str
    comparison: str
    threshold: float
    rollback: bool = False
    extended_statistic: str = ""
    period: int = 0
    """Seconds per data point; 0 means the component's alarm_period_seconds."""
    evaluation_periods: int = 0
    """Periods in breach before the alarm fires; 0 means alarm_evaluation_periods."""
    treat_missing_data: str = "notBreaching"
    """What a period without data counts as (breaching where silence is the failure)."""


# --- the CloudWatch dashboard's body (CloudWatch API reference, "Dashboard Body Structure and
# Syntax": a JSON object of widgets; a metric widget's `metrics` is a list of arrays
# [namespace, metric name, dimension name, dimension value, ..., rendering options]) ----------
class MetricOptions(TypedDict, total=False):
    """Rendering options closing one metric's array; `stat` overrides the widget's."""

    stat: str


MetricRow = list[str | MetricOptions]


class MetricWidgetProperties(TypedDict):
    title: str
    region: str
    stat: str
    period: int
    view: Literal["timeSeries", "singleValue", "gauge", "bar", "pie"]
    metrics: list[MetricRow]


class MetricWidget(TypedDict):
    type: Literal["metric"]
    x: int
    y: int
    width: int
    height: int
    properties: MetricWidgetProperties


class AlarmWidgetProperties(TypedDict):
    title: str
    alarms: list[str]
    """Alarm ARNs."""


class AlarmWidget(TypedDict):
    type: Literal["alarm"]
    x: int
    y: int
    width: int
    height: int
    properties: AlarmWidgetProperties


class DashboardBody(TypedDict):
    widgets: list[MetricWidget | AlarmWidget]


def dashboard_body(
    *,
    region: str,
    load_balancer: str,
    target_groups: Sequence[str],
    cluster: str,
    service: str,
    database: str,
    nat_gateways: Sequence[str],
    alarm_arns: Sequence[str],
) -> DashboardBody:
    """The CloudWatch dashboard: traffic, errors, latency, tasks, database, NAT, alarms."""

    def metric_widget(
        title: str, metrics: list[MetricRow], stat: str, x: int, y: int
    ) -> MetricWidget:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": 60,
                "view": "timeSeries",
                "metrics": metrics,
            },
        }

    alb: MetricRow = ["AWS/ApplicationELB"]
    widgets: list[MetricWidget | AlarmWidget] = [
        metric_widget(
            "Requests and 5xx (load balancer)",
            [
                [*alb, "RequestCount", "LoadBalancer", load_balancer],
                [*alb, "HTTPCode_Target_5XX_Count", "LoadBalancer", load_balancer],
                [*alb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", load_balancer],
            ],
            "Sum",
            0,
            0,
        ),
        metric_widget(
            "Target response time p50 / p99",
            [
                [*alb, "TargetResponseTime", "LoadBalancer", load_balancer, {"stat": "p50"}],
                [*alb, "TargetResponseTime", "LoadBalancer", load_balancer, {"stat": "p99"}],
            ],
            "p99",
            12,
            0,
        ),
        metric_widget(
            "Requests per target group (blue / green)",
            [
                [*alb, "RequestCount", "TargetGroup", tg, "LoadBalancer", load_balancer]
                for tg in target_groups
            ]
            + [
                [*alb, "UnHealthyHostCount", "TargetGroup", tg, "LoadBalancer", load_balancer]
                for tg in target_groups
            ],
            "Sum",
            0,
            6,
        ),
        metric_widget(
            "ECS service CPU / memory %",
            [
                ["AWS/ECS", "CPUUtilization", "ClusterName", cluster, "ServiceName", service],
                ["AWS/ECS", "MemoryUtilization", "ClusterName", cluster, "ServiceName", service],
            ],
            "Average",
            12,
            6,
        ),
        metric_widget(
            "RDS CPU % and connections",
            [
                ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", database],
                ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", database],
            ],
            "Average",
            0,
            12,
        ),
        metric_widget(
            "RDS free storage (bytes)",
            [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", database]],
            "Minimum",
            12,
            12,
        ),
    ]
    if nat_gateways:
        widgets.append(
            metric_widget(
                "NAT gateway errors",
                [
                    ["AWS/NATGateway", metric, "NatGatewayId", nat]
                    for nat in nat_gateways
                    for metric in ("ErrorPortAllocation", "PacketsDropCount")
                ],
                "Sum",
                0,
                18,
            )
        )
    widgets.append(
        {
            "type": "alarm",
            "x": 12 if nat_gateways else 0,
            "y": 18,
            "width": 12,
            "height": 6,
            "properties": {"title": "Alarms", "alarms": list(alarm_arns)},
        }
    )
    return {"widgets": widgets}


# --- arguments ----------------------------------------------------------------------------------
def metric_math(
    namespace: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    period: int,
    inputs: list[tuple[str, str, str]],
    result: tuple[str, str, str],
) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict]:
    """An alarm's metric queries: each (id, metric, statistic) of one namespace, then the
    (id, label, expression) the alarm compares, computed from them."""
    metrics: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
        {
            "id": key,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": metric,
                "dimensions": dict(dimensions),
                "period": period,
                "stat": stat,
            },
        }
        for key, metric, stat in inputs
    ]
    key, label, expression = result
    return [*metrics, {"id": key, "label": label, "expression": expression, "return_data": True}]


@dataclass(frozen=True)
class ObservabilityArgs:
    """What to watch, where to send alarms, and which parts are on."""

    cluster_name: pulumi.Input[str]
    """ECS cluster name (the AWS/ECS ClusterName dimension)."""
    service_name: pulumi.Input[str]
    """ECS service name (the AWS/ECS ServiceName dimension)."""
    load_balancer: LoadBalancerOffer
    """The load balancer in front (BlueGreen.offer): its ARN suffix (app/<name>/<id>, the
    AWS/ApplicationELB LoadBalancer dimension) and its blue and green target groups'."""
    database_instance_id: pulumi.Input[str]
    """RDS instance identifier (DBInstanceIdentifier dimension)."""
    kms_key_arn: pulumi.Input[str]
    """Customer KMS key for the topic and the log groups; its policy must let
    CloudWatch, SNS, Managed Prometheus and Logs use it."""
    region: str
    """Region the stack deploys to (its provider's): Route53 health-check metrics exist only in
    us-east-1, so elsewhere the probe's alarm gets a provider and a topic of its own there."""
    nat_gateway_ids: Sequence[pulumi.Input[str]] = ()
    """NAT gateways to watch; empty for a NAT instance or no NAT."""
    public_url: str = ""
    """The site's public URL probed from outside; empty when the stack has none."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate the site serves; an alarm watches its days to expiry. None: no
    certificate (plain HTTP), no alarm."""
    certificate_expiry_days: int = ACM_RENEWAL_START_DAYS // 2
    """Days to expiry under which the certificate alarm fires: half of ACM's renewal window
    (renewal starts 60 days before expiry, aws_facts), so under 30 days left means renewal is
    stuck."""
    config: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    """The stack's observability settings as one value: which parts are on (dashboard,
    prometheus, grafana, synthetic_probe), where alarms go (alarm_email), every alarm
    threshold with the alarm period and evaluation periods, and how long logs are kept."""
    metrics_retention_days: int = PROMETHEUS_DEFAULT_RETENTION_DAYS
    """Days Managed Prometheus keeps samples (AWS's default, aws_facts)."""
    probe_interval_seconds: int = ROUTE53_HEALTH_CHECK_INTERVALS[-1]
    """Route53 health-check interval: the standard one (30 s); the fast one (10 s) costs
    more (aws_facts)."""
    grafana_authentication: Sequence[str] = field(default_factory=lambda: ("AWS_SSO",))
    """How people sign in to Managed Grafana: AWS_SSO and/or SAML."""
    today: date | None = None
    """Date of this deployment, given by the program (components never read the clock); the
    Grafana service-account token rotates by it. Required when grafana is on."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        target_groups = self.load_balancer.target_group_arn_suffixes
        if len(target_groups) != 2:
            problems.append(
                f"target_group_arn_suffixes has {len(target_groups)} entries, "
                "allowed: exactly 2 (blue, green)"
            )
        if self.config.synthetic_probe and not self.public_url:
            problems.append(
                "synthetic_probe is on but public_url is empty: set the URL or turn the probe off"
            )
        if self.public_url:
            try:
                probe_target(self.public_url)
            except ValueError as error:
                problems.append(str(error))
        # The thresholds, the alarm period and the address are the stack's settings, checked
        # there; what only code sets is checked here.
        ranges = {
            "metrics_retention_days": PROMETHEUS_RETENTION_DAYS,
            "certificate_expiry_days": (1, ACM_RENEWAL_START_DAYS),
        }
        for key, (low, high) in ranges.items():
            value = getattr(self, key)
            if not low <= value <= high:
                problems.append(f"{key} is {value}, allowed: {low} to {high}")
        if self.probe_interval_seconds not in ROUTE53_HEALTH_CHECK_INTERVALS:
            allowed = ", ".join(str(i) for i in ROUTE53_HEALTH_CHECK_INTERVALS)
            problems.append(
                f"probe_interval_seconds is {self.probe_interval_seconds}, allowed: {allowed}"
            )
        if self.config.grafana and self.today is None:
            problems.append(
                "grafana is on but today is not set: the Grafana token rotates by the date"
            )
        unknown = set(self.grafana_authentication) - {"AWS_SSO", "SAML"}
        if self.config.grafana and (unknown or not self.grafana_authentication):
            problems.append(
                f"grafana_authentication is {list(self.grafana_authentication)}, "
                "allowed: one or both of AWS_SSO, SAML"
            )
        if problems:
            raise ValueError("; ".join(problems))


def alarm_specs(
    args: ObservabilityArgs,
    *,
    load_balancer: pulumi.Input[str],
    target_groups: Sequence[pulumi.Input[str]],
    cluster: pulumi.Input[str],
    service: pulumi.Input[str],
    database: pulumi.Input[str],
    nat_gateways: Sequence[pulumi.Input[str]],
    certificate: pulumi.Input[str] | None = None,
) -> list[AlarmSpec]:
    """Every plain-metric alarm (the 5xx ratio and the missing tasks, metric-math alarms,
    are built apart)."""
    lb = {"LoadBalancer": load_balancer}
    ecs = {"ClusterName": cluster, "ServiceName": service}
    rds = {"DBInstanceIdentifier": database}
    specs = [
        AlarmSpec(
            "p99-latency",
            f"Rollback: p99 target response time over {args.config.p99_latency_seconds}s",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            lb,
            "",
            "GreaterThanThreshold",
            args.config.p99_latency_seconds,
            rollback=True,
            extended_statistic="p99",
        ),
        *[
            AlarmSpec(
                f"unhealthy-{color}",
                f"Rollback: unhealthy targets in the {color} target group",
                "AWS/ApplicationELB",
                "UnHealthyHostCount",
                {"TargetGroup": tg, **lb},
                "Maximum",
                "GreaterThanThreshold",
                0,
                rollback=True,
            )
            for color, tg in zip(("blue", "green"), target_groups, strict=True)
        ],
        AlarmSpec(
            "ecs-cpu",
            f"ECS service CPU over {args.config.cpu_percent}%",
            "AWS/ECS",
            "CPUUtilization",
            ecs,
            "Average",
            "GreaterThanThreshold",
            args.config.cpu_percent,
        ),
        AlarmSpec(
            "ecs-memory",
            f"ECS service memory over {args.config.memory_percent}%",
            "AWS/ECS",
            "MemoryUtilization",
            ecs,
            "Average",
            "GreaterThanThreshold",
            args.config.memory_percent,
        ),
        AlarmSpec(
            "rds-cpu",
            f"RDS CPU over {args.config.database_cpu_percent}%",
            "AWS/RDS",
            "CPUUtilization",
            rds,
            "Average",
            "GreaterThanThreshold",
            args.config.database_cpu_percent,
        ),
        AlarmSpec(
            "rds-free-storage",
            f"RDS free storage under {args.config.database_free_storage_gb} GiB",
            "AWS/RDS",
            "FreeStorageSpace",
            rds,
            "Minimum",
            "LessThanThreshold",
            args.config.database_free_storage_gb * GIB,
        ),
        AlarmSpec(
            "rds-connections",
            f"RDS connections over {args.config.database_connections}",
            "AWS/RDS",
            "DatabaseConnections",
            rds,
            "Maximum",
            "GreaterThanThreshold",
            args.config.database_connections,
        ),
    ]
    if certificate is not None:
        specs.append(
            AlarmSpec(
                "certificate-expiry",
                f"The site's certificate expires in under {args.certificate_expiry_days} days",
                "AWS/CertificateManager",
                "DaysToExpiry",
                {"CertificateArn": certificate},
                "Minimum",
                "LessThanThreshold",
                args.certificate_expiry_days,
                period=ACM_METRIC_PERIOD_SECONDS,
                evaluation_periods=CERTIFICATE_ALARM_DAYS,
                treat_missing_data="breaching",
            )
        )
    specs += [
        AlarmSpec(
            f"nat-{index}-port-allocation",
            "NAT gateway cannot allocate source ports (connections fail)",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            {"NatGatewayId": nat},
            "Sum",
            "GreaterThanThreshold",
            0,
        )
        for index, nat in enumerate(nat_gateways)
    ]
    return specs


# --- the component ------------------------------------------------------------------------------
class Observability(pulumi.ComponentResource):
    """Alarms, topic, dashboard, Managed Prometheus and Grafana, and the synthetic probe."""

    topic_arn: Output[str]
    """SNS topic (KMS-encrypted) every alarm and Prometheus alert is sent to."""
    rollback_alarm_names: Output[list[str]]
    """CloudWatch alarms the ECS deployment rolls back on (5xx ratio, p99, unhealthy hosts)."""
    alarm_names: Output[list[str]]
    """Every CloudWatch alarm this component created."""
    prometheus_workspace_arn: Output[str] | None
    """Managed Prometheus workspace ARN; None when prometheus is off."""
    prometheus_remote_write_url: Output[str] | None
    """URL the collector sidecar remote-writes to; None when prometheus is off."""
    dashboard_name: Output[str] | None
    """CloudWatch dashboard name; None when the dashboard is off."""
    grafana_url: Output[str] | None
    """Managed Grafana URL; None when grafana is off."""
    health_check_id: Output[str] | None
    """Route53 health check probing the public URL; None when the probe is off."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:observability:Observability", name, None, opts)
        child = ResourceOptions(parent=self)
        # The region decides where the probe's alarm lives, before anything is declared: it
        # is the stack's (args.region), not an invoke's answer, which would be an Output.
        region = args.region
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id

        self._topic = aws.sns.Topic(
            f"{name}-alarms",
            kms_master_key_id=args.kms_key_arn,
            tags={"Name": f"{name}-alarms"},
            opts=child,
        )
        if args.config.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self._topic.arn,
                protocol="email",
                endpoint=args.config.alarm_email,
                opts=child,
            )

        # Managed Prometheus ------------------------------------------------------------
        workspace = None
        if args.config.prometheus:
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-prometheus-log",
                retention_in_days=args.config.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags={"Name": f"{name}-prometheus"},
                opts=child,
            )
            workspace = aws.amp.Workspace(
                f"{name}-prometheus",
                alias=f"{pulumi.get_project()}-{pulumi.get_stack()}",
                logging_configuration={
                    "log_group_arn": log_group.arn.apply(lambda arn: f"{arn}:*")
                },
                tags={"Name": f"{name}-prometheus"},
                opts=child,
            )
            aws.amp.WorkspaceConfiguration(
                f"{name}-prometheus-retention",
                workspace_id=workspace.id,
                retention_period_in_days=args.metrics_retention_days,
                opts=child,
            )
            # Only the rules whose series exist in AWS (render.LOCAL_ONLY_RULE_FILES).
            for path in render.aws_rule_files():
                render.load_rule_groups(path)  # fails the program on a broken rule file
                aws.amp.RuleGroupNamespace(
                    f"{name}-rules-{render.namespace_name(path)}",
                    name=render.namespace_name(path),
                    workspace_id=workspace.id,
                    data=path.read_text(),
                    opts=child,
                )
            aws.amp.AlertManagerDefinition(
                f"{name}-alertmanager",
                workspace_id=workspace.id,
                definition=self._topic.arn.apply(
                    lambda arn: render.amp_alertmanager_definition(arn, region)
                ),
                opts=child,
            )

        # Only these services may publish, and only from this account (and workspace).
        publishers = [
            statement(
                "CloudWatchAlarmsPublish",
                ["sns:Publish"],
                self._topic.arn,
                principal={"Service": "cloudwatch.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": account}},
            )
        ]
        if workspace is not None:
            publishers.append(
                statement(
                    "PrometheusAlertManagerPublish",
                    ["sns:Publish", "sns:GetTopicAttributes"],
                    self._topic.arn,
                    principal={"Service": "aps.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnEquals": {"aws:SourceArn": workspace.arn},
                    },
                )
            )
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy", arn=self._topic.arn, policy=document(*publishers), opts=child
        )

        # CloudWatch alarms ---------------------------------------------------------------
        actions = [self._topic.arn]
        period, periods = args.config.alarm_period_seconds, args.config.alarm_evaluation_periods
        error_rate = aws.cloudwatch.MetricAlarm(
            f"{name}-5xx-rate",
            alarm_description=f"Rollback: over {args.config.error_rate_percent}% of requests get a 5xx",
            comparison_operator="GreaterThanThreshold",
            threshold=args.config.error_rate_percent,
            evaluation_periods=periods,
            treat_missing_data="notBreaching",
            metric_queries=metric_math(
                "AWS/ApplicationELB",
                {"LoadBalancer": args.load_balancer.arn_suffix},
                period,
                [
                    ("errors", "HTTPCode_Target_5XX_Count", "Sum"),
                    ("requests", "RequestCount", "Sum"),
                ],
                ("ratio", "5xx percent", "IF(requests > 0, 100 * errors / requests, 0)"),
            ),
            alarm_actions=actions,
            ok_actions=actions,
            tags={"Name": f"{name}-5xx-rate"},
            opts=child,
        )
        # Fewer tasks running than the service wants: a task died (crashed, killed for
        # memory, failed its health checks) and no replacement is running yet, or all of
        # them did (no RunningTaskCount at all counts as 0). Each task's collector dies
        # with its task, so no Prometheus rule sees a task go; this alarm does. The counts
        # are Container Insights metrics (the cluster has it on), published every minute
        # per service (CloudWatch User Guide, "Amazon ECS Container Insights metrics":
        # RunningTaskCount and DesiredTaskCount by ClusterName, ServiceName).
        ecs_dimensions = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
        tasks_missing = aws.cloudwatch.MetricAlarm(
            f"{name}-tasks-below-desired",
            alarm_description="Fewer website tasks are running than the service's desired count",
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=periods,
            treat_missing_data="notBreaching",
            metric_queries=metric_math(
                "ECS/ContainerInsights",
                ecs_dimensions,
                period,
                [
                    ("desired", "DesiredTaskCount", "Maximum"),
                    ("running", "RunningTaskCount", "Minimum"),
                ],
                ("missing", "tasks missing", "desired - FILL(running, 0)"),
            ),
            alarm_actions=actions,
            ok_actions=actions,
            tags={"Name": f"{name}-tasks-below-desired"},
            opts=child,
        )
        alarms: dict[str, aws.cloudwatch.MetricAlarm] = {
            "5xx-rate": error_rate,
            "tasks-below-desired": tasks_missing,
        }
        rollback = ["5xx-rate"]
        specs = alarm_specs(
            args,
            load_balancer=args.load_balancer.arn_suffix,
            target_groups=args.load_balancer.target_group_arn_suffixes,
            cluster=args.cluster_name,
            service=args.service_name,
            database=args.database_instance_id,
            nat_gateways=args.nat_gateway_ids,
            certificate=args.certificate_arn,
        )
        for spec in specs:
            alarms[spec.key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=spec.dimensions,
                statistic=spec.statistic or None,
                extended_statistic=spec.extended_statistic or None,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                period=spec.period or period,
                evaluation_periods=spec.evaluation_periods or periods,
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=actions,
                ok_actions=actions,
                tags={"Name": f"{name}-{spec.key}"},
                opts=child,
            )
            if spec.rollback:
                rollback.append(spec.key)

        # Synthetic probe -----------------------------------------------------------------
        self.health_check_id = None
        if args.config.synthetic_probe:
            self.health_check_id = self._probe(name, args, region, account, child)

        # Dashboard --------------------------------------------------------------------------
        self.dashboard_name = None
        if args.config.dashboard:
            body = Output.all(
                lb=args.load_balancer.arn_suffix,
                tgs=Output.all(*args.load_balancer.target_group_arn_suffixes),
                cluster=args.cluster_name,
                service=args.service_name,
                db=args.database_instance_id,
                nats=Output.all(*args.nat_gateway_ids),
                arns=Output.all(*[alarm.arn for alarm in alarms.values()]),
            ).apply(
                lambda v: json.dumps(
                    dashboard_body(
                        region=region,
                        load_balancer=v["lb"],
                        target_groups=v["tgs"],
                        cluster=v["cluster"],
                        service=v["service"],
                        database=v["db"],
                        nat_gateways=v["nats"],
                        alarm_arns=v["arns"],
                    )
                )
            )
            dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=f"{pulumi.get_project()}-{pulumi.get_stack()}",
                dashboard_body=body,
                opts=child,
            )
            self.dashboard_name = dashboard.dashboard_name

        # Grafana ----------------------------------------------------------------------------
        self.grafana_url = None
        if args.config.grafana and workspace is not None:
            self._grafana(name, args, workspace, region, account, child)

        self.topic_arn = self._topic.arn
        self.alarm_names = Output.all(*[alarm.name for alarm in alarms.values()])
        self.rollback_alarm_names = Output.all(*[alarms[key].name for key in rollback])
        self.prometheus_workspace_arn = workspace.arn if workspace is not None else None
        self.prometheus_remote_write_url = (
            workspace.prometheus_endpoint.apply(remote_write_url) if workspace is not None else None
        )
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "rollback_alarm_names": self.rollback_alarm_names,
                "alarm_names": self.alarm_names,
                "prometheus_workspace_arn": self.prometheus_workspace_arn,
                "prometheus_remote_write_url": self.prometheus_remote_write_url,
                "dashboard_name": self.dashboard_name,
                "grafana_url": self.grafana_url,
                "health_check_id": self.health_check_id,
            }
        )

    def _probe(
        self,
        name: str,
        args: ObservabilityArgs,
        region: str,
        account: Output[str],
        child: ResourceOptions,
    ) -> Output[str]:
        target = probe_target(args.public_url)
        check = aws.route53.HealthCheck(
            f"{name}-probe",
            type=target["type"],
            fqdn=target["fqdn"],
            port=target["port"],
            resource_path=target["resource_path"],
            enable_sni=target["type"] == "HTTPS",
            request_interval=args.probe_interval_seconds,
            failure_threshold=3,
            tags={"Name": f"{name}-probe"},
            opts=child,
        )
        # Route53 health-check metrics exist only in us-east-1, and an alarm can only notify
        # a topic in its own region: elsewhere the probe gets its own encrypted topic there,
        # with the same email subscription.
        topic_arn: Output[str] = self._topic.arn
        alarm_opts = child
        if region != ROUTE53_HEALTH_CHECK_METRICS_REGION:
            provider = aws.Provider(
                f"{name}-{ROUTE53_HEALTH_CHECK_METRICS_REGION}",
                region=ROUTE53_HEALTH_CHECK_METRICS_REGION,
                opts=child,
            )
            alarm_opts = ResourceOptions(parent=self, provider=provider)
            key = aws.kms.Key(
                f"{name}-probe-key",
                description="Encrypts the synthetic probe's alarm topic",
                enable_key_rotation=True,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                policy=document(
                    statement(
                        "AccountAdministers",
                        ["kms:*"],
                        "*",
                        principal={"AWS": account.apply(lambda a: f"arn:aws:iam::{a}:root")},
                    ),
                    statement(
                        "CloudWatchUsesKeyForAlarmTopic",
                        ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "*",
                        principal={"Service": "cloudwatch.amazonaws.com"},
                    ),
                ),
                tags={"Name": f"{name}-probe-key"},
                opts=alarm_opts,
            )
            probe_topic = aws.sns.Topic(
                f"{name}-probe-alarms",
                kms_master_key_id=key.arn,
                tags={"Name": f"{name}-probe-alarms"},
                opts=alarm_opts,
            )
            if args.config.alarm_email:
                aws.sns.TopicSubscription(
                    f"{name}-probe-alarms-email",
                    topic=probe_topic.arn,
                    protocol="email",
                    endpoint=args.config.alarm_email,
                    opts=alarm_opts,
                )
            topic_arn = probe_topic.arn
        aws.cloudwatch.MetricAlarm(
            f"{name}-probe-failing",
            alarm_description=f"Synthetic probe of {args.public_url} fails",
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": check.id},
            statistic="Minimum",
            comparison_operator="LessThanThreshold",
            threshold=1,
            period=60,
            evaluation_periods=2,
            treat_missing_data="breaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags={"Name": f"{name}-probe-failing"},
            opts=alarm_opts,
        )
        return check.id

    def _grafana(
        self,
        name: str,
        args: ObservabilityArgs,
        workspace: aws.amp.Workspace,
        region: str,
        account: Output[str],
        child: ResourceOptions,
    ) -> None:
        import pulumiverse_grafana as grafana

        role = aws.iam.Role(
            f"{name}-grafana-role",
            assume_role_policy=assume_role_policy("grafana.amazonaws.com", source_account=account),
            description="Managed Grafana reads the stack's Prometheus workspace",
            tags={"Name": f"{name}-grafana"},
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-grafana-query",
            role=role.id,
            policy=document(
                statement("QueryStackWorkspace", PROMETHEUS_QUERY_ACTIONS, workspace.arn)
            ),
            opts=child,
        )
        grafana_workspace = aws.grafana.Workspace(
            f"{name}-grafana",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=list(args.grafana_authentication),
            permission_type="CUSTOMER_MANAGED",
            role_arn=role.arn,
            data_sources=["PROMETHEUS"],
            notification_destinations=["SNS"],
            description=f"Dashboards of {pulumi.get_project()}-{pulumi.get_stack()}",
            tags={"Name": f"{name}-grafana"},
            opts=child,
        )
        account_ = aws.grafana.WorkspaceServiceAccount(
            f"{name}-grafana-admin",
            name="pulumi-provisioner",
            grafana_role="ADMIN",
            workspace_id=grafana_workspace.id,
            opts=child,
        )
        assert args.today is not None  # checked in ObservabilityArgs
        # Only Pulumi uses the token (to provision the data source and dashboards); it lives
        # in the stack's state as a secret and nowhere else. A new name each rotation window
        # replaces it (create before delete) on the first `pulumi up` of the window.
        token = aws.grafana.WorkspaceServiceAccountToken(
            f"{name}-grafana-admin-token",
            name=grafana_token_name(args.today),
            service_account_id=account_.service_account_id,
            seconds_to_live=GRAFANA_TOKEN_MAX_SECONDS,
            workspace_id=grafana_workspace.id,
            opts=child,
        )
        # The provider marks the key secret; this keeps it secret under any engine.
        admin_token: Output[str] = Output.secret(token.key)
        url = grafana_workspace.endpoint.apply(lambda host: f"https://{host}")
        provider = grafana.Provider(f"{name}-grafana", url=url, auth=admin_token, opts=child)
        # What lives inside the workspace goes with it: deleting the stack never calls Grafana,
        # so it works even once the last token has expired.
        on_grafana = ResourceOptions(parent=self, provider=provider, deleted_with=grafana_workspace)
        source = grafana.oss.DataSource(
            f"{name}-grafana-prometheus",
            name="Prometheus",
            uid=render.DATASOURCE_UID,
            type="prometheus",
            url=workspace.prometheus_endpoint,
            is_default=True,
            json_data_encoded=json.dumps(
                {
                    "httpMethod": "POST",
                    "sigV4Auth": True,
                    "sigV4AuthType": GRAFANA_SIGV4_AUTH_TYPE,
                    "sigV4Region": region,
                }
            ),
            opts=on_grafana,
        )
        for path in render.dashboard_files():
            render.load_dashboard(path)
            grafana.oss.Dashboard(
                f"{name}-grafana-{path.stem}",
                config_json=path.read_text(),
                overwrite=True,
                message="Provisioned from observability/grafana/dashboards",
                opts=ResourceOptions.merge(on_grafana, ResourceOptions(depends_on=[source])),
            )
        self.grafana_url = url
