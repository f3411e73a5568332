"""The AWS facts settings rely on agree with AWS's own data as shipped in the development tools:
botocore's endpoint data (regions, where a service is offered) and service models (API bounds
and their documented constraints), cfn-lint's copy of the CloudFormation registry (instance
types per region, Fargate task sizes, resource property bounds) and the AWS provider's own
documentation. When a tool upgrade brings newer data, a stale table fails here instead of in a
deployment."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore
import cfnlint
import pulumi_aws
import pytest
import yaml

import aws_facts
import settings
from settings import FARGATE_SIZES

BOTOCORE = Path(botocore.__file__).parent / "data" / "endpoints.json"
CFN_EXTENSIONS = Path(cfnlint.__file__).parent / "data" / "schemas" / "extensions"
CFN_SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
BOTOCORE_MODELS = Path(botocore.__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


def aws_partition() -> dict[str, Any]:
    partitions = json.loads(BOTOCORE.read_text())["partitions"]
    return next(p for p in partitions if p["partition"] == "aws")


def service_regions(service: str) -> set[str]:
    regions = set(aws_partition()["regions"])
    return set(aws_partition()["services"][service]["endpoints"]) & regions


def cfn_instance_types(region: str | None = None) -> set[str]:
    data = json.loads((CFN_EXTENSIONS / "aws_ec2_instance" / "instancetype_enum.json").read_text())
    if region is not None:
        return set(data[region]["enum"])
    return {t for entry in data.values() if isinstance(entry, dict) for t in entry.get("enum", [])}


def test_every_region_with_az_data_is_an_aws_region() -> None:
    assert set(aws_facts.AZ_COUNT) <= set(aws_partition()["regions"])


def test_grafana_regions_are_the_ones_botocore_serves() -> None:
    assert service_regions("grafana") == aws_facts.GRAFANA_REGIONS


def test_prometheus_and_waf_are_offered_wherever_we_know_the_azs() -> None:
    for service in ("aps", "wafv2", "ecs", "rds"):
        assert set(aws_facts.AZ_COUNT) <= service_regions(service), service


def test_instance_types_the_table_knows_are_ones_ec2_lists() -> None:
    # cfn-lint also lists retired and Mac types the table leaves out; the other way round,
    # only a type newer than cfn-lint's data may be missing.
    unknown = set(aws_facts._instance_table()) - cfn_instance_types()
    assert len(unknown) <= 5, sorted(unknown)


def test_stack_files_use_instance_types_offered_in_their_region() -> None:
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        region = config["aws:region"]
        offered = cfn_instance_types(region)
        for area, key in (
            ("network", "natInstanceType"),
            ("bastion", "instanceType"),
            ("service", "ec2InstanceType"),
        ):
            value = (config.get(f"ecs-platform:{area}") or {}).get(key)
            if value:
                assert value in offered, (path.name, area, key, value)


def test_graviton_types_are_arm64_and_others_are_not() -> None:
    # A spot check against AWS's naming (a `g` after the generation digit means Graviton;
    # a1 is the first Graviton generation).
    for name in ("t4g.nano", "m7g.large", "c6gn.xlarge", "r8g.medium", "a1.large"):
        found = aws_facts.instance_type(name)
        assert found is not None and found.architectures == ("arm64",), name
    for name in ("t3.small", "m7i.large", "c5.xlarge"):
        found = aws_facts.instance_type(name)
        assert found is not None and "arm64" not in found.architectures, name


def test_fargate_sizes_match_the_registry_schema() -> None:
    schema = json.loads(
        (CFN_EXTENSIONS / "aws_ecs_taskdefinition" / "fargate_cpu_memory.json").read_text()
    )
    allowed: dict[int, set[int]] = {}
    for option in schema["then"]["anyOf"]:
        cpu = option["properties"]["Cpu"]["then"]["enum"]
        memory = option["properties"]["Memory"]["then"]
        values = set(memory.get("enum", []))
        if not values:
            low, high = memory["minimum"], memory["maximum"]
            step = memory.get("multipleOf", 1024)
            values = set(range(low, high + 1, step))
        for c in cpu:
            allowed.setdefault(int(c), set()).update(int(v) for v in values)
    assert {cpu: set(sizes) for cpu, sizes in FARGATE_SIZES.items()} == allowed


# ---------------------------------------------------------------------------------------------
# Bounds and names, against botocore's service models and cfn-lint's registry schemas.


@cache
def service_model(service: str) -> dict[str, Any]:
    (path,) = sorted((BOTOCORE_MODELS / service).glob("*/service-2.json*"))[-1:]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    document: dict[str, Any] = json.loads(raw)
    return document


def shape(service: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = service_model(service)["shapes"][name]
    return found


def member_doc(service: str, structure: str, member: str) -> str:
    """A member's documentation as plain text (tags dropped, spaces collapsed)."""
    html = shape(service, structure)["members"][member].get("documentation", "")
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def registry_schema(resource_type: str) -> dict[str, Any]:
    index = json.loads((CFN_SCHEMAS / "providers" / "us-east-1.json").read_text())
    document: dict[str, Any] = json.loads(
        (CFN_SCHEMAS / "resources" / f"{index[resource_type]}.json").read_text()
    )
    return document


