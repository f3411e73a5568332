"""Typed, validated stack settings: the only place the program reads stack configuration.

Every key lives under the `ecs-platform:` namespace of `Pulumi.<stack>.yaml`, one object per
area (`network`, `database`, ...). `load_settings` turns those objects into one frozen
`StackSettings`, checking everything before a single resource is declared: a bad stack file
fails with every problem listed at once, each naming the key path, the value and what is
allowed. `read_stack` is the one reader of a stack file for everything that runs offline;
`from_pulumi_config` serves the running program; both decode values alike.

The package is split by area: `engine` (how a setting is declared, parsed and reported) at
the bottom, then one module per area holding its dataclass and its checks, `feasibility` (the
cross-area rules), `stack` (StackSettings, load_settings), `stack_file` (the readers) and
`docs` (the generated reference). Nothing here needs the Pulumi engine except
`from_pulumi_config`, which only collects the raw values.
"""

from aws_facts import FARGATE_SIZES, LOG_RETENTION_DAYS
from settings.bastion import BastionSettings
from settings.database import DatabaseSettings
from settings.deployment import DeploymentSettings, TrafficShift, access_log_bucket_prefix
from settings.dns import DnsSettings, domain_problem
from settings.docs import area_defaults, config_block, reference_rows, reference_table
from settings.engine import PROJECT, Issue, SettingsError, camel, setting
from settings.feasibility import (
    BUILT_IMAGE_ARCHITECTURE,
    FEASIBILITY,
    Candidate,
    Feasibility,
    feasibility_issues,
)
from settings.iam import IamSettings
from settings.network import NetworkSettings, SubnetPlan, plan_subnets
from settings.observability import ObservabilitySettings
from settings.release import ReleaseSettings
from settings.service import METRICS_PORT, ServiceSettings
from settings.stack import AREAS, SCALARS, StackSettings, load_settings
from settings.stack_file import (
    ROOT,
    StackFile,
    StackFileError,
    decode_config,
    from_pulumi_config,
    project_name,
    raw_project_config,
    read_stack,
    secret_placeholder,
    stack_name_problem,
    stack_names,
)
from settings.tags import STACK_TAG_KEYS, TagSettings

__all__ = [
    "AREAS",
    "BUILT_IMAGE_ARCHITECTURE",
    "FARGATE_SIZES",
    "FEASIBILITY",
    "LOG_RETENTION_DAYS",
    "METRICS_PORT",
    "PROJECT",
    "ROOT",
    "SCALARS",
    "STACK_TAG_KEYS",
    "BastionSettings",
    "Candidate",
    "DatabaseSettings",
    "DeploymentSettings",
    "DnsSettings",
    "Feasibility",
    "IamSettings",
    "Issue",
    "NetworkSettings",
    "ObservabilitySettings",
    "ReleaseSettings",
    "ServiceSettings",
    "SettingsError",
    "StackFile",
    "StackFileError",
    "StackSettings",
    "SubnetPlan",
    "TagSettings",
    "TrafficShift",
    "access_log_bucket_prefix",
    "area_defaults",
    "camel",
    "config_block",
    "decode_config",
    "domain_problem",
    "feasibility_issues",
    "from_pulumi_config",
    "load_settings",
    "plan_subnets",
    "project_name",
    "raw_project_config",
    "read_stack",
    "reference_rows",
    "reference_table",
    "secret_placeholder",
    "setting",
    "stack_name_problem",
    "stack_names",
]
