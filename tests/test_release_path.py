"""The release path's ECS and SSM calls: service-deployment.py and smoke-test-in-vpc.sh.

moto implements neither ListServiceDeployments / DescribeServiceDeployments /
ContinueServiceDeployment nor SSM command execution, so these run against a recorded fake:
an `aws` on PATH that answers those subcommands only, from responses shaped as the Amazon ECS
API reference shows them (API_ListServiceDeployments.html, API_DescribeServiceDeployments.html
and API_ContinueServiceDeployment.html: "Response Syntax" and "Examples"). The recordings are
checked against the ECS service model botocore ships, so a field or a status value AWS does
not have fails the tests.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, ClassVar

import botocore.session
import pytest

from contracts import data

ROOT = Path(__file__).resolve().parents[1]
# The bootstrap program's modules import each other by their own names (as the Pulumi CLI runs
# it from bootstrap/), so they are imported that way here too: one module name per file.
if str(ROOT / "bootstrap") not in sys.path:
    sys.path.insert(0, str(ROOT / "bootstrap"))
import deploy_actions as da  # noqa: E402

SCRIPTS = ROOT / ".github" / "scripts"
CLUSTER = "website-prod-cluster"
SERVICE = "arn:aws:ecs:us-west-2:123456789012:service/website-prod-cluster/website"
DEPLOYMENT = (
    "arn:aws:ecs:us-west-2:123456789012:service-deployment/website-prod-cluster/website/"
    "NCWGC2ZR-taawPAYrIaU5"
)
OLD_DEPLOYMENT = DEPLOYMENT.replace("NCWGC2ZR-taawPAYrIaU5", "Ybeq3OkaBPnmzGAk5b5PY")
SINCE = "1732870000"
HOOK = "hook-0a1b2c3d4e5f"
SHA = "0123456789abcdef0123456789abcdef01234567"


def brief(arn: str, status: str, created: float) -> dict[str, Any]:
    """One ServiceDeploymentBrief as ListServiceDeployments returns it."""
    return {
        "serviceDeploymentArn": arn,
        "serviceArn": SERVICE,
        "clusterArn": "arn:aws:ecs:us-west-2:123456789012:cluster/website-prod-cluster",
        "startedAt": created + 1,
        "createdAt": created,
        "targetServiceRevisionArn": (
            "arn:aws:ecs:us-west-2:123456789012:service-revision/website-prod-cluster/website/"
            "4980306466373577095"
        ),
        "status": status,
    }


def deployment(status: str, stage: str, hook: str | None = None, reason: str = "") -> dict:
    """One ServiceDeployment as DescribeServiceDeployments returns it."""
    d: dict[str, Any] = {
        "serviceDeploymentArn": DEPLOYMENT,
        "serviceArn": SERVICE,
        "clusterArn": "arn:aws:ecs:us-west-2:123456789012:cluster/website-prod-cluster",
        "createdAt": 1732870100.0,
        "startedAt": 1732870101.0,
        "updatedAt": 1732870200.0,
        "status": status,
        "lifecycleStage": stage,
        "deploymentConfiguration": {
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 5,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 0, "threshold": 3},
    }
    if reason:
        d["statusReason"] = reason
    if hook:
        d["lifecycleHookDetails"] = [
            {
                "hookId": HOOK,
                "targetType": "PAUSE",
                "status": hook,
                "expiresAt": 1732956500.0,
                "timeoutAction": "ROLLBACK",
            }
        ]
    return {"serviceDeployments": [d], "failures": []}


def listing(*briefs: dict[str, Any]) -> dict[str, Any]:
    return {"serviceDeployments": list(briefs)}


IN_PROGRESS = deployment("IN_PROGRESS", "SCALE_UP")
TESTING = deployment("IN_PROGRESS", "TEST_TRAFFIC_SHIFT")
PAUSED = deployment("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="AWAITING_ACTION")
SUCCESSFUL = deployment("SUCCESSFUL", "CLEAN_UP", hook="SUCCEEDED")
ROLLED_BACK = deployment(
    "ROLLBACK_SUCCESSFUL",
    "CLEAN_UP",
    reason="ECS deployment circuit breaker: tasks failed to start.",
)
CONTINUED = {"serviceDeploymentArn": DEPLOYMENT}

FAKE_AWS = r"""#!/usr/bin/env python3
# Recorded fake of the AWS CLI: answers the subcommands the scenario holds, in order (the
# last answer repeats), logs every call, and refuses anything it has no recording for.
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
key = " ".join(args[:2])
path = os.environ["FAKE_AWS_SCENARIO"]
scenario = json.load(open(path))
answers = scenario.get(key)
if not answers:
    sys.stderr.write(f"fake aws: no recording for {key}\n")
    sys.exit(255)
