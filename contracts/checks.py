"""The contract checks, as plain functions over rendered stacks and policy documents.

Each check returns a list of findings (empty when the contract holds), so tests can hand it
a broken copy of the documents or the stacks and see it fail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts import catalog, data
from contracts.evaluator import ContextValue, Document, Request, is_allowed, statements
from contracts.mapping import LOOKUPS, PROVIDER_CALLS, Api, Skip, coverage, is_component
from contracts.requests import StackView, arn_of, context_for, request_for
from contracts.sources import PolicyDocument, WorkloadRole, document_of
from mock_engine import ACCOUNT_ID, RecordedResource


@dataclass(frozen=True)
class Missing:
    """An action a declared resource needs that the deploy role is not allowed."""

    stack: str
    pulumi_type: str
    source: str  # the CFN type (handler) or the API citation
    action: str
    resource: str


# --- 1. deploy-role coverage -------------------------------------------------------------


def required_actions(
    type_token: str, inputs: Mapping[str, Any] | None = None
) -> tuple[dict[str, set[str]], list[str]]:
    """Actions a declared resource needs, keyed by where the need comes from; plus errors.
    `inputs` (the resource's) decide the provider calls that depend on an input."""
    cov = coverage(type_token)
    if cov is None:
        return {}, [f"{type_token}: not in contracts.mapping.TYPE_MAP (map it explicitly)"]
    if isinstance(cov, Skip):
        return {}, []
    if isinstance(cov, Api):
        return {cov.source: set(cov.actions)}, []
    needs: dict[str, set[str]] = {}
    errors = []
    for calls in PROVIDER_CALLS.get(type_token, ()):
        if not calls.when or (inputs or {}).get(calls.when):
            needs[calls.source] = set(calls.actions)
    for cfn_type in cov.types:
        if not catalog.cfn_type_exists(cfn_type):
            errors.append(f"{type_token}: CloudFormation type {cfn_type} has no registry schema")
            continue
        perms = catalog.handler_permissions(cfn_type)
        needs[cfn_type] = {a for handler in perms.values() for a in handler}
    return needs, errors


@dataclass(frozen=True)
class StateTarget:
    """Where the stacks' state and secrets live: bucket ARN, prefix, and a key ARN per env."""

    bucket_arn: str
    prefix: str
    key_arns: Mapping[str, str]


def coverage_check(
    views: Sequence[StackView],
    deploy_documents: Mapping[str, Sequence[Document]],
    state: StateTarget | None = None,
) -> tuple[list[Missing], list[str]]:
    """Every action a declared resource's contract lists is allowed to the deploy role of
    the resource's environment, or excluded with a reviewed reason."""
    missing: list[Missing] = []
    errors: list[str] = []
    seen: set[tuple[str, str, str, str]] = set()
    for view in views:
        documents = deploy_documents.get(view.environment)
        if documents is None:
            errors.append(
                f"{view.name}: the bootstrap declares no deploy role for {view.environment}"
            )
            continue
        for r in view.resources:
            if is_component(r.type, r.custom):
                continue
            needs, errs = required_actions(r.type, r.inputs)
            errors.extend(e for e in errs if e not in errors)
            for source, actions in sorted(needs.items()):
                for listed in sorted(actions):
                    if data.excluded(listed, source) or listed.lower() == "iam:passrole":
                        continue  # PassRole is checked per role and service below
                    action = data.iam_action(listed)
                    if "*" not in action and not catalog.exists(action):
                        error = (
                            f"{source} lists {listed}, which the IAM catalog does not know: "
                            "map it in contracts.data.IAM_ACTION_FOR or exclude it"
                        )
                        if error not in errors:
                            errors.append(error)
                        continue
                    key = (view.name, r.type, source, action)
                    if key in seen:
                        continue
                    request = request_for(action, r, view)
                    if not is_allowed(documents, request):
                        seen.add(key)
                        missing.append(Missing(view.name, r.type, source, action, request.resource))
        missing.extend(_lookups_missing(view, documents))
        missing.extend(_pass_role_missing(view, documents))
        if state is not None:
            missing.extend(_state_missing(view, documents, state))
    return missing, errors


def _lookups_missing(view: StackView, documents: Sequence[Document]) -> list[Missing]:
    """The invokes every preview and update makes; the AMI ids the program reads are public
    parameters under /aws/service/ (components: bastion, network, ecs_service)."""
    out = []
    for lookup, (actions, source) in LOOKUPS.items():
        for action in actions:
            resource = "*"
            if action.startswith("ssm:"):
                resource = (
                    f"arn:aws:ssm:{view.region}::parameter/aws/service/ami-amazon-linux-latest/x"
                )
            request = Request(action, resource, context_for(action, view))
            if not is_allowed(documents, request):
                out.append(Missing(view.name, f"lookup {lookup}", source, action, resource))
    return out


def _pass_role_missing(view: StackView, documents: Sequence[Document]) -> list[Missing]:
    """The deploy role passes each workload role to the services its trust policy names."""
    out = []
    for r in view.resources:
        if r.type != "aws:iam/role:Role":
            continue
        trust = document_of(r.inputs.get("assumeRolePolicy")) or {}
        services = sorted(
            {
                str(s)
                for st in statements(trust)
                for s in _listed((st.get("Principal") or {}).get("Service"))
            }
        )
        for service in services:
            ctx = context_for("iam:PassRole", view, extra={"iam:PassedToService": service})
            request = Request("iam:PassRole", arn_of(r), ctx)
            if not is_allowed(documents, request):
                out.append(
                    Missing(
                        view.name,
                        r.type,
                        f"PassRole to {service} (the role's trust policy)",
                        "iam:PassRole",
                        request.resource,
                    )
                )
    return out


def state_object_keys(project: str, stack: str, prefix: str) -> list[str]:
    """Objects the DIY backend writes for a project-scoped stack (pulumi/pulumi,
    pkg/backend/diy: store.go keeps stacks/<project>/<stack>.json and its .bak, history/ and
    backups/ per project and stack; lock.go writes locks/organization/<project>/<stack>/)."""
    return [
        f"{prefix}/stacks/{project}/{stack}.json",
        f"{prefix}/stacks/{project}/{stack}.json.bak",
        f"{prefix}/history/{project}/{stack}/{stack}-1700000000000000000.history.json",
        f"{prefix}/backups/{project}/{stack}/{stack}.1700000000000000000.json",
        f"{prefix}/locks/organization/{project}/{stack}/0f1e2d3c.json",
    ]


def _state_missing(
    view: StackView, documents: Sequence[Document], state: StateTarget
) -> list[Missing]:
    """The stack's own state objects and its secrets key (what every `pulumi up` touches)."""
    out = []
    for key in state_object_keys("ecs-platform", view.environment, state.prefix):
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            request = Request(action, f"{state.bucket_arn}/{key}", context_for(action, view))
            if not is_allowed(documents, request):
                out.append(
                    Missing(view.name, "state", "Pulumi DIY backend", action, request.resource)
                )
    # The backend lists its stacks (ListObjectsV2 with a prefix) and finds the bucket's region.
    bucket_requests = [
        Request(
            "s3:ListBucket",
            state.bucket_arn,
            {**context_for("s3:ListBucket", view), "s3:prefix": f"{state.prefix}/stacks/"},
        ),
        Request(
            "s3:GetBucketLocation", state.bucket_arn, context_for("s3:GetBucketLocation", view)
        ),
    ]
    for request in bucket_requests:
        if not is_allowed(documents, request):
            out.append(
                Missing(view.name, "state", "Pulumi DIY backend", request.action, request.resource)
            )
    key_arn = state.key_arns.get(view.environment, "")
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"):
        request = Request(action, key_arn, context_for(action, view))
        if key_arn and not is_allowed(documents, request):
            out.append(Missing(view.name, "state", "awskms:// secrets provider", action, key_arn))
    return out


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# --- 1b. the other direction: nothing the deploy role holds is unneeded -------------------


def allowed_patterns(documents: Iterable[Document]) -> list[str]:
    """Action patterns the documents' Allow statements name (NotAction shows as `NOT ...`)."""
    out: list[str] = []
    for d in documents:
        for s in statements(d):
            if s.get("Effect") != "Allow":
                continue
            out.extend(str(a) for a in _listed(s.get("Action")))
            out.extend(f"NOT {a}" for a in _listed(s.get("NotAction")))
    return out


def needed_actions(views: Sequence[StackView]) -> set[str]:
    """Every action some declared resource, lookup, the state or the release path needs."""

    needed: set[str] = set()
    for view in views:
        for r in view.resources:
            if is_component(r.type, r.custom):
                continue
            needs, _ = required_actions(r.type, r.inputs)
            for source, actions in needs.items():
                for listed in actions:
                    if data.excluded(listed, source):
                        continue  # a feature the program does not use: holding it is extra
                    action = data.iam_action(listed)
                    # A handler may list a wildcard (ec2:Describe*): it may call any of them.
                    expanded = catalog.expand(action) if "*" in action else {action}
                    needed.update(a.lower() for a in expanded)
    for lookup_actions, _ in LOOKUPS.values():
        needed.update(a.lower() for a in lookup_actions)
    needed.update(a.lower() for a in data.RELEASE_PATH)
    needed.update(a.lower() for a in data.STATE_ACTIONS)
    needed.add("iam:passrole")
    return needed


def extras_check(documents: Sequence[Document], views: Sequence[StackView]) -> dict[str, list[str]]:
    """Actions the deploy role allows that nothing needs, by the pattern that grants them."""
    needed = needed_actions(views)
    extras: dict[str, list[str]] = {}
    for pattern in dict.fromkeys(allowed_patterns(documents)):
        if pattern.startswith("NOT "):
            extras[pattern] = ["NotAction in an Allow grants everything else"]
            continue
        unneeded = [
            action
            for action in sorted(catalog.expand(pattern))
            if action.lower() not in needed and not data.reasoned_extra(action)
        ]
        if unneeded and not read_wildcard_accepted(pattern, unneeded):
            extras[pattern] = unneeded
    return extras


def read_wildcard_accepted(pattern: str, unneeded: Sequence[str]) -> bool:
    """A read-verb wildcard whose extra actions are all plain reads (data.READ_WILDCARD_REASON)."""
    _, _, name = pattern.partition(":")
    if not name.endswith("*") or not name.startswith(data.READ_WILDCARD_VERBS):
        return False
    return all(
        catalog.access_level(a) in ("Read", "List") and a.lower() not in data.SENSITIVE_READS
        for a in unneeded
    )


# --- 2. every action exists; parliament -------------------------------------------------


def unknown_actions(documents: Iterable[PolicyDocument]) -> list[str]:
    """Actions (or wildcards matching nothing) the IAM catalog does not know."""
    problems = []
    for pd in documents:
        for s in statements(pd.document):
            for key in ("Action", "NotAction"):
                for action in _listed(s.get(key)):
                    action = str(action)
                    if action == "*":
                        continue
                    if "*" in action or "?" in action:
                        if not catalog.expand(action):
                            problems.append(f"{pd.origin}: {action} matches no IAM action")
                    elif not catalog.exists(action):
                        problems.append(f"{pd.origin}: {action} is not an IAM action")
    return problems


def lint_findings(documents: Iterable[PolicyDocument]) -> list[str]:
    """parliament's findings above low severity that no reviewed exception covers."""
    problems = []
    for pd in documents:
        if pd.kind == "trust":
            continue
        for issue, severity, detail in catalog.lint(dict(pd.document)):
            if not catalog.above_low(severity) or data.lint_excepted(pd.origin, issue, detail):
                continue
            problems.append(f"{pd.origin}: parliament {issue} ({severity}): {detail}")
    return problems


# --- 3. workload roles under the boundary -----------------------------------------------


def _assumed_context(statement: Mapping[str, Any]) -> dict[str, ContextValue]:
    """A request that meets the statement's own conditions (first value of each equality)."""
    ctx: dict[str, ContextValue] = {}
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator.split(":")[-1].removesuffix("IfExists") in (
            "StringEquals",
            "StringLike",
            "ArnLike",
            "ArnEquals",
            "Bool",
        ):
            for key, values in keys.items():
                first = _listed(values)[0] if _listed(values) else ""
                ctx[key] = first
    return ctx


def boundary_misfits(
    roles: Iterable[WorkloadRole],
    boundary: Document,
    stack: StackView,
) -> list[str]:
    """Each action a workload role is granted that the boundary does not allow."""
    problems = []
    for role in roles:
        grants: list[tuple[str, list[str], dict[str, ContextValue]]] = []
        for doc in role.documents:
            for s in statements(doc):
                if s.get("Effect") != "Allow":
                    continue
                resources = [str(x) for x in _listed(s.get("Resource"))] or ["*"]
                for pattern in _listed(s.get("Action")):
                    grants.append((str(pattern), resources, _assumed_context(s)))
        for arn in role.managed_policy_arns:
            known = data.MANAGED_POLICIES.get(arn)
            if known is None:
                problems.append(
                    f"{stack.name} {role.name}: managed policy {arn} is not in "
                    "contracts.data.MANAGED_POLICIES (its actions cannot be checked)"
                )
                continue
            for pattern in known[0]:
                grants.append((pattern, ["*"], {}))
        for pattern, resources, extra in grants:
            actions = sorted(catalog.expand(pattern)) or [pattern]
            for action in actions:
                for resource in resources:
                    ctx = {
                        "aws:RequestedRegion": stack.region,
                        **{f"aws:ResourceTag/{k}": v for k, v in stack.tags.items()},
                        **{f"aws:RequestTag/{k}": v for k, v in stack.tags.items()},
                        **extra,
                    }
                    if not is_allowed([boundary], Request(action, resource, ctx)):
                        problems.append(
                            f"{stack.name} {role.name}: {action} on {resource} "
                            f"(granted by {pattern}) is outside the boundary"
                        )
    return sorted(set(problems))


# --- 4. no escalation --------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """A request a role must never be allowed, and why."""

    name: str
    role: str
    request: Request
    why: str


_BOUNDARY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
)
_ROLE_CHANGES = (
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:UpdateRole",
    "iam:DeleteRole",
)