def test_settings_re_export_the_facts_they_use() -> None:
    assert settings.FARGATE_SIZES is aws_facts.FARGATE_SIZES
    assert settings.LOG_RETENTION_DAYS is aws_facts.LOG_RETENTION_DAYS


def test_log_retention_days_are_the_ones_cloudwatch_logs_accepts() -> None:
    enum = registry_schema("AWS::Logs::LogGroup")["properties"]["RetentionInDays"]["enum"]
    assert list(aws_facts.LOG_RETENTION_DAYS) == enum
    text = " ".join(re.sub(r"<[^>]+>", " ", shape("logs", "Days")["documentation"]).split())
    listed = re.search(r"Possible values are: ([0-9, and]+)\.", text)
    assert listed is not None
    assert tuple(int(n) for n in re.findall(r"[0-9]+", listed.group(1))) == (
        aws_facts.LOG_RETENTION_DAYS
    )


def test_strategy_bounds_are_the_ones_ecs_takes() -> None:
    definitions = registry_schema("AWS::ECS::Service")["definitions"]

    def bounds(definition: str, prop: str) -> tuple[float, float]:
        entry = definitions[definition]["properties"][prop]
        return entry["minimum"], entry["maximum"]

    hook = shape("ecs", "DeploymentLifecycleHookDuration")
    assert {
        "bake_time_minutes": bounds("DeploymentConfiguration", "BakeTimeInMinutes"),
        "canary_percent": bounds("CanaryConfiguration", "CanaryPercent"),
        "canary_bake_time_minutes": bounds("CanaryConfiguration", "CanaryBakeTimeInMinutes"),
        "linear_step_percent": bounds("LinearConfiguration", "StepPercent"),
        "linear_step_bake_time_minutes": bounds("LinearConfiguration", "StepBakeTimeInMinutes"),
        "approval_timeout_minutes": (hook["min"], hook["max"]),
    } == aws_facts.ECS_STRATEGY_BOUNDS
    for structure, member in (
        ("CanaryConfiguration", "canaryPercent"),
        ("LinearConfiguration", "stepPercent"),
    ):
        step = f"multiples of {aws_facts.ECS_TRAFFIC_PERCENT_STEP:g}"
        assert step in member_doc("ecs", structure, member), member


def test_the_programs_strategy_defaults_lie_within_the_bounds() -> None:
    bounds = aws_facts.ECS_STRATEGY_BOUNDS
    for name, value in (
        ("canary_percent", aws_facts.DEFAULT_CANARY_PERCENT),
        ("canary_bake_time_minutes", aws_facts.DEFAULT_CANARY_BAKE_MINUTES),
        ("linear_step_percent", aws_facts.DEFAULT_LINEAR_STEP_PERCENT),
        ("linear_step_bake_time_minutes", aws_facts.DEFAULT_LINEAR_STEP_BAKE_MINUTES),
    ):
        low, high = bounds[name]
        assert low <= value <= high, name
    # The program sends its defaults explicitly: they are its own, not ECS's (5.0 and 10).
    assert "The default value is 5.0." in member_doc("ecs", "CanaryConfiguration", "canaryPercent")


def test_the_documented_strategy_ranges_are_the_facts() -> None:
    docs = {row[0]: row[3] for row in settings.reference_rows()}
    assert "(0.1-100, default 10)" in docs["deployment.canaryPercent"]
    assert "(0-1440, default 5)" in docs["deployment.canaryBakeTimeMinutes"]
    assert "(3-100, default 25)" in docs["deployment.linearStepPercent"]
    assert "(0-1440, default 2)" in docs["deployment.linearStepBakeTimeMinutes"]
    assert "(1-20160)" in docs["deployment.approvalTimeoutMinutes"]


