"""The workflows assume the bootstrap's roles as the roles' trust and sessions allow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bootstrap_policies as pol
import bootstrap_resources as res
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


# A workflow is parsed YAML: its shape is GitHub's, checked by the assertions themselves.
def _jobs(name: str) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())["jobs"]
    return jobs


def _credentials(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if "configure-aws-credentials" in str(s.get("uses"))]
    inputs: dict[str, Any] = step["with"]
    return inputs


def test_deploy_sessions_cover_each_job_and_fit_the_roles_maximum() -> None:
    for name, job in _jobs("deploy.yml").items():
        if not any("configure-aws-credentials" in str(s.get("uses")) for s in job["steps"]):
            continue
        seconds = int(_credentials(job)["role-duration-seconds"])
        # configure-aws-credentials fails when asking for more than MaxSessionDuration.
        assert seconds <= res.DEPLOY_SESSION_SECONDS, name
        assert seconds >= job["timeout-minutes"] * 60, name


def test_pull_request_code_previews_only_the_pull_request_stack() -> None:
    job = _jobs("pull-request.yml")["preview"]
    assert job["strategy"]["matrix"]["stack"] == ["stage"]
    assert "environment" not in job  # the OIDC subject stays repo:...:pull_request
    assert _credentials(job)["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"


def test_prod_is_previewed_only_from_its_preview_environment() -> None:
    job = _jobs("pull-request.yml")["preview-prod"]
    assert job["strategy"]["matrix"]["stack"] == ["prod"]
    assert job["environment"] == f"prod{pol.PREVIEW_ENVIRONMENT_SUFFIX}"
    assert _credentials(job)["role-to-assume"] == "${{ vars.AWS_PROD_PREVIEW_ROLE_ARN }}"
    assert pol.github_subject("acme/x", job["environment"]) == (
        "repo:acme/x:environment:prod-preview"
    )


def _on(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    triggers: dict[str, Any] = doc.get("on", doc.get(True))  # PyYAML reads the key `on` as True
    return triggers


def test_roles_trust_exactly_the_workflow_files_that_assume_them() -> None:
    # The trust pins job_workflow_ref to one file: a role assumed from any other file fails.
    trusted = {
        "AWS_DEPLOY_ROLE_ARN": pol.DEPLOY_WORKFLOW,
        "AWS_PREVIEW_ROLE_ARN": pol.PULL_REQUEST_WORKFLOW,
        "AWS_PROD_PREVIEW_ROLE_ARN": pol.PULL_REQUEST_WORKFLOW,
    }
    assumed: set[tuple[str, str]] = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in _jobs(path.name).values():
            if any("configure-aws-credentials" in str(s.get("uses")) for s in job["steps"]):
                role = _credentials(job)["role-to-assume"].removeprefix("${{ vars.")
                assumed.add((role.removesuffix(" }}"), path.name))
    assert assumed == set(trusted.items())


def test_trusted_refs_are_the_ones_the_workflows_run_at() -> None:
    # deploy.yml runs on pushes to main (and by hand from main); pull-request.yml on
    # pull_request events, whose GITHUB_REF is refs/pull/<number>/merge.
    assert _on(pol.DEPLOY_WORKFLOW)["push"]["branches"] == [
        pol.DEPLOY_REF.removeprefix("refs/heads/")
    ]
    assert set(_on(pol.PULL_REQUEST_WORKFLOW)) == {"pull_request"}