answer = answers.pop(0) if len(answers) > 1 else answers[0]
json.dump(scenario, open(path, "w"))
if key == "ssm send-command" and "run" in scenario:
    # Runs the command SSM would run on the instance, here, and records its outcome.
    params = args[args.index("--parameters") + 1]
    command = json.loads(params.split("=", 1)[1])[0]
    code = os.system(command + " >" + scenario["run"] + ".out 2>&1")
    scenario["ssm get-command-invocation"] = ["Success" if code == 0 else "Failed"]
    json.dump(scenario, open(path, "w"))
if isinstance(answer, dict) and "error" in answer:
    sys.stderr.write(answer["error"] + "\n")
    sys.exit(answer.get("code", 254))
print(answer if isinstance(answer, str) else json.dumps(answer))
"""


@pytest.fixture
def fake_aws(tmp_path: Path) -> Iterator[tuple[dict[str, str], Any]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "aws"
    exe.write_text(FAKE_AWS.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
    exe.chmod(0o755)
    scenario = tmp_path / "scenario.json"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_AWS_LOG": str(tmp_path / "aws.log"),
        "FAKE_AWS_SCENARIO": str(scenario),
        "DEPLOYMENT_POLL_SECONDS": "0",
        "DEPLOYMENT_TIMEOUT_SECONDS": "5",
        "SSM_POLL_SECONDS": "0",
    }

    def record(answers: dict[str, list[Any]]) -> None:
        scenario.write_text(json.dumps(answers))

    yield env, record


def aws_calls(env: dict[str, str]) -> list[list[str]]:
    log = Path(env["FAKE_AWS_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def follow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "service-deployment.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


# The recordings against AWS's own model -------------------------------------------------

ECS_MODEL = botocore.session.get_session().get_service_model("ecs")


def conforms(value: Any, shape: Any, path: str = "") -> list[str]:
    """Where `value` does not fit the botocore shape: unknown members, values not in an enum."""
    problems: list[str] = []
    if shape.type_name == "structure":
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key} is not a member of {shape.name}")
            else:
                problems += conforms(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += conforms(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        problems.append(f"{path}={value!r} is not one of {shape.enum}")
    return problems


@pytest.mark.parametrize(
    ("operation", "response"),
    [
        ("ListServiceDeployments", listing(brief(DEPLOYMENT, "IN_PROGRESS", 1732870100.0))),
        ("DescribeServiceDeployments", PAUSED),
        ("DescribeServiceDeployments", SUCCESSFUL),
        ("DescribeServiceDeployments", ROLLED_BACK),
        ("ContinueServiceDeployment", CONTINUED),
    ],
)
def test_recorded_responses_fit_the_ecs_api_model(operation: str, response: dict) -> None:
    output = ECS_MODEL.operation_model(operation).output_shape
    assert conforms(response, output) == []


def test_the_model_check_catches_a_status_aws_does_not_have() -> None:
    bad = deployment("PAUSED", "POST_TEST_TRAFFIC_SHIFT")
    output = ECS_MODEL.operation_model("DescribeServiceDeployments").output_shape
    assert conforms(bad, output)


# Following a deployment -----------------------------------------------------------------


def test_wait_hook_returns_the_deployment_and_hook_once_it_awaits_action(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [
                listing(
                    brief(OLD_DEPLOYMENT, "SUCCESSFUL", 1732800000.0),
                    brief(DEPLOYMENT, "IN_PROGRESS", 1732870100.0),
                )
            ],
            "ecs describe-service-deployments": [IN_PROGRESS, TESTING, PAUSED],
        }
    )
    result = follow(env, "wait-hook", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"deployment={DEPLOYMENT}", f"hook={HOOK}"]
    described = [c for c in aws_calls(env) if c[1] == "describe-service-deployments"]
    assert len(described) == 3 and all(DEPLOYMENT in c for c in described)


def test_the_deployment_followed_is_the_newest_created_since_the_up(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [
                listing(
                    brief(DEPLOYMENT, "IN_PROGRESS", 1732870100.0),
                    brief(OLD_DEPLOYMENT, "SUCCESSFUL", 1732800000.0),
                )
            ],
            "ecs describe-service-deployments": [PAUSED],
        }
    )
    assert follow(env, "wait-hook", CLUSTER, SERVICE, SINCE).returncode == 0
    listed = next(c for c in aws_calls(env) if c[1] == "list-service-deployments")
    assert listed[listed.index("--created-at") + 1] == f"after={SINCE}"
    assert listed[listed.index("--cluster") + 1] == CLUSTER
    assert listed[listed.index("--service") + 1] == SERVICE


def test_wait_hook_fails_when_the_deployment_rolls_back_before_the_pause(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [listing(brief(DEPLOYMENT, "IN_PROGRESS", 1.0e9))],
            "ecs describe-service-deployments": [IN_PROGRESS, ROLLED_BACK],
        }
    )
    result = follow(env, "wait-hook", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 1
    assert "ROLLBACK_SUCCESSFUL" in result.stderr and "circuit breaker" in result.stderr


def test_wait_hook_fails_when_the_deployment_never_pauses(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [listing(brief(DEPLOYMENT, "SUCCESSFUL", 1.0e9))],
            "ecs describe-service-deployments": [deployment("SUCCESSFUL", "CLEAN_UP")],
        }
    )
    result = follow(env, "wait-hook", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 1 and "PAUSE hook is missing" in result.stderr


def test_wait_final_succeeds_when_the_deployment_succeeds(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [listing(brief(DEPLOYMENT, "IN_PROGRESS", 1.0e9))],
            "ecs describe-service-deployments": [TESTING, SUCCESSFUL],
        }
    )
    result = follow(env, "wait-final", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 0, result.stderr


def test_a_rolled_back_deployment_fails_wait_final(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [listing(brief(DEPLOYMENT, "IN_PROGRESS", 1.0e9))],
            "ecs describe-service-deployments": [
                deployment("ROLLBACK_IN_PROGRESS", "CLEAN_UP"),
                ROLLED_BACK,
            ],
        }
    )
    result = follow(env, "wait-final", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 1
    assert "did not go through" in result.stderr


def test_following_times_out_with_its_own_status(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [listing(brief(DEPLOYMENT, "IN_PROGRESS", 1.0e9))],
            "ecs describe-service-deployments": [TESTING],
        }
    )
    result = follow(
        {**env, "DEPLOYMENT_TIMEOUT_SECONDS": "0.2"}, "wait-final", CLUSTER, SERVICE, SINCE
    )
    assert result.returncode == 3 and "timed out" in result.stderr


def test_a_failing_aws_call_fails_with_its_message(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [
                {"error": "An error occurred (AccessDeniedException) when calling ..."}
            ]
        }
    )
    result = follow(env, "wait-final", CLUSTER, SERVICE, SINCE)
    assert result.returncode == 1 and "AccessDeniedException" in result.stderr


@pytest.mark.parametrize("action", ["CONTINUE", "ROLLBACK"])
def test_continue_acts_on_the_paused_hook(fake_aws, action: str) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record({"ecs continue-service-deployment": [CONTINUED]})
    result = follow(env, "continue", DEPLOYMENT, HOOK, action)
    assert result.returncode == 0, result.stderr
    (call,) = aws_calls(env)
    assert call[call.index("--service-deployment-arn") + 1] == DEPLOYMENT
    assert call[call.index("--hook-id") + 1] == HOOK
    assert call[call.index("--action") + 1] == action


def test_wait_idle_waits_while_a_release_is_paused(fake_aws) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record(
        {
            "ecs list-service-deployments": [
                listing(brief(OLD_DEPLOYMENT, "IN_PROGRESS", 1.0e9)),
                listing(brief(OLD_DEPLOYMENT, "IN_PROGRESS", 1.0e9)),
                listing(),
            ]
        }
    )
    result = follow(env, "wait-idle", CLUSTER, SERVICE)
    assert result.returncode == 0, result.stderr
    calls = aws_calls(env)
    assert len(calls) == 3
    statuses = calls[0][calls[0].index("--status") + 1 : calls[0].index("--output")]
    enum = ECS_MODEL.shape_for("ServiceDeploymentStatus").enum
    assert {"PENDING", "IN_PROGRESS"} <= set(statuses) <= set(enum)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("continue", DEPLOYMENT, HOOK, "SKIP"), "action 'SKIP' is not allowed"),
        (("continue", "sd-1", HOOK, "CONTINUE"), "deployment 'sd-1' is not allowed"),
        (("wait-hook", "a b", SERVICE, SINCE), "cluster 'a b' is not allowed"),
        (("wait-hook", CLUSTER, "website", SINCE), "service 'website' is not allowed"),
        (("wait-final", CLUSTER, SERVICE, "today"), "since 'today' is not allowed"),
        (("rollback", CLUSTER), "usage:"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(fake_aws, args, message) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    record({})
    result = follow(env, *args)
    assert result.returncode == 2 and message in result.stderr
    assert aws_calls(env) == []


# The smoke test through the test listener, on the bastion via SSM ------------------------


def in_vpc(env: dict[str, str], url: str, version: str = SHA) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "smoke-test-in-vpc.sh"), "i-0123456789abcdef0", url, version],
        capture_output=True,
        text=True,
        env={**env, "SMOKE_INTERVAL": "0"},
        check=False,
        timeout=120,
    )


def ssm_scenario(tmp_path: Path) -> dict[str, list[Any]]:
    # SendCommand's answer, shortened to what the script reads (SSM API reference, SendCommand).
    return {
        "run": str(tmp_path / "ssm"),  # type: ignore[dict-item]
        "ssm send-command": ["0b4c3f7e-1a2b-4c5d-8e9f-0123456789ab"],
        "ssm get-command-invocation": ["InProgress"],
    }


def test_the_new_version_is_checked_on_the_bastion_through_ssm(fake_aws, site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    url, _ = site
    record(ssm_scenario(tmp_path))
    result = in_vpc(env, url)
    assert result.returncode == 0, result.stderr
    send = next(c for c in aws_calls(env) if c[:2] == ["ssm", "send-command"])
    assert send[send.index("--document-name") + 1] == "AWS-RunShellScript"
    assert send[send.index("--instance-ids") + 1] == "i-0123456789abcdef0"
    assert f"shows version {SHA}" in (tmp_path / "ssm.out").read_text()


def test_an_old_version_behind_the_test_listener_fails_the_check(fake_aws, site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env, record = fake_aws
    url, handler = site
    handler.version = "fedcba9"
    record(ssm_scenario(tmp_path))
    result = in_vpc(env, url)
    assert result.returncode == 1
    assert "SSM command Failed" in result.stderr


# Only the newest commit on main deploys ----------------------------------------------------


class _Api(http.server.BaseHTTPRequestHandler):
    head = SHA
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Accept", "")))
        body = self.head.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[dict[str, str], type[_Api]]]:
    handler = type("Api", (_Api,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "GITHUB_REPOSITORY": "example/website",
        "GITHUB_TOKEN": "job-token",
    }
    yield env, handler
    server.shutdown()


def newest(env: dict[str, str], sha: str = SHA) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "newest-on-main.sh"), sha],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_the_head_of_main_deploys(api) -> None:  # type: ignore[no-untyped-def]
    env, handler = api
    result = newest(env)
    assert result.returncode == 0, result.stderr
    assert handler.seen == [("/repos/example/website/commits/main", "application/vnd.github.sha")]


def test_a_commit_that_is_no_longer_the_head_of_main_does_not_deploy(api) -> None:  # type: ignore[no-untyped-def]
    env, handler = api
    handler.head = "f" * 40
    result = newest(env)
    assert result.returncode == 1
    assert "no longer the head of main" in result.stderr


# The deploy role holds every call of the release path --------------------------------------

RELEASE_CALLS = (
    # service-deployment.py
    "ecs:ListServiceDeployments",
    "ecs:DescribeServiceDeployments",
    "ecs:ContinueServiceDeployment",
    # a rollback by hand (docs/operations.md)
    "ecs:StopServiceDeployment",
    # promote-image.sh, and the rollback's digest lookup in the build job
    "ecr:BatchGetImage",
    "ecr:PutImage",
    "ecr:DescribeImages",
    # smoke-test-in-vpc.sh
    "ssm:SendCommand",
    "ssm:GetCommandInvocation",
)


@pytest.mark.parametrize("action", RELEASE_CALLS)
def test_the_deploy_role_is_granted_each_call_of_the_release_path(action: str) -> None:
    granted = [p for p in da.flatten(da.DEPLOY_ACTIONS) if fnmatchcase(action.lower(), p.lower())]
    assert granted, f"{action} is not granted to the deploy roles"


@pytest.mark.parametrize("action", RELEASE_CALLS)
def test_each_call_of_the_release_path_is_listed_with_its_reason(action: str) -> None:
    assert data.RELEASE_PATH.get(action), f"{action} needs a reason in RELEASE_PATH"
