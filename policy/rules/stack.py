"""Rules that look across the whole stack: what reaches what (internet, database, metrics
port), which subnets are public, the stack-wide tags, production's deletion protection and
the companions a resource needs (flow logs, bucket settings, lifecycle policies, WAF,
rotation)."""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from policy.graph import (
    BASTION_COMPONENT,
    DEFAULT_SECURITY_GROUP,
    EC2_INSTANCE,
    ECS_SERVICE,
    LAUNCH_TEMPLATE,
    LISTENERS,
    LOAD_BALANCERS,
    RDS_CLUSTER,
    RDS_INSTANCE,
    S3_BUCKETS,
    SECURITY_GROUP,
    SUBNET,
    TARGET_GROUPS,
    StackIndex,
    is_public_cidr,
    number,
)
from policy.model import UNKNOWN, Resource, StackContext, decode_json
from policy.rules.containers import ECR_REPOSITORY, TASK_DEFINITION, containers
from policy.rules.edge import application_lb
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
    without_companion,
)

VPC = "aws:ec2/vpc:Vpc"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


@stack_rule(
    "vpc-flow-logs-enabled",
    M,
    "Every VPC has flow logs (checkov CKV2_AWS_11; FSBP EC2.6).",
)
def vpc_flow_logs(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources), VPC, "aws:ec2/flowLog:FlowLog", "vpcId", "VPC has no flow log"
    )


@stack_rule(
    "vpc-default-security-group-managed",
    M,
    "Every VPC's default security group is adopted and emptied (checkov CKV2_AWS_12; FSBP EC2.2).",
)
def vpc_default_sg(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources),
        VPC,
        DEFAULT_SECURITY_GROUP,
        "vpcId",
        "the VPC's default security group is not managed (it allows traffic)",
    )


