"""The Observability component's contract, under the shared recording mocks."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

import pytest
import yaml

from components.bluegreen import LoadBalancerOffer
from components.ecs_service import collector_config, remote_write_policy
from components.observability import (
    GIB,
    Observability,
    ObservabilityArgs,
    dashboard_body,
    grafana_token_name,
    probe_target,
    remote_write_url,
)
from observability import render
from settings import ObservabilitySettings, SettingsError, load_settings

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LB = "app/site-alb/0123456789abcdef"
BLUE, GREEN = "targetgroup/site-blue/1111", "targetgroup/site-green/2222"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"


OBSERVABILITY_FIELDS = {f.name for f in dataclasses.fields(ObservabilitySettings)}


def make_args(**overrides) -> ObservabilityArgs:
    values = {
        "cluster_name": "ecs-platform-test",
        "service_name": "website",
        "database_instance_id": "ecs-platform-test-db",
        "kms_key_arn": KEY,
        "region": "us-east-1",
        "nat_gateway_ids": ["nat-0aaa", "nat-0bbb"],
        "public_url": "https://www.example.test/",
    }
    # An override naming an observability setting (a threshold, a part, the address) goes into
    # the settings the component takes as one value.
    config = {"alarm_email": "ops@example.test"}
    config.update({k: overrides.pop(k) for k in list(overrides) if k in OBSERVABILITY_FIELDS})
    load_balancer = LoadBalancerOffer(
        security_group_id="sg-alb",
        load_balancers=[],
        deployment_configuration={"strategy": "BLUE_GREEN"},
        arn_suffix=overrides.pop("load_balancer_arn_suffix", LB),
        target_group_arn_suffixes=overrides.pop("target_group_arn_suffixes", [BLUE, GREEN]),
        dns_name="site-alb-1.us-east-1.elb.amazonaws.com",
        zone_id="Z35SXDOTRQ7X7K",
        dualstack=False,
    )
    values.update(overrides)
    return ObservabilityArgs(
        **values, load_balancer=load_balancer, config=ObservabilitySettings(**config)
    )


@pytest.fixture
def obs(build):
    return build(lambda: Observability("obs", make_args()))


def alarm(recording, suffix: str):
    return recording.named(f"obs-{suffix}")


# --- alarms ---------------------------------------------------------------------------------
def test_rollback_alarms_are_the_5xx_ratio_p99_and_unhealthy_hosts(build):
    names: dict[str, list[str]] = {}

    def program():
        component = Observability("obs", make_args())
        component.rollback_alarm_names.apply(lambda v: names.setdefault("rollback", v))

    recording = build(program)
    expected = ["5xx-rate", "p99-latency", "unhealthy-blue", "unhealthy-green"]
    assert names["rollback"] == [alarm(recording, k).outputs["name"] for k in expected]


def test_5xx_alarm_is_a_percentage_of_load_balancer_requests(obs):
    inputs = alarm(obs, "5xx-rate").inputs
    assert inputs["threshold"] == 5.0
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"
    queries = {q["id"]: q for q in inputs["metricQueries"]}
    assert queries["ratio"]["expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    assert queries["ratio"]["returnData"] is True
    assert queries["errors"]["metric"]["metricName"] == "HTTPCode_Target_5XX_Count"
    assert queries["requests"]["metric"]["metricName"] == "RequestCount"
    for key in ("errors", "requests"):
        assert queries[key]["metric"]["dimensions"] == {"LoadBalancer": LB}
        assert queries[key]["metric"]["stat"] == "Sum"


@pytest.mark.parametrize(
    ("suffix", "namespace", "metric", "stat", "operator", "threshold", "dimensions"),
    [
        (
            "p99-latency",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "p99",
            "GreaterThanThreshold",
            1.0,
            {"LoadBalancer": LB},
        ),
        (
            "unhealthy-blue",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            "Maximum",
            "GreaterThanThreshold",
            0,
            {"LoadBalancer": LB, "TargetGroup": BLUE},
        ),
        (
            "unhealthy-green",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            "Maximum",
            "GreaterThanThreshold",
            0,
            {"LoadBalancer": LB, "TargetGroup": GREEN},
        ),
        (
            "ecs-cpu",
            "AWS/ECS",
            "CPUUtilization",
            "Average",
            "GreaterThanThreshold",
            80,
            {"ClusterName": "ecs-platform-test", "ServiceName": "website"},
        ),
        (
            "ecs-memory",
            "AWS/ECS",
            "MemoryUtilization",
            "Average",
            "GreaterThanThreshold",
            80,
            {"ClusterName": "ecs-platform-test", "ServiceName": "website"},
        ),
        (
            "rds-cpu",
            "AWS/RDS",
            "CPUUtilization",
            "Average",
            "GreaterThanThreshold",
            80,
            {"DBInstanceIdentifier": "ecs-platform-test-db"},
        ),
        (
            "rds-free-storage",
            "AWS/RDS",
            "FreeStorageSpace",
            "Minimum",
            "LessThanThreshold",
            2 * GIB,
            {"DBInstanceIdentifier": "ecs-platform-test-db"},
        ),
        (
            "rds-connections",
            "AWS/RDS",
            "DatabaseConnections",
            "Maximum",
            "GreaterThanThreshold",
            80,
            {"DBInstanceIdentifier": "ecs-platform-test-db"},
        ),
        (
            "nat-0-port-allocation",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            "Sum",
            "GreaterThanThreshold",
            0,
            {"NatGatewayId": "nat-0aaa"},
        ),
        (
            "nat-1-port-allocation",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            "Sum",
            "GreaterThanThreshold",
            0,
            {"NatGatewayId": "nat-0bbb"},
        ),
    ],
)
def test_alarm_watches_its_metric_with_its_threshold(
    obs, suffix, namespace, metric, stat, operator, threshold, dimensions
):
    inputs = alarm(obs, suffix).inputs
    assert inputs["namespace"] == namespace
    assert inputs["metricName"] == metric
    assert inputs.get("statistic", inputs.get("extendedStatistic")) == stat
    assert inputs["comparisonOperator"] == operator
    assert inputs["threshold"] == threshold
    assert inputs["dimensions"] == dimensions
    assert inputs["period"] == 60
    assert inputs["evaluationPeriods"] == 2


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(obs):
    topic = obs.one("aws:sns/topic:Topic").outputs["arn"]
    alarms = obs.of_type(ALARM)
    # 5xx, p99, 2 unhealthy, 2 ECS, 3 RDS, 2 NAT, probe, tasks below desired
    assert len(alarms) == 13
    for resource in alarms:
        assert resource.inputs["alarmActions"] == [topic], resource.name
        assert resource.inputs["okActions"] == [topic], resource.name


def test_thresholds_come_from_the_args(build):
    recording = build(
        lambda: Observability(
            "obs",
            make_args(
                error_rate_percent=2.5,
                p99_latency_seconds=0.4,
                database_free_storage_gb=5,
                alarm_period_seconds=300,
                alarm_evaluation_periods=3,
            ),
        )
    )
    assert alarm(recording, "5xx-rate").inputs["threshold"] == 2.5
    assert alarm(recording, "p99-latency").inputs["threshold"] == 0.4
    assert alarm(recording, "rds-free-storage").inputs["threshold"] == 5 * GIB
    assert alarm(recording, "ecs-cpu").inputs["period"] == 300
    assert alarm(recording, "ecs-cpu").inputs["evaluationPeriods"] == 3


def test_no_nat_alarm_without_nat_gateways(build):
    recording = build(lambda: Observability("obs", make_args(nat_gateway_ids=[])))
    assert not [r for r in recording.of_type(ALARM) if "nat" in r.name]


# --- topic ----------------------------------------------------------------------------------
def test_topic_is_encrypted_with_the_customer_key(obs):
    assert obs.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == KEY


def test_email_subscription_only_when_an_address_is_set(obs, build):
    sub = obs.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert (sub["protocol"], sub["endpoint"]) == ("email", "ops@example.test")
    quiet = build(lambda: Observability("obs", make_args(alarm_email="")))
    assert not quiet.of_type("aws:sns/topicSubscription:TopicSubscription")


def test_topic_policy_lets_only_cloudwatch_and_the_workspace_publish(obs):
    policy = json.loads(obs.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    workspace = obs.one("aws:amp/workspace:Workspace").outputs["arn"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"CloudWatchAlarmsPublish", "PrometheusAlertManagerPublish"}
    assert by_sid["CloudWatchAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    aps = by_sid["PrometheusAlertManagerPublish"]
    assert aps["Principal"] == {"Service": "aps.amazonaws.com"}
    assert aps["Condition"]["ArnEquals"] == {"aws:SourceArn": workspace}
    for s in policy["Statement"]:
        assert s["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


# --- Managed Prometheus ---------------------------------------------------------------------
def test_rule_namespaces_are_the_repository_rule_files(obs):
    namespaces = {
        r.inputs["name"]: r.inputs["data"]
        for r in obs.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace")
    }
    assert namespaces == {render.namespace_name(p): p.read_text() for p in render.aws_rule_files()}
    workspace = obs.one("aws:amp/workspace:Workspace")
    for r in obs.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace"):
        assert r.inputs["workspaceId"] == workspace.id


def test_alert_manager_routes_every_receiver_to_the_topic(obs):
    definition = obs.one("aws:amp/alertManagerDefinition:AlertManagerDefinition").inputs
    topic = obs.one("aws:sns/topic:Topic").outputs["arn"]
    assert definition["definition"] == render.amp_alertmanager_definition(topic, "us-east-1")
    inner = yaml.safe_load(yaml.safe_load(definition["definition"])["alertmanager_config"])
    assert {c["topic_arn"] for r in inner["receivers"] for c in r["sns_configs"]} == {topic}


def test_workspace_retention_and_encrypted_log_group(obs, build):
    config = obs.one("aws:amp/workspaceConfiguration:WorkspaceConfiguration").inputs
    assert config["retentionPeriodInDays"] == 150
    log = obs.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (log["kmsKeyId"], log["retentionInDays"]) == (KEY, 30)
    short = build(lambda: Observability("obs", make_args(metrics_retention_days=30)))
    assert (
        short.one("aws:amp/workspaceConfiguration:WorkspaceConfiguration").inputs[
            "retentionPeriodInDays"
        ]
        == 30
    )


def test_outputs_give_the_workspace_and_its_remote_write_url(build):
    seen: dict[str, object] = {}

    def program():
        c = Observability("obs", make_args())
        c.prometheus_workspace_arn.apply(lambda v: seen.setdefault("arn", v))
        c.prometheus_remote_write_url.apply(lambda v: seen.setdefault("url", v))

    recording = build(program)
    workspace = recording.one("aws:amp/workspace:Workspace").outputs
    assert seen["arn"] == workspace["arn"]
    assert seen["url"] == workspace["prometheusEndpoint"].rstrip("/") + "/api/v1/remote_write"


def test_prometheus_off_creates_no_workspace_and_outputs_none(build):
    holder = {}
    recording = build(
        lambda: holder.setdefault("c", Observability("obs", make_args(prometheus=False)))
    )
    assert not [r for r in recording.resources if r.type.startswith("aws:amp/")]
    assert holder["c"].prometheus_workspace_arn is None
    assert holder["c"].prometheus_remote_write_url is None
    policy = json.loads(recording.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["CloudWatchAlarmsPublish"]


# --- collector permissions and configuration ------------------------------------------------
def test_collector_policy_is_remote_write_on_that_workspace_only():
    arn = "arn:aws:aps:us-east-1:123456789012:workspace/ws-abc"
    assert remote_write_policy(arn) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RemoteWriteToWorkspace",
                "Effect": "Allow",
                "Action": ["aps:RemoteWrite"],
                "Resource": arn,
            }
        ],
    }


@pytest.mark.parametrize("bad", ["*", "arn:aws:aps:us-east-1:1:*", ""])
def test_collector_policy_refuses_anything_but_a_workspace_arn(bad):
    with pytest.raises(ValueError, match="workspace ARN"):
        remote_write_policy(bad)


def test_collector_scrapes_the_website_and_remote_writes_with_sigv4():
    url = remote_write_url("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/")
    config = yaml.safe_load(collector_config(url, "eu-west-1", scrape_interval_seconds=30))
    scrape = config["receivers"]["prometheus"]["config"]
    assert scrape["global"]["scrape_interval"] == "30s"
    job = scrape["scrape_configs"][0]
    assert job["job_name"] == "website"
    assert job["metrics_path"] == "/metrics"
    # The website's metrics port (METRICS_PORT, default 9102), not the port the load
    # balancer forwards to.
    assert job["static_configs"] == [{"targets": ["localhost:9102"]}]
    exporter = config["exporters"]["prometheusremotewrite"]
    assert exporter["endpoint"] == url
    assert exporter["auth"] == {"authenticator": "sigv4auth"}
    assert config["extensions"]["sigv4auth"] == {"region": "eu-west-1", "service": "aps"}
    assert config["service"]["pipelines"]["metrics"] == {
        "receivers": ["prometheus"],
        "exporters": ["prometheusremotewrite"],
    }


@pytest.mark.parametrize(
    ("url", "region", "interval", "message"),
    [
        ("http://x/api/v1/remote_write", "eu-west-1", 15, "https URL"),
        ("https://x/api/v1/remote_write", "", 15, "region is required"),
        ("https://x/api/v1/remote_write", "eu-west-1", 1, "allowed: 5 to 300"),
    ],
)
def test_collector_config_rejects_bad_input(url, region, interval, message):
    with pytest.raises(ValueError, match=message):
        collector_config(url, region, scrape_interval_seconds=interval)


# --- synthetic probe ------------------------------------------------------------------------
def test_probe_checks_the_public_url_and_alarms_on_the_topic(obs):
    check = obs.one("aws:route53/healthCheck:HealthCheck").inputs
    assert (check["type"], check["fqdn"], check["port"], check["resourcePath"]) == (
        "HTTPS",
        "www.example.test",
        443,
        "/",
    )
    probe = alarm(obs, "probe-failing").inputs
    assert probe["namespace"] == "AWS/Route53"
    assert probe["metricName"] == "HealthCheckStatus"
    assert probe["dimensions"] == {
        "HealthCheckId": obs.one("aws:route53/healthCheck:HealthCheck").outputs["id"]
    }
    assert probe["alarmActions"] == [obs.one("aws:sns/topic:Topic").outputs["arn"]]


def test_probe_outside_us_east_1_alarms_from_us_east_1_on_an_encrypted_topic(build):
    recording = build(
        lambda: Observability("obs", make_args(region="eu-west-1")), region="eu-west-1"
    )
    topics = recording.of_type("aws:sns/topic:Topic")
    assert len(topics) == 2
    probe_topic = recording.named("obs-probe-alarms")
    probe_key = recording.one("aws:kms/key:Key")
    assert probe_topic.inputs["kmsMasterKeyId"] == probe_key.outputs["arn"]
    assert probe_key.inputs["enableKeyRotation"] is True
    provider = recording.one("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    probe = alarm(recording, "probe-failing")
    assert probe.inputs["alarmActions"] == [probe_topic.outputs["arn"]]
    assert probe.provider.startswith(provider.urn)


def test_probe_target_parses_the_url():
    assert probe_target("http://example.test:8080/readyz") == {
        "type": "HTTP",
        "fqdn": "example.test",
        "port": 8080,
        "resource_path": "/readyz",
    }


# --- dashboard ------------------------------------------------------------------------------
def test_cloudwatch_dashboard_shows_the_alarmed_signals(obs):
    body = json.loads(obs.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metrics = {
        m[1] for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]
    }
    assert metrics >= {
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "UnHealthyHostCount",
        "CPUUtilization",
        "MemoryUtilization",
        "FreeStorageSpace",
        "DatabaseConnections",
        "ErrorPortAllocation",
    }
    alarms = next(w for w in body["widgets"] if w["type"] == "alarm")["properties"]["alarms"]
    assert len(alarms) == 12  # every alarm in the stack region


def test_dashboard_body_without_nat_has_no_nat_widget():
    body = dashboard_body(
        region="us-east-1",
        load_balancer=LB,
        target_groups=[BLUE, GREEN],
        cluster="c",
        service="s",
        database="d",
        nat_gateways=[],
        alarm_arns=[],
    )
    assert not [w for w in body["widgets"] if "NAT" in w["properties"].get("title", "")]


# --- grafana --------------------------------------------------------------------------------
TODAY = date(2026, 11, 29)


@pytest.fixture
def with_grafana(build):
    return build(lambda: Observability("obs", make_args(grafana=True, today=TODAY)))


def token_name_on(build, day: date) -> str:
    rec = build(lambda: Observability("obs", make_args(grafana=True, today=day)))
    return rec.one("aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken").inputs[
        "name"
    ]


def test_grafana_role_may_only_query_the_workspace(with_grafana):
    policy = json.loads(with_grafana.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    workspace = with_grafana.one("aws:amp/workspace:Workspace").outputs["arn"]
    assert [s["Resource"] for s in policy["Statement"]] == [workspace]
    assert all(a.startswith("aps:") and "*" not in a for a in policy["Statement"][0]["Action"])
    trust = json.loads(with_grafana.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "grafana.amazonaws.com"}


def test_grafana_token_is_not_copied_to_secrets_manager(with_grafana):
    # It is a Pulumi secret in the stack's state, used only by the Grafana provider.
    assert not [r for r in with_grafana.resources if r.type.startswith("aws:secretsmanager")]


def test_grafana_token_lives_the_longest_the_api_allows(with_grafana):
    # CreateWorkspaceServiceAccountToken: secondsToLive "up to 30 days in the future".
    token = with_grafana.one(
        "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken"
    )
    assert token.inputs["secondsToLive"] == 30 * 24 * 3600


def window_start(day: date) -> date:
    """First day of the rotation window `day` falls in, found by walking back until the
    token name changes."""
    while grafana_token_name(day - timedelta(days=1)) == grafana_token_name(day):
        day -= timedelta(days=1)
    return day


def test_a_deployment_inside_the_rotation_window_keeps_the_token(build):
    start = window_start(TODAY)
    last = start + timedelta(days=13)
    assert token_name_on(build, start) == token_name_on(build, last)


def test_the_first_deployment_past_the_window_replaces_the_token(build):
    start = window_start(TODAY)
    # The name is the token's only changing input and a token cannot be updated: a new name
    # is a replacement (the provider's WorkspaceServiceAccountToken has no update).
    assert token_name_on(build, start + timedelta(days=14)) != token_name_on(build, start)


def test_a_token_is_always_replaced_before_it_expires():
    # A token made on any day is replaced by the first deployment of the next window, which
    # starts before the token's 30 days are over, whatever day it was made on.
    for offset in range(60):
        made = TODAY + timedelta(days=offset)
        next_window = made
        while grafana_token_name(next_window) == grafana_token_name(made):
            next_window += timedelta(days=1)
        assert (next_window - made).days < 30, made


def test_grafana_data_source_signs_with_the_workspace_iam_role(with_grafana):
    # Grafana's value for the "Workspace IAM role" provider is ec2_iam_role (grafana-aws-sdk
    # AuthTypeEC2IAMRole; Grafana docs, "Configure AWS authentication").
    source = with_grafana.one("grafana:oss/dataSource:DataSource").inputs
    assert json.loads(source["jsonDataEncoded"])["sigV4AuthType"] == "ec2_iam_role"


def test_grafana_gets_the_repository_dashboards_and_the_workspace_data_source(with_grafana):
    source = with_grafana.one("grafana:oss/dataSource:DataSource").inputs
    assert source["uid"] == render.DATASOURCE_UID
    assert (
        source["url"]
        == with_grafana.one("aws:amp/workspace:Workspace").outputs["prometheusEndpoint"]
    )
    assert json.loads(source["jsonDataEncoded"])["sigV4Auth"] is True
    dashboards = with_grafana.of_type("grafana:oss/dashboard:Dashboard")
    assert sorted(d.inputs["configJson"] for d in dashboards) == sorted(
        p.read_text() for p in render.dashboard_files()
    )


def test_grafana_off_by_default(obs):
    assert not [r for r in obs.resources if "grafana" in r.type]


# --- component shape ------------------------------------------------------------------------
def test_children_are_parented_to_the_component_with_unique_names(with_grafana):
    children = [
        r for r in with_grafana.resources if r.type != "ecs-platform:observability:Observability"
    ]
    names = [(r.type, r.name) for r in children]
    assert len(names) == len(set(names))
    for r in children:
        assert r.parent_type == "ecs-platform:observability:Observability", r.name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"public_url": ""}, "synthetic_probe is on but public_url is empty"),
        ({"public_url": "ftp://x"}, "public_url must be an http(s) URL"),
        ({"target_group_arn_suffixes": [BLUE]}, "allowed: exactly 2 (blue, green)"),
        ({"probe_interval_seconds": 20}, "probe_interval_seconds is 20, allowed: 10, 30"),
        ({"grafana": True, "grafana_authentication": ["LDAP"]}, "allowed: one or both of"),
        ({"grafana": True}, "grafana is on but today is not set"),
    ],
)
def test_bad_args_are_rejected_with_an_exact_message(overrides, message):
    with pytest.raises(ValueError) as error:
        make_args(**overrides)
    assert message in str(error.value)


# Thresholds, the alarm period and the address are the stack's settings: settings refuse a bad
# one before anything is declared, naming the key, the value and what is allowed.
@pytest.mark.parametrize(
    ("observability", "message"),
    [
        (
            {"errorRatePercent": 0},
            "observability.errorRatePercent = 0: must be between 0.1 and 100",
        ),
        (
            {"alarmPeriodSeconds": 45},
            "observability.alarmPeriodSeconds = 45: must be a multiple of 60",
        ),
        (
            {"alarmEmail": "not-an-address"},
            'observability.alarmEmail = "not-an-address": must be an e-mail address',
        ),
        # Grafana reads the Prometheus workspace: a rule of the settings alone.
        (
            {"grafana": True, "prometheus": False},
            "observability.grafana = true: needs observability.prometheus: true",
        ),
    ],
)
def test_bad_observability_settings_are_rejected_with_an_exact_message(observability, message):
    config = {
        "tags": {"owner": "web", "costCentre": "cc-1"},
        "dns": {"domain": "www.example.com"},
        "observability": observability,
    }
    with pytest.raises(SettingsError) as error:
        load_settings("test", config)
    assert any(message in str(issue) for issue in error.value.issues)


# --- alarms that cover what the Prometheus rules cannot see in AWS ---------------------------
def test_blackbox_rules_stay_out_of_the_workspace(obs):
    names = {r.inputs["name"] for r in obs.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace")}
    assert "probe" not in names and "website" in names


def test_tasks_below_desired_compares_running_with_desired_tasks(obs):
    inputs = alarm(obs, "tasks-below-desired").inputs
    queries = {q["id"]: q for q in inputs["metricQueries"]}
    assert queries["desired"]["metric"]["metricName"] == "DesiredTaskCount"
    assert queries["running"]["metric"]["metricName"] == "RunningTaskCount"
    for key in ("desired", "running"):
        metric = queries[key]["metric"]
        assert metric["namespace"] == "ECS/ContainerInsights"
        assert metric["dimensions"] == {
            "ClusterName": "ecs-platform-test",
            "ServiceName": "website",
        }
    assert queries["missing"]["expression"] == "desired - FILL(running, 0)"
    assert (inputs["comparisonOperator"], inputs["threshold"]) == ("GreaterThanThreshold", 0)


def test_certificate_expiry_alarms_on_acm_days_to_expiry(build):
    recording = build(lambda: Observability("obs", make_args(certificate_arn=CERTIFICATE)))
    inputs = alarm(recording, "certificate-expiry").inputs
    assert (inputs["namespace"], inputs["metricName"]) == ("AWS/CertificateManager", "DaysToExpiry")
    assert inputs["dimensions"] == {"CertificateArn": CERTIFICATE}
    assert (inputs["statistic"], inputs["comparisonOperator"]) == ("Minimum", "LessThanThreshold")
    assert inputs["threshold"] == 30
    # Published once a day: a day per data point, and two silent days (an expired
    # certificate) count as an alarm.
    assert (inputs["period"], inputs["evaluationPeriods"]) == (86400, 2)
    assert inputs["treatMissingData"] == "breaching"


def test_no_certificate_alarm_without_a_certificate(obs):
    assert not [r for r in obs.of_type(ALARM) if "certificate" in r.name]