def escalation_requests(
    *,
    env: str,
    other_env: str,
    own_role_arn: str,
    own_policy_arns: Sequence[str],
    boundary_arn: str,
    workload_path: str,
    state_bucket_arn: str,
    state_prefix: str,
    region: str,
    other_view: StackView | None,
    ci_role_arns: Sequence[str] = (),
) -> list[Escalation]:
    """What the `env` deploy role must be refused, whatever its documents say; `ci_role_arns`
    are the bootstrap's other CI roles (outside the workload path too)."""
    role = f"deploy-{env}"
    out: list[Escalation] = []
    glob = {"aws:RequestedRegion": "us-east-1"}
    for action in _BOUNDARY_CHANGES:
        out.append(
            Escalation(
                f"{role} cannot {action.split(':')[1]} the boundary",
                role,
                Request(action, boundary_arn, glob),
                "the boundary is the ceiling of every role the program creates",
            )
        )
    for action in _ROLE_CHANGES:
        ctx = {
            **glob,
            "iam:PermissionsBoundary": boundary_arn,
            "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
        }
        out.append(
            Escalation(
                f"{role} cannot {action.split(':')[1]} its own role",
                role,
                Request(action, own_role_arn, ctx),
                "a role that edits itself has no ceiling",
            )
        )
        for outside in (f"arn:aws:iam::{ACCOUNT_ID}:role/admin", *ci_role_arns):
            out.append(
                Escalation(
                    f"{role} cannot {action.split(':')[1]} a role outside {workload_path} "
                    f"({outside.rsplit(':', 1)[-1]})",
                    role,
                    Request(action, outside, ctx),
                    "roles outside the workload path are not the program's",
                )
            )
    for arn in own_policy_arns:
        for action in (
            "iam:CreatePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeletePolicyVersion",
        ):
            out.append(
                Escalation(
                    f"{role} cannot {action.split(':')[1]} its own policy {arn.rsplit('/', 1)[-1]}",
                    role,
                    Request(action, arn, glob),
                    "editing its own policy widens its own rights",
                )
            )
    out.append(
        Escalation(
            f"{role} cannot pass a role outside {workload_path}",
            role,
            Request(
                "iam:PassRole",
                f"arn:aws:iam::{ACCOUNT_ID}:role/admin",
                {**glob, "iam:PassedToService": "ecs-tasks.amazonaws.com"},
            ),
            "a task running as an outside role escapes the boundary",
        )
    )
    workload_role = f"arn:aws:iam::{ACCOUNT_ID}:role{workload_path}new-role"
    out.append(
        Escalation(
            f"{role} cannot create a role without the boundary",
            role,
            Request("iam:CreateRole", workload_role, glob),
            "a role without the boundary is not capped",
        )
    )
    out.append(
        Escalation(
            f"{role} cannot create a role with another boundary",
            role,
            Request(
                "iam:CreateRole",
                workload_role,
                {**glob, "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT_ID}:policy/wide-open"},
            ),
            "only the workload boundary caps what the program creates",
        )
    )
    out.append(
        Escalation(
            f"{role} cannot swap a workload role's boundary",
            role,
            Request(
                "iam:PutRolePermissionsBoundary",
                workload_role,
                {**glob, "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT_ID}:policy/wide-open"},
            ),
            "a wider boundary lifts the ceiling of a role the program runs",
        )
    )
    out.append(
        Escalation(
            f"{role} cannot remove a workload role's boundary",
            role,
            Request(
                "iam:DeleteRolePermissionsBoundary",
                workload_role,
                {**glob, "iam:PermissionsBoundary": boundary_arn},
            ),
            "a role without the boundary is not capped",
        )
    )
    if state_bucket_arn:
        for key in state_object_keys("ecs-platform", other_env, state_prefix):
            for action in ("s3:PutObject", "s3:DeleteObject"):
                out.append(
                    Escalation(
                        f"{role} cannot {action.split(':')[1]} {other_env}'s state {key}",
                        role,
                        Request(
                            action, f"{state_bucket_arn}/{key}", {"aws:RequestedRegion": region}
                        ),
                        f"{env} credentials must not change {other_env}",
                    )
                )
    if other_view is not None:
        out.extend(_cross_environment(role, env, other_view))
    return out


