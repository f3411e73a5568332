"""The contract checks (`make contract-check`): each shown to catch what it guards, and run
over the real stacks and the bootstrap's real documents."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from contracts import catalog, checks, data, report
from contracts.evaluator import Request, action_matches, is_allowed
from contracts.mapping import TYPE_MAP, Api, Cfn, Skip, is_component
from contracts.requests import StackView, context_for, request_for
from contracts.sources import BootstrapView, PolicyDocument, WorkloadRole, render_bootstrap
from mock_engine import RecordedResource, Recording


@pytest.fixture(scope="module")
def boot() -> BootstrapView:
    return render_bootstrap()


@pytest.fixture(scope="module")
def views(stage: Recording, prod: Recording, boot: BootstrapView) -> dict[str, StackView]:
    return {
        "stage": StackView.of("stage", stage, boot.boundary_arn),
        "prod": StackView.of("prod", prod, boot.boundary_arn),
    }


@pytest.fixture(scope="module")
def all_views(views: dict[str, StackView], boot: BootstrapView) -> dict[str, StackView]:
    """Stage and prod plus stage with every optional resource type switched on."""
    from contracts.sources import render_variant

    variant = StackView.of("stage-variant", render_variant("stage"), boot.boundary_arn, "stage")
    return {**views, "stage-variant": variant}


@pytest.fixture(scope="module")
def deploy_docs(boot: BootstrapView) -> dict[str, list[dict[str, Any]]]:
    return {env: list(role.documents) for env, role in boot.deploy_roles.items()}


def without(documents: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """A copy of the documents with every Allow pattern that names `action` removed."""
    out = copy.deepcopy(documents)
    for d in out:
        for s in d["Statement"]:
            if s.get("Effect") == "Allow" and "Action" in s:
                actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                s["Action"] = [a for a in actions if not action_matches(a, action)] or [
                    "sts:GetCallerIdentity"
                ]
    return out


def with_statement(documents: list[dict[str, Any]], statement: dict[str, Any]) -> list:
    return [*copy.deepcopy(documents), {"Version": "2012-10-17", "Statement": [statement]}]


def granting(documents: list[dict[str, Any]], statement: dict[str, Any]) -> list:
    """A copy of the documents without their Deny statements, plus `statement`."""
    kept = [
        {**d, "Statement": [s for s in d["Statement"] if s.get("Effect") != "Deny"]}
        for d in copy.deepcopy(documents)
    ]
    return with_statement(kept, statement)


def renamed(view: StackView, type_token: str, key: str, value: str) -> StackView:
    """A copy of the stack whose first `type_token` resource has input `key` = `value`."""
    resources = list(view.resources)
    i = next(i for i, r in enumerate(resources) if r.type == type_token)
    resources[i] = dataclasses.replace(resources[i], inputs={**resources[i].inputs, key: value})
    return dataclasses.replace(view, resources=resources)


# --- 1. coverage -------------------------------------------------------------------------


def test_every_type_the_stacks_declare_is_mapped_to_a_contract(views):
    types = {
        r.type for v in views.values() for r in v.resources if not is_component(r.type, r.custom)
    }
    assert sorted(t for t in types if t not in TYPE_MAP) == []


def test_the_variant_render_declares_the_optional_types(stage):
    from contracts.sources import render_variant

    resources = render_variant("stage").resources
    variant = {r.type for r in resources}
    optional = {
        "aws:ecs/capacityProvider:CapacityProvider",  # service.capacity: ec2
        "aws:autoscaling/group:Group",
        "aws:ec2/natGateway:NatGateway",  # network.natStrategy: single
        "aws:grafana/workspace:Workspace",  # observability.grafana
        "aws:amp/workspace:Workspace",  # observability.prometheus
        "aws:route53/zone:Zone",  # dns.createZone
        "aws:ec2/keyPair:KeyPair",  # bastion.sshPublicKey
        "aws:sns/topicSubscription:TopicSubscription",  # observability.alarmEmail
        "aws:wafv2/webAcl:WebAcl",  # deployment.waf
    }
    assert optional - variant == set()
    endpoints = [r for r in resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    assert len(endpoints) > len(
        [r for r in stage.resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    )


def test_an_unmapped_type_is_an_error_not_a_skip():
    needs, errors = checks.required_actions("aws:example/widget:Widget")
    assert needs == {} and errors == [
        "aws:example/widget:Widget: not in contracts.mapping.TYPE_MAP (map it explicitly)"
    ]


def test_every_mapped_cloudformation_type_has_a_registry_schema():
    missing = [
        (t, c)
        for t, cov in TYPE_MAP.items()
        if isinstance(cov, Cfn)
        for c in cov.types
        if not catalog.cfn_type_exists(c)
    ]
    assert missing == []


def test_every_api_mapping_and_skip_cites_its_source():
    for cov in TYPE_MAP.values():
        if isinstance(cov, Api):
            assert cov.source.startswith("https://docs.aws.amazon.com/")
            assert all(catalog.exists(a) for a in cov.actions), cov.actions
        if isinstance(cov, Skip):
            assert cov.reason


def test_provider_calls_beyond_the_schemas_are_required():
    needs, _ = checks.required_actions("aws:ec2/networkInterface:NetworkInterface")
    assert any("ec2:DetachNetworkInterface" in actions for actions in needs.values())


def test_provider_calls_that_depend_on_an_input_are_required_only_with_it():
    def needs(inputs: dict) -> set[str]:
        found, _ = checks.required_actions("aws:s3/bucket:Bucket", inputs)
        return {a for actions in found.values() for a in actions}

    assert "s3:DeleteObjectVersion" in needs({"forceDestroy": True})
    assert "s3:DeleteObjectVersion" not in needs({"forceDestroy": False})


def test_every_exclusion_has_a_reason_and_names_a_contract_listed_action():
    listed = {
        a.lower()
        for cov in TYPE_MAP.values()
        if isinstance(cov, Cfn)
        for c in cov.types
        for perms in catalog.handler_permissions(c).values()
        for a in perms
    }
    for e in data.EXCLUSIONS:
        assert e.reason.strip(), e
        assert any(action_matches(e.pattern, a) for a in listed), e.pattern


def test_removing_an_action_from_the_deploy_role_is_reported(views, deploy_docs):
    before, _ = checks.coverage_check([views["stage"]], deploy_docs)
    assert ("aws:ecs/cluster:Cluster", "ecs:CreateCluster") not in {
        (m.pulumi_type, m.action) for m in before
    }
    broken = {**deploy_docs, "stage": without(deploy_docs["stage"], "ecs:CreateCluster")}
    after, _ = checks.coverage_check([views["stage"]], broken)
    assert ("aws:ecs/cluster:Cluster", "ecs:CreateCluster") in {
        (m.pulumi_type, m.action) for m in after
    }


def test_coverage_requests_carry_the_stacks_environment_tag(views, deploy_docs):
    # The request carries the stack's Environment tag: a role scoped to prod covers nothing
    # of stage's that AWS checks by tag.
    scoped = with_statement(
        deploy_docs["stage"],
        {
            "Effect": "Deny",
            "Action": "ecs:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "stage"}},
        },
    )
    missing, _ = checks.coverage_check([views["stage"]], {**deploy_docs, "stage": scoped})
    assert "ecs:DeleteCluster" in {m.action for m in missing}


def test_pass_role_to_a_service_the_role_trusts_is_required(views, deploy_docs):
    broken = {**deploy_docs, "stage": without(deploy_docs["stage"], "iam:PassRole")}
    missing, _ = checks.coverage_check([views["stage"]], broken)
    assert any(
        m.action == "iam:PassRole" and "ecs-tasks.amazonaws.com" in m.source for m in missing
    )


def test_stage_state_access_is_required(views, deploy_docs, boot):
    state = checks.StateTarget(boot.state_bucket_arn, boot.state_prefix, {})
    broken = {**deploy_docs, "stage": without(deploy_docs["stage"], "s3:PutObject")}
    missing, _ = checks.coverage_check([views["stage"]], broken, state)
    assert any(m.pulumi_type == "state" and m.action == "s3:PutObject" for m in missing)


def test_the_deploy_roles_cover_every_declared_resource(all_views, deploy_docs, boot):
    state = checks.StateTarget(
        boot.state_bucket_arn,
        boot.state_prefix,
        {env: report.key_for(env, boot.keys) for env in boot.environments},
    )
    missing, errors = checks.coverage_check(list(all_views.values()), deploy_docs, state)
    assert errors == []
    assert sorted({(m.stack, m.pulumi_type, m.action) for m in missing}) == []


def test_a_create_carries_the_stack_tags_as_request_tags_only(views):
    ctx = context_for("ecs:CreateCluster", views["stage"])
    assert ctx["aws:RequestTag/Environment"] == "stage"
    assert "aws:ResourceTag/Environment" not in ctx
    assert ctx["aws:RequestedRegion"] == views["stage"].region


def test_a_change_carries_the_resources_tags(views):
    # UntagResource's row lists only aws:TagKeys; its resource type supports resource tags.
    ctx = context_for("logs:UntagResource", views["prod"])
    assert ctx["aws:ResourceTag/Environment"] == "prod"
    assert "aws:RequestTag/Environment" not in ctx


def test_global_services_are_requested_in_us_east_1(views):
    stack = dataclasses.replace(views["stage"], region="eu-west-1")
    assert context_for("iam:CreateRole", stack)["aws:RequestedRegion"] == "us-east-1"
    assert context_for("ecs:CreateCluster", stack)["aws:RequestedRegion"] == "eu-west-1"


# --- 1b. minimality ----------------------------------------------------------------------


def test_an_action_no_resource_needs_is_reported_as_extra(views, deploy_docs):
    extra = with_statement(
        deploy_docs["stage"],
        {"Effect": "Allow", "Action": "ec2:CreateVpnGateway", "Resource": "*"},
    )
    found = checks.extras_check(extra, list(views.values()))
    assert found.get("ec2:CreateVpnGateway") == ["ec2:CreateVpnGateway"]


def test_not_action_in_an_allow_is_reported_as_extra(views):
    docs = [{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}]
    assert "NOT iam:*" in checks.extras_check(docs, list(views.values()))


def test_a_needed_action_is_not_extra(views):
    docs = [{"Statement": [{"Effect": "Allow", "Action": "ecs:CreateCluster", "Resource": "*"}]}]
    assert checks.extras_check(docs, list(views.values())) == {}


def test_the_deploy_roles_allow_nothing_unneeded(all_views, deploy_docs):
    for env, docs in deploy_docs.items():
        assert checks.extras_check(docs, list(all_views.values())) == {}, env


def test_a_read_wildcard_adding_only_plain_reads_is_accepted(views):
    docs = [{"Statement": [{"Effect": "Allow", "Action": "rds:Describe*", "Resource": "*"}]}]
    assert checks.extras_check(docs, list(views.values())) == {}


def test_a_read_wildcard_that_reaches_secret_material_is_reported(views):
    # wafv2:Get* includes GetDecryptedAPIKey: such a wildcard must be named one by one.
    docs = [{"Statement": [{"Effect": "Allow", "Action": "wafv2:Get*", "Resource": "*"}]}]
    found = checks.extras_check(docs, list(views.values()))
    assert "wafv2:GetDecryptedAPIKey" in found["wafv2:Get*"]


def test_a_write_wildcard_is_never_accepted_as_a_read(views):
    docs = [
        {
            "Statement": [
                {"Effect": "Allow", "Action": "elasticloadbalancing:Modify*", "Resource": "*"}
            ]
        }
    ]
    found = checks.extras_check(docs, list(views.values()))
    assert found["elasticloadbalancing:Modify*"] == ["elasticloadbalancing:ModifyTrustStore"]


def test_rds_creates_its_master_secret_only_through_rds(views, deploy_docs):
    db = views["stage"].first("aws:rds/instance:Instance")
    through_rds = request_for("secretsmanager:CreateSecret", db, views["stage"])
    assert through_rds.context["aws:CalledVia"] == ["rds.amazonaws.com"]
    assert is_allowed(deploy_docs["stage"], through_rds)
    direct = request_for("secretsmanager:CreateSecret", db, views["stage"], {"aws:CalledVia": []})
    assert not is_allowed(deploy_docs["stage"], direct)


# --- 2. actions exist; lint --------------------------------------------------------------


def test_an_unknown_action_and_an_empty_wildcard_are_reported():
    docs = [
        PolicyDocument(
            "t",
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ecs:CreateClusterz", "ecs:Frob*"],
                        "Resource": "*",
                    }
                ]
            },
        )
    ]
    assert checks.unknown_actions(docs) == [
        "t: ecs:CreateClusterz is not an IAM action",
        "t: ecs:Frob* matches no IAM action",
    ]


def test_every_action_the_project_writes_exists(boot, stage, prod):
    documents = list(boot.documents)
    documents += report.policy_documents(stage, "stage") + report.policy_documents(prod, "prod")
    assert checks.unknown_actions(documents) == []


def test_a_parliament_finding_above_low_is_reported():
    bad = PolicyDocument(
        "t",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}
            ],
        },
    )
    assert any("RESOURCE_MISMATCH" in f for f in checks.lint_findings([bad]))


def test_every_lint_exception_has_a_reason():
    assert all(reason.strip() for reason in data.LINT_EXCEPTIONS.values())


# --- 3. boundary -------------------------------------------------------------------------


def test_a_workload_grant_outside_the_boundary_is_reported(boot, views):
    role = WorkloadRole(
        "web-task-role",
        "arn:aws:iam::123456789012:role/ecs-platform/web-task-role",
        ({"Statement": [{"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}]},),
        (),
        ("ecs-tasks.amazonaws.com",),
        "",
    )
    assert checks.boundary_misfits([role], boot.boundary, views["stage"]) == [
        "stage web-task-role: iam:CreateUser on * (granted by iam:CreateUser) is outside the boundary"
    ]


def test_a_managed_policy_without_a_known_action_list_is_reported(boot, views):
    role = WorkloadRole("r", "arn", (), ("arn:aws:iam::aws:policy/AdministratorAccess",), (), "")
    assert (
        "is not in contracts.data.MANAGED_POLICIES"
        in checks.boundary_misfits([role], boot.boundary, views["stage"])[0]
    )


def test_workload_roles_fit_under_the_boundary(boot, views, stage, prod):
    from contracts.sources import workload_roles

    misfits = checks.boundary_misfits(workload_roles(stage), boot.boundary, views["stage"])
    misfits += checks.boundary_misfits(workload_roles(prod), boot.boundary, views["prod"])
    assert misfits == []


# --- 4. no escalation --------------------------------------------------------------------


def escalations_for(boot: BootstrapView, views: dict[str, StackView]) -> list[checks.Escalation]:
    out: list[checks.Escalation] = []
    for env, role in boot.deploy_roles.items():
        other = "prod" if env == "stage" else "stage"
        out += checks.escalation_requests(
            env=env,
            other_env=other,
            own_role_arn=role.arn,
            own_policy_arns=role.policy_arns,
            boundary_arn=boot.boundary_arn,
            workload_path=boot.workload_path,
            state_bucket_arn=boot.state_bucket_arn,
            state_prefix=boot.state_prefix,
            region=boot.region,
            other_view=views.get(other),
            ci_role_arns=[r.arn for r in boot.ci_roles.values() if r.arn != role.arn],
        )
    return out + checks.preview_escalations(report.key_for("prod", boot.keys), boot.region)


def role_documents(boot: BootstrapView) -> dict[str, list]:
    docs = {f"deploy-{env}": list(r.documents) for env, r in boot.deploy_roles.items()}
    docs["preview"] = list(boot.preview_role.documents)
    return docs


def allowed_escalations(boot, views, fragment: str) -> list[str]:
    chosen = [e for e in escalations_for(boot, views) if fragment in e.name]
    assert chosen, fragment
    return [e.name for e in checks.escalation_failures(chosen, role_documents(boot))]


def test_the_deploy_roles_cannot_alter_the_boundary(boot, views):
    assert allowed_escalations(boot, views, "the boundary") == []


def test_the_deploy_roles_cannot_change_their_own_role_or_policies(boot, views):
    assert allowed_escalations(boot, views, "its own") == []


def test_the_deploy_roles_cannot_touch_roles_outside_the_workload_path(boot, views):
    assert allowed_escalations(boot, views, "outside") == []


def test_the_deploy_roles_cannot_create_a_role_without_the_boundary(boot, views):
    assert allowed_escalations(boot, views, "create a role") == []


def test_the_deploy_roles_cannot_swap_or_remove_a_workload_roles_boundary(boot, views):
    assert allowed_escalations(boot, views, "a workload role's boundary") == []


def test_the_stage_deploy_role_cannot_write_prod_state(boot, views):
    assert allowed_escalations(boot, views, "deploy-stage cannot PutObject prod's state") == []
    assert allowed_escalations(boot, views, "deploy-stage cannot DeleteObject prod's state") == []


def test_the_stage_deploy_role_cannot_change_prod_resources(boot, views):
    assert allowed_escalations(boot, views, "deploy-stage cannot") == []
    assert allowed_escalations(boot, views, "on prod's resources") == []


def test_the_pull_request_preview_role_cannot_decrypt_with_prod_secrets_key(boot, views):
    assert allowed_escalations(boot, views, "preview cannot") == []


def test_the_escalation_requests_are_not_vacuous(boot, views):
    # The same roles are allowed the legitimate neighbour of each refused request.
    docs = role_documents(boot)["deploy-stage"]
    role = f"arn:aws:iam::123456789012:role{boot.workload_path}new-role"
    create = Request(
        "iam:CreateRole",
        role,
        {
            "aws:RequestedRegion": "us-east-1",
            "iam:PermissionsBoundary": boot.boundary_arn,
            "aws:RequestTag/Environment": "stage",
            "aws:RequestTag/Project": "ecs-platform",
            "aws:TagKeys": ["Environment", "Project"],
        },
    )
    own_state = f"{boot.state_bucket_arn}/{boot.state_prefix}/stacks/ecs-platform/stage.json"
    assert is_allowed(docs, create)
    assert is_allowed(
        docs, Request("s3:PutObject", own_state, {"aws:RequestedRegion": boot.region})
    )


def test_a_role_that_may_do_anything_in_iam_is_caught(boot, views):
    docs = role_documents(boot)
    docs["deploy-stage"] = granting(
        docs["deploy-stage"], {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    )
    chosen = [
        e for e in escalations_for(boot, views) if e.role == "deploy-stage" and "boundary" in e.name
    ]
    assert len(checks.escalation_failures(chosen, docs)) == len(chosen)


def test_a_stage_role_granted_prod_resources_is_caught(boot, views):
    docs = role_documents(boot)
    docs["deploy-stage"] = granting(
        docs["deploy-stage"], {"Effect": "Allow", "Action": "ecs:UpdateService", "Resource": "*"}
    )
    chosen = [
        e
        for e in escalations_for(boot, views)
        if e.name.startswith("deploy-stage cannot ecs:UpdateService")
    ]
    assert [e.name for e in checks.escalation_failures(chosen, docs)] == [
        "deploy-stage cannot ecs:UpdateService on prod's resources"
    ]


def test_a_preview_role_with_decrypt_on_every_key_is_caught(boot, views):
    docs = role_documents(boot)
    docs["preview"] = granting(
        docs["preview"], {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    )
    chosen = [e for e in escalations_for(boot, views) if e.role == "preview"]
    assert "preview cannot Decrypt with prod's secrets key" in [
        e.name for e in checks.escalation_failures(chosen, docs)
    ]


# --- 5. naming ---------------------------------------------------------------------------


def test_the_stacks_respect_the_api_naming_rules(views):
    assert checks.naming_violations(views["stage"]) + checks.naming_violations(views["prod"]) == []


def test_stage_and_prod_share_no_physical_name(views):
    assert checks.shared_physical_names(views["stage"], views["prod"]) == []


def capacity_provider(view: StackView, name: str) -> StackView:
    provider = RecordedResource(
        type="aws:ecs/capacityProvider:CapacityProvider",
        name="web-ec2-capacity",
        urn="urn:pulumi:stage::ecs-platform::aws:ecs/capacityProvider:CapacityProvider::web-ec2-capacity",
        parent="",
        inputs={"name": name},
        outputs={"name": name},
        id=name,
    )
    return dataclasses.replace(view, resources=[*view.resources, provider])


def test_a_capacity_provider_named_ecs_is_reported(views):
    problems = checks.naming_violations(capacity_provider(views["stage"], "ecs-platform-stage-ec2"))
    assert any("may not start with aws, ecs or fargate" in p for p in problems)


def test_a_load_balancer_name_over_32_characters_or_internal_is_reported(views):
    long_name = renamed(views["stage"], "aws:lb/loadBalancer:LoadBalancer", "name", "a" * 33)
    internal = renamed(views["stage"], "aws:lb/loadBalancer:LoadBalancer", "name", "internal-web")
    assert any("at most 32 characters" in p for p in checks.naming_violations(long_name))
    assert any("internal-" in p for p in checks.naming_violations(internal))


def test_a_target_group_name_ending_with_a_hyphen_is_reported(views):
    bad = renamed(views["stage"], "aws:lb/targetGroup:TargetGroup", "name", "web-blue-")
    assert any("not starting or ending with a hyphen" in p for p in checks.naming_violations(bad))


def test_a_unique_name_without_the_stack_is_reported(views):
    bad = renamed(views["stage"], "aws:cloudwatch/logGroup:LogGroup", "name", "/ecs/web")
    assert any("does not carry the stack name 'stage'" in p for p in checks.naming_violations(bad))


def test_a_name_breaking_the_cloudformation_pattern_is_reported(views):
    bad = renamed(views["stage"], "aws:kms/alias:Alias", "name", "ecs-platform-stage")
    assert any("AliasName pattern" in p for p in checks.naming_violations(bad))


def test_a_name_both_stacks_declare_is_reported(views):
    cluster = next(r for r in views["stage"].resources if r.type == "aws:ecs/cluster:Cluster")
    clash = renamed(views["prod"], "aws:ecs/cluster:Cluster", "name", cluster.inputs["name"])
    assert checks.shared_physical_names(views["stage"], clash) != []


def test_a_name_unique_only_inside_its_parent_is_not_a_clash(views):
    # Both stacks name their rule-group namespace "website", each in its own workspace.
    namespaces = [
        r.inputs.get("name")
        for v in views.values()
        for r in v.resources
        if r.type == "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
    ]
    assert namespaces == ["website", "website"]
    assert checks.shared_physical_names(views["stage"], views["prod"]) == []


def test_a_dns_record_both_stacks_declare_is_reported(views):
    record = next(r for r in views["stage"].resources if r.type == "aws:route53/record:Record")
    clash = renamed(views["prod"], "aws:route53/record:Record", "name", record.inputs["name"])
    clash = renamed(clash, "aws:route53/record:Record", "type", record.inputs.get("type", ""))
    assert any("Record name" in p for p in checks.shared_physical_names(views["stage"], clash))


# --- the command --------------------------------------------------------------------------


def test_the_command_fails_when_a_section_has_findings(monkeypatch, capsys):
    from contracts import __main__ as cli

    sections = [
        report.Section("1. x", failures=["missing ecs:CreateCluster"]),
        report.Section("2. y"),
    ]
    monkeypatch.setattr(cli, "gather", lambda: None)
    monkeypatch.setattr(cli, "run", lambda _: sections)
    assert cli.main([]) == 1
    out = capsys.readouterr().out
    assert "missing ecs:CreateCluster" in out and "contract-check: FAILED sections 1." in out


def test_the_command_passes_when_every_section_is_clean(monkeypatch, capsys):
    from contracts import __main__ as cli

    monkeypatch.setattr(cli, "gather", lambda: None)
    monkeypatch.setattr(cli, "run", lambda _: [report.Section("1. x")])
    assert cli.main([]) == 0
    assert "contract-check: passed" in capsys.readouterr().out


def test_the_command_reports_a_stack_that_does_not_render(monkeypatch, capsys):
    from contracts import __main__ as cli

    def broken() -> None:
        raise ValueError("network.azCount=9: expected 1 to 6")

    monkeypatch.setattr(cli, "gather", broken)
    assert cli.main([]) == 2
    assert "could not render" in capsys.readouterr().out
