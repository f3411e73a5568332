"""The deploy workflow's job graph: who may shift prod traffic, in what order, and that no step
loses an exit status."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
APPROVAL_ENVIRONMENT = "prod-release-approval"


def workflow() -> dict[str, Any]:
    return yaml.safe_load(DEPLOY.read_text())


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def ancestors(jobs: dict[str, Any], name: str) -> set[str]:
    seen: set[str] = set()
    todo = needs(jobs[name])
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo += needs(jobs[job])
    return seen


def environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job.get("steps", [])]


def jobs_running(pattern: str) -> dict[str, Any]:
    return {
        name: job
        for name, job in workflow()["jobs"].items()
        if any(re.search(pattern, run) for run in runs(job))
    }


def evaluate(expression: str, values: dict[str, str]) -> Any:
    """A GitHub expression of `==`, `&&`, `||` and string literals, evaluated as GitHub does
    (`a && b || c` returns a value, like Python's and/or)."""
    body = expression.strip().removeprefix("${{").removesuffix("}}")
    for name, value in values.items():
        body = body.replace(name, repr(value))
    body = body.replace("&&", " and ").replace("||", " or ")
    assert re.fullmatch(r"[\s'A-Za-z_=!()-]*", body), f"unexpected expression: {body}"
    # Checked above to hold only literals and operators.
    return eval(body, {"__builtins__": {}})


# Who shifts production traffic --------------------------------------------------------------


def shift_steps() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for name, job in workflow()["jobs"].items():
        for step in job.get("steps", []):
            if "service-deployment.py continue" in str(step.get("run", "")):
                found.append((name, job, step))
    return found


def test_no_step_calls_continue_service_deployment_except_through_the_script() -> None:
    text = DEPLOY.read_text()
    assert "continue-service-deployment" not in text
    assert len(shift_steps()) == 1


def test_the_prod_shift_needs_the_approval_job_of_its_own_environment() -> None:
    jobs = workflow()["jobs"]
    ((name, job, _),) = shift_steps()
    approvals = [j for j in ancestors(jobs, name) if environment(jobs[j]) == APPROVAL_ENVIRONMENT]
    assert approvals, f"{name} can shift prod traffic without an approval job"
    (approval,) = approvals
    assert approval in needs(job), "the approval's result must be visible to the shift job"
    # The approval environment is only an approval: no cloud credentials there.
    assert jobs[approval].get("permissions") == {}
    assert APPROVAL_ENVIRONMENT not in {"prod", "stage"}


@pytest.mark.parametrize("approval", ["success", "failure", "cancelled", "skipped"])
@pytest.mark.parametrize("tested", ["success", "failure"])
def test_traffic_continues_only_when_approved_and_tested(approval: str, tested: str) -> None:
    jobs = workflow()["jobs"]
    ((name, _, step),) = shift_steps()
    (approver,) = [j for j in ancestors(jobs, name) if environment(jobs[j]) == APPROVAL_ENVIRONMENT]
    action = evaluate(
        step["env"]["ACTION"],
        {
            f"needs.{approver}.result": approval,
            "needs.deploy-prod.outputs.tested": tested,
        },
    )
    expected = "CONTINUE" if (approval, tested) == ("success", "success") else "ROLLBACK"
    assert action == expected


def test_a_refused_approval_still_runs_the_shift_job_to_roll_back() -> None:
    ((name, job, _),) = shift_steps()
    condition = str(job.get("if", ""))
    assert "always()" in condition, f"{name} must run (and roll back) when approval is refused"
    assert "outputs.hook != ''" in condition


def test_the_approval_is_offered_only_for_a_version_that_passed_its_test() -> None:
    jobs = workflow()["jobs"]
    (approver,) = [n for n, j in jobs.items() if environment(j) == APPROVAL_ENVIRONMENT]
    assert "needs.deploy-prod.outputs.tested == 'success'" in jobs[approver]["if"]
    test = next(s for s in jobs["deploy-prod"]["steps"] if s.get("id") == "test")
    assert "smoke-test-in-vpc.sh" in test["run"]
    assert jobs["deploy-prod"]["outputs"]["tested"] == "${{ steps.test.outcome }}"


def test_the_shift_follows_the_deployment_to_its_end_then_smoke_tests_production() -> None:
    ((_, job, step),) = shift_steps()
    after = runs(job)[job["steps"].index(step) + 1 :]
    assert "service-deployment.py wait-final" in after[0]
    assert "smoke-test.sh" in after[1]


def test_prod_pauses_until_its_hook_awaits_action_before_testing() -> None:
    order = runs(workflow()["jobs"]["deploy-prod"])
    up = next(i for i, r in enumerate(order) if "pulumi-stack.sh deploy prod" in r)
    hook = next(i for i, r in enumerate(order) if "service-deployment.py wait-hook" in r)
    test = next(i for i, r in enumerate(order) if "smoke-test-in-vpc.sh" in r)
    assert up < hook < test


def test_stage_follows_its_deployment_instead_of_guessing_with_retries() -> None:
    order = runs(workflow()["jobs"]["deploy-stage"])
    up = next(i for i, r in enumerate(order) if "pulumi-stack.sh deploy stage" in r)
    follow = next(i for i, r in enumerate(order) if "service-deployment.py wait-final" in r)
    smoke = next(i for i, r in enumerate(order) if "smoke-test.sh" in r)
    assert up < follow < smoke


# Order of releases ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(jobs_running(r"pulumi-stack\.sh deploy ")))
def test_only_the_newest_commit_on_main_deploys(name: str) -> None:
    job = workflow()["jobs"][name]
    order = runs(job)
    newest = next(i for i, r in enumerate(order) if "newest-on-main.sh" in r)
    deploy = next(i for i, r in enumerate(order) if "pulumi-stack.sh deploy" in r)
    assert newest < deploy
    assert job["concurrency"]["cancel-in-progress"] is False
    # The job token reads the head of main; contents: read is all it needs.
    assert job["permissions"]["contents"] == "read"


def test_prod_waits_for_an_earlier_paused_release_before_updating_the_service() -> None:
    order = runs(workflow()["jobs"]["deploy-prod"])
    idle = next(i for i, r in enumerate(order) if "service-deployment.py wait-idle" in r)
    up = next(i for i, r in enumerate(order) if "pulumi-stack.sh deploy prod" in r)
    assert idle < up


# Emergency rollback ----------------------------------------------------------------------------


def test_the_trivy_gate_is_skipped_only_by_the_logged_rollback_override() -> None:
    doc = workflow()
    steps = doc["jobs"]["build"]["steps"]
    trivy = next(s for s in steps if str(s.get("uses", "")).startswith("aquasecurity/trivy"))
    assert trivy["if"] == "${{ !inputs.override_trivy }}"
    log = next(s for s in steps if "GITHUB_STEP_SUMMARY" in str(s.get("run", "")))
    assert log["if"] == "${{ inputs.override_trivy }}"
    assert "ROLLBACK_TO" in log["run"] and "REASON" in log["run"] and "exit 2" in log["run"]
    # YAML 1.1 reads the key `on` as True.
    inputs = doc[True]["workflow_dispatch"]["inputs"]
    assert inputs["override_trivy"]["default"] is False


def test_an_overridden_gate_accepts_only_an_image_prod_already_holds() -> None:
    promote = next(
        s for s in workflow()["jobs"]["deploy-prod"]["steps"] if s.get("id") == "promote"
    )
    assert promote["env"]["EXISTING_ONLY"] == "${{ inputs.override_trivy && '1' || '' }}"


# Exit statuses ---------------------------------------------------------------------------------

ASSIGNMENT = re.compile(r"^\s*(if !\s+)?[A-Za-z_][A-Za-z0-9_]*=\"\$\(")


def hidden_statuses(run: str) -> list[str]:
    """Lines where a command substitution's exit status is lost: anywhere but a plain
    assignment (`x="$(cmd)"` fails the step under `bash -e`; `echo "x=$(cmd)"` does not)."""
    problems = []
    lines = run.replace("\\\n", " ").splitlines()
    for line in lines:
        if "$(" in line and not ASSIGNMENT.match(line):
            problems.append(line.strip())
        # GitHub's bash runs with -e but without pipefail: a pipe keeps the last status only.
        if re.search(r"(?<![|])\|(?![|])", re.sub(r"'[^']*'", "", line)):
            problems.append(line.strip())
    return problems


def test_no_step_of_the_deploy_workflow_hides_an_exit_status() -> None:
    found = {
        f"{name}: {problem}"
        for name, job in workflow()["jobs"].items()
        for run in runs(job)
        for problem in hidden_statuses(run)
    }
    assert found == set()


@pytest.mark.parametrize(
    "run",
    [
        'echo "url=$(.github/scripts/pulumi-stack.sh output stage url)" >> "$GITHUB_OUTPUT"',
        'echo "image=$(promote-image.sh a b c)" >> "$GITHUB_OUTPUT"',
        "pulumi stack output url | tee out.txt",
    ],
)
def test_the_exit_status_check_catches_the_patterns_that_lose_it(run: str) -> None:
    assert hidden_statuses(run)