# Write actions tried against the other environment's resources, one per service the program
# manages: each would change or destroy the other stack.
CROSS_ENV_ACTIONS = (
    "ec2:TerminateInstances",
    "ec2:DeleteSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateTags",
    "ecs:UpdateService",
    "ecs:DeleteCluster",
    "ecs:TagResource",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:AddTags",
    "rds:DeleteDBInstance",
    "rds:ModifyDBInstance",
    "ecr:PutImage",
    "ecr:DeleteRepository",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "logs:DeleteLogGroup",
    "cloudwatch:DeleteAlarms",
    "sns:SetTopicAttributes",
    "secretsmanager:DeleteSecret",
    "wafv2:UpdateWebACL",
    "aps:DeleteWorkspace",
    "autoscaling:UpdateAutoScalingGroup",
    "iam:PutRolePolicy",
    "iam:DeleteRole",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
)


def _cross_environment(role: str, env: str, other: StackView) -> list[Escalation]:
    out = []
    for action in CROSS_ENV_ACTIONS:
        service = action.split(":")[0]
        target = _resource_of_service(other, service)
        request = request_for(action, target, other)
        out.append(
            Escalation(
                f"{role} cannot {action} on {other.environment}'s resources",
                role,
                request,
                f"{env} credentials must not change resources tagged Environment={other.environment}",
            )
        )
    return out