def test_region_names_match_every_region_of_the_partitions() -> None:
    partitions = json.loads(BOTOCORE.read_text())["partitions"]
    names = [
        region
        for partition in partitions
        if partition["partition"] in ("aws", "aws-cn", "aws-us-gov")
        or partition["partition"].startswith("aws-iso")
        for region in partition["regions"]
    ]
    assert len(names) > 30
    for name in names:
        assert aws_facts.REGION_NAME.match(name), name
    for name in ("us-east", "US-EAST-1", "useast1", "us-east-1a", ""):
        assert not aws_facts.REGION_NAME.match(name), name


def test_rds_instance_identifier_rule_is_the_apis() -> None:
    text = member_doc("rds", "CreateDBInstanceMessage", "DBInstanceIdentifier")
    assert (
        f"Must contain from 1 to {aws_facts.RDS_INSTANCE_IDENTIFIER_MAX_LENGTH} letters, "
        "numbers, or hyphens"
    ) in text
    assert "First character must be a letter" in text
    assert "Can't end with a hyphen or contain two consecutive hyphens" in text
    pattern = aws_facts.RDS_INSTANCE_IDENTIFIER
    for good in ("ecs-platform-stage", "a", "db1-x2"):
        assert pattern.match(good), good
    for bad in ("1db", "db-", "db--x", "-db", "db_x"):
        assert not pattern.match(bad), bad


def test_rds_backup_monitoring_and_storage_bounds_are_the_apis() -> None:
    backup = member_doc("rds", "CreateDBInstanceMessage", "BackupRetentionPeriod")
    low, high = aws_facts.RDS_BACKUP_RETENTION_DAYS
    assert f"Must be a value from {low} to {high}" in backup
    monitoring = member_doc("rds", "CreateDBInstanceMessage", "MonitoringInterval")
    intervals = " | ".join(str(i) for i in aws_facts.RDS_MONITORING_INTERVALS)
    assert f"Valid Values: {intervals}" in monitoring
    storage = member_doc("rds", "CreateDBInstanceMessage", "AllocatedStorage")
    postgres = storage.split("RDS for PostgreSQL", 1)[1]
    low, high = aws_facts.RDS_GP_STORAGE_GIB
    assert re.search(
        rf"General Purpose \(SSD\) storage \(gp2, gp3\): Must be an integer from {low} to {high}",
        postgres,
    )


def test_rds_instance_classes_for_postgres_match_the_pattern() -> None:
    data = json.loads(
        (CFN_EXTENSIONS / "aws_rds_dbinstance" / "dbinstanceclass_enum.json").read_text()
    )
    classes = {
        name
        for rule in data["us-east-1"]["allOf"]
        if rule["if"]["properties"].get("Engine", {}).get("const") == "postgres"
        for name in rule["then"]["properties"]["DBInstanceClass"]["enum"]
    }
    assert len(classes) > 50
    unmatched = sorted(c for c in classes if not aws_facts.RDS_INSTANCE_CLASS.match(c))
    assert unmatched == []


def test_postgres_names_follow_the_dbname_rule() -> None:
    text = member_doc("rds", "CreateDBInstanceMessage", "DBName")
    postgres = text.split("RDS for PostgreSQL", 1)[1]
    assert "Must contain 1 to 63 letters, numbers, or underscores" in postgres
    assert "Must begin with a letter" in postgres
    assert aws_facts.POSTGRES_NAME.match("a" * 63)
    assert not aws_facts.POSTGRES_NAME.match("a" * 64)


def test_capacity_provider_names_follow_the_apis_rule() -> None:
    text = member_doc("ecs", "CreateCapacityProviderRequest", "name")
    assert "Up to 255 characters are allowed" in text
    reserved = re.search(r"can't be prefixed with (.*)\.", text)
    assert reserved is not None
    assert tuple(re.findall(r"[a-z]+", reserved.group(1).replace(" or ", " "))) == (
        aws_facts.CAPACITY_PROVIDER_RESERVED_PREFIXES
    )
    assert aws_facts.CAPACITY_PROVIDER_NAME.fullmatch("cp-x" + "y" * 251)
    assert not aws_facts.CAPACITY_PROVIDER_NAME.fullmatch("y" * 256)


