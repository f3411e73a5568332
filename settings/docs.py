"""The configuration reference and Pulumi.yaml's config block, generated from the declarations
(scripts/gen_pulumi_yaml.py writes them; tests/test_project_files.py keeps them in step)."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from settings.engine import camel, type_name
from settings.stack import AREAS, SCALARS


def reference_rows() -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) for every configuration key, in declaration order."""
    rows = [
        (key, type_name(kind), json.dumps(default), doc)
        for key, (kind, default, doc) in SCALARS.items()
    ]
    for area, cls in AREAS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = (
                "(required)"
                if f.metadata["required"]
                else json.dumps(list(f.default) if isinstance(f.default, tuple) else f.default)
            )
            if f.default is None:
                default = "(strategy default)"
            rows.append(
                (f"{area}.{camel(f.name)}", type_name(hints[f.name]), default, f.metadata["doc"])
            )
    return rows


def reference_table() -> str:
    """The configuration reference table (docs/configuration.md), as Markdown."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, doc in reference_rows():
        lines.append(f"| `{key}` | {kind} | `{default}` | {doc.replace('|', '/')} |")
    return "\n".join(lines)


def area_defaults(area: str) -> dict[str, Any]:
    """Default object of an area, as Pulumi.yaml declares it (required keys left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(AREAS[area]):
        if f.metadata["required"] or f.default is None:
            continue
        out[camel(f.name)] = list(f.default) if isinstance(f.default, tuple) else f.default
    return out


def config_block() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's `config` block: every top-level key with its type, default and
    description (an area object's keys are listed in docs/configuration.md)."""
    config: dict[str, dict[str, Any]] = {}
    for key, (kind, default, doc) in SCALARS.items():
        config[key] = {
            "type": {bool: "boolean", str: "string"}[kind],
            "default": default,
            "description": doc,
        }
    for area, cls in AREAS.items():
        entry: dict[str, Any] = {
            "type": "object",
            "description": f"{(cls.__doc__ or '').strip()} Keys: see docs/configuration.md "
            f"({area}.*).",
        }
        if not any(f.metadata["required"] for f in dataclasses.fields(cls)):
            entry["default"] = area_defaults(area)
        config[area] = entry
    return config
