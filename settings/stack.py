"""The whole stack: the areas and top-level keys, `StackSettings`, and `load_settings`, which
checks every area and the FEASIBILITY table before a single resource is declared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aws_facts
from settings.bastion import BastionSettings, bastion_issues
from settings.database import DatabaseSettings, database_issues
from settings.deployment import DeploymentSettings, access_log_bucket_prefix, deployment_issues
from settings.dns import DnsSettings, dns_issues
from settings.engine import PROJECT, Issue, SettingsError, parse_area, type_name, unknown_key_issue
from settings.feasibility import Candidate, feasibility_issues
from settings.iam import IamSettings
from settings.network import NetworkSettings, SubnetPlan, network_issues
from settings.observability import ObservabilitySettings
from settings.release import ReleaseSettings, release_issues
from settings.service import ServiceSettings, service_issues
from settings.tags import TagSettings

# Top-level keys: area objects plus two scalars.
AREAS: dict[str, type] = {
    "tags": TagSettings,
    "network": NetworkSettings,
    "dns": DnsSettings,
    "database": DatabaseSettings,
    "bastion": BastionSettings,
    "service": ServiceSettings,
    "deployment": DeploymentSettings,
    "observability": ObservabilitySettings,
    "iam": IamSettings,
    "release": ReleaseSettings,
}
SCALARS: dict[str, tuple[type[bool] | type[str], bool | str, str]] = {
    "production": (bool, False, "Production stack: the safety settings below must stay on."),
    "acknowledgeUnsafeProduction": (
        str,
        "",
        "Reason for running production with a safety setting off; empty for none.",
    ),
    "protectStatefulResources": (
        bool,
        True,
        "Pulumi `protect` and `retainOnDelete` on what cannot be recreated without loss: the "
        "stack's KMS key, the ECR repository and the database (required in production); "
        "false makes them disposable with the stack (the repository is force-deleted).",
    ),
}


@dataclass(frozen=True)
class StackSettings:
    """Everything the program needs to know about one stack, validated."""

    stack: str
    region: str
    production: bool
    acknowledge_unsafe_production: str
    protect_stateful_resources: bool
    tags: TagSettings
    network: NetworkSettings
    dns: DnsSettings
    database: DatabaseSettings
    bastion: BastionSettings
    service: ServiceSettings
    deployment: DeploymentSettings
    observability: ObservabilitySettings
    iam: IamSettings
    release: ReleaseSettings
    subnets: SubnetPlan

    @property
    def name_prefix(self) -> str:
        """Prefix of the few physical names AWS needs fixed: unique per stack."""
        return f"{PROJECT}-{self.stack}"

    @property
    def access_log_bucket_prefix(self) -> str:
        """Prefix of the load balancer's access-log bucket (the stack-name rule keeps it
        within the provider's bucket_prefix limit)."""
        return access_log_bucket_prefix(self.stack)

    @property
    def https(self) -> bool:
        """Whether the site is served over HTTPS (it is whenever a domain is configured)."""
        return self.dns.domain != ""

    @property
    def public_url(self) -> str:
        """The site's URL as known before anything is deployed (empty without a domain: the
        load balancer's own name is known only after)."""
        return f"https://{self.dns.domain}" if self.https else ""

    @property
    def zone_name(self) -> str:
        """Hosted zone of the domain."""
        if self.dns.zone_name:
            return self.dns.zone_name
        labels = self.dns.domain.split(".")
        return ".".join(labels[1:]) if len(labels) > 2 else self.dns.domain

    def stack_tags(self) -> dict[str, str]:
        """Tags every resource gets through the AWS provider's default tags."""
        return {
            "Project": PROJECT,
            "Environment": self.stack,
            "ManagedBy": "pulumi",
            "Owner": self.tags.owner,
            "CostCentre": self.tags.cost_centre,
        }


_S = TypeVar("_S", bool, str)


def _scalar(key: str, kind: type[_S], raw: Mapping[str, Any], issues: list[Issue]) -> _S:
    """A top-level value of type `kind` (booleans may arrive as "true"/"false")."""
    default = SCALARS[key][1]
    assert isinstance(default, kind)
    value = raw.get(key, default)
    if kind is bool and isinstance(value, str) and value in ("true", "false"):
        value = value == "true"
    if not isinstance(value, kind):
        issues.append(Issue(key, value, f"must be {type_name(kind)}"))
        return default
    return value


def load_settings(stack: str, raw: Mapping[str, Any], region: str = "us-east-1") -> StackSettings:
    """Builds validated settings from the project's config values (keys without namespace)
    and the stack's `aws:region`.

    Raises SettingsError listing every problem when anything is wrong.
    """
    issues: list[Issue] = []
    if not aws_facts.REGION_NAME.match(region or ""):
        issues.append(
            Issue(
                "(aws:region)",
                region,
                "must be an AWS region such as us-east-1; "
                "set it with `pulumi config set aws:region us-east-1`",
            )
        )
    known = [*AREAS, *SCALARS]
    for key in raw:
        if key not in known:
            issues.append(unknown_key_issue("", key, known, raw[key]))

    production = _scalar("production", bool, raw, issues)
    acknowledge = _scalar("acknowledgeUnsafeProduction", str, raw, issues)
    protect = _scalar("protectStatefulResources", bool, raw, issues)

    # Parsed in AREAS order, so that problems are listed as the reference lists the keys.
    tags = parse_area("tags", raw.get("tags"), TagSettings, issues)
    network = parse_area("network", raw.get("network"), NetworkSettings, issues)
    dns = parse_area("dns", raw.get("dns"), DnsSettings, issues)
    database = parse_area("database", raw.get("database"), DatabaseSettings, issues)
    bastion = parse_area("bastion", raw.get("bastion"), BastionSettings, issues)
    service = parse_area("service", raw.get("service"), ServiceSettings, issues)
    deployment = parse_area("deployment", raw.get("deployment"), DeploymentSettings, issues)
    observability = parse_area(
        "observability", raw.get("observability"), ObservabilitySettings, issues
    )
    iam = parse_area("iam", raw.get("iam"), IamSettings, issues)
    release = parse_area("release", raw.get("release"), ReleaseSettings, issues)

    subnets = network_issues(network, issues)
    # Checks across the fields of one area, area by area; checks across areas are the
    # FEASIBILITY table.
    release_issues(release, issues)
    database_issues(database, issues)
    bastion_issues(bastion, issues)
    service_issues(service, issues)
    deployment_issues(deployment, issues)
    dns_issues(dns, issues)
    candidate = Candidate(
        stack=stack,
        region=region,
        production=production,
        acknowledged=bool(acknowledge.strip()),
        protect_stateful_resources=protect,
        subnets=subnets,
        dns=dns,
        network=network,
        database=database,
        bastion=bastion,
        service=service,
        deployment=deployment,
        observability=observability,
        release=release,
    )
    issues.extend(feasibility_issues(candidate))

    if issues:
        raise SettingsError(stack, issues)
    assert subnets is not None
    return StackSettings(
        stack=stack,
        region=region,
        production=production,
        acknowledge_unsafe_production=acknowledge,
        protect_stateful_resources=protect,
        tags=tags,
        network=network,
        dns=dns,
        database=database,
        bastion=bastion,
        service=service,
        deployment=deployment,
        observability=observability,
        iam=iam,
        release=release,
        subnets=subnets,
    )
