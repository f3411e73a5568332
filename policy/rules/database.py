"""The RDS database: the instance, its parameter and subnet groups, and who may reach it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policy.graph import (
    BASTION_COMPONENT,
    EC2_INSTANCE,
    ECS_SERVICE,
    LAUNCH_TEMPLATE,
    RDS_CLUSTER,
    RDS_INSTANCE,
    SUBNET,
    StackIndex,
    number,
)
from policy.model import Resource, StackContext
from policy.rules.network import group_name, is_public_subnet
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    Violation,
    as_index,
    listing,
    resource_rule,
    stack_rule,
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


# --- Stack rules: judged with every resource of the stack in view ----------------------


def _bastion_groups(index: StackIndex) -> set[str]:
    return {
        g.urn
        for r in index.of_type(EC2_INSTANCE, LAUNCH_TEMPLATE)
        if r.under(BASTION_COMPONENT)
        for g in index.groups_of(r)
    }


@stack_rule(
    "database-reachable-only-from-service-and-bastion",
    M,
    "The database's security groups take traffic only from the ECS service's and the "
    "bastion's security groups: no CIDR, no other group (checkov CKV_AWS_17; FSBP RDS.2).",
)
def database_reachability(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    allowed = {g.urn for s in index.of_type(ECS_SERVICE) for g in index.groups_of(s)}
    allowed |= _bastion_groups(index)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        groups = {g.urn for g in index.groups_of(db)}
        if not groups:
            out.append(
                Violation(
                    "database has no security group of this stack (default group?)", resource=db
                )
            )
            continue
        for e in index.rule_entries("ingress"):
            if e.group not in groups:
                continue
            where = f"{group_name(index, e.group)} ({e.ports_text()})"
            for cidr in e.cidrs:
                out.append(
                    Violation(f"database group {where} takes {cidr}", e.detail(cidr), e.resource)
                )
            if e.self_reference:
                out.append(
                    Violation(f"database group {where} allows itself", e.detail(), e.resource)
                )
            if e.unresolved_sources:
                out.append(
                    Violation(
                        f"database group {where} has a source that cannot be traced",
                        e.detail(),
                        e.resource,
                    )
                )
            for source in e.sources:
                if source not in allowed:
                    out.append(
                        Violation(
                            f"database group {where} takes traffic from {group_name(index, source)}, "
                            "which is neither the service's nor the bastion's",
                            e.detail(),
                            e.resource,
                        )
                    )
    return out


RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"


@stack_rule(
    "rds-force-ssl",
    M,
    "PostgreSQL enforces TLS through a parameter group with rds.force_ssl=1 "
    "(checkov CKV2_AWS_69; FSBP RDS.38).",
)
def rds_force_ssl(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        engine = db.get("engine")
        if isinstance(engine, str) and "postgres" not in engine:
            continue
        prop, kind = (
            ("parameterGroupName", RDS_PARAMETER_GROUP)
            if db.type == RDS_INSTANCE
            else ("dbClusterParameterGroupName", RDS_CLUSTER_PARAMETER_GROUP)
        )
        groups = index.refs(db, prop, types=[kind])
        if not groups and db.get(prop) is None:
            out.append(
                Violation("uses the default parameter group; rds.force_ssl is not set", resource=db)
            )
            continue
        if not groups:
            groups = [g for g in index.of_type(kind) if g.parent == db.parent]
        forced = any(
            isinstance(p, Mapping)
            and p.get("name") == "rds.force_ssl"
            and str(p.get("value")) == "1"
            for g in groups
            for p in listing(g.get("parameters"))
        )
        if not forced:
            out.append(Violation("parameter group does not set rds.force_ssl=1", resource=db))
    return out


@stack_rule(
    "rds-private-subnet-group",
    A,
    "The database's subnet group holds only private subnets (FSBP RDS.18).",
)
def rds_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        for group in index.refs(db, "dbSubnetGroupName", types=["aws:rds/subnetGroup:SubnetGroup"]):
            public = [
                s.name
                for s in index.refs(group, "subnetIds", types=[SUBNET])
                if is_public_subnet(index, s)
            ]
            if public:
                out.append(Violation(f"subnet group includes public subnets {public}", resource=db))
    return out
