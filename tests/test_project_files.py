"""Project files that are generated from settings.py stay in step with it."""

from __future__ import annotations

from pathlib import Path

import yaml

import settings
from scripts.gen_pulumi_yaml import TABLE_END, TABLE_START, project_document, readme_with_table

ROOT = Path(__file__).resolve().parent.parent


def test_pulumi_yaml_declares_every_key_as_settings_py_does() -> None:
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


def test_readme_configuration_table_matches_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert TABLE_START in readme and TABLE_END in readme
    assert readme == readme_with_table(readme), "run: python scripts/gen_pulumi_yaml.py"
    for key, *_ in settings.reference_rows():
        assert f"| `{key}` |" in readme


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
