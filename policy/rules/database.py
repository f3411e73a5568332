"""The RDS database instance."""

from __future__ import annotations

from policy.graph import (
    RDS_CLUSTER,
    RDS_INSTANCE,
    number,
)
from policy.model import Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    listing,
    resource_rule,
    truthy,
)


@resource_rule(
    "rds-instance-public-access-check",
    M,
    [RDS_INSTANCE],
    "The database is not publicly accessible "
    "(checkov CKV_AWS_17; FSBP RDS.2; awsguard rds-instance-public-access-check).",
)
def rds_not_public(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["publiclyAccessible is true"] if truthy(r.get("publiclyAccessible")) else []


@resource_rule(
    "rds-storage-encrypted",
    M,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Database storage is encrypted at rest "
    "(checkov CKV_AWS_16; FSBP RDS.3; awsguard rds-storage-encrypted).",
)
def rds_encrypted(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if truthy(r.get("storageEncrypted")) else ["storageEncrypted is not true"]


@resource_rule(
    "rds-instance-multi-az-enabled",
    M,
    [RDS_INSTANCE],
    "In production the database is Multi-AZ "
    "(checkov CKV_AWS_157; FSBP RDS.5; awsguard rds-instance-multi-az-enabled).",
)
def rds_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if ctx.production and not truthy(r.get("multiAz")):
        return ["production database is not Multi-AZ"]
    return []


@resource_rule(
    "rds-instance-backup-enabled",
    M,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Automated backups are kept 1 to 35 days "
    "(checkov CKV_AWS_133; FSBP RDS.11; awsguard rds-instance-backup-enabled).",
)
def rds_backups(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    days = number(r.get("backupRetentionPeriod"))
    if days is None or not 1 <= days <= 35:
        return [f"backupRetentionPeriod is {r.get('backupRetentionPeriod')!r}; set 1-35 days"]
    return []


@resource_rule(
    "rds-enhanced-monitoring",
    A,
    [RDS_INSTANCE],
    "Enhanced monitoring is on (checkov CKV_AWS_118; FSBP RDS.6).",
)
def rds_enhanced_monitoring(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    interval = number(r.get("monitoringInterval"))
    return [] if interval and interval > 0 else ["monitoringInterval is 0"]


@resource_rule(
    "rds-log-exports",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Database logs are exported to CloudWatch (checkov CKV_AWS_129; FSBP RDS.9).",
)
def rds_log_exports(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return (
        [] if listing(r.get("enabledCloudwatchLogsExports")) else ["no logs exported to CloudWatch"]
    )


@resource_rule(
    "rds-iam-authentication",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "IAM database authentication is on (checkov CKV_AWS_161; FSBP RDS.10).",
)
def rds_iam_auth(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if truthy(r.get("iamDatabaseAuthenticationEnabled")):
        return []
    return ["iamDatabaseAuthenticationEnabled is not true"]


@resource_rule(
    "rds-auto-minor-version-upgrade",
    A,
    [RDS_INSTANCE],
    "Minor engine upgrades are applied automatically (checkov CKV_AWS_226; FSBP RDS.13).",
)
def rds_auto_minor(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return ["autoMinorVersionUpgrade is false"] if r.get("autoMinorVersionUpgrade") is False else []


@resource_rule(
    "rds-copy-tags-to-snapshot",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "Tags are copied to snapshots (checkov CKV2_AWS_60; FSBP RDS.17).",
)
def rds_copy_tags(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if truthy(r.get("copyTagsToSnapshot")) else ["copyTagsToSnapshot is not true"]


@resource_rule(
    "rds-performance-insights-kms",
    A,
    [RDS_INSTANCE],
    "Performance Insights is on and encrypted with a customer key "
    "(checkov CKV_AWS_353, CKV_AWS_354).",
)
def rds_performance_insights(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if not truthy(r.get("performanceInsightsEnabled")):
        return ["Performance Insights is off"]
    if not r.get("performanceInsightsKmsKeyId"):
        return ["Performance Insights uses the AWS-managed key"]
    return []


@resource_rule(
    "rds-non-default-username",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "The admin user name is not a default one (FSBP RDS.25).",
)
def rds_username(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    user = r.get("username", default=r.get("masterUsername"))
    if isinstance(user, str) and user.lower() in {"postgres", "admin", "root", "master", "sa"}:
        return [f"admin user name {user!r} is a default"]
    return []


@resource_rule(
    "rds-managed-master-password",
    A,
    [RDS_INSTANCE, RDS_CLUSTER],
    "The master password is generated and kept by AWS in Secrets Manager, never set from "
    "config (FSBP RDS.* guidance; no plain-text passwords).",
)
def rds_managed_password(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    out = []
    if r.get("password", default=r.get("masterPassword")) is not None:
        out.append("a master password is set by the program")
    if not truthy(r.get("manageMasterUserPassword")):
        out.append("manageMasterUserPassword is not true")
    return out
