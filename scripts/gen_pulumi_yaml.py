"""Writes Pulumi.yaml's config block and docs/configuration.md from the settings package, so
that both always declare every key with its type, default and description (tests fail when
either is out of date)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402  (the project root is put on the path first)

HEADER = """\
# The Pulumi project. Run `python scripts/gen_pulumi_yaml.py` after changing settings/:
# the config block below is generated from it (key, type, default, description).
"""

CONFIGURATION_DOC = Path("docs") / "configuration.md"


def project_document() -> dict[str, Any]:
    """Pulumi.yaml as a document: the project, its runtime and every configuration key."""
    return {
        "name": settings.PROJECT,
        "description": "A containerised website on AWS ECS: stage and prod, blue/green "
        "deployments, a private PostgreSQL database, observability and security checks.",
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}},
        "config": settings.config_block(),
    }


def render() -> str:
    """Pulumi.yaml's text."""
    text: str = yaml.safe_dump(project_document(), sort_keys=False, width=100)
    return HEADER + text


def configuration_doc() -> str:
    """docs/configuration.md's text: a title, one paragraph and the reference table."""
    return (
        "# Configuration reference\n\n"
        f"Every key a stack file may set, under the `{settings.PROJECT}:` namespace of "
        "`Pulumi.<stack>.yaml`: top-level keys first, then each area's object keys as "
        "`area.key`. The settings package checks every value (and the rules across areas) "
        "before a resource is declared. This file is generated from the declarations by "
        "`python scripts/gen_pulumi_yaml.py`; do not edit it by hand.\n\n"
        f"{settings.reference_table()}\n"
    )


def main(root: Path = ROOT) -> None:
    """Writes both generated files under `root`."""
    (root / "Pulumi.yaml").write_text(render())
    (root / CONFIGURATION_DOC).write_text(configuration_doc())


if __name__ == "__main__":
    main()