def test_bucket_prefix_limit_is_the_providers() -> None:
    source = (Path(pulumi_aws.__file__).parent / "s3" / "bucket.py").read_text()
    limit = aws_facts.S3_BUCKET_PREFIX_MAX_LENGTH
    assert f"less than or equal to {limit} characters in length" in source
    bucket = registry_schema("AWS::S3::Bucket")["properties"]["BucketName"]
    assert bucket["maxLength"] == aws_facts.S3_BUCKET_NAME_MAX_LENGTH


def test_the_stack_name_limit_keeps_the_access_log_prefix_within_it() -> None:
    # The longest stack name settings accept makes a prefix of exactly the provider's limit.
    longest = "a" * 14
    settings.load_settings(
        longest,
        {"tags": {"owner": "o", "costCentre": "c"}, "dns": {"domain": "www.example.com"}},
    )
    prefix = settings.deployment.access_log_bucket_prefix(longest)
    assert len(prefix) == aws_facts.S3_BUCKET_PREFIX_MAX_LENGTH == 37
    with pytest.raises(settings.SettingsError):
        settings.load_settings(
            longest + "a",
            {"tags": {"owner": "o", "costCentre": "c"}, "dns": {"domain": "www.example.com"}},
        )


def test_target_group_bounds_are_the_registrys() -> None:
    props = registry_schema("AWS::ElasticLoadBalancingV2::TargetGroup")["properties"]
    for name, prop in (
        ("health_check_interval_seconds", "HealthCheckIntervalSeconds"),
        ("health_check_timeout_seconds", "HealthCheckTimeoutSeconds"),
        ("healthy_threshold", "HealthyThresholdCount"),
        ("unhealthy_threshold", "UnhealthyThresholdCount"),
    ):
        assert aws_facts.TARGET_GROUP_BOUNDS[name] == (
            props[prop]["minimum"],
            props[prop]["maximum"],
        ), name
    assert props["HealthCheckPath"]["maxLength"] == (
        aws_facts.TARGET_GROUP_HEALTH_CHECK_PATH_MAX_LENGTH
    )
    attribute = member_doc("elbv2", "TargetGroupAttribute", "Key")
    low, high = aws_facts.TARGET_GROUP_BOUNDS["deregistration_delay_seconds"]
    assert f"The range is {low}-{high} seconds" in attribute


def test_iam_paths_the_program_takes_are_ones_iam_takes() -> None:
    path_type = shape("iam", "pathType")
    assert path_type["max"] == aws_facts.IAM_PATH_MAX_LENGTH
    iam = re.compile(f"^(?:{path_type['pattern']})$")
    for path in ("/", "/ecs-platform/", "/a/b.c/", "/x+y=z,@_-/"):
        assert aws_facts.IAM_PATH.match(path), path
        assert iam.match(path), path
    for path in ("ecs-platform/", "/ecs-platform", "//"):
        assert not aws_facts.IAM_PATH.match(path), path


def test_dns_name_bounds_are_the_ones_acm_takes() -> None:
    domain = shape("acm", "DomainNameString")
    assert domain["max"] == aws_facts.DNS_NAME_MAX_LENGTH
    # ACM's labels: up to 62 characters and a last one that is no hyphen, i.e. 63 in all.
    assert "{0,62}[A-Za-z0-9]" in domain["pattern"]
    assert aws_facts.DNS_LABEL.match("a" * 63)
    assert not aws_facts.DNS_LABEL.match("a" * 64)
    assert not aws_facts.DNS_LABEL.match("-a") and not aws_facts.DNS_LABEL.match("a-")


def test_tag_values_fit_what_aws_takes() -> None:
    value = shape("ecs", "TagValue")
    assert value["max"] == aws_facts.TAG_VALUE_MAX_LENGTH
    assert aws_facts.TAG_VALUE.match("a" * aws_facts.TAG_VALUE_MAX_LENGTH)
    assert not aws_facts.TAG_VALUE.match("a" * (aws_facts.TAG_VALUE_MAX_LENGTH + 1))
    for char in "_.:/=+-@ ":
        assert char in value["pattern"] or char == " ", char
        assert aws_facts.TAG_VALUE.match(f"a{char}b"), char


