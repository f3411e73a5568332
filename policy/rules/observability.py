"""Log groups and alarm topics."""

from __future__ import annotations

from policy.graph import (
    number,
)
from policy.model import Resource, StackContext
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    resource_rule,
)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@resource_rule(
    "log-group-kms",
    M,
    [LOG_GROUP],
    "Log groups are encrypted with a KMS key (checkov CKV_AWS_158).",
)
def log_group_kms(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsKeyId") else ["kmsKeyId is not set"]


@resource_rule(
    "log-group-retention",
    M,
    [LOG_GROUP],
    "Log groups have a retention period (checkov CKV_AWS_66).",
)
def log_group_retention(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    days = number(r.get("retentionInDays"))
    return [] if days and days > 0 else ["retentionInDays is not set (logs kept forever)"]


@resource_rule(
    "sns-topic-encrypted",
    A,
    ["aws:sns/topic:Topic"],
    "Topics are encrypted with a KMS key (checkov CKV_AWS_26; FSBP SNS.1).",
)
def sns_encrypted(r: Resource, ctx: StackContext = DEFAULT_CONTEXT) -> list[str]:
    return [] if r.get("kmsMasterKeyId") else ["kmsMasterKeyId is not set"]