_SERVICE_TYPES = {
    "ec2": "aws:ec2/instance:Instance",
    "ecs": "aws:ecs/service:Service",
    "elasticloadbalancing": "aws:lb/loadBalancer:LoadBalancer",
    "rds": "aws:rds/instance:Instance",
    "ecr": "aws:ecr/repository:Repository",
    "kms": "aws:kms/key:Key",
    "logs": "aws:cloudwatch/logGroup:LogGroup",
    "cloudwatch": "aws:cloudwatch/metricAlarm:MetricAlarm",
    "sns": "aws:sns/topic:Topic",
    "secretsmanager": "aws:secretsmanager/secret:Secret",
    "wafv2": "aws:wafv2/webAcl:WebAcl",
    "aps": "aws:amp/workspace:Workspace",
    "autoscaling": "aws:autoscaling/group:Group",
    "iam": "aws:iam/role:Role",
    "s3": "aws:s3/bucket:Bucket",
}


def _resource_of_service(view: StackView, service: str) -> RecordedResource | None:
    wanted = _SERVICE_TYPES.get(service)
    found = view.first(wanted) if wanted else None
    if found is None:
        found = next(
            (r for r in view.resources if r.type.split(":")[1].split("/")[0] == service), None
        )
    return found


def preview_escalations(prod_key_arn: str, region: str) -> list[Escalation]:
    """The pull-request preview role must not decrypt with prod's secrets key."""
    out = []
    for action in ("kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"):
        out.append(
            Escalation(
                f"preview cannot {action.split(':')[1]} with prod's secrets key",
                "preview",
                Request(action, prod_key_arn, {"aws:RequestedRegion": region}),
                "code in a same-repository pull request would print prod's secrets",
            )
        )
    return out


