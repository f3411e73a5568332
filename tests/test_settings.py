"""Stack settings: good configs load, bad ones fail before anything is declared."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import settings
from mock_engine import RecordedResource, render_config
from settings import (
    SettingsError,
    StackFile,
    StackFileError,
    load_settings,
    plan_subnets,
    read_stack,
    secret_placeholder,
    stack_names,
)

VALID: dict[str, Any] = {
    "tags": {"owner": "web-platform", "costCentre": "cc-1"},
    "dns": {"domain": "stage.example.com"},
}

PROD: dict[str, Any] = {
    "production": True,
    "tags": {"owner": "web-platform", "costCentre": "cc-1"},
    "dns": {"domain": "www.example.com"},
    "network": {"azCount": 3, "natStrategy": "per-az"},
    "database": {"multiAz": True, "backupRetentionDays": 14},
}


def with_changes(base: dict[str, Any], **areas: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(base)
    for area, values in areas.items():
        if isinstance(values, dict):
            config.setdefault(area, {}).update(values)
        else:
            config[area] = values
    return config


def issues_of(raw: dict[str, Any]) -> list[settings.Issue]:
    with pytest.raises(SettingsError) as caught:
        load_settings("stage", raw)
    return caught.value.issues


def test_minimal_config_takes_secure_defaults() -> None:
    s = load_settings("stage", VALID)
    assert s.database.deletion_protection is True
    assert s.database.protect is True
    assert s.bastion.ssh_cidrs == ()
    assert s.deployment.waf is True
    assert s.deployment.insecure_allow_plain_http is False
    assert s.network.nat_strategy == "instance"


def test_without_release_settings_the_running_image_is_kept_and_nothing_is_built() -> None:
    release = load_settings("stage", VALID).release
    assert release.build is False
    assert release.keeps_running_image


def test_a_given_image_or_an_explicit_build_does_not_keep_the_running_image() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64
    given = load_settings("stage", with_changes(VALID, release={"image": image})).release
    built = load_settings("stage", with_changes(VALID, release={"build": True})).release
    assert not given.keeps_running_image
    assert not built.keeps_running_image


def test_image_and_build_together_name_both_keys() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64
    issues = issues_of(with_changes(VALID, release={"image": image, "build": True}))
    assert [issue.path for issue in issues] == ["release.build"]
    assert "release.image" in str(issues[0])


def test_subnet_plan_gives_each_tier_disjoint_blocks_inside_the_vpc() -> None:
    plan = plan_subnets("10.0.0.0/16", 3)
    assert plan.private == ("10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20")
    assert plan.public == ("10.0.224.0/24", "10.0.225.0/24", "10.0.226.0/24")
    assert plan.database == ("10.0.240.0/24", "10.0.241.0/24", "10.0.242.0/24")


def test_subnet_plan_scales_with_a_smaller_vpc() -> None:
    plan = plan_subnets("10.1.0.0/20", 2)
    assert plan.private == ("10.1.0.0/24", "10.1.1.0/24")
    assert plan.public == ("10.1.14.0/28", "10.1.14.16/28")
    assert plan.database == ("10.1.15.0/28", "10.1.15.16/28")


def test_stack_tags_hold_project_environment_owner_and_cost_centre() -> None:
    s = load_settings("stage", VALID)
    assert s.stack_tags() == {
        "Project": "ecs-platform",
        "Environment": "stage",
        "ManagedBy": "pulumi",
        "Owner": "web-platform",
        "CostCentre": "cc-1",
    }


def test_valid_production_config_loads() -> None:
    s = load_settings("prod", PROD)
    assert s.production and s.database.multi_az and s.https


def test_production_safety_may_be_waived_only_with_a_stated_reason() -> None:
    waived = with_changes(PROD, database={"multiAz": False})
    waived["acknowledgeUnsafeProduction"] = "single-AZ until the migration in March"
    assert load_settings("prod", waived).database.multi_az is False


def test_every_problem_is_reported_at_once() -> None:
    raw = with_changes(
        VALID, network={"azCount": 9, "natStrategy": "gateway"}, database={"instanceClass": "large"}
    )
    paths = {issue.path for issue in issues_of(raw)}
    assert {"network.azCount", "network.natStrategy", "database.instanceClass"} <= paths


# Each bad configuration, the key its message must name, and a word of what is allowed.
BAD_CONFIGS = [
    (
        "malformed vpc cidr",
        with_changes(VALID, network={"cidr": "10.0.0.300/16"}),
        "network.cidr",
        "CIDR",
    ),
    (
        "vpc too small",
        with_changes(VALID, network={"cidr": "10.0.0.0/24"}),
        "network.cidr",
        "/16 to /20",
    ),
    ("az count 0", with_changes(VALID, network={"azCount": 0}), "network.azCount", "between 1"),
    ("az count 7", with_changes(VALID, network={"azCount": 7}), "network.azCount", "and 6"),
    (
        "unknown nat strategy",
        with_changes(VALID, network={"natStrategy": "gateway"}),
        "network.natStrategy",
        "per-az",
    ),
    (
        "subnet outside vpc",
        with_changes(VALID, network={"publicSubnetCidrs": ["10.0.224.0/24", "192.168.0.0/24"]}),
        "network.publicSubnetCidrs",
        "inside the VPC",
    ),
    (
        "overlapping subnets",
        with_changes(VALID, network={"databaseSubnetCidrs": ["10.0.0.0/24", "10.0.241.0/24"]}),
        "network.databaseSubnetCidrs",
        "overlaps",
    ),
    (
        "subnet list length",
        with_changes(VALID, network={"privateSubnetCidrs": ["10.0.0.0/20"]}),
        "network.privateSubnetCidrs",
        "one CIDR per AZ",
    ),
    (
        "rds class without db prefix",
        with_changes(VALID, database={"instanceClass": "t4g.micro"}),
        "database.instanceClass",
        "RDS instance class",
    ),
    (
        "ec2 class malformed",
        with_changes(VALID, bastion={"instanceType": "tiny"}),
        "bastion.instanceType",
        "instance type",
    ),
    (
        "nat instance not arm",
        with_changes(VALID, network={"natInstanceType": "t3.nano"}),
        "network.natInstanceType",
        "Graviton",
    ),
    (
        "ssh from anywhere",
        with_changes(
            VALID, bastion={"sshCidrs": ["0.0.0.0/0"], "sshPublicKey": "ssh-ed25519 AAAAC3Nza"}
        ),
        "bastion.sshCidrs",
        "dangerouslyAllowSshFromInternet",
    ),
    (
        "ssh from anywhere ipv6",
        with_changes(
            VALID, bastion={"sshCidrs": ["::/0"], "sshPublicKey": "ssh-ed25519 AAAAC3Nza"}
        ),
        "bastion.sshCidrs",
        "whole internet",
    ),
    (
        "ssh without key",
        with_changes(VALID, bastion={"sshCidrs": ["203.0.113.0/24"]}),
        "bastion.sshPublicKey",
        "required",
    ),
    (
        "invalid domain",
        with_changes(VALID, dns={"domain": "Stage_Example.com"}),
        "dns.domain",
        "DNS name",
    ),
    (
        "domain outside zone",
        with_changes(VALID, dns={"zoneName": "example.org"}),
        "dns.zoneName",
        "parents",
    ),
    (
        "prod without deletion protection",
        with_changes(PROD, database={"deletionProtection": False}),
        "database.deletionProtection",
        "production",
    ),
    (
        "prod without multi-az",
        with_changes(PROD, database={"multiAz": False}),
        "database.multiAz",
        "acknowledgeUnsafeProduction",
    ),
    (
        "prod with short backups",
        with_changes(PROD, database={"backupRetentionDays": 1}),
        "database.backupRetentionDays",
        "7 or more",
    ),
    (
        "prod without a domain",
        with_changes(PROD, dns={"domain": ""}),
        "dns.domain",
        "required in production",
    ),
    (
        "typo in a key",
        with_changes(VALID, network={"azCont": 2}),
        "network.azCont",
        "did you mean 'azCount'",
    ),
    ("unknown area", {**VALID, "netwrok": {"azCount": 2}}, "netwrok", "did you mean 'network'"),
    ("area not an object", {**VALID, "database": "db.t4g.micro"}, "database", "object"),
    (
        "wrong type",
        with_changes(VALID, database={"multiAz": "yes"}),
        "database.multiAz",
        "true or false",
    ),
    ("missing owner tag", {**VALID, "tags": {"costCentre": "cc-1"}}, "tags.owner", "required"),
    (
        "fargate size",
        with_changes(VALID, service={"cpu": 256, "memory": 4096}),
        "service.memory",
        "Fargate memory size",
    ),
    (
        "plain http without opt-in",
        with_changes(VALID, dns={"domain": ""}),
        "dns.domain",
        "insecureAllowPlainHttp",
    ),
    (
        "retention not allowed by cloudwatch",
        with_changes(VALID, service={"logRetentionDays": 10}),
        "service.logRetentionDays",
        "one of",
    ),
    (
        "storage ceiling below size",
        with_changes(VALID, database={"allocatedStorageGb": 100, "maxAllocatedStorageGb": 50}),
        "database.maxAllocatedStorageGb",
        "at least",
    ),
    (
        "image by tag",
        with_changes(
            VALID, release={"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest"}
        ),
        "release.image",
        "digest",
    ),
    (
        "image and build together",
        with_changes(
            VALID,
            release={
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a" * 64,
                "build": True,
            },
        ),
        "release.build",
        "when release.image is given",
    ),
    (
        "reserved master user",
        with_changes(VALID, database={"masterUsername": "postgres"}),
        "database.masterUsername",
        "administrator",
    ),
    (
        "bastion ssm only without nat",
        with_changes(VALID, network={"natStrategy": "none"}),
        "bastion.enabled",
        "SSM",
    ),
]


@pytest.mark.parametrize(
    ("raw", "key", "allowed"), [pytest.param(r, k, a, id=i) for i, r, k, a in BAD_CONFIGS]
)
def test_bad_config_is_rejected_naming_the_key(raw: dict, key: str, allowed: str) -> None:
    issues = issues_of(raw)
    matching = [str(issue) for issue in issues if issue.path == key]
    assert matching, f"no issue names {key}: {[str(i) for i in issues]}"
    assert any(allowed in message for message in matching), matching


@pytest.mark.parametrize(("raw", "key"), [pytest.param(r, k, id=i) for i, r, k, _ in BAD_CONFIGS])
def test_bad_config_declares_no_resource(raw: dict, key: str) -> None:
    config = {"aws:region": "us-east-1", **{f"ecs-platform:{k}": v for k, v in raw.items()}}
    declared: list[RecordedResource] = []
    with pytest.raises(SettingsError) as caught:
        render_config("stage", config, declared=declared)
    assert key in str(caught.value)
    assert declared == []


def test_message_is_readable_without_a_traceback() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("stage", with_changes(VALID, network={"azCount": 9}))
    text = str(caught.value)
    assert text.splitlines()[0] == (
        "stack 'stage' configuration has 1 problem; nothing was declared:"
    )
    assert "ecs-platform:network.azCount = 9: must be between 1 and 6" in text


def test_missing_region_is_reported() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("stage", VALID, region="")
    assert "aws:region" in str(caught.value)


def test_secret_placeholder_never_passes_as_a_value() -> None:
    stack_file = read_stack("stage")
    config, secrets = stack_file.config, list(stack_file.secret_keys)
    assert secrets == [] or all(config[k].startswith("<secret ") for k in secrets)


def test_shipped_stack_files_load() -> None:
    for stack in ("stage", "prod"):
        config = read_stack(stack).config
        raw = settings.decode_config(config)
        loaded = load_settings(stack, raw, region=config["aws:region"])
        assert loaded.stack == stack


def test_a_reason_that_looks_like_json_stays_text() -> None:
    import pulumi.runtime

    pulumi.runtime.set_all_config(
        {
            "ecs-platform:acknowledgeUnsafeProduction": "true",
            "ecs-platform:production": "true",
            "ecs-platform:network": '{"azCount": 3}',
        }
    )
    raw = settings.raw_project_config()
    assert raw["acknowledgeUnsafeProduction"] == "true"
    assert raw["production"] is True
    assert raw["network"] == {"azCount": 3}


# ---------------------------------------------------------------------------------------------
# The one stack reader: a stack file read as the Pulumi CLI hands it to the program.


def _stack_dir(tmp_path: Any, text: str, stack: str = "dev") -> Any:
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def test_shipped_stacks_are_listed_and_read() -> None:
    assert stack_names() == ["prod", "stage"]
    for stack in ("stage", "prod"):
        stack_file = read_stack(stack)
        assert stack_file.stack == stack
        assert stack_file.path.name == f"Pulumi.{stack}.yaml"
        assert stack_file.region == "us-east-1"
        assert stack_file.settings().stack == stack
    assert read_stack("prod").production is True
    assert read_stack("stage").production is False


def test_values_arrive_as_the_cli_passes_them(tmp_path: Any) -> None:
    project = _stack_dir(
        tmp_path,
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  ecs-platform:acknowledgeUnsafeProduction: 'true'\n"
        "  ecs-platform:production: true\n"
        "  ecs-platform:network:\n"
        "    azCount: 3\n"
        "  ecs-platform:release:\n"
        "    image: '123'\n"
        "  ecs-platform:tags: [a, 1]\n",
    )
    stack_file = read_stack("dev", project)
    assert stack_file.config == {
        "aws:region": "eu-west-1",
        "ecs-platform:acknowledgeUnsafeProduction": "true",
        "ecs-platform:production": "true",
        "ecs-platform:network": '{"azCount": 3}',
        "ecs-platform:release": '{"image": "123"}',
        "ecs-platform:tags": '["a", 1]',
    }
    assert stack_file.region == "eu-west-1"
    assert stack_file.secret_keys == ()
    assert stack_file.production is True
    decoded = settings.decode_config(stack_file.config)
    # A reason written as the plain string "true" stays text, as the program reads it.
    assert decoded["acknowledgeUnsafeProduction"] == "true"
    assert decoded["production"] is True
    assert decoded["network"] == {"azCount": 3}


def test_the_plan_and_the_program_decode_alike(tmp_path: Any) -> None:
    import pulumi.runtime

    stack_file = read_stack("prod")
    pulumi.runtime.set_all_config(dict(stack_file.config))
    assert settings.raw_project_config() == settings.decode_config(stack_file.config)


def test_a_missing_region_is_empty_and_settings_say_so(tmp_path: Any) -> None:
    stack_file = read_stack("dev", _stack_dir(tmp_path, "config: {}\n"))
    assert stack_file.region == ""
    assert stack_file.production is False
    with pytest.raises(SettingsError) as caught:
        stack_file.settings()
    assert "aws:region" in str(caught.value)


def test_secure_values_are_placeholders_and_never_echoed(tmp_path: Any) -> None:
    cipher = "AAABAKzP0q7cipherTextThatMustNotLeak"
    project = _stack_dir(
        tmp_path,
        f"config:\n  aws:region: us-east-1\n  ecs-platform:release:\n    secure: {cipher}\n",
    )
    stack_file = read_stack("dev", project)
    assert stack_file.secret_keys == ("ecs-platform:release",)
    assert stack_file.config["ecs-platform:release"] == secret_placeholder("ecs-platform:release")
    assert secret_placeholder("ecs-platform:release") == "<secret ecs-platform:release>"
    assert cipher not in repr(stack_file)
    with pytest.raises(SettingsError) as caught:
        stack_file.settings()
    assert cipher not in str(caught.value)


def test_a_secure_value_on_a_broken_line_is_not_quoted(tmp_path: Any) -> None:
    cipher = "AAABAKzP0q7cipherTextThatMustNotLeak"
    project = _stack_dir(tmp_path, f"config:\n  ecs-platform:x: {{secure: {cipher}: [\n")
    with pytest.raises(StackFileError) as caught:
        read_stack("dev", project)
    assert "Pulumi.dev.yaml is not valid YAML" in str(caught.value)
    assert cipher not in str(caught.value)


def test_a_missing_stack_file_names_the_stacks_that_exist(tmp_path: Any) -> None:
    _stack_dir(tmp_path, "config: {}\n", stack="qa")
    with pytest.raises(StackFileError) as caught:
        read_stack("dev", tmp_path)
    assert str(caught.value) == "no stack file Pulumi.dev.yaml for stack 'dev' (stacks: qa)"
    with pytest.raises(StackFileError) as none:
        read_stack("dev", tmp_path / "empty")
    assert "(stacks: none)" in str(none.value)


@pytest.mark.parametrize("text", ["- a\n- b\n", "config: [a, b]\n", "config:\n"])
def test_a_stack_file_that_is_not_a_mapping_is_refused(tmp_path: Any, text: str) -> None:
    with pytest.raises(StackFileError) as caught:
        read_stack("dev", _stack_dir(tmp_path, text))
    assert str(caught.value) == "Pulumi.dev.yaml must be a mapping with a 'config' mapping"


def test_a_stack_file_is_a_frozen_value() -> None:
    stack_file = read_stack("stage")
    assert isinstance(stack_file, StackFile)
    with pytest.raises(AttributeError):
        stack_file.stack = "prod"  # type: ignore[misc]


def test_the_settings_package_imports_one_way() -> None:
    """Area modules build on the engine only (and the shared field checks); the feasibility
    table, the stack, its readers and its docs sit above them; nothing imports the package
    root from inside, so there is no cycle."""
    import ast
    import graphlib
    from pathlib import Path

    package = Path(settings.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("settings"):
                assert node.module != "settings", f"{path.name} imports the package root"
                deps.add(str(node.module).split(".", 1)[1])
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "settings" for a in node.names), path.name
        graph[path.stem] = deps
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises on a cycle
    assert graph["engine"] == set() and order[0] == "engine"
    areas = ("tags", "network", "dns", "database", "bastion", "service", "deployment")
    for area in (*areas, "observability", "iam", "release"):
        assert graph[area] <= {"engine", "fields"}, area
