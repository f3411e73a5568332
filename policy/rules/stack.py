"""Rules over the stack as a whole, across every area: the stack-wide tags on every taggable
resource and production's deletion protection of every stateful resource."""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from policy.graph import RDS_CLUSTER, RDS_INSTANCE, S3_BUCKETS, StackIndex, number
from policy.model import UNKNOWN, Resource, StackContext, decode_json
from policy.rules.containers import ECR_REPOSITORY
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    M,
    Outcome,
    Violation,
    as_index,
    stack_rule,
    truthy,
)


@functools.cache
def taggable(resource_type: str) -> bool | None:
    """Whether pulumi_aws gives the type a ``tags`` input; None when the type is unknown."""
    try:
        package, module, cls = resource_type.split(":")
    except ValueError:
        return None
    if package != "aws":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            mod = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
        klass = getattr(mod, cls)
        return "tags" in inspect.signature(klass._internal_init).parameters
    except (ImportError, AttributeError, ValueError, TypeError):
        return None


def _provider_tags(index: StackIndex, r: Resource) -> Mapping[str, Any]:
    """Default tags of the resource's explicit provider (a reference is ``urn::id``)."""
    if not r.provider:
        return {}
    provider = index.by_urn.get(r.provider) or index.by_urn.get(r.provider.rsplit("::", 1)[0])
    # Provider inputs arrive with nested values encoded as JSON strings.
    defaults = decode_json(provider.get("defaultTags")) if provider else None
    tags = decode_json(defaults.get("tags")) if isinstance(defaults, Mapping) else None
    return tags if isinstance(tags, Mapping) else {}


@stack_rule(
    "stack-tags",
    M,
    "Every taggable resource carries the stack-wide tags Project, Environment, ManagedBy, "
    "Owner and CostCentre (from the provider's default tags) (checkov CKV_AWS_* tagging "
    "guidance; FSBP tagging controls such as EC2.33).",
)
def stack_tags(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for r in index.resources:
        if not r.type.startswith("aws:") or r.type.startswith("pulumi:"):
            continue
        kind = taggable(r.type)
        if kind is False or (kind is None and "tags" not in r.props and "tagsAll" not in r.props):
            continue
        tags = r.get("tagsAll")
        if tags is UNKNOWN:
            continue
        if not isinstance(tags, Mapping):
            own = r.get("tags")
            tags = {**_provider_tags(index, r), **(own if isinstance(own, Mapping) else {})}
        missing = [k for k in ctx.required_tags if not tags.get(k)]
        if missing:
            out.append(Violation(f"missing stack-wide tags {missing}", resource=r))
    return out


def _deletion_problems(r: Resource) -> list[str]:
    if r.type in (RDS_INSTANCE, RDS_CLUSTER):
        problems = []
        if not truthy(r.get("deletionProtection")):
            problems.append("deletionProtection is not true")
        if truthy(r.get("skipFinalSnapshot")):
            problems.append("skipFinalSnapshot is true")
        return problems
    if r.type in S3_BUCKETS and truthy(r.get("forceDestroy")):
        return ["forceDestroy is true"]
    if r.type == ECR_REPOSITORY and truthy(r.get("forceDelete")):
        return ["forceDelete is true"]
    if r.type == "aws:secretsmanager/secret:Secret" and number(r.get("recoveryWindowInDays")) == 0:
        return ["recoveryWindowInDays is 0 (deleted at once)"]
    return []


@stack_rule(
    "prod-deletion-protection",
    M,
    "In production, stateful resources are protected from deletion: the database has "
    "deletion protection and a final snapshot; buckets, repositories and secrets are not "
    "force-deleted (checkov CKV_AWS_293; FSBP RDS.8, RDS.7).",
)
def prod_deletion_protection(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    if not ctx.production:
        return []
    index = as_index(resources)
    return [Violation(p, resource=r) for r in index.resources for p in _deletion_problems(r)]
