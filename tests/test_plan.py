"""The offline plan of the shipped stacks: inventory, cost against the targets, diagram,
the JSON document against its schema, the Markdown summary and every bad-argument case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mock_engine import Recording
from offline_plan import cli
from offline_plan.cost import NAIVE, estimate
from offline_plan.diagram import dot_source, render_diagram
from offline_plan.inventory import StackView, build_inventory, nat_strategy
from offline_plan.pricing import load_prices, load_usage

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "offline_plan" / "plan.schema.json").read_text())


def cost_of(recording: Recording, stack: str, layout: Any = None) -> Any:
    view = StackView(recording.resources)
    prices, usage = load_prices(), load_usage(stack)
    return estimate(view, prices, usage, layout) if layout else estimate(view, prices, usage)


def test_inventory_groups_every_resource_under_its_component(stage: Recording) -> None:
    groups = build_inventory(StackView(stage.resources))
    names = {g.name for g in groups}
    assert {"net", "db", "bastion", "registry"} <= names
    assert sum(len(g.resources) for g in groups) + len(names - {"(program)"}) == len(
        stage.resources
    )


def test_stage_inventory_reports_a_nat_instance_per_az(stage: Recording) -> None:
    assert nat_strategy(StackView(stage.resources)) == "NAT instance x2 (t4g.nano, one per AZ)"


def test_prod_inventory_reports_a_nat_gateway_per_az(prod: Recording) -> None:
    assert nat_strategy(StackView(prod.resources)) == "NAT Gateway x3 (per AZ)"


def test_prod_inventory_shows_the_database_class_and_multi_az(prod: Recording) -> None:
    db = next(g for g in build_inventory(StackView(prod.resources)) if g.name == "db")
    assert db.settings["database"].startswith("postgres 16 db.t4g.small, Multi-AZ")


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_every_recorded_type_is_priced_free_or_usage_only(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = request.getfixturevalue(stack)
    assert [x.type for x in cost_of(recording, stack).unpriced()] == []


def test_prod_prices_the_load_balancer_tasks_waf_and_observability(prod: Recording) -> None:
    priced = {x.type for x in cost_of(prod, "prod").lines if x.kind in ("fixed", "usage")}
    wanted = {
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:ecs/service:Service",
        "aws:wafv2/webAcl:WebAcl",
        "aws:amp/workspace:Workspace",
        "aws:grafana/workspace:Workspace",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:rds/instance:Instance",
        "aws:ec2/natGateway:NatGateway",
    }
    assert wanted <= priced


def test_stage_fixed_cost_is_at_most_half_of_the_naive_layout(stage: Recording) -> None:
    built, naive = cost_of(stage, "stage"), cost_of(stage, "stage", NAIVE)
    assert built.fixed <= 0.5 * naive.fixed, (built.fixed, naive.fixed)


def test_prod_fixed_cost_is_below_the_naive_layout(prod: Recording) -> None:
    built, naive = cost_of(prod, "prod"), cost_of(prod, "prod", NAIVE)
    assert built.fixed < naive.fixed, (built.fixed, naive.fixed)


def test_prod_keeps_a_nat_path_per_az_and_a_multi_az_database(prod: Recording) -> None:
    view = StackView(prod.resources)
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == len(view.availability_zones())
    assert prod.one("aws:rds/instance:Instance").inputs["multiAz"] is True


def test_diagram_png_and_svg_are_written_and_not_empty(prod: Recording, tmp_path: Path) -> None:
    paths = render_diagram("prod", StackView(prod.resources), tmp_path)
    png, svg = Path(paths["png"]), Path(paths["svg"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()


def test_an_unchanged_diagram_is_not_drawn_again(stage: Recording, tmp_path: Path) -> None:
    view = StackView(stage.resources)
    paths = render_diagram("stage", view, tmp_path)
    drawn = {fmt: Path(paths[fmt]).stat().st_mtime_ns for fmt in ("png", "svg")}
    render_diagram("stage", view, tmp_path)
    assert {fmt: Path(paths[fmt]).stat().st_mtime_ns for fmt in ("png", "svg")} == drawn


def test_a_diagram_whose_source_changed_is_drawn_again(stage: Recording, tmp_path: Path) -> None:
    view = StackView(stage.resources)
    paths = render_diagram("stage", view, tmp_path)
    Path(paths["png"]).write_bytes(b"old")
    Path(paths["dot"]).write_text("digraph old {}")
    render_diagram("stage", view, tmp_path)
    assert Path(paths["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(paths["dot"]).read_text() == dot_source("stage", view)


def test_prod_diagram_has_a_nat_per_az_the_standby_and_the_paths(prod: Recording) -> None:
    source = dot_source("prod", StackView(prod.resources))
    assert all(f"nat{z} [label=" in source for z in range(3))
    assert 'rds1 [label="standby (Multi-AZ)' in source
    for path in (
        "users -> igw",
        "igw -> alb",
        "alb -> task0",
        "task0 -> rds0",
        "task0 -> nat0",
        "operator -> bastion",
        "bastion -> rds0",
    ):
        assert path in source, path


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    code = cli.main(
        ["--stack", "stage", "--stack", "prod", "--diff", "--no-diagram", "--json", str(out)]
    )
    assert code == 0
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_json_document_matches_its_schema(document: dict[str, Any]) -> None:
    jsonschema.validate(document, SCHEMA)


def test_schema_rejects_a_document_without_the_cost(document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document))
    del broken["stacks"][0]["cost"]
    with pytest.raises(jsonschema.ValidationError, match="'cost' is a required property"):
        jsonschema.validate(broken, SCHEMA)


def test_json_document_holds_findings_rollout_and_the_diff(document: dict[str, Any]) -> None:
    stage = document["stacks"][0]
    assert stage["findings"]["available"] and stage["rollout"]["available"]
    assert stage["rollout"]["deploy_seconds"] > 0
    assert document["diff"]["stacks"] == ["stage", "prod"]


def test_markdown_summary_has_cost_findings_and_rollout(tmp_path: Path) -> None:
    md = tmp_path / "stage.md"
    assert cli.main(["--stack", "stage", "--no-diagram", "--markdown", str(md)]) == 0
    text = md.read_text()
    for heading in ("### Monthly cost", "### Policy findings", "### Rollout (modelled)"):
        assert heading in text
    assert "ratio 0." in text


# Bad arguments: a clear one-line message, a non-zero exit, no traceback ---------------------


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


def test_unknown_stack_exits_2_naming_the_known_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["--stack", "qa"], capsys)
    assert code == 2
    assert (
        err
        == "offline plan: unknown stack 'qa': there is no Pulumi.qa.yaml (stacks: prod, stage)\n"
    )


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["--stacks", "prod"], capsys)
    assert code == 2 and "unrecognized arguments: --stacks" in err


def test_diff_needs_exactly_two_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["--stack", "prod", "--diff"], capsys)
    assert code == 2 and "--diff compares exactly two stacks" in err


def test_missing_usage_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(["--stack", "prod", "--usage", str(tmp_path / "none.yaml")], capsys)
    assert code == 2 and "usage file" in err and "does not exist" in err


def test_invalid_usage_file_exits_2_listing_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("defaults:\n  alb_lcu: lots\n")
    code, err = run(["--stack", "prod", "--no-diagram", "--usage", str(usage)], capsys)
    assert code == 2 and "defaults.alb_lcu = 'lots': must be a number >= 0" in err


def project(tmp_path: Path, stack_file: str) -> Path:
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.bad.yaml").write_text(stack_file)
    return tmp_path


def test_missing_stack_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(
        ["--project-dir", str(project(tmp_path, "config: {}\n")), "--stack", "prod"], capsys
    )
    assert code == 2 and "there is no Pulumi.prod.yaml (stacks: bad)" in err


def test_malformed_stack_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(
        ["--project-dir", str(project(tmp_path, "config: [\n")), "--stack", "bad"], capsys
    )
    assert code == 2 and "Pulumi.bad.yaml is not valid YAML" in err


def test_invalid_config_exits_1_listing_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stack_file = (ROOT / "Pulumi.stage.yaml").read_text()
    stack_file = stack_file.replace("azCount: 2", "azCount: 9").replace(
        "instanceClass: db.t4g.micro", "instanceClass: huge"
    )
    code, err = run(["--project-dir", str(project(tmp_path, stack_file)), "--stack", "bad"], capsys)
    assert code == 1
    assert "network.azCount = 9: must be between 1 and 6" in err
    assert 'database.instanceClass = "huge"' in err
    assert "Traceback" not in err