def escalation_failures(
    escalations: Iterable[Escalation], documents: Mapping[str, Sequence[Document]]
) -> list[Escalation]:
    """Escalations the role's documents allow."""
    return [e for e in escalations if is_allowed(documents[e.role], e.request)]


# --- 5. API naming and limit rules -------------------------------------------------------


def physical_name(r: RecordedResource, rule: data.NameRule) -> str:
    """The name AWS sees: the explicit input, else the provider's auto-name (mock output)."""
    value = r.inputs.get(rule.input_key)
    if value is None and rule.input_key == "name":
        value = r.outputs.get("name")
    return str(value or "")


def naming_violations(view: StackView) -> list[str]:
    """API naming and limit rules over one rendered stack."""
    problems = []
    for r in view.resources:
        rule = data.NAME_RULES.get(r.type)
        if rule is None:
            continue
        name = physical_name(r, rule)
        if not name:
            continue
        where = f"{view.name} {r.type.split(':')[-1]} {r.name} name {name!r}"
        for message in data.api_name_problems(r.type, name):
            problems.append(f"{where}: {message}")
        if rule.cfn:
            prop = catalog.cfn_property(*rule.cfn)
            pattern = prop.get("pattern")
            if pattern and not re.search(pattern, name):
                problems.append(
                    f"{where}: does not match {rule.cfn[0]} {rule.cfn[1]} pattern {pattern}"
                )
            if "maxLength" in prop and len(name) > int(prop["maxLength"]):
                problems.append(
                    f"{where}: longer than {rule.cfn[0]} {rule.cfn[1]} maxLength {prop['maxLength']}"
                )
            if "minLength" in prop and len(name) < int(prop["minLength"]):
                problems.append(
                    f"{where}: shorter than {rule.cfn[0]} {rule.cfn[1]} minLength {prop['minLength']}"
                )
        explicit = r.inputs.get(rule.input_key) is not None
        if rule.unique_in_account and explicit and view.stack not in name:
            problems.append(
                f"{where}: unique per account and region ({rule.source}) but does not carry "
                f"the stack name {view.stack!r}"
            )
    return problems


