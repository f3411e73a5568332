"""The database: PostgreSQL on RDS, its size, safety and names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_facts import (
    POSTGRES_NAME,
    RDS_BACKUP_RETENTION_DAYS,
    RDS_GP_STORAGE_GIB,
    RDS_INSTANCE_CLASS,
    RDS_MONITORING_INTERVALS,
)
from settings.engine import Issue, setting

_RESERVED_DB_USERS = ("admin", "postgres", "rdsadmin", "root", "master", "administrator")


def _rds_class_problem(value: str) -> str | None:
    if not RDS_INSTANCE_CLASS.match(value):
        return "must be an RDS instance class such as db.t4g.micro or db.r7g.large"
    return None


def _identifier_problem(value: str) -> str | None:
    if not POSTGRES_NAME.match(value):
        return "must start with a letter and hold only a-z, 0-9 and _ (at most 63 characters)"
    return None


def _db_user_problem(value: str) -> str | None:
    if value in _RESERVED_DB_USERS:
        return f"must not be a well-known administrator name ({', '.join(_RESERVED_DB_USERS)})"
    return _identifier_problem(value)


def _engine_version_problem(value: str) -> str | None:
    if not re.match(r"^1[3-8](\.[0-9]+)?$", value):
        return "must be a PostgreSQL major version 13-18, optionally with a minor (e.g. 16 or 16.4)"
    return None


@dataclass(frozen=True)
class DatabaseSettings:
    """PostgreSQL on RDS in the private database subnets."""

    instance_class: str = setting("db.t4g.micro", "RDS instance class.", check=_rds_class_problem)
    engine_version: str = setting(
        "16", "PostgreSQL version (major, or major.minor).", check=_engine_version_problem
    )
    allocated_storage_gb: int = setting(
        20,
        "Initial gp3 storage in GiB.",
        minimum=RDS_GP_STORAGE_GIB[0],
        maximum=RDS_GP_STORAGE_GIB[1],
    )
    max_allocated_storage_gb: int = setting(
        100,
        "Storage autoscaling ceiling in GiB.",
        minimum=RDS_GP_STORAGE_GIB[0],
        maximum=RDS_GP_STORAGE_GIB[1],
    )
    multi_az: bool = setting(False, "Standby replica in a second AZ (required in production).")
    deletion_protection: bool = setting(True, "Refuse DeleteDBInstance (required in production).")
    backup_retention_days: int = setting(
        7,
        "Days automated backups are kept (production: 7+).",
        # RDS takes 0, which turns backups off: the program always keeps them.
        minimum=1,
        maximum=RDS_BACKUP_RETENTION_DAYS[1],
    )
    final_snapshot: bool = setting(True, "Take a snapshot when the instance is deleted.")
    protect: bool = setting(
        True,
        "Pulumi `protect`: `pulumi destroy` refuses to delete it (protectStatefulResources "
        "turns it on too).",
    )
    performance_insights: bool = setting(True, "Performance Insights, 7 days, KMS-encrypted.")
    monitoring_interval_seconds: int = setting(
        60, "Enhanced monitoring interval; 0 turns it off.", one_of=RDS_MONITORING_INTERVALS
    )
    database_name: str = setting(
        "app", "Name of the application database.", check=_identifier_problem
    )
    master_username: str = setting(
        "app_admin",
        "Master user; its password is generated and kept by RDS in Secrets Manager.",
        check=_db_user_problem,
    )


def database_issues(db: DatabaseSettings, issues: list[Issue]) -> None:
    """Storage autoscaling starts from the allocation."""
    if db.max_allocated_storage_gb < db.allocated_storage_gb:
        issues.append(
            Issue(
                "database.maxAllocatedStorageGb",
                db.max_allocated_storage_gb,
                f"must be at least allocatedStorageGb ({db.allocated_storage_gb})",
            )
        )
