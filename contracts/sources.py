"""What the checks read: the stacks as the program declares them and the bootstrap's roles.

The main program is rendered under the offline plan's mock engine (each stack once, plus one
variant configuration that turns on the optional resource types). The bootstrap program's
`declare()` runs under the same engine, so the deploy and preview roles are checked with
every document the bootstrap really attaches to them, whatever it attaches.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks as runtime_mocks

from contracts.evaluator import Document
from mock_engine import (
    ACCOUNT_ID,
    ROOT,
    AwsMocks,
    RecordedResource,
    Recording,
    record,
    render_config,
)
from settings import read_stack

BOOTSTRAP_DIR = ROOT / "bootstrap"
BOOTSTRAP_PROJECT = "ecs-platform-bootstrap"

# The bootstrap is a program of its own, run from bootstrap/: its modules import each other
# as top-level modules, so they are imported here as its tests import them.
if str(BOOTSTRAP_DIR) not in sys.path:
    sys.path.insert(0, str(BOOTSTRAP_DIR))

import bootstrap_policies as pol  # noqa: E402
import bootstrap_resources as res  # noqa: E402

# The optional resource types the two stack files leave off, switched on over stage's
# configuration (docs/configuration.md documents each key): EC2 capacity, one shared NAT Gateway,
# interface endpoints, a created hosted zone, Grafana, ECS Exec, an alarm subscription and
# a bastion reached over SSH with its key pair.
VARIANT_OVERRIDES: dict[str, dict[str, Any]] = {
    "ecs-platform:bastion": {
        "enabled": True,
        "sshCidrs": ["203.0.113.0/24"],
        "sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIContractCheckVariantKeyOnly",
    },
    "ecs-platform:network": {"natStrategy": "single", "interfaceEndpoints": True},
    "ecs-platform:dns": {"createZone": True},
    "ecs-platform:service": {"capacity": "ec2", "fargateSpotPercent": 0, "ecsExec": True},
    "ecs-platform:deployment": {"strategy": "linear", "waf": True},
    "ecs-platform:observability": {
        "grafana": True,
        "prometheus": True,
        "alarmEmail": "alerts@example.com",
    },
}


def variant_config(base_stack: str = "stage") -> dict[str, Any]:
    """`base_stack`'s stack file with VARIANT_OVERRIDES merged into its objects."""
    # The stack file as the CLI passes it (objects as JSON text); only the overridden objects
    # are decoded, merged and handed back as objects.
    config: dict[str, Any] = dict(read_stack(base_stack, ROOT).config)
    for key, values in VARIANT_OVERRIDES.items():
        config[key] = {**json.loads(config.get(key, "{}")), **values}
    return config


def render_variant(stack: str = "stage") -> Recording:
    """The program with the optional types on, as the `stack` environment (its tags)."""
    return render_config(stack, variant_config(stack))


# --- reading a recording ---------------------------------------------------------------


def environment_of(recording: Recording) -> str:
    """The Environment tag the stack's AWS provider puts on everything (default tags)."""
    for r in recording.resources:
        if r.type == "pulumi:providers:aws":
            tags = r.inputs.get("defaultTags") or {}
            if isinstance(tags, str):
                tags = json.loads(tags)
            env = (tags.get("tags") or {}).get("Environment")
            if env:
                return str(env)
    return ""


def region_of(recording: Recording) -> str:
    for r in recording.resources:
        if r.type == "pulumi:providers:aws" and r.inputs.get("region"):
            return str(r.inputs["region"])
    return "us-east-1"


def aws_resources(recording: Recording) -> list[RecordedResource]:
    """Custom resources of the AWS provider (components and providers left out)."""
    return [r for r in recording.resources if r.custom and r.type.startswith("aws:")]


