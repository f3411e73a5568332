"""Encryption keys, secrets and certificates: KMS keys, the keys and rotation of secrets,
ACM certificates."""

from __future__ import annotations

from collections.abc import Iterable

from policy.graph import StackIndex
from policy.model import Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    as_index,
    resource_rule,
    stack_rule,
    truthy,
    without_companion,
)


@resource_rule(
    "secret-customer-key",
    A,
    ["aws:secretsmanager/secret:Secret"],
    "Secrets are encrypted with a customer-managed key (checkov CKV_AWS_149).",
)
def secret_customer_key(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsKeyId") else ["kmsKeyId is not set (AWS-managed key)"]


@resource_rule(
    "cmk-backing-key-rotation-enabled",
    M,
    ["aws:kms/key:Key"],
    "Symmetric KMS keys rotate yearly "
    "(checkov CKV_AWS_7; FSBP KMS.4; awsguard cmk-backing-key-rotation-enabled).",
)
def kms_rotation(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    spec = r.get("customerMasterKeySpec", default=r.get("keySpec", default="SYMMETRIC_DEFAULT"))
    if spec == "SYMMETRIC_DEFAULT" and not truthy(r.get("enableKeyRotation")):
        return ["enableKeyRotation is not true"]
    return []


@resource_rule(
    "acm-dns-validation",
    A,
    ["aws:acm/certificate:Certificate"],
    "Certificates are validated by DNS so ACM renews them automatically (FSBP ACM.1).",
)
def acm_dns_validation(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    method = r.get("validationMethod")
    if r.get("domainName") and method != "DNS":
        return [f"validationMethod is {method!r}"]
    return []


@stack_rule(
    "secrets-rotation",
    A,
    "Secrets the program creates are rotated (FSBP SecretsManager.1).",
)
def secrets_rotation(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources),
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretRotation:SecretRotation",
        "secretId",
        "no rotation configured",
    )
