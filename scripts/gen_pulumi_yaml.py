"""Writes Pulumi.yaml's config block and docs/configuration.md from the settings package, so
that both always declare every key with its type, default and description (tests fail when
either is out of date).

    .venv/bin/python scripts/gen_pulumi_yaml.py            # rewrite both (make docs)
    .venv/bin/python scripts/gen_pulumi_yaml.py --check    # list stale files, exit 1 if any
"""

from __future__ import annotations

import argparse
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


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Each generated file under `root` and the text it should hold."""
    return {root / "Pulumi.yaml": render(), root / CONFIGURATION_DOC: configuration_doc()}


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    """Writes both generated files under `root` (with `--check`, only lists the stale ones).

    `--help` prints the usage and exits 0 before anything is written; an unknown argument
    exits 2 (argparse's SystemExit).
    """
    parser = argparse.ArgumentParser(
        prog="scripts/gen_pulumi_yaml.py",
        description="Writes Pulumi.yaml's config block and docs/configuration.md from the "
        "settings package.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; list stale files, exit 1 if any"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    stale = [path for path, text in generated(root).items() if _read(path) != text]
    for path in stale:
        if args.check:
            print(f"stale: {path.relative_to(root)} (run: python scripts/gen_pulumi_yaml.py)")
        else:
            path.write_text(generated(root)[path])
            print(f"wrote {path.relative_to(root)}")
    return 1 if args.check and stale else 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


if __name__ == "__main__":
    sys.exit(main())
