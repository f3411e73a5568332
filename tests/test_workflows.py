"""The GitHub workflows, checked offline: zizmor, the workflow schema, pins, permissions,
concurrency, and that every make target and script they call exists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
SEVERITY_RANK = {"Unknown": 0, "Informational": 1, "Low": 2, "Medium": 3, "High": 4}


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True; put it back.
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, s) for job, spec in doc["jobs"].items() for s in spec.get("steps", [])]


def run_lines() -> list[str]:
    return [
        line.strip()
        for path in WORKFLOWS
        for _, step in steps(load(path))
        for line in str(step.get("run", "")).splitlines()
    ]


def test_there_are_pull_request_and_deploy_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


def test_zizmor_reports_nothing_above_low() -> None:
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--format", "json", str(ROOT / ".github")],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout)
    above_low = [
        (f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"])
        for f in findings
        if SEVERITY_RANK[f["determinations"]["severity"]] > SEVERITY_RANK["Low"]
    ]
    assert above_low == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates_against_the_github_schema(path: Path) -> None:
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        result = subprocess.run(
            [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_validates() -> None:
    result = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            str(ROOT / ".github" / "dependabot.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(\s+#\s*v\S+)?", line)
            if match:
                assert SHA_PIN.match(match.group(1)), f"{path.name}: {line.strip()}"
                assert match.group(2), f"{path.name}: no version comment: {line.strip()}"


MAKE_CALL = re.compile(r"(?:^|[;&|(]\s*|sudo\s+)make((?:\s+[A-Za-z0-9_.=-]+)+)")


def make_targets_called() -> set[str]:
    targets: set[str] = set()
    for line in run_lines():
        for match in MAKE_CALL.finditer(line):
            targets.update(
                w for w in match.group(1).split() if not w.startswith("-") and "=" not in w
            )
    return targets


def test_workflows_call_the_make_targets_everybody_relies_on() -> None:
    assert make_targets_called() >= {
        "venv",
        "lint",
        "typecheck",
        "test",
        "observability-check",
        "hadolint",
        "workflows-check",
        "plan-json",
    }


@pytest.mark.parametrize("target", sorted(make_targets_called()))
def test_every_make_target_the_workflows_call_exists(target: str) -> None:
    result = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "No rule to make target" not in result.stderr, f"make {target}: {result.stderr}"
    assert result.returncode == 0, result.stderr


def scripts_called() -> set[str]:
    found: set[str] = set()
    for line in run_lines():
        found.update(re.findall(r"(?:^|[\s\"'(])((?:\.github/)?scripts/[\w./-]+\.(?:sh|py))", line))
    return found


def test_the_workflows_call_scripts() -> None:
    assert {".github/scripts/pulumi-stack.sh", ".github/scripts/smoke-test.sh"} <= scripts_called()


@pytest.mark.parametrize("script", sorted(scripts_called()))
def test_every_script_the_workflows_call_exists_and_is_executable(script: str) -> None:
    path = ROOT / script
    assert path.is_file(), script
    assert path.stat().st_mode & 0o111, f"{script} is not executable"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_by_default_and_granted_per_job(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        assert "permissions" in job, f"{path.name}:{name} has no permissions"
        granted = job["permissions"]
        assert all(v in ("read", "write", "none") for v in granted.values())
        uses_aws = any(
            str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")
            for s in job["steps"]
        )
        assert (granted.get("id-token") == "write") == uses_aws, f"{path.name}:{name}"
        assert granted.get("contents") in ("read", None), f"{path.name}:{name}"


def test_no_long_lived_aws_keys_anywhere() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY"):
            assert forbidden not in text, f"{path.name}: {forbidden}"
        for _, step in steps(load(path)):
            if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials"):
                assert "role-to-assume" in step["with"]


def test_checkouts_do_not_keep_credentials() -> None:
    for path in WORKFLOWS:
        for _, step in steps(load(path)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_deployments_of_one_stack_never_overlap() -> None:
    jobs = load(ROOT / ".github/workflows/deploy.yml")["jobs"]
    for stack in ("stage", "prod"):
        job = jobs[f"deploy-{stack}"]
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        assert job["environment"]["name"] == stack


def test_prod_follows_stage_and_both_deploy_the_one_built_digest() -> None:
    doc = load(ROOT / ".github/workflows/deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    assert set(jobs["deploy-prod"]["needs"]) == {"build", "deploy-stage"}
    assert jobs["deploy-stage"]["needs"] == "build"
    text = (ROOT / ".github/workflows/deploy.yml").read_text()
    assert text.count("docker/build-push-action@") == 1, "the image is built once"
    assert "promote-image.sh" in text
    stage_steps = [s.get("run", "") for s in jobs["deploy-stage"]["steps"]]
    assert any("smoke-test.sh" in r for r in stage_steps)


def test_pull_requests_are_previewed_read_only_with_the_policy_pack() -> None:
    doc = load(ROOT / ".github/workflows/pull-request.yml")
    # Any same-repository pull request previews stage with the role that can decrypt only
    # stage's secrets; prod is previewed only inside the prod-preview environment (required
    # reviewers), the only subject the prod preview role trusts.
    for job, stacks, role, environment in (
        ("preview", ["stage"], "AWS_PREVIEW_ROLE_ARN", None),
        ("preview-prod", ["prod"], "AWS_PROD_PREVIEW_ROLE_ARN", "prod-preview"),
    ):
        preview = doc["jobs"][job]
        assert preview["strategy"]["matrix"]["stack"] == stacks
        assert preview.get("environment") == environment
        creds = [s for s in preview["steps"] if "configure-aws-credentials" in str(s.get("uses"))]
        assert creds[0]["with"]["role-to-assume"] == "${{ vars." + role + " }}"
    script = (ROOT / ".github/scripts/pulumi-stack.sh").read_text()
    assert 'pulumi preview --stack "$stack" --policy-pack policy' in script


def test_images_are_scanned_and_trivy_fails_on_high_and_critical() -> None:
    for path in WORKFLOWS:
        for _, step in steps(load(path)):
            if str(step.get("uses", "")).startswith("aquasecurity/trivy-action@"):
                assert step["with"]["severity"] == "HIGH,CRITICAL"
                assert step["with"]["exit-code"] == "1"
    pr = (ROOT / ".github/workflows/pull-request.yml").read_text()
    assert "docker/scout-action@" in pr and "write-comment: true" in pr
    assert "sonarqube-scan-action@" in pr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is a Debian package")
def test_scripts_pass_shellcheck() -> None:
    scripts = sorted(str(p) for p in (ROOT / ".github" / "scripts").glob("*.sh"))
    result = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
