"""Stage and prod rendered from their real stack files: the invariants users rely on."""

from __future__ import annotations

import base64
import hashlib
import json

import pulumi
import pytest

from components.registry import NoRunningRelease
from mock_engine.mocks import (
    RUNNING_ENVIRONMENT,
    AwsMocks,
    RecordedAlias,
    RecordedResource,
    Recording,
)
from mock_engine.run import render_stack
from settings import STACK_TAG_KEYS, SettingsError, read_stack

STATEFUL = ("aws:kms/key:Key", "aws:ecr/repository:Repository", "aws:rds/instance:Instance")

OPEN = ("0.0.0.0/0", "::/0")


def ingress_rules(rec: Recording) -> list[tuple[RecordedResource, dict]]:
    """Every ingress rule in the stack, standalone or inline, with the resource holding it."""
    out = [
        (r, r.inputs)
        for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    for sg in rec.of_type("aws:ec2/securityGroup:SecurityGroup"):
        out += [(sg, rule) for rule in sg.inputs.get("ingress") or []]
    out += [
        (r, r.inputs)
        for r in rec.of_type("aws:ec2/securityGroupRule:SecurityGroupRule")
        if r.inputs.get("type") == "ingress"
    ]
    return out


def sources(rule: dict) -> set[str]:
    found = {rule.get("cidrIpv4"), rule.get("cidrIpv6")}
    found |= set(rule.get("cidrBlocks") or []) | set(rule.get("ipv6CidrBlocks") or [])
    return {s for s in found if s}


def test_stage_uses_nat_instances_and_prod_a_nat_gateway_per_az(stage, prod) -> None:
    assert stage.of_type("aws:ec2/natGateway:NatGateway") == []
    assert len(stage.of_type("aws:autoscaling/group:Group")) >= 2
    stage_enis = stage.of_type("aws:ec2/networkInterface:NetworkInterface")
    assert len(stage_enis) == 2 and all(e.inputs["sourceDestCheck"] is False for e in stage_enis)
    prod_subnets = prod.of_type("aws:ec2/subnet:Subnet")
    prod_azs = {s.inputs["availabilityZone"] for s in prod_subnets}
    gateways = prod.of_type("aws:ec2/natGateway:NatGateway")
    assert len(prod_azs) == 3
    assert len(gateways) == 3
    by_id = {s.id: s.inputs["availabilityZone"] for s in prod_subnets}
    assert {by_id[g.inputs["subnetId"]] for g in gateways} == prod_azs


def test_prod_database_is_multi_az_protected_and_kept_on_deletion(prod) -> None:
    db = prod.one("aws:rds/instance:Instance")
    assert db.inputs["multiAz"] is True
    assert db.inputs["deletionProtection"] is True
    assert db.inputs["skipFinalSnapshot"] is False
    assert db.protect is True
    assert db.inputs["backupRetentionPeriod"] >= 7


def test_prod_key_repository_and_database_are_protected_and_retained_on_delete(prod) -> None:
    for type_token in STATEFUL:
        resource = prod.one(type_token)
        assert (resource.protect, resource.retain_on_delete) == (True, True), type_token
    assert prod.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False


def test_stage_key_repository_and_database_are_disposable(stage) -> None:
    for type_token in STATEFUL:
        resource = stage.one(type_token)
        assert (resource.protect, resource.retain_on_delete) == (False, False), type_token
    # A repository holding images is deleted only when forced (ECR DeleteRepository).
    assert stage.one("aws:ecr/repository:Repository").inputs["forceDelete"] is True


def test_prod_refuses_to_run_with_disposable_stateful_resources() -> None:
    values = dict(read_stack("prod").config)
    values = {**values, "ecs-platform:protectStatefulResources": "false"}
    with pytest.raises(SettingsError, match="protectStatefulResources"):
        render_stack("prod", config=values)


def test_stage_nat_instances_carry_the_tags_their_permissions_are_scoped_to(stage) -> None:
    # The boundary and the NAT role allow the boot script's EC2 calls only on instances and
    # interfaces tagged Project=ecs-platform, Environment=<stack>, Role=nat; default tags
    # never reach what an Auto Scaling group launches.
    wanted = {"Project": "ecs-platform", "Environment": "stage", "Role": "nat"}
    templates = stage.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    nat_templates = [t for t in templates if t.parent_type == "ecs-platform:network:Network"]
    assert len(nat_templates) == 2
    for template in nat_templates:
        for spec in template.inputs["tagSpecifications"]:
            if spec["resourceType"] in ("instance", "network-interface"):
                assert wanted.items() <= spec["tags"].items(), spec
        assert "nat-setup.service" in base64.b64decode(template.inputs["userData"]).decode()
    for eni in stage.of_type("aws:ec2/networkInterface:NetworkInterface"):
        assert wanted.items() <= eni.inputs["tags"].items()


def test_databases_are_never_public(stage, prod) -> None:
    for rec in (stage, prod):
        db = rec.one("aws:rds/instance:Instance")
        assert db.inputs["publiclyAccessible"] is False
        group = rec.one("aws:rds/subnetGroup:SubnetGroup")
        database_subnets = {
            s.id
            for s in rec.of_type("aws:ec2/subnet:Subnet")
            if s.inputs["tags"]["Tier"] == "database"
        }
        assert set(group.inputs["subnetIds"]) == database_subnets


def test_nothing_but_the_load_balancer_admits_the_internet_and_only_on_80_443(stage, prod) -> None:
    for rec in (stage, prod):
        for holder, rule in ingress_rules(rec):
            if not sources(rule) & set(OPEN):
                continue
            assert holder.parent_type == "ecs-platform:bluegreen:BlueGreen", holder.urn
            assert (rule.get("fromPort"), rule.get("toPort")) in ((80, 80), (443, 443)), rule


def test_database_admits_only_security_groups_never_cidrs(stage, prod) -> None:
    for rec in (stage, prod):
        db_sg = rec.one("aws:rds/instance:Instance").inputs["vpcSecurityGroupIds"][0]
        rules = [
            rule
            for holder, rule in ingress_rules(rec)
            if rule.get("securityGroupId") == db_sg
            or (holder.id == db_sg and holder.type.endswith(":SecurityGroup"))
        ]
        assert rules, "the database admits nobody at all"
        assert all(not sources(r) and r.get("referencedSecurityGroupId") for r in rules)


def test_every_resource_uses_the_provider_with_the_stack_tags(stage, prod) -> None:
    for rec, stack in ((stage, "stage"), (prod, "prod")):
        (provider,) = rec.of_type("pulumi:providers:aws")
        custom = [r for r in rec.resources if r.custom and r.type.startswith("aws:")]
        assert custom
        assert {r.provider.rsplit("::", 1)[0] for r in custom} == {provider.urn}
        for r in custom:
            tags = r.outputs.get("tagsAll")
            if tags is None:
                continue
            assert set(STACK_TAG_KEYS) <= set(tags), (r.urn, tags)
            assert tags["Environment"] == stack and tags["Project"] == "ecs-platform"
            assert tags["Owner"] and tags["CostCentre"]


def test_every_taggable_resource_carries_a_name_tag(stage) -> None:
    tagged = [r for r in stage.resources if isinstance(r.inputs.get("tags"), dict)]
    assert tagged
    assert all(r.inputs["tags"].get("Name") for r in tagged)


def test_resource_names_are_unique(stage, prod) -> None:
    for rec in (stage, prod):
        urns = [r.urn for r in rec.resources]
        assert len(urns) == len(set(urns))


def test_stage_and_prod_differ_in_physical_names(stage, prod) -> None:
    def fixed(rec: Recording) -> set[str]:
        return (
            {r.inputs["identifier"] for r in rec.of_type("aws:rds/instance:Instance")}
            | {r.inputs["name"] for r in rec.of_type("aws:kms/alias:Alias")}
            | {
                r.inputs["name"]
                for r in rec.of_type("aws:cloudwatch/logGroup:LogGroup")
                if "name" in r.inputs
            }
            | {r.inputs["dashboardName"] for r in rec.of_type("aws:cloudwatch/dashboard:Dashboard")}
            | {r.inputs["alias"] for r in rec.of_type("aws:amp/workspace:Workspace")}
        )

    assert fixed(stage).isdisjoint(fixed(prod))


def test_auto_scaling_group_names_never_collide_between_stacks(stage, prod) -> None:
    # Group names are unique per account and region (CreateAutoScalingGroup API reference):
    # a group is auto-named or its name carries its stack.
    for rec, stack in ((stage, "stage"), (prod, "prod")):
        for group in rec.of_type("aws:autoscaling/group:Group"):
            name = group.inputs.get("name")
            assert name is None or stack in name, name


def test_no_output_exposes_a_password(stage, prod) -> None:
    for rec in (stage, prod):
        for key, value in rec.outputs.items():
            assert "password" not in key.lower()
            assert "mock-ecr-password" not in str(value)


def test_every_role_and_instance_profile_lives_under_the_project_path(stage, prod) -> None:
    for rec in (stage, prod):
        scoped = rec.of_type("aws:iam/role:Role") + rec.of_type(
            "aws:iam/instanceProfile:InstanceProfile"
        )
        assert scoped
        assert {r.inputs["path"] for r in scoped} == {"/ecs-platform/"}


def test_access_log_buckets_carry_the_name_the_deploy_roles_may_manage(stage, prod) -> None:
    for rec, stack in ((stage, "stage"), (prod, "prod")):
        (bucket,) = rec.of_type("aws:s3/bucket:Bucket")
        assert bucket.inputs["bucketPrefix"] == f"ecs-platform-{stack}-alb-logs-"


def test_sites_with_a_domain_answer_over_ipv4_and_ipv6(stage, prod) -> None:
    for rec in (stage, prod):
        assert rec.one("aws:lb/loadBalancer:LoadBalancer").inputs["ipAddressType"] == "dualstack"
        types = sorted(
            r.inputs["type"]
            for r in rec.of_type("aws:route53/record:Record")
            if r.inputs.get("aliases")
        )
        assert types == ["A", "AAAA"]


def test_the_site_records_keep_the_state_they_had_as_the_services_children(stage, prod) -> None:
    # The A/AAAA records were declared under the `web` service before the zone's component
    # took them; without an alias to that parent every deployed stack would replace them.
    for rec, stack in ((stage, "stage"), (prod, "prod")):
        stack_urn = f"urn:pulumi:{stack}::ecs-platform::pulumi:pulumi:Stack"
        service = f"{stack_urn}$ecs-platform:ecs:EcsService::web"
        assert service in {r.urn for r in rec.resources}
        records = {r.name: r for r in rec.of_type("aws:route53/record:Record")}
        for name in ("web-dns-a", "web-dns-aaaa"):
            assert records[name].parent_type == "ecs-platform:dns:Dns"
            assert records[name].aliases == (RecordedAlias(parent=service),), name


def test_the_stacks_export_what_the_workflow_follows_a_release_with(stage, prod) -> None:
    # Stage has no approval gate: `pulumi up` waits for the release itself. Prod pauses
    # before production traffic, so the workflow follows the service deployment by its
    # service ARN (ListServiceDeployments takes the service and the cluster).
    assert stage.outputs["releaseWaitsForApproval"] is False
    assert prod.outputs["releaseWaitsForApproval"] is True
    for rec in (stage, prod):
        service = rec.one("aws:ecs/service:Service")
        assert rec.outputs["serviceArn"] == service.outputs["arn"]
        assert rec.outputs["clusterName"]


def test_the_stacks_export_what_db_connect_needs(stage, prod) -> None:
    for rec in (stage, prod):
        instance = rec.one("aws:rds/instance:Instance")
        assert rec.outputs["databaseAddress"] == instance.outputs["address"]
        assert rec.outputs["databasePort"] == instance.inputs.get("port", 5432)
        assert rec.outputs["databaseName"] == instance.inputs["dbName"]


# The release a deployment runs: the given image, an explicit build, or the running one.

GIVEN_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "b" * 64


def web_container(rec: Recording) -> dict:
    task = rec.one("aws:ecs/taskDefinition:TaskDefinition")
    return next(c for c in json.loads(task.inputs["containerDefinitions"]) if c["name"] == "web")


def environment(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("environment") or []}


def with_release(stack: str, **release: object) -> Recording:
    values = dict(read_stack(stack).config)
    values = {**values, "ecs-platform:release": json.dumps(release)}
    return render_stack(stack, config=values)


def running_image(stack: str) -> str:
    """What the mock engine's service of `stack` runs (mock_engine/mocks.py)."""
    repository = f"ecs-platform-{stack}"
    digest = hashlib.sha256(repository.encode()).hexdigest()
    return f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}@sha256:{digest}"


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_without_release_settings_the_stack_keeps_the_running_image_and_builds_nothing(
    stack: str, stage: Recording, prod: Recording
) -> None:
    rec = {"stage": stage, "prod": prod}[stack]
    assert not [r for r in rec.resources if r.type.startswith("docker:")]
    assert web_container(rec)["image"] == running_image(stack)
    assert rec.outputs["releaseImage"] == running_image(stack)


