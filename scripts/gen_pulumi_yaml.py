"""Writes Pulumi.yaml's config block from settings.py, so that it always declares every key
with its type, default and description (tests fail when the file is out of date)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import settings

HEADER = """\
# The Pulumi project. Run `python scripts/gen_pulumi_yaml.py` after changing settings.py:
# the config block below is generated from it (key, type, default, description).
"""


def project_document() -> dict:
    config: dict[str, dict] = {}
    for key, (kind, default, doc) in settings.SCALARS.items():
        config[key] = {
            "type": {bool: "boolean", str: "string"}[kind],
            "default": default,
            "description": doc,
        }
    for area, cls in settings.AREAS.items():
        entry: dict = {
            "type": "object",
            "description": f"{(cls.__doc__ or '').strip()} Keys: see the README's "
            f"configuration table ({area}.*).",
        }
        defaults = settings.area_defaults(area)
        if not any(f.metadata["required"] for f in settings.dataclasses.fields(cls)):
            entry["default"] = defaults
        config[area] = entry
    return {
        "name": settings.PROJECT,
        "description": "A containerised website on AWS ECS: stage and prod, blue/green "
        "deployments, a private PostgreSQL database, observability and security checks.",
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}},
        "config": config,
    }


def render() -> str:
    return HEADER + yaml.safe_dump(project_document(), sort_keys=False, width=100)


if __name__ == "__main__":
    (Path(__file__).resolve().parent.parent / "Pulumi.yaml").write_text(render())