def document_of(value: object) -> Document | None:
    """A policy input as a dict (the provider takes JSON text or an object)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else None
    return None


@dataclass(frozen=True)
class PolicyDocument:
    """A policy document the project writes, with where it comes from."""

    origin: str
    document: Document
    kind: str = "identity"  # identity | resource | boundary


# Inputs that hold a policy document, per resource type.
_POLICY_INPUTS: dict[str, tuple[str, str]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy", "identity"),
    "aws:iam/policy:Policy": ("policy", "identity"),
    "aws:iam/role:Role": ("assumeRolePolicy", "trust"),
    "aws:kms/key:Key": ("policy", "resource"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "resource"),
    "aws:sns/topicPolicy:TopicPolicy": ("policy", "resource"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy", "resource"),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy", "resource"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument", "resource"),
}


def policy_documents(recording: Recording, label: str) -> list[PolicyDocument]:
    """Every policy document a recording declares (identity, resource and trust)."""
    found: list[PolicyDocument] = []
    for r in recording.resources:
        spec = _POLICY_INPUTS.get(r.type)
        if spec is None:
            continue
        doc = document_of(r.inputs.get(spec[0]))
        if doc is not None:
            found.append(PolicyDocument(f"{label}: {r.type.split(':')[-1]} {r.name}", doc, spec[1]))
    return found


@dataclass(frozen=True)
class WorkloadRole:
    """A role the program creates, with its own policies and the managed ones attached."""

    name: str
    arn: str
    documents: tuple[Document, ...]
    managed_policy_arns: tuple[str, ...]
    trusted_services: tuple[str, ...]
    boundary_arn: str


def iam_arn(r: RecordedResource, kind: str) -> str:
    """The ARN AWS gives an IAM role/policy/instance profile: its path is part of it."""
    path = str(r.inputs.get("path") or "/")
    return f"arn:aws:iam::{ACCOUNT_ID}:{kind}{path}{r.outputs.get('name') or r.name}"


def workload_roles(recording: Recording) -> list[WorkloadRole]:
    """The roles a stack declares, with every document that grants them something."""
    resources = aws_resources(recording)
    policies = {r.outputs.get("arn"): r for r in resources if r.type == "aws:iam/policy:Policy"}
    roles = []
    for role in (r for r in resources if r.type == "aws:iam/role:Role"):
        name = str(role.outputs.get("name") or role.name)
        docs: list[Document] = []
        managed: list[str] = []
        for r in resources:
            if r.inputs.get("role") not in (name, role.outputs.get("id")):
                continue
            if r.type == "aws:iam/rolePolicy:RolePolicy":
                doc = document_of(r.inputs.get("policy"))
                if doc:
                    docs.append(doc)
            elif r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                arn = str(r.inputs.get("policyArn"))
                if arn in policies:
                    doc = document_of(policies[arn].inputs.get("policy"))
                    if doc:
                        docs.append(doc)
                else:
                    managed.append(arn)
        for inline in role.inputs.get("inlinePolicies") or []:
            doc = document_of(inline.get("policy"))
            if doc:
                docs.append(doc)
        managed.extend(str(a) for a in role.inputs.get("managedPolicyArns") or [])
        trust = document_of(role.inputs.get("assumeRolePolicy")) or {}
        services = sorted(
            {
                str(svc)
                for s in trust.get("Statement", [])
                for svc in _as_list((s.get("Principal") or {}).get("Service"))
            }
        )
        roles.append(
            WorkloadRole(
                name=role.name,
                arn=iam_arn(role, "role"),
                documents=tuple(docs),
                managed_policy_arns=tuple(managed),
                trusted_services=tuple(services),
                boundary_arn=str(role.inputs.get("permissionsBoundary") or ""),
            )
        )
    return roles


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# --- the bootstrap program ---------------------------------------------------------------


class _IamPathMocks(AwsMocks):
    """The offline mocks, with IAM ARNs carrying the resource's path as AWS's do."""

    def new_resource(self, args: runtime_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, out = super().new_resource(args)
        kinds = {
            "aws:iam/role:Role": "role",
            "aws:iam/policy:Policy": "policy",
            "aws:iam/instanceProfile:InstanceProfile": "instance-profile",
        }
        if args.typ in kinds:
            path = str(args.inputs.get("path") or "/")
            out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{kinds[args.typ]}{path}{out['name']}"
        return rid, out


@dataclass
class CiRole:
    """A CI role of the bootstrap and every document attached to it."""

    name: str
    arn: str
    documents: list[Document] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)
    policy_arns: list[str] = field(default_factory=list)


@dataclass
class BootstrapView:
    """The bootstrap as declared for its account stack."""

    region: str
    environments: tuple[str, ...]
    workload_path: str
    deploy_roles: dict[str, CiRole]
    preview_role: CiRole
    ci_roles: dict[str, CiRole]
    boundary_arn: str
    boundary: Document
    keys: dict[str, tuple[str, Document]]  # logical name -> (ARN, key policy)
    state_bucket_arn: str
    state_prefix: str
    documents: list[PolicyDocument]


def _account_settings() -> pol.BootstrapSettings:
    # Read and decoded as `pulumi up` in bootstrap/ does: the CLI's text encoding, then
    # bootstrap/__main__.py's decoding by each key's type.
    account = read_stack("account", BOOTSTRAP_DIR)
    prefix = f"{BOOTSTRAP_PROJECT}:"
    raw = {k[len(prefix) :]: v for k, v in account.config.items() if k.startswith(prefix)}
    return res.settings_from_cli_config(raw, account.region)


def render_bootstrap() -> BootstrapView:
    """Runs the bootstrap's declare() for its account stack and collects the CI roles."""
    settings = _account_settings()

    def declare() -> None:
        res.declare(settings, ACCOUNT_ID, "aws")

    records = record(
        declare,
        stack="account",
        project=BOOTSTRAP_PROJECT,
        mocks=_IamPathMocks(region=settings.region),
    ).resources
    custom = [r for r in records if r.custom and r.type.startswith("aws:")]
    policies = {str(r.outputs.get("arn")): r for r in custom if r.type == "aws:iam/policy:Policy"}
    roles: dict[str, CiRole] = {}
    for r in custom:
        if r.type == "aws:iam/role:Role":
            role = CiRole(name=r.name, arn=iam_arn(r, "role"))
            name = str(r.outputs.get("name") or r.name)
            for other in custom:
                if other.inputs.get("role") not in (name, r.outputs.get("id")):
                    continue
                if other.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                    arn = str(other.inputs.get("policyArn"))
                    if arn in policies:
                        doc = document_of(policies[arn].inputs.get("policy"))
                        if doc:
                            role.documents.append(doc)
                        role.policy_arns.append(arn)
                    else:
                        role.managed_policy_arns.append(arn)
                elif other.type == "aws:iam/rolePolicy:RolePolicy":
                    doc = document_of(other.inputs.get("policy"))
                    if doc:
                        role.documents.append(doc)
            for inline in r.inputs.get("inlinePolicies") or []:
                doc = document_of(inline.get("policy"))
                if doc:
                    role.documents.append(doc)
            role.managed_policy_arns.extend(r.inputs.get("managedPolicyArns") or [])
            roles[r.name] = role
    boundary_records = [
        r
        for r in custom
        if r.type == "aws:iam/policy:Policy" and r.name.startswith("workload-boundary")
    ]
    if not boundary_records:
        raise LookupError("the bootstrap declares no workload-boundary policy")
    boundary = boundary_records[0]
    keys = {
        r.name: (str(r.outputs.get("arn")), document_of(r.inputs.get("policy")) or {})
        for r in custom
        if r.type == "aws:kms/key:Key"
    }
    buckets = [r for r in custom if r.type == "aws:s3/bucket:Bucket"]
    deploy = {
        env: roles[f"deploy-{env}"] for env in settings.environments if f"deploy-{env}" in roles
    }
    return BootstrapView(
        region=settings.region,
        environments=tuple(settings.environments),
        workload_path=settings.workload_iam_path,
        deploy_roles=deploy,
        preview_role=roles["preview"],
        ci_roles=roles,
        boundary_arn=iam_arn(boundary, "policy"),
        boundary=document_of(boundary.inputs.get("policy")) or pol.workload_boundary_policy(),
        keys=keys,
        state_bucket_arn=str(buckets[0].outputs.get("arn")) if buckets else "",
        state_prefix=pol.STATE_PREFIX,
        documents=_bootstrap_documents(custom),
    )


def _bootstrap_documents(custom: Iterable[RecordedResource]) -> list[PolicyDocument]:
    found = []
    for r in custom:
        spec = _POLICY_INPUTS.get(r.type)
        if spec is None:
            continue
        doc = document_of(r.inputs.get(spec[0]))
        if doc is not None:
            kind = "boundary" if r.name.startswith("workload-boundary") else spec[1]
            found.append(PolicyDocument(f"bootstrap: {r.type.split(':')[-1]} {r.name}", doc, kind))
    return found