# ---------------------------------------------------------------------------------------------
# Periods, intervals, lifetimes and limits the components and settings take from aws_facts.


def test_alarm_periods_are_the_ones_cloudwatch_takes() -> None:
    text = member_doc("cloudwatch", "PutMetricAlarmInput", "Period")
    high = ", ".join(str(p) for p in aws_facts.CLOUDWATCH_HIGH_RESOLUTION_PERIODS[:-1])
    last = aws_facts.CLOUDWATCH_HIGH_RESOLUTION_PERIODS[-1]
    assert (
        f"Valid values are {high}, {last}, and any multiple of "
        f"{aws_facts.CLOUDWATCH_STANDARD_PERIOD_SECONDS}"
    ) in text
    assert "for metrics that are stored by a PutMetricData call with a StorageResolution of 1" in (
        text
    )


def test_the_alarm_evaluation_limits_are_cloudwatchs() -> None:
    text = member_doc("cloudwatch", "PutMetricAlarmInput", "Period")
    assert (
        "Period multiplied by EvaluationPeriods can't be more than "
        f"{aws_facts.CLOUDWATCH_MAX_EVALUATION_SECONDS:,} seconds"
    ) in text
    assert (
        f"For alarms with a period of less than one hour "
        f"({aws_facts.CLOUDWATCH_SHORT_PERIOD_SECONDS:,} seconds), the total evaluation period "
        f"can't be longer than one day "
        f"({aws_facts.CLOUDWATCH_MAX_SHORT_PERIOD_EVALUATION_SECONDS:,} seconds)"
    ) in text
    assert aws_facts.cloudwatch_max_evaluation_seconds(3540) == 86_400
    assert aws_facts.cloudwatch_max_evaluation_seconds(3600) == 604_800


def test_the_alarm_period_setting_follows_cloudwatchs_minute() -> None:
    base = {"tags": {"owner": "o", "costCentre": "c"}, "dns": {"domain": "www.example.com"}}
    for period in (60, 120, 300):
        loaded = settings.load_settings(
            "stage",
            {
                **base,
                "observability": {"alarmPeriodSeconds": period},
                # Long enough a bake for two periods of any of them (a rule of its own).
                "deployment": {"bakeTimeMinutes": 10},
            },
        )
        assert loaded.observability.alarm_period_seconds == period
    for period in (0, 10, 20, 30, 45, 90):
        with pytest.raises(settings.SettingsError) as caught:
            settings.load_settings(
                "stage", {**base, "observability": {"alarmPeriodSeconds": period}}
            )
        assert [str(i) for i in caught.value.issues if "alarmPeriodSeconds" in str(i)] == [
            f"ecs-platform:observability.alarmPeriodSeconds = {period}: must be a multiple of 60: "
            "the alarms watch AWS/ECS, AWS/ApplicationELB and AWS/RDS metrics, published once a "
            "minute (CloudWatch's 10, 20, 30 s periods suit only high-resolution metrics and "
            "would see no data in most periods)"
        ], period
    docs = {row[0]: row[3] for row in settings.reference_rows()}
    assert "a multiple of 60" in docs["observability.alarmPeriodSeconds"]
    assert "10, 20, 30 s" in docs["observability.alarmPeriodSeconds"]


def test_kms_deletion_window_is_the_apis() -> None:
    text = member_doc("kms", "ScheduleKeyDeletionRequest", "PendingWindowInDays")
    low, high = aws_facts.KMS_DELETION_WINDOW_DAYS
    assert f"it must be between {low} and {high}, inclusive" in text
    window = registry_schema("AWS::KMS::Key")["properties"]["PendingWindowInDays"]
    assert (window["minimum"], window["maximum"]) == (low, high) == (7, 30)


def test_route53_probe_intervals_are_the_apis() -> None:
    interval = shape("route53", "RequestInterval")
    assert (interval["min"], interval["max"]) == (
        min(aws_facts.ROUTE53_HEALTH_CHECK_INTERVALS),
        max(aws_facts.ROUTE53_HEALTH_CHECK_INTERVALS),
    )
    assert aws_facts.ROUTE53_HEALTH_CHECK_INTERVALS == (10, 30)
    assert "the default value is 30 seconds" in member_doc(
        "route53", "HealthCheckConfig", "RequestInterval"
    )


