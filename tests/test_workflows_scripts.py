"""The scripts the workflows run, exercised here with a stand-in `pulumi` and a local server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / ".github" / "scripts"
DIGEST = "sha256:" + "ab" * 32
IMAGE = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/website-stage@{DIGEST}"
SHA = "0123456789abcdef0123456789abcdef01234567"

FAKE_PULUMI = """#!/usr/bin/env bash
echo "$*" >> "$PULUMI_LOG"
if [[ "$1 $2 $3" == "stack output --json" ]]; then
  [[ -n "${OUTPUTS_EXIT:-}" ]] && exit "$OUTPUTS_EXIT"
  echo '{"url": "https://prod.example.com", "releaseWaitsForApproval": true,'
  echo ' "desiredCount": 3, "alarmNames": ["a", "b"], "note": "two\\nlines"}'
  exit 0
fi
if [[ "$1 $2" == "stack output" ]]; then
  case "$3" in
    releaseColor) [[ -n "${LIVE_COLOR:-}" ]] && { echo "$LIVE_COLOR"; exit 0; }; exit 1 ;;
    releaseImage) [[ -n "${LIVE_IMAGE:-}" ]] && { echo "$LIVE_IMAGE"; exit 0; }; exit 1 ;;
    releaseVersion) echo "${LIVE_VERSION:-}"; exit 0 ;;
    url) echo "https://stage.example.com"; exit 0 ;;
    *) exit 1 ;;
  esac
