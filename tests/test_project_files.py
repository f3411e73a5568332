"""Project files that are generated from the settings package stay in step with it."""

from __future__ import annotations

from pathlib import Path

import yaml

import settings
from scripts.gen_pulumi_yaml import CONFIGURATION_DOC, configuration_doc, project_document

ROOT = Path(__file__).resolve().parent.parent


def test_pulumi_yaml_declares_every_key_as_the_settings_package_does() -> None:
    on_disk = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert on_disk == project_document(), "run: python scripts/gen_pulumi_yaml.py"


def test_pulumi_yaml_runs_python_with_pip_in_the_makefiles_virtualenv() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "ecs-platform"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }
    assert "VENV ?= .venv" in (ROOT / "Makefile").read_text()


def test_every_declared_key_has_a_type_and_a_description() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert set(project["config"]) == {*settings.SCALARS, *settings.AREAS}
    for key, entry in project["config"].items():
        assert entry["type"] in ("string", "boolean", "object"), key
        assert entry["description"], key


def test_configuration_reference_matches_settings() -> None:
    reference = (ROOT / CONFIGURATION_DOC).read_text()
    assert reference.startswith("# Configuration reference\n")
    assert "| key | type | default | meaning |\n|---|---|---|---|\n" in reference
    assert reference == configuration_doc(), "run: python scripts/gen_pulumi_yaml.py"
    for key, *_ in settings.reference_rows():
        assert f"| `{key}` |" in reference


def test_every_stack_file_key_is_in_the_reference() -> None:
    documented = {row[0] for row in settings.reference_rows()}
    for path in ROOT.glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text())["config"]
        for key, value in config.items():
            namespace, name = key.split(":", 1)
            if namespace != "ecs-platform":
                continue
            if isinstance(value, dict):
                assert all(f"{name}.{sub}" in documented for sub in value), (path.name, key)
            else:
                assert name in documented, (path.name, key)


def test_the_plan_installs_the_graphviz_it_draws_with() -> None:
    # The README's first command must work on a fresh machine: the diagram needs Graphviz.
    plan_mk = (ROOT / "mk" / "plan.mk").read_text()
    recipe = plan_mk.split("\nplan: ", 1)[1].split("\n\n", 1)[0]
    assert "scripts/ensure-debs.sh graphviz" in recipe
    assert "graphviz" in (ROOT / "debian-packages.txt").read_text().split()


def test_ensure_debs_refuses_a_package_the_project_does_not_list() -> None:
    import subprocess

    done = subprocess.run(
        [str(ROOT / "scripts" / "ensure-debs.sh"), "not-a-listed-package"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 2
    assert "not-a-listed-package is not in debian-packages.txt" in done.stderr
