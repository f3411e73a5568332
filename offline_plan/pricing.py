"""The price table (offline_plan/prices.yaml) and the usage assumptions (usage.yaml).

Both are data files a user edits; both are checked on load, and a bad file fails with every
problem listed (the key, the value, what is allowed) before anything is priced.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

HERE = Path(__file__).resolve().parent
PRICES_FILE = HERE / "prices.yaml"
USAGE_FILE = HERE.parent / "usage.yaml"


class PlanInputError(Exception):
    """A price or usage file is missing or invalid; the message lists every problem."""


@dataclass(frozen=True)
class Price:
    """One price with where it comes from."""

    key: str
    price: float
    unit: str
    source: str
    date: str
    estimate: bool = False
    note: str = ""


@dataclass(frozen=True)
class PriceTable:
    """Every price the estimate uses, by key, plus EC2 and RDS prices by instance class."""

    region: str
    currency: str
    hours_per_month: float
    as_of: str
    sources: Mapping[str, str]
    prices: Mapping[str, Price]
    ec2_hour: Mapping[str, Price] = field(default_factory=dict)
    rds_hour: Mapping[str, tuple[Price, Price]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise KeyError(f"the price table has no price '{key}'") from None

    def ec2(self, instance_type: str) -> Price | None:
        return self.ec2_hour.get(instance_type)

    def rds(self, instance_class: str, multi_az: bool) -> Price | None:
        pair = self.rds_hour.get(instance_class)
        return None if pair is None else pair[1 if multi_az else 0]


def _read_yaml(path: Path, what: str) -> Any:
    if not path.is_file():
        raise PlanInputError(f"{what} {path} does not exist")
    try:
        # libyaml's safe loader when PyYAML has it (its wheels do): the same documents, read
        # several times faster, which a cached plan notices.
        return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise PlanInputError(f"{what} {path} is not valid YAML: {error}") from error


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _price_entry(
    key: str, raw: Any, sources: Mapping[str, str], problems: list[str], *, amounts: tuple[str, ...]
) -> dict[str, Any] | None:
    where = f"prices.yaml: {key}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping with {', '.join(amounts)}, source and date")
        return None
    ok = True
    for amount in amounts:
        if not _number(raw.get(amount)) or raw[amount] < 0:
            problems.append(f"{where}.{amount} = {raw.get(amount)!r}: must be a number >= 0")
            ok = False
    if raw.get("source") not in sources:
        problems.append(
            f"{where}.source = {raw.get('source')!r}: must be one of the sources listed at the "
            f"top ({', '.join(sources)})"
        )
        ok = False
    if not isinstance(raw.get("date"), str) or not raw["date"]:
        problems.append(f"{where}.date = {raw.get('date')!r}: must be the source's date as text")
        ok = False
    if not isinstance(raw.get("estimate", False), bool):
        problems.append(f"{where}.estimate = {raw.get('estimate')!r}: must be true or false")
        ok = False
    return raw if ok else None


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """Reads and checks the price table; raises PlanInputError listing every problem."""
    doc = _read_yaml(path, "price table")
    if not isinstance(doc, dict):
        raise PlanInputError(f"price table {path} must be a mapping")
    problems: list[str] = []
    listed = doc.get("sources")
    sources: dict[str, str] = listed if isinstance(listed, dict) else {}
    if not sources:
        problems.append("prices.yaml: sources: must map each source name to its description")
    hours = doc.get("hours_per_month")
    if not _number(hours) or not 672 <= hours <= 744:
        problems.append(f"prices.yaml: hours_per_month = {hours!r}: must be a number 672-744")
    prices: dict[str, Price] = {}
    for key, raw in (doc.get("prices") or {}).items():
        entry = _price_entry(key, raw, sources, problems, amounts=("price",))
        if entry:
            prices[key] = _price(key, entry, "price", entry.get("unit", ""))
    ec2: dict[str, Price] = {}
    for key, raw in (doc.get("ec2_hour") or {}).items():
        entry = _price_entry(f"ec2_hour.{key}", raw, sources, problems, amounts=("price",))
        if entry:
            ec2[key] = _price(f"ec2 {key}", entry, "price", "per instance-hour")
    rds: dict[str, tuple[Price, Price]] = {}
    for key, raw in (doc.get("rds_hour") or {}).items():
        entry = _price_entry(f"rds_hour.{key}", raw, sources, problems, amounts=("single", "multi"))
        if entry:
            rds[key] = (
                _price(f"rds {key}", entry, "single", "per instance-hour (single-AZ)"),
                _price(f"rds {key} multi-az", entry, "multi", "per instance-hour (Multi-AZ)"),
            )
    if problems:
        raise PlanInputError(
            f"price table {path} has {len(problems)} problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return PriceTable(
        region=str(doc.get("region", "")),
        currency=str(doc.get("currency", "USD")),
        hours_per_month=float(hours) if _number(hours) else 0.0,  # a number once checked
        as_of=str(doc.get("as_of", "")),
        sources=dict(sources),
        prices=prices,
        ec2_hour=ec2,
        rds_hour=rds,
    )


def _price(key: str, entry: Mapping[str, Any], amount: str, unit: str) -> Price:
    return Price(
        key=key,
        price=float(entry[amount]),
        unit=str(unit),
        source=str(entry["source"]),
        date=str(entry["date"]),
        estimate=bool(entry.get("estimate", False)),
        note=str(entry.get("note", "")),
    )


# ---------------------------------------------------------------------------------------------
# Usage assumptions.

USAGE_KEYS: dict[str, str] = {
    "nat_internet_gb": "GB from private subnets to the internet through NAT",
    "s3_gb": "GB of S3/ECR layer traffic (free via the S3 gateway endpoint)",
    "internet_egress_gb": "GB served to the internet",
    "alb_lcu": "average load balancer capacity units",
    "log_ingest_gb": "CloudWatch Logs GB ingested",
    "log_stored_gb": "CloudWatch Logs GB stored",
    "prometheus_samples_million": "Managed Prometheus samples ingested, millions",
    "prometheus_storage_gb": "Managed Prometheus GB stored",
    "grafana_editors": "Managed Grafana editors",
    "grafana_viewers": "Managed Grafana viewers",
    "waf_requests_million": "requests inspected by WAF, millions",
    "route53_queries_million": "Route53 queries, millions",
    "ecr_storage_gb": "ECR image storage, GB",
    "secret_calls_thousand": "Secrets Manager API calls, thousands",
    "kms_requests_thousand": "KMS requests, thousands",
}


@dataclass(frozen=True)
class Usage:
    """The usage assumptions of one stack (defaults merged with the stack's overrides)."""

    stack: str
    values: Mapping[str, float]
    source: str

    def __getitem__(self, key: str) -> float:
        return self.values[key]


def load_usage(stack: str, path: Path = USAGE_FILE) -> Usage:
    """The usage assumptions for `stack`; raises PlanInputError listing every problem."""
    doc = _read_yaml(path, "usage file")
    if not isinstance(doc, dict):
        raise PlanInputError(f"usage file {path} must be a mapping with 'defaults' and 'stacks'")
    problems: list[str] = []
    for key in doc:
        if key not in ("version", "defaults", "stacks"):
            problems.append(f"{path.name}: {key}: unknown key; allowed: version, defaults, stacks")
    defaults = doc.get("defaults") or {}
    stacks = doc.get("stacks") or {}
    if not isinstance(defaults, dict):
        problems.append(f"{path.name}: defaults: must be a mapping of usage keys to numbers")
        defaults = {}
    if not isinstance(stacks, dict):
        problems.append(f"{path.name}: stacks: must map stack names to usage overrides")
        stacks = {}
    merged: dict[str, float] = {}
    sections: list[tuple[str, Any]] = [("defaults", defaults)]
    sections += [(f"stacks.{name}", section) for name, section in stacks.items()]
    for where, section in sections:
        if not isinstance(section, dict):
            problems.append(f"{path.name}: {where}: must be a mapping of usage keys to numbers")
            continue
        for key, value in section.items():
            if key not in USAGE_KEYS:
                close = difflib.get_close_matches(str(key), USAGE_KEYS, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                problems.append(
                    f"{path.name}: {where}.{key}: unknown usage key; {hint}"
                    f"allowed: {', '.join(USAGE_KEYS)}"
                )
            elif not _number(value) or value < 0:
                problems.append(f"{path.name}: {where}.{key} = {value!r}: must be a number >= 0")
            elif where == "defaults" or where == f"stacks.{stack}":
                merged[key] = float(value)
    missing = [k for k in USAGE_KEYS if k not in merged and not any(k in p for p in problems)]
    if missing:
        problems.append(f"{path.name}: defaults: missing {', '.join(missing)}")
    if problems:
        raise PlanInputError(
            f"usage file {path} has {len(problems)} problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return Usage(stack=stack, values=merged, source=str(path))