fi
exit "${PULUMI_EXIT:-0}"
"""


@pytest.fixture
def fake_pulumi(tmp_path: Path) -> Iterator[dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(FAKE_PULUMI)
    exe.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PULUMI_LOG": str(tmp_path / "pulumi.log"),
        "PULUMI_BACKEND_URL": "s3://state-bucket?region=eu-west-1",
    }
    yield env


def run(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def calls(env: dict[str, str]) -> list[str]:
    log = Path(env["PULUMI_LOG"])
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("live", "next_color"), [("blue", "green"), ("green", "blue"), ("", "green")]
)
def test_deploy_flips_the_live_colour(
    fake_pulumi: dict[str, str], live: str, next_color: str
) -> None:
    env = {**fake_pulumi, "LIVE_COLOR": live}
    result = run("pulumi-stack.sh", "deploy", "stage", IMAGE, SHA, env=env)
    assert result.returncode == 0, result.stderr
    log = calls(env)
    assert f"config set --stack stage --path release.image {IMAGE}" in log
    assert f"config set --stack stage --path release.version {SHA}" in log
    assert f"config set --stack stage --path release.color {next_color}" in log
    (up,) = [c for c in log if c.startswith("up ")]
    assert "--stack stage" in up and "--yes" in up and "--policy-pack policy" in up


def test_a_hand_run_up_keeps_the_release_the_stack_runs_now(fake_pulumi: dict[str, str]) -> None:
    env = {**fake_pulumi, "LIVE_IMAGE": IMAGE, "LIVE_VERSION": SHA, "LIVE_COLOR": "green"}
    result = run("pulumi-stack.sh", "up", "prod", env=env)
    assert result.returncode == 0, result.stderr
    log = calls(env)
    assert f"config set --stack prod --path release.image {IMAGE}" in log
    assert f"config set --stack prod --path release.version {SHA}" in log
    assert "config set --stack prod --path release.color green" in log
    (up,) = [c for c in log if c.startswith("up ")]
    assert log.index(up) > log.index(f"config set --stack prod --path release.image {IMAGE}")


def test_a_hand_run_up_refuses_a_stack_without_a_release(fake_pulumi: dict[str, str]) -> None:
    result = run("pulumi-stack.sh", "up", "stage", env=fake_pulumi)
    assert result.returncode == 1 and "runs no release yet" in result.stderr
    assert not [c for c in calls(fake_pulumi) if c.startswith("up ")]


def test_outputs_are_written_as_one_line_name_value_pairs(fake_pulumi: dict[str, str]) -> None:
    result = run("pulumi-stack.sh", "outputs", "prod", env=fake_pulumi)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "url=https://prod.example.com",
        "releaseWaitsForApproval=true",
        "desiredCount=3",
    ]


def test_outputs_fail_when_pulumi_cannot_read_them(fake_pulumi: dict[str, str]) -> None:
    result = run("pulumi-stack.sh", "outputs", "prod", env={**fake_pulumi, "OUTPUTS_EXIT": "1"})
    assert result.returncode != 0 and result.stdout == ""


def test_a_failed_pulumi_up_fails_the_deploy(fake_pulumi: dict[str, str]) -> None:
    env = {**fake_pulumi, "PULUMI_EXIT": "255"}
    result = run("pulumi-stack.sh", "deploy", "prod", IMAGE, SHA, env=env)
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "dev", IMAGE, SHA), "stack 'dev' is not allowed; expected stage or prod"),
        (("deploy", "stage", "website:latest", SHA), "image 'website:latest' is not allowed"),
        (("deploy", "stage", IMAGE, "v1.0"), "version 'v1.0' is not allowed"),
        (("preview", "qa", "out.txt"), "stack 'qa' is not allowed"),
        (("destroy", "stage"), "usage:"),
    ],
)
def test_bad_input_is_refused_before_pulumi_runs(
    fake_pulumi: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = run("pulumi-stack.sh", *args, env=fake_pulumi)
    assert result.returncode == 2
    assert message in result.stderr
    assert calls(fake_pulumi) == []


def test_deploy_needs_the_state_backend(fake_pulumi: dict[str, str]) -> None:
    env = {k: v for k, v in fake_pulumi.items() if k != "PULUMI_BACKEND_URL"}
    result = run("pulumi-stack.sh", "deploy", "stage", IMAGE, SHA, env=env)
    assert result.returncode == 2 and "PULUMI_BACKEND_URL is not set" in result.stderr


def test_preview_runs_the_policy_pack_and_keeps_its_output(
    fake_pulumi: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "preview.txt"
    result = run("pulumi-stack.sh", "preview", "prod", str(out), env=fake_pulumi)
    assert result.returncode == 0, result.stderr
    (preview,) = [c for c in calls(fake_pulumi) if c.startswith("preview ")]
    assert "--stack prod --policy-pack policy" in preview
    assert out.exists()


FAST = {**os.environ, "SMOKE_INTERVAL": "0"}


def test_smoke_test_passes_when_healthy_ready_and_showing_the_version(site) -> None:  # type: ignore[no-untyped-def]
    url, _ = site
    result = run("smoke-test.sh", url, SHA, "2", env=FAST)
    assert result.returncode == 0, result.stderr
    assert f"shows version {SHA}" in result.stdout


def test_smoke_test_fails_when_not_ready(site) -> None:  # type: ignore[no-untyped-def]
    url, handler = site
    handler.ready = 503
    result = run("smoke-test.sh", url, SHA, "2", env=FAST)
    assert result.returncode == 1
    assert "/readyz answered 503" in result.stderr


def test_smoke_test_fails_when_the_old_version_is_still_served(site) -> None:  # type: ignore[no-untyped-def]
    url, handler = site
    handler.version = "fedcba9"
    result = run("smoke-test.sh", url, SHA, "2", env=FAST)
    assert result.returncode == 1
    assert "does not show version" in result.stderr


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("smoke-test.sh", ("ftp://x", SHA), "URL 'ftp://x' is not allowed"),
        ("smoke-test.sh", ("https://x.example", SHA, "0"), "ATTEMPTS '0' is not allowed"),
        ("promote-image.sh", ("website:latest", "r.example/prod", SHA), "source 'website:latest'"),
        ("promote-image.sh", (IMAGE, "not a repo", SHA), "destination 'not a repo'"),
        ("pr-comment.sh", ("Bad Marker", "/dev/null"), "marker 'Bad Marker' is not allowed"),
    ],
)
def test_scripts_refuse_bad_arguments(script: str, args: tuple[str, ...], message: str) -> None:
    result = run(script, *args)
    assert result.returncode == 2
    assert message in result.stderr