def shared_physical_names(a: StackView, b: StackView) -> list[str]:
    """Explicit names both stacks declare for the same type: a type in NAME_RULES when AWS
    makes its names unique per account (and region), any other type's `name` input unless
    its names are unique only inside a parent (NAMES_SCOPED_TO_PARENT)."""

    def names(view: StackView) -> dict[tuple[str, str], str]:
        out = {}
        for r in view.resources:
            rule = data.NAME_RULES.get(r.type)
            if rule is not None:
                value = r.inputs.get(rule.input_key) if rule.unique_in_account else None
            elif r.type in data.NAMES_SCOPED_TO_PARENT:
                value = None
            else:
                value = r.inputs.get("name")
                if value and r.type == "aws:route53/record:Record":
                    value = f"{value} {r.inputs.get('type', '')}"  # one record per name and type
            if value:
                out[(r.type, str(value))] = r.name
        return out

    left, right = names(a), names(b)
    return [
        f"{t.split(':')[-1]} name {n!r} is declared by both {a.name} ({left[(t, n)]}) and "
        f"{b.name} ({right[(t, n)]}): names are unique per account and region"
        for (t, n) in sorted(set(left) & set(right))
    ]


def group(missing: Iterable[Missing]) -> dict[tuple[str, str], list[Missing]]:
    """Missing actions by (Pulumi type, contract source)."""
    out: dict[tuple[str, str], list[Missing]] = defaultdict(list)
    for m in missing:
        out[(m.pulumi_type, m.source)].append(m)
    return out