def test_grafana_token_lifetime_is_the_apis() -> None:
    request = shape("grafana", "CreateWorkspaceServiceAccountTokenRequest")
    lifetime = shape("grafana", request["members"]["secondsToLive"]["shape"])
    assert lifetime["max"] == aws_facts.GRAFANA_TOKEN_MAX_SECONDS == 2592000
    assert "up to 30 days" in member_doc(
        "grafana", "CreateWorkspaceServiceAccountTokenRequest", "secondsToLive"
    )


def test_prometheus_retention_bounds_lie_within_the_apis() -> None:
    request = shape("amp", "UpdateWorkspaceConfigurationRequest")
    retention = shape("amp", request["members"]["retentionPeriodInDays"]["shape"])
    low, high = aws_facts.PROMETHEUS_RETENTION_DAYS
    assert retention["min"] == low == 1
    # The maximum (three years) and the default are the User Guide's; neither model says more.
    assert "max" not in retention
    assert (high, aws_facts.PROMETHEUS_DEFAULT_RETENTION_DAYS) == (1095, 150)
    assert low <= aws_facts.PROMETHEUS_DEFAULT_RETENTION_DAYS <= high


def test_waf_rate_limit_is_the_apis() -> None:
    limit = shape("wafv2", "RateLimit")
    assert (limit["min"], limit["max"]) == aws_facts.WAF_RATE_LIMIT == (10, 2_000_000_000)
    definitions = registry_schema("AWS::WAFv2::WebACL")["definitions"]
    assert (definitions["RateLimit"]["minimum"], definitions["RateLimit"]["maximum"]) == (
        aws_facts.WAF_RATE_LIMIT
    )


def test_rds_snapshot_identifier_rule_is_the_apis() -> None:
    text = member_doc("rds", "CreateDBSnapshotMessage", "DBSnapshotIdentifier")
    assert (
        f"Must contain from 1 to {aws_facts.RDS_SNAPSHOT_IDENTIFIER_MAX_LENGTH} letters, "
        "numbers, or hyphens"
    ) in text
    assert "First character must be a letter" in text
    assert "Can't end with a hyphen or contain two consecutive hyphens" in text
    pattern = aws_facts.RDS_SNAPSHOT_IDENTIFIER
    for good in ("a", "Snap-1", "ecs-platform-stage-final-0123456789ab", "a" * 255):
        assert pattern.match(good), good
    for bad in ("1snap", "snap-", "snap--x", "-snap", "snap_x", "a" * 256):
        assert not pattern.match(bad), bad


def test_vpc_prefix_lengths_are_the_ones_settings_take() -> None:
    widest, narrowest = aws_facts.VPC_IPV4_PREFIX_LENGTHS
    assert (widest, narrowest) == (16, 28)
    base = {"tags": {"owner": "o", "costCentre": "c"}, "dns": {"domain": "www.example.com"}}
    with pytest.raises(settings.SettingsError) as caught:
        settings.load_settings("stage", {**base, "network": {"cidr": "10.0.0.0/15"}})
    assert any("must be an IPv4 block from /16 to /20" in str(i) for i in caught.value.issues)
    with pytest.raises(settings.SettingsError) as caught:
        settings.load_settings(
            "stage",
            {
                **base,
                "network": {
                    "publicSubnetCidrs": ["10.0.224.0/29", "10.0.224.16/28"],
                },
            },
        )
    assert any(
        'network.publicSubnetCidrs = "10.0.224.0/29": must be /28 or larger' in str(i)
        for i in caught.value.issues
    ), caught.value.issues


def test_the_managed_policies_are_named_once() -> None:
    named = {
        aws_facts.ECS_INFRASTRUCTURE_LOAD_BALANCERS_POLICY,
        aws_facts.RDS_ENHANCED_MONITORING_POLICY,
        aws_facts.ECS_CONTAINER_INSTANCE_POLICY,
        aws_facts.SSM_MANAGED_INSTANCE_POLICY,
    }
    assert named == set(aws_facts.MANAGED_POLICIES)
    # The ARNs as the AWS Managed Policy Reference gives them ("Policy details", ARN).
    assert named == {
        "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }


def test_the_linear_step_count_is_one_shift_per_step_until_all_traffic_moved() -> None:
    for step, count in ((100, 1), (50, 2), (33.3, 4), (25, 4), (20, 5), (10, 10), (3, 34)):
        assert aws_facts.linear_step_count(step) == count, step
