"""Database: PostgreSQL on RDS in the isolated database subnets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from aws_facts import RDS_ENHANCED_MONITORING_POLICY, RDS_SNAPSHOT_IDENTIFIER
from components.iam import assume_role_policy
from components.network import Subnets
from settings import DatabaseSettings

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")


def final_snapshot_identifier(identifier: str, *generation: str) -> str:
    """Name of the snapshot RDS takes when the instance is deleted: the identifier plus a digest
    of what identifies this incarnation of the instance.

    The provider reads the name from state at delete time (it is never sent to RDS before),
    and RDS refuses a name a snapshot already has (DBSnapshotAlreadyExists). A fixed name
    therefore breaks the second deletion of a stack, and the deletion of a replaced instance.
    `generation` holds values that change whenever the instance is created anew: the id AWS
    gave the stack's database security group (a re-created stack gets a new one) and the
    inputs whose change replaces the instance (key, database name, master user, engine).
    A digest of them is stable across `pulumi up`s, so the name never causes a diff."""
    digest = hashlib.sha256("\0".join(generation).encode()).hexdigest()[:12]
    name = f"{identifier}-final-{digest}"
    if not RDS_SNAPSHOT_IDENTIFIER.match(name):
        raise ValueError(
            f"final snapshot identifier {name!r} breaks RDS's rule: 1 to 255 letters, digits "
            "or hyphens, first a letter, no two hyphens in a row, not ending in a hyphen"
        )
    return name


def parameter_group_family(engine_version: str) -> str:
    """RDS parameter group family of a PostgreSQL version: 16.4 -> postgres16."""
    return f"postgres{engine_version.split('.')[0]}"


@dataclass(frozen=True)
class DatabaseEndpoint:
    """What the database offers its clients: where it is, which database, the secret holding
    the user and password, and the security group a client's rules point at."""

    address: pulumi.Input[str]
    """Host name of the database endpoint."""
    port: int
    """Port of the database."""
    name: str
    """Application database name."""
    secret_arn: pulumi.Input[str]
    """Secrets Manager secret holding the master user's name and password."""
    security_group_id: pulumi.Input[str]
    """Security group of the database (it admits only what `Database.admit` is told)."""


@dataclass(frozen=True)
class DatabaseArgs:
    """Where the database sits, what it is encrypted with, and its size and safety: the stack's
    database settings, plus what settings do not hold."""

    network: Subnets
    """The VPC: the database is placed in its isolated database subnets (one per AZ)."""
    kms_key_arn: pulumi.Input[str]
    """KMS key for storage, Performance Insights, the master secret and log groups."""
    identifier: str
    """RDS instance identifier, unique in the account and region (e.g. ecs-platform-stage)."""
    protect: bool
    """Pulumi refuses to delete the instance (the stack's protection of what cannot be
    recreated, or the database's own `protect`)."""
    retain_on_delete: bool
    """Deleting the stack (or the resource) leaves the instance in AWS instead of deleting
    it; off makes the database disposable with its stack."""
    log_retention_days: int
    """Days exported PostgreSQL logs are kept (the stack's log retention)."""
    config: DatabaseSettings = field(default_factory=DatabaseSettings)
    """Instance class, engine version, storage, Multi-AZ, deletion protection, backups, the
    final snapshot, Performance Insights, enhanced monitoring and the names of the database
    and its master user: the stack's database settings."""


class Database(pulumi.ComponentResource):
    """RDS PostgreSQL: private, encrypted, TLS only, password managed by AWS."""

    address: pulumi.Output[str]
    """Host name of the database endpoint."""
    port: int
    """Port of the database."""
    instance_id: pulumi.Output[str]
    """RDS instance identifier (the CloudWatch DBInstanceIdentifier dimension)."""
    secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the master user's name and password."""
    security_group_id: pulumi.Output[str]
    """Security group of the database; admits only what `admit` is told."""
    database_name: str
    """Application database name."""
    offer: DatabaseEndpoint
    """All of the above a client needs, as one value."""

    def __init__(self, name: str, args: DatabaseArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:database:Database", name, None, opts)
        self._name = name
        child = ResourceOptions(parent=self)
        db = args.config
        self._sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.network.vpc_id,
            description="PostgreSQL: admits only the service and the bastion",
            tags={"Name": f"{name}-db"},
            opts=child,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.network.database,
            description="Isolated database subnets",
            tags={"Name": f"{name}-subnets"},
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=parameter_group_family(db.engine_version),
            description="TLS only; slow statements logged",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "1000"},
            ],
            tags={"Name": f"{name}-params"},
            opts=child,
        )
        # Created before the instance so that RDS writes into encrypted groups with retention
        # instead of creating unencrypted, never-expiring ones itself.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{kind}",
                name=f"/aws/rds/instance/{args.identifier}/{kind}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags={"Name": f"{name}-{kind}"},
                opts=child,
            )
            for kind in LOG_EXPORTS
        ]
        monitoring_role = None
        if db.monitoring_interval_seconds:
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring-role",
                assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"),
                description="RDS enhanced monitoring publishes OS metrics",
                tags={"Name": f"{name}-monitoring"},
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-monitoring",
                role=monitoring_role.name,
                policy_arn=RDS_ENHANCED_MONITORING_POLICY,
                opts=child,
            )
        instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage=db.allocated_storage_gb,
            max_allocated_storage=db.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_name=db.database_name,
            username=db.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self._sg.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=db.multi_az,
            deletion_protection=db.deletion_protection,
            backup_retention_period=db.backup_retention_days,
            backup_window="03:00-03:30",
            maintenance_window="sun:04:00-sun:04:30",
            copy_tags_to_snapshot=True,
            skip_final_snapshot=not db.final_snapshot,
            final_snapshot_identifier=(
                pulumi.Output.all(
                    self._sg.id, args.kms_key_arn, db.database_name, db.master_username
                ).apply(
                    lambda generation: final_snapshot_identifier(
                        args.identifier, "postgres", *generation
                    )
                )
                if db.final_snapshot
                else None
            ),
            auto_minor_version_upgrade=True,
            performance_insights_enabled=db.performance_insights,
            performance_insights_kms_key_id=args.kms_key_arn if db.performance_insights else None,
            performance_insights_retention_period=7 if db.performance_insights else None,
            monitoring_interval=db.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            ca_cert_identifier="rds-ca-rsa2048-g1",
            tags={"Name": f"{name}-instance"},
            opts=ResourceOptions(
                parent=self,
                protect=args.protect,
                retain_on_delete=args.retain_on_delete,
                depends_on=log_groups,
            ),
        )
        self.address = instance.address
        self.port = POSTGRES_PORT
        self.instance_id = instance.identifier
        self.secret_arn = instance.master_user_secrets.apply(lambda s: s[0].secret_arn or "")
        self.security_group_id = self._sg.id
        self.database_name = db.database_name
        self.offer = DatabaseEndpoint(
            address=self.address,
            port=self.port,
            name=self.database_name,
            secret_arn=self.secret_arn,
            security_group_id=self.security_group_id,
        )
        self.register_outputs(
            {
                "address": self.address,
                "instance_id": self.instance_id,
                "secret_arn": self.secret_arn,
                "security_group_id": self.security_group_id,
            }
        )

    def admit(self, client: str, security_group_id: pulumi.Input[str], description: str) -> None:
        """Lets one client security group reach PostgreSQL; nothing else ever can."""
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-from-{client}",
            security_group_id=self._sg.id,
            referenced_security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description=description,
            opts=ResourceOptions(parent=self),
        )
