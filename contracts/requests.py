"""The request AWS would evaluate when the deploy role calls an action on a stack's resource.

The context carries what AWS supplies for that action, as the IAM service-authorization
catalog lists it on the action's row: the requested region always; `aws:RequestTag/<key>` and
`aws:TagKeys` when the action accepts tags on the request (the stack's default tags: the
provider sends them); `aws:ResourceTag/<key>` when the action acts on an existing tagged
resource (not for a create, whose resource does not exist yet). A key the catalog does not
list for the action is left out, as AWS leaves it out.

Limits: one resource per request (RunInstances also names its subnet, image and groups; only
the instance is modelled), and the resource's tags are the stack's default tags plus its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts import catalog
from contracts.evaluator import ContextValue, Request
from contracts.sources import aws_resources, environment_of, iam_arn, region_of
from mock_engine import ACCOUNT_ID, RecordedResource, Recording

# IAM, Route 53, STS and Organizations are global: their requests carry us-east-1
# ("aws:RequestedRegion", IAM User Guide, AWS global condition context keys).
GLOBAL_SERVICES = {"iam", "route53", "sts", "organizations", "cloudfront", "sso"}

# The service-linked role each service creates on first use ("Using service-linked roles"
# in each service's guide); iam:AWSServiceName carries this name.
SERVICE_LINKED_ROLE_NAMES: dict[str, str] = {
    "ecs": "ecs.amazonaws.com",
    "elasticloadbalancing": "elasticloadbalancing.amazonaws.com",
    "rds": "rds.amazonaws.com",
    "autoscaling": "autoscaling.amazonaws.com",
    "application-autoscaling": "ecs.application-autoscaling.amazonaws.com",
    "grafana": "grafana.amazonaws.com",
    "aps": "aps.amazonaws.com",
    "ec2": "spot.amazonaws.com",
    "wafv2": "wafv2.amazonaws.com",
}

_CREATE_VERBS = ("Create", "Run", "Allocate", "Request", "Register", "Put")


@dataclass
class StackView:
    """A rendered stack, indexed for building requests."""

    name: str
    environment: str
    region: str
    resources: list[RecordedResource]
    tags: dict[str, str]
    boundary_arn: str = ""
    stack: str = ""
    by_name: dict[str, RecordedResource] = field(default_factory=dict)

    @classmethod
    def of(
        cls, name: str, recording: Recording, boundary_arn: str = "", stack: str = ""
    ) -> StackView:
        resources = aws_resources(recording)
        tags: dict[str, str] = {}
        for r in recording.resources:
            if r.type == "pulumi:providers:aws":
                raw = r.inputs.get("defaultTags") or {}
                if isinstance(raw, str):
                    raw = json.loads(raw)
                tags = dict(raw.get("tags") or {})
        view = cls(
            name=name,
            environment=environment_of(recording) or name,
            region=region_of(recording),
            resources=resources,
            tags=tags,
            boundary_arn=boundary_arn,
            stack=stack or name,
        )
        for r in resources:
            view.by_name.setdefault(str(r.outputs.get("name") or r.name), r)
        return view

    def first(self, type_token: str) -> RecordedResource | None:
        return next((r for r in self.resources if r.type == type_token), None)


def arn_of(r: RecordedResource) -> str:
    """The resource's ARN as AWS forms it (IAM ARNs carry the path)."""
    kinds = {
        "aws:iam/role:Role": "role",
        "aws:iam/policy:Policy": "policy",
        "aws:iam/instanceProfile:InstanceProfile": "instance-profile",
    }
    if r.type in kinds:
        return iam_arn(r, kinds[r.type])
    return str(r.outputs.get("arn") or "*")


def _arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else ""


def bucket_name(bucket: RecordedResource) -> str:
    """The bucket's name in AWS: explicit, or `bucketPrefix` plus the provider's unique
    suffix (the mock engine leaves the prefix out of its placeholder name)."""
    if bucket.inputs.get("bucket"):
        return str(bucket.inputs["bucket"])
    if bucket.inputs.get("bucketPrefix"):
        return f"{bucket.inputs['bucketPrefix']}20261129000000000000000001"
    return str(bucket.outputs.get("bucket") or bucket.name)


def _bucket_of(r: RecordedResource, view: StackView) -> str:
    buckets = [
        b for b in view.resources if b.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
    ]
    if r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        return bucket_name(r)
    wanted = r.inputs.get("bucket")
    for b in buckets:
        if wanted in (b.outputs.get("bucket"), b.outputs.get("id"), b.id):
            return bucket_name(b)
    return bucket_name(buckets[0]) if buckets else "*"


def _role_record(r: RecordedResource, view: StackView) -> RecordedResource | None:
    if r.type == "aws:iam/role:Role":
        return r
    role = r.inputs.get("role")
    if role and str(role) in view.by_name:
        return view.by_name[str(role)]
    return view.first("aws:iam/role:Role")