def test_a_kept_image_keeps_the_version_and_colour_it_was_released_with(stage) -> None:
    env = environment(web_container(stage))
    assert (env["APP_VERSION"], env["APP_COLOR"]) == (
        RUNNING_ENVIRONMENT["APP_VERSION"],
        RUNNING_ENVIRONMENT["APP_COLOR"],
    )
    assert stage.outputs["releaseVersion"] == RUNNING_ENVIRONMENT["APP_VERSION"]
    assert stage.outputs["releaseColor"] == RUNNING_ENVIRONMENT["APP_COLOR"]


def test_release_build_builds_app_and_deploys_the_pushed_digest() -> None:
    rec = with_release("stage", build=True, version="2.0.0", color="blue")
    image = rec.one("docker:index/image:Image")
    assert image.inputs["build"]["context"] == "app"
    assert web_container(rec)["image"] == image.outputs["repoDigest"]
    assert environment(web_container(rec))["APP_VERSION"] == "2.0.0"


def test_a_given_release_image_is_deployed_as_is() -> None:
    rec = with_release("stage", image=GIVEN_IMAGE, version="2.0.0", color="green")
    assert not [r for r in rec.resources if r.type.startswith("docker:")]
    assert web_container(rec)["image"] == GIVEN_IMAGE
    assert environment(web_container(rec))["APP_VERSION"] == "2.0.0"


def test_a_stack_that_runs_nothing_yet_fails_before_declaring_anything(monkeypatch) -> None:
    answer = AwsMocks.call

    # The invoke fails as the provider fails it: no outputs, one check failure.
    def call(self: AwsMocks, args: pulumi.runtime.MockCallArgs) -> object:
        if args.token == "aws:ecs/getService:getService":
            return {}, [("serviceName", "reading ECS Service: couldn't find resource")]
        return answer(self, args)

    monkeypatch.setattr(AwsMocks, "call", call)
    declared: list[RecordedResource] = []
    with pytest.raises(NoRunningRelease) as caught:
        render_stack("stage", declared=declared)
    assert "release.build: true for the first deploy" in str(caught.value)
    # Only the AWS provider, which creates nothing in AWS, is registered before the lookup.
    assert [r.type for r in declared] == ["pulumi:providers:aws"]
