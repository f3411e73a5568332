"""S3 buckets: public access, versioning, encryption, TLS-only policies, lifecycle and access
logging, each judged with the bucket's separate configuration resources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policy.graph import LOAD_BALANCERS, S3_BUCKETS, StackIndex
from policy.model import Resource, StackContext
from policy.rules.identity import statements
from policy.rules.registry import (
    DEFAULT_CONTEXT,
    A,
    M,
    Outcome,
    Violation,
    as_index,
    listing,
    stack_rule,
    truthy,
)


def _bucket_parts(index: StackIndex, bucket: Resource, *types: str) -> list[Resource]:
    return [r for r in index.of_type(*types) if bucket in index.refs(r, "bucket")]


S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
S3_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_rule(
    "s3-public-access-block",
    M,
    "Every bucket blocks public access with all four flags "
    "(checkov CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56; FSBP S3.1, S3.8).",
)
def s3_public_access_block(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        blocks = _bucket_parts(index, bucket, *S3_PAB)
        if not blocks:
            out.append(Violation("no public access block", resource=bucket))
        for block in blocks:
            off = [f for f in PAB_FLAGS if not truthy(block.get(f))]
            if off:
                out.append(Violation(f"public access block leaves {off} off", resource=block))
    return out


@stack_rule(
    "s3-bucket-versioning",
    M,
    "Every bucket is versioned (checkov CKV_AWS_21; FSBP S3.14).",
)
def s3_versioning(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        inline = truthy(bucket.get("versioning", "enabled"))
        separate = any(
            v.get("versioningConfiguration", "status") == "Enabled"
            for v in _bucket_parts(index, bucket, *S3_VERSIONING)
        )
        if not (inline or separate):
            out.append(Violation("versioning is not enabled", resource=bucket))
    return out


def _sse_algorithms(index: StackIndex, bucket: Resource) -> list[str]:
    rules = [
        rule for sse in _bucket_parts(index, bucket, *S3_SSE) for rule in listing(sse.get("rules"))
    ]
    rules += listing(bucket.get("serverSideEncryptionConfiguration", "rule"))
    return [
        str((rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm"))
        for rule in rules
        if isinstance(rule, Mapping)
    ]


@stack_rule(
    "s3-bucket-kms-encryption",
    M,
    "Every bucket is encrypted with KMS by default; the load balancer's access-log bucket is "
    "the named exception ALB_ACCESS_LOGS_SSE_S3 (checkov CKV_AWS_145; FSBP S3.17).",
)
def s3_kms(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        algorithms = _sse_algorithms(index, bucket)
        if not any(a.startswith("aws:kms") for a in algorithms):
            algorithm = algorithms[0] if algorithms else None
            out.append(
                Violation(
                    f"default encryption is {algorithm or 'not configured'}, not aws:kms",
                    {"bucket": bucket.urn, "algorithm": algorithm},
                    bucket,
                )
            )
    return out


def _denies_insecure_transport(document: Any) -> bool:
    for s in statements(document):
        condition = s.get("Condition") or {}
        flag = (
            (condition.get("Bool") or {}).get("aws:SecureTransport")
            if isinstance(condition, Mapping)
            else None
        )
        if s.get("Effect") == "Deny" and str(flag).lower() == "false":
            return True
    return False


@stack_rule(
    "s3-bucket-ssl-requests-only",
    M,
    "Every bucket policy denies requests without TLS (FSBP S3.5).",
)
def s3_tls_only(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for bucket in index.of_type(*S3_BUCKETS):
        documents = [p.get("policy") for p in _bucket_parts(index, bucket, *S3_POLICY)]
        documents.append(bucket.get("policy"))
        if not any(_denies_insecure_transport(d) for d in documents):
            out.append(Violation("no policy denies aws:SecureTransport=false", resource=bucket))
    return out


@stack_rule(
    "s3-bucket-lifecycle",
    A,
    "Buckets expire old object versions with a lifecycle rule (checkov CKV2_AWS_61).",
)
def s3_lifecycle(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    return [
        Violation("no lifecycle configuration", resource=b)
        for b in index.of_type(*S3_BUCKETS)
        if not _bucket_parts(index, b, *S3_LIFECYCLE) and not listing(b.get("lifecycleRules"))
    ]


@stack_rule(
    "s3-bucket-logging-enabled",
    A,
    "Buckets log access to another bucket; log target buckets are exempt "
    "(checkov CKV_AWS_18; awsguard s3-bucket-logging-enabled).",
)
def s3_logging(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    loggings = index.of_type(*S3_LOGGING)
    targets = {t.urn for lg in loggings for t in index.refs(lg, "targetBucket")}
    targets |= {
        t.urn for lb in index.of_type(*LOAD_BALANCERS) for t in index.refs(lb, "accessLogs")
    }
    return [
        Violation("access logging is not enabled", resource=b)
        for b in index.of_type(*S3_BUCKETS)
        if b.urn not in targets
        and not any(b in index.refs(lg, "bucket") for lg in loggings)
        and not listing(b.get("loggings"))
    ]
