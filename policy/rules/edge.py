"""The load balancer: listeners, TLS policies, the balancer itself, its target groups and
its WAF."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policy.graph import (
    LISTENERS,
    LOAD_BALANCERS,
    TARGET_GROUPS,
    StackIndex,
)
from policy.model import UNKNOWN, Resource, StackContext
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

MODERN_TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-",
    "ELBSecurityPolicy-TLS13-1-3-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
)


@resource_rule(
    "alb-http-to-https-redirection",
    M,
    LISTENERS,
    "Listeners speak HTTPS; an HTTP listener only redirects to HTTPS "
    "(checkov CKV_AWS_2, CKV2_AWS_20; FSBP ELB.1; awsguard alb-http-to-https-redirection).",
)
def alb_https_only(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    protocol = r.get("protocol")
    if protocol is UNKNOWN or (protocol or "HTTP").upper() != "HTTP":
        return []
    actions = [a for a in listing(r.get("defaultActions")) if isinstance(a, Mapping)]
    if not actions:
        return ["HTTP listener has no default action; it must redirect to HTTPS"]
    for action in actions:
        redirect = action.get("redirect") or {}
        if action.get("type") != "redirect" or str(redirect.get("protocol")).upper() != "HTTPS":
            return ["HTTP listener must only redirect to HTTPS"]
    return []


@resource_rule(
    "alb-tls-policy",
    M,
    LISTENERS,
    "HTTPS listeners use a TLS 1.2+ security policy such as "
    "ELBSecurityPolicy-TLS13-1-2-2021-06 (checkov CKV_AWS_103, CKV2_AWS_74; FSBP ELB.17).",
)
def alb_tls_policy(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if str(r.get("protocol")).upper() not in {"HTTPS", "TLS"}:
        return []
    policy = r.get("sslPolicy")
    if policy is UNKNOWN:
        return []
    if not isinstance(policy, str) or not policy.startswith(MODERN_TLS_POLICIES):
        return [f"sslPolicy {policy!r} allows TLS below 1.2 (the default does)"]
    return []


def application_lb(r: Resource) -> bool:
    return r.get("loadBalancerType") in (None, "application")


@resource_rule(
    "alb-drop-invalid-headers",
    M,
    LOAD_BALANCERS,
    "Application load balancers drop invalid HTTP header fields (checkov CKV_AWS_131; FSBP ELB.4).",
)
def alb_drop_invalid_headers(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if application_lb(r) and not truthy(r.get("dropInvalidHeaderFields")):
        return ["dropInvalidHeaderFields is not true"]
    return []


@resource_rule(
    "elb-access-logging-enabled",
    A,
    LOAD_BALANCERS,
    "Load balancers write access logs to S3 "
    "(checkov CKV_AWS_91; FSBP ELB.5; awsguard elb-access-logging-enabled).",
)
def elb_access_logs(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    logs = r.get("accessLogs") or {}
    if not isinstance(logs, Mapping) or not truthy(logs.get("enabled")) or not logs.get("bucket"):
        return ["access logs are not enabled"]
    return []


@resource_rule(
    "elb-deletion-protection-enabled",
    A,
    LOAD_BALANCERS,
    "In production, load balancers have deletion protection "
    "(checkov CKV_AWS_150; FSBP ELB.6; awsguard elb-deletion-protection-enabled).",
)
def elb_deletion_protection(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if ctx.production and not truthy(r.get("enableDeletionProtection")):
        return ["production load balancer without deletion protection"]
    return []


@resource_rule(
    "alb-desync-mitigation",
    A,
    LOAD_BALANCERS,
    "HTTP desync mitigation is defensive or strictest (checkov CKV_AWS_328; FSBP ELB.12).",
)
def alb_desync(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    mode = r.get("desyncMitigationMode")
    if application_lb(r) and isinstance(mode, str) and mode not in {"defensive", "strictest"}:
        return [f"desyncMitigationMode is {mode!r}"]
    return []


@resource_rule(
    "alb-multi-az",
    A,
    LOAD_BALANCERS,
    "Load balancers span at least two availability zones (FSBP ELB.13).",
)
def alb_multi_az(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    subnets = r.get("subnets")
    mappings = r.get("subnetMappings")
    if subnets is UNKNOWN or mappings is UNKNOWN:
        return []
    count = len(listing(subnets)) + len(listing(mappings))
    return [f"spans {count} subnet(s); at least 2 are needed"] if count < 2 else []


@resource_rule(
    "target-group-health-check-path",
    A,
    TARGET_GROUPS,
    "HTTP target groups have an enabled health check with a path (checkov CKV_AWS_261).",
)
def target_group_health_check(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    if (
        str(r.get("protocol", default="HTTP")).upper() not in {"HTTP", "HTTPS"}
        or r.get("targetType") == "lambda"
    ):
        return []
    check = r.get("healthCheck") or {}
    if not isinstance(check, Mapping) or check.get("enabled") is False or not check.get("path"):
        return ["no health check path"]
    return []


@stack_rule(
    "alb-waf",
    A,
    "An internet-facing load balancer is protected by a WAF web ACL (checkov CKV2_AWS_28; FSBP ELB.16).",
)
def alb_waf(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    associations = index.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    return [
        Violation("no WAF web ACL association", resource=lb)
        for lb in index.of_type(*LOAD_BALANCERS)
        if not truthy(lb.get("internal"))
        and application_lb(lb)
        and not any(lb in index.refs(a, "resourceArn") for a in associations)
    ]