@stack_rule(
    "internet-ingress-only-load-balancer",
    M,
    "Nothing but the load balancer is reachable from the internet: any ingress from outside "
    "the private address space needs a named exception (checkov CKV_AWS_260, CKV_AWS_24, "
    "CKV_AWS_25, CKV_AWS_277; FSBP EC2.18, EC2.19).",
)
def internet_ingress(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for e in index.rule_entries("ingress"):
        for cidr in e.cidrs:
            if is_public_cidr(cidr):
                out.append(
                    Violation(
                        f"ingress from {cidr} on {e.ports_text()} to {group_name(index, e.group)}",
                        e.detail(cidr),
                        e.resource,
                    )
                )
    return out


def group_name(index: StackIndex, urn: str | None) -> str:
    r = index.by_urn.get(urn or "")
    return r.name if r else "an unresolved security group"


def _routes(index: StackIndex, table: Resource) -> list[Mapping[str, Any]]:
    inline = [x for x in listing(table.get("routes")) if isinstance(x, Mapping)]
    separate = [
        route.props for route in index.of_type(ROUTE) if table in index.refs(route, "routeTableId")
    ]
    return inline + separate


def _default_route_to_igw(route: Mapping[str, Any]) -> bool:
    default = (
        route.get("cidrBlock", route.get("destinationCidrBlock")) == "0.0.0.0/0"
        or route.get("ipv6CidrBlock", route.get("destinationIpv6CidrBlock")) == "::/0"
    )
    gateway = route.get("gatewayId")
    return default and gateway is not None and not str(gateway).startswith("vgw-")


def route_tables_of(index: StackIndex, subnet: Resource) -> list[Resource]:
    return [
        table
        for assoc in index.of_type(ROUTE_TABLE_ASSOCIATION)
        if subnet in index.refs(assoc, "subnetId")
        for table in index.refs(assoc, "routeTableId", types=[ROUTE_TABLE])
    ]


def is_public_subnet(index: StackIndex, subnet: Resource) -> bool:
    if truthy(subnet.get("mapPublicIpOnLaunch")):
        return True
    return any(
        _default_route_to_igw(route)
        for table in route_tables_of(index, subnet)
        for route in _routes(index, table)
    )


@stack_rule(
    "ecs-tasks-in-private-subnets",
    M,
    "ECS tasks run only in private subnets, without public IPs (checkov CKV_AWS_333; FSBP ECS.2).",
)
def ecs_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for service in index.of_type(ECS_SERVICE):
        subnets = index.refs(service, "networkConfiguration", types=[SUBNET])
        if not subnets:
            out.append(
                Violation(
                    "tasks' subnets cannot be traced to subnets of this stack", resource=service
                )
            )
        out.extend(
            Violation(f"tasks run in public subnet {s.name}", resource=service)
            for s in subnets
            if is_public_subnet(index, s)
        )
    return out


@stack_rule(
    "private-subnets-route-via-nat",
    A,
    "Private subnets reach the internet through NAT, never an Internet Gateway (checkov CKV2_AWS_35).",
)
def private_routes(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for subnet in index.of_type(SUBNET):
        label = f"{subnet.name} {subnet.get('tags', 'Name')}".lower()
        if any(word in label for word in ("private", "database", "isolated")) and any(
            _default_route_to_igw(r)
            for t in route_tables_of(index, subnet)
            for r in _routes(index, t)
        ):
            out.append(
                Violation("private subnet routes 0.0.0.0/0 to an Internet Gateway", resource=subnet)
            )
    return out


def _bastion_groups(index: StackIndex) -> set[str]:
    return {
        g.urn
        for r in index.of_type(EC2_INSTANCE, LAUNCH_TEMPLATE)
        if r.under(BASTION_COMPONENT)
        for g in index.groups_of(r)
    }


@stack_rule(
    "database-reachable-only-from-service-and-bastion",
    M,
    "The database's security groups take traffic only from the ECS service's and the "
    "bastion's security groups: no CIDR, no other group (checkov CKV_AWS_17; FSBP RDS.2).",
)
def database_reachability(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    allowed = {g.urn for s in index.of_type(ECS_SERVICE) for g in index.groups_of(s)}
    allowed |= _bastion_groups(index)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        groups = {g.urn for g in index.groups_of(db)}
        if not groups:
            out.append(
                Violation(
                    "database has no security group of this stack (default group?)", resource=db
                )
            )
            continue
        for e in index.rule_entries("ingress"):
            if e.group not in groups:
                continue
            where = f"{group_name(index, e.group)} ({e.ports_text()})"
            for cidr in e.cidrs:
                out.append(
                    Violation(f"database group {where} takes {cidr}", e.detail(cidr), e.resource)
                )
            if e.self_reference:
                out.append(
                    Violation(f"database group {where} allows itself", e.detail(), e.resource)
                )
            if e.unresolved_sources:
                out.append(
                    Violation(
                        f"database group {where} has a source that cannot be traced",
                        e.detail(),
                        e.resource,
                    )
                )
            for source in e.sources:
                if source not in allowed:
                    out.append(
                        Violation(
                            f"database group {where} takes traffic from {group_name(index, source)}, "
                            "which is neither the service's nor the bastion's",
                            e.detail(),
                            e.resource,
                        )
                    )
    return out


RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"


@stack_rule(
    "rds-force-ssl",
    M,
    "PostgreSQL enforces TLS through a parameter group with rds.force_ssl=1 "
    "(checkov CKV2_AWS_69; FSBP RDS.38).",
)
def rds_force_ssl(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        engine = db.get("engine")
        if isinstance(engine, str) and "postgres" not in engine:
            continue
        prop, kind = (
            ("parameterGroupName", RDS_PARAMETER_GROUP)
            if db.type == RDS_INSTANCE
            else ("dbClusterParameterGroupName", RDS_CLUSTER_PARAMETER_GROUP)
        )
        groups = index.refs(db, prop, types=[kind])
        if not groups and db.get(prop) is None:
            out.append(
                Violation("uses the default parameter group; rds.force_ssl is not set", resource=db)
            )
            continue
        if not groups:
            groups = [g for g in index.of_type(kind) if g.parent == db.parent]
        forced = any(
            isinstance(p, Mapping)
            and p.get("name") == "rds.force_ssl"
            and str(p.get("value")) == "1"
            for g in groups
            for p in listing(g.get("parameters"))
        )
        if not forced:
            out.append(Violation("parameter group does not set rds.force_ssl=1", resource=db))
    return out


@stack_rule(
    "rds-private-subnet-group",
    A,
    "The database's subnet group holds only private subnets (FSBP RDS.18).",
)
def rds_private_subnets(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for db in index.of_type(RDS_INSTANCE, RDS_CLUSTER):
        for group in index.refs(db, "dbSubnetGroupName", types=["aws:rds/subnetGroup:SubnetGroup"]):
            public = [
                s.name
                for s in index.refs(group, "subnetIds", types=[SUBNET])
                if is_public_subnet(index, s)
            ]
            if public:
                out.append(Violation(f"subnet group includes public subnets {public}", resource=db))
    return out


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


@stack_rule(
    "ecr-lifecycle-policy",
    A,
    "Every repository has a lifecycle policy expiring old images (FSBP ECR.3).",
)
def ecr_lifecycle(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    return without_companion(
        as_index(resources),
        ECR_REPOSITORY,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "repository",
        "no lifecycle policy",
    )


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


# --- The website's metrics port ---------------------------------------------------------

METRICS_PORT_VARIABLE = "METRICS_PORT"


def metrics_ports(index: StackIndex) -> set[int]:
    """Ports the stack's task definitions give their containers as METRICS_PORT."""
    ports: set[int] = set()
    for task in index.of_type(TASK_DEFINITION):
        for container in containers(task):
            for variable in listing(container.get("environment")):
                if isinstance(variable, Mapping) and variable.get("name") == METRICS_PORT_VARIABLE:
                    port = number(variable.get("value"))
                    if port is not None:
                        ports.add(int(port))
    return ports


@stack_rule(
    "metrics-port-unreachable",
    M,
    "The website's metrics port (METRICS_PORT) is reached by no target group, listener, "
    "service load balancer entry or ingress rule of the tasks' security groups: the collector "
    "scrapes it inside the task, so the blue/green listeners carry only ECS's forward rules "
    "(a project rule: checkov, FSBP and awsguard have no counterpart).",
)
def metrics_port_unreachable(
    resources: Iterable[Resource] | StackIndex, ctx: StackContext = DEFAULT_CONTEXT
) -> list[Outcome]:
    index = as_index(resources)
    out: list[Outcome] = []
    for port in sorted(metrics_ports(index)):
        detail = {"port": port}
        for group in index.of_type(*TARGET_GROUPS):
            if number(group.get("port")) == port:
                out.append(
                    Violation(f"target group forwards to metrics port {port}", detail, group)
                )
            if number(group.get("healthCheck", "port")) == port:
                out.append(
                    Violation(f"target group health-checks metrics port {port}", detail, group)
                )
        for listener in index.of_type(*LISTENERS):
            if number(listener.get("port")) == port:
                out.append(Violation(f"listener on metrics port {port}", detail, listener))
        task_groups: set[str] = set()
        for service in index.of_type(ECS_SERVICE):
            for entry in listing(service.get("loadBalancers")):
                if isinstance(entry, Mapping) and number(entry.get("containerPort")) == port:
                    out.append(
                        Violation(
                            f"service maps metrics port {port} to a load balancer", detail, service
                        )
                    )
            groups = index.refs(service, "networkConfiguration", types=[SECURITY_GROUP])
            task_groups |= {g.urn for g in groups}
        out.extend(
            Violation(
                f"{group_name(index, e.group)} admits {e.ports_text()}, which covers metrics port {port}",
                e.detail(),
                e.resource,
            )
            for e in index.rule_entries("ingress")
            if e.group in task_groups and e.covers(port)
        )
    return out