def resource_for(action: str, r: RecordedResource | None, view: StackView) -> str:
    """The ARN the action acts on when it works on `r` (or on the stack's resource of the
    action's service); `*` for actions that name no resource."""
    service, _, name = catalog.canonical(action).partition(":")
    if r is None:
        return "*"
    if service == "iam":
        # ListInstanceProfilesForRole names a role, not a profile (IAM service authorization
        # reference: its resource type is `role`).
        if "InstanceProfile" in name and not name.endswith("ForRole"):
            profile = (
                r
                if r.type == "aws:iam/instanceProfile:InstanceProfile"
                else view.first("aws:iam/instanceProfile:InstanceProfile")
            )
            return iam_arn(profile, "instance-profile") if profile else "*"
        if name in (
            "CreatePolicy",
            "CreatePolicyVersion",
            "DeletePolicy",
            "DeletePolicyVersion",
            "GetPolicy",
            "GetPolicyVersion",
            "ListPolicyVersions",
            "TagPolicy",
            "UntagPolicy",
            "ListPolicyTags",
            "SetDefaultPolicyVersion",
        ):
            if r.type == "aws:iam/policy:Policy":
                return arn_of(r)
            attached = r.inputs.get("policyArn")
            if attached:
                return str(attached)
            return "*"
        if name == "CreateServiceLinkedRole":
            return f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/*"
        if "Role" in name:
            role = _role_record(r, view)
            return arn_of(role) if role else "*"
        return "*"
    if service == "secretsmanager" and r.type == "aws:rds/instance:Instance":
        # The master user secret RDS manages is named rds!db-<resource id> (RDS User Guide,
        # "Password management with Amazon RDS and AWS Secrets Manager").
        return f"arn:aws:secretsmanager:{view.region}:{ACCOUNT_ID}:secret:rds!db-0123456789abcdef"
    if service == "s3":
        bucket = _bucket_of(r, view)
        return f"arn:aws:s3:::{bucket}/*" if "Object" in name else f"arn:aws:s3:::{bucket}"
    own = arn_of(r)
    if _arn_service(own) == service:
        return own
    for other in view.resources:
        candidate = arn_of(other)
        if _arn_service(candidate) == service and other.type in _PRIMARY_TYPES:
            return candidate
    return "*"


# Types whose mock ARN is the one AWS gives (mock_engine.mocks computes them).
_PRIMARY_TYPES = {
    "aws:kms/key:Key",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:sns/topic:Topic",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/service:Service",
    "aws:ecr/repository:Repository",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:secretsmanager/secret:Secret",
    "aws:amp/workspace:Workspace",
    "aws:wafv2/webAcl:WebAcl",
    "aws:autoscaling/group:Group",
}


def context_for(
    action: str,
    view: StackView,
    resource_tags: Mapping[str, str] | None = None,
    extra: Mapping[str, ContextValue] | None = None,
) -> dict[str, ContextValue]:
    """What AWS puts in the request context for `action` in this stack."""
    service, _, name = catalog.canonical(action).partition(":")
    row = catalog.action_condition_keys(action)
    ctx: dict[str, ContextValue] = {
        "aws:RequestedRegion": "us-east-1" if service in GLOBAL_SERVICES else view.region,
        "aws:SecureTransport": "true",
    }
    tags = {**view.tags, **(resource_tags or {})}
    takes_request_tags = "aws:RequestTag/${TagKey}" in row
    # Request tags only where the action's row lists them; a resource's own tags wherever its
    # resource type supports them (many rows, e.g. UntagResource, list only aws:TagKeys).
    takes_resource_tags = "aws:ResourceTag/${TagKey}" in catalog.condition_keys(action)
    # A create that takes request tags acts on a resource that does not exist yet.
    creates = takes_request_tags and name.startswith(_CREATE_VERBS) and "Tag" not in name
    if takes_request_tags:
        for key, value in tags.items():
            ctx[f"aws:RequestTag/{key}"] = value
        ctx["aws:TagKeys"] = sorted(tags)
    if takes_resource_tags and not creates:
        for key, value in tags.items():
            ctx[f"aws:ResourceTag/{key}"] = value
    ctx.update(extra or {})
    return ctx


def request_for(
    action: str,
    r: RecordedResource | None,
    view: StackView,
    extra: Mapping[str, ContextValue] | None = None,
) -> Request:
    """The request the deploy role makes for `action` on `r` in this stack."""
    service, _, name = catalog.canonical(action).partition(":")
    context_extra: dict[str, ContextValue] = dict(extra or {})
    if service == "iam" and name in (
        "CreateRole",
        "PutRolePermissionsBoundary",
        "PutRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "DeleteRolePolicy",
    ):
        role = _role_record(r, view) if r is not None else None
        boundary = str(role.inputs.get("permissionsBoundary") or "") if role else ""
        # docs/operations.md, step 2, sets iam.permissionsBoundaryArn to the bootstrap's boundary.
        context_extra.setdefault("iam:PermissionsBoundary", boundary or view.boundary_arn)
    if service == "iam" and name == "CreateServiceLinkedRole" and r is not None:
        owner = r.type.split(":")[1].split("/")[0]
        owner = {
            "lb": "elasticloadbalancing",
            "appautoscaling": "application-autoscaling",
            "amp": "aps",
            "cloudwatch": "logs",
        }.get(owner, owner)
        if owner in SERVICE_LINKED_ROLE_NAMES:
            context_extra.setdefault("iam:AWSServiceName", SERVICE_LINKED_ROLE_NAMES[owner])
    if service == "kms" and r is not None:
        via = r.type.split(":")[1].split("/")[0]
        via = {"cloudwatch": "logs", "amp": "aps"}.get(via, via)
        if via not in ("kms",):
            context_extra.setdefault("kms:ViaService", f"{via}.{view.region}.amazonaws.com")
    if service == "secretsmanager" and r is not None and r.type == "aws:rds/instance:Instance":
        # RDS creates and tags that secret itself through a forward access session: the
        # request carries aws:CalledVia = rds.amazonaws.com (IAM User Guide, "AWS global
        # condition context keys": aws:CalledVia) and RDS's tags, not the stack's.
        context_extra.setdefault("aws:CalledVia", ["rds.amazonaws.com"])
    resource_tags = {}
    if r is not None and isinstance(r.inputs.get("tags"), dict):
        resource_tags = {str(k): str(v) for k, v in r.inputs["tags"].items()}
    return Request(
        action=catalog.canonical(action),
        resource=resource_for(action, r, view),
        context=context_for(action, view, resource_tags, context_extra),
    )
