"""What can be checked of the image without a Docker engine."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.tests.helpers import (
    APP_DIR,
    LiveApp,
    dockerfile_instruction,
    exec_form,
    image_command,
)

VENV_BIN = Path(sys.executable).parent


def test_dockerfile_is_clean_under_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(VENV_BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint not found: run `make venv`"
    done = subprocess.run(
        [hadolint, str(APP_DIR / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_start_command_is_the_package_entry_point() -> None:
    assert exec_form(dockerfile_instruction("CMD")) == ["python", "-m", "website"]
    assert (APP_DIR / "website" / "__main__.py").is_file()


def test_start_command_refuses_to_start_without_configuration() -> None:
    done = subprocess.run(
        image_command(), cwd=APP_DIR, env={}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "APP_COLOR is required" in done.stderr
    assert "DB_PASSWORD is required" in done.stderr


def test_base_image_is_pinned_by_tag_and_digest() -> None:
    # Both stages name the same image on their FROM line (Dependabot updates FROM lines only).
    text = (APP_DIR / "Dockerfile").read_text()
    froms = [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]
    assert len(froms) == 2 and froms[0] == froms[1], froms
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", froms[0]), froms


def test_image_runs_as_a_numeric_non_root_user() -> None:
    user = dockerfile_instruction("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_image_installs_exactly_the_locked_requirements() -> None:
    lock = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (APP_DIR / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    }
    wanted = {
        re.split(r"[\[<>=~ ]", line)[0].lower().replace("_", "-")
        for line in (APP_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert wanted | {"psycopg-binary"} <= lock
    dockerfile = (APP_DIR / "Dockerfile").read_text()
    assert "pip install --only-binary=:all: --no-deps -r /tmp/requirements.lock" in dockerfile


def test_build_context_leaves_out_tests_and_tools() -> None:
    ignore = (APP_DIR / ".dockerignore").read_text().splitlines()
    assert "*" in ignore  # everything is left out unless allowed below
    allowed = [line[1:] for line in ignore if line.startswith("!")]
    assert sorted(allowed) == ["requirements.lock", "website/"]


def test_healthcheck_command_passes_against_a_live_site(
    live_app: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = exec_form(dockerfile_instruction("HEALTHCHECK").split("CMD", 1)[1].strip())
    assert command[:3] == ["python", "-m", "website.healthcheck"]
    run = [sys.executable, *command[1:]]
    ok = subprocess.run(
        run, cwd=APP_DIR, env={"PORT": str(live_app.port)}, capture_output=True, timeout=30
    )
    assert ok.returncode == 0, ok.stderr
    live_app.server.stop()
    down = subprocess.run(
        run, cwd=APP_DIR, env={"PORT": str(live_app.port)}, capture_output=True, timeout=30
    )
    assert down.returncode == 1
    assert b"unhealthy" in down.stderr
