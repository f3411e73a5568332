#!/usr/bin/env python3
"""Follows one ECS service deployment and acts on its PAUSE hook, through the AWS CLI.

  service-deployment.py wait-hook CLUSTER SERVICE SINCE    until a hook is AWAITING_ACTION
  service-deployment.py wait-final CLUSTER SERVICE SINCE   until the deployment is over
  service-deployment.py wait-idle CLUSTER SERVICE         until no deployment is under way
  service-deployment.py continue DEPLOYMENT_ARN HOOK_ID CONTINUE|ROLLBACK

SERVICE is the service's ARN, CLUSTER its cluster's name, SINCE the epoch second before
`pulumi up` started: the deployment followed is the newest one created after it.
wait-hook prints `deployment=<arn>` and `hook=<id>` (lines for $GITHUB_OUTPUT).
Exit status: 0 reached, 1 the deployment failed or was rolled back, 2 bad arguments,
3 timed out. Poll interval and timeout: DEPLOYMENT_POLL_SECONDS (15), DEPLOYMENT_TIMEOUT_SECONDS
(3600).

Sources (Amazon ECS API reference): ListServiceDeployments, DescribeServiceDeployments
(`status`, `lifecycleStage`, `lifecycleHookDetails[].hookId/status`) and
ContinueServiceDeployment (`serviceDeploymentArn`, `hookId`, `action` CONTINUE|ROLLBACK);
the status values are the ServiceDeploymentStatus and DeploymentLifecycleHookStatus enums.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any, NoReturn

# ServiceDeploymentStatus: the deployment is over in one of these.
SUCCEEDED = {"SUCCESSFUL"}
FAILED = {"STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
# Still running, but no longer towards the new revision.
ROLLING_BACK = {"STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"}
# Under way: a new `pulumi up` must wait (a paused release holds IN_PROGRESS).
UNDER_WAY = ["PENDING", "IN_PROGRESS", *sorted(ROLLING_BACK)]
# DeploymentLifecycleHookStatus of a PAUSE hook waiting for ContinueServiceDeployment.
AWAITING = "AWAITING_ACTION"
HOOK_FAILED = {"FAILED", "TIMED_OUT"}

ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9/:_.-]+$")
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

Response = dict[str, Any]
"""An ECS API response as the AWS CLI prints it: its shape is the API reference's."""


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def aws(*args: str) -> Response:
    result = subprocess.run(
        ["aws", "ecs", *args, "--output", "json"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        fail(f"aws ecs {args[0]} failed: {result.stderr.strip()}")
    response: Response = json.loads(result.stdout or "{}")
    return response


def newest_deployment(cluster: str, service: str, since: int) -> str | None:
    briefs = aws(
        "list-service-deployments",
        "--cluster",
        cluster,
        "--service",
        service,
        "--created-at",
        f"after={since}",
    ).get("serviceDeployments", [])
    if not briefs:
        return None
    newest = max(briefs, key=lambda b: float(b.get("createdAt", 0)))
    return str(newest["serviceDeploymentArn"])


def describe(arn: str) -> Response:
    response = aws("describe-service-deployments", "--service-deployment-arns", arn)
    deployments = response.get("serviceDeployments", [])
    if not deployments:
        fail(f"{arn} could not be described: {response.get('failures')}")
    return dict(deployments[0])


def follow(cluster: str, service: str, since: int, until: str) -> None:
    interval = float(os.environ.get("DEPLOYMENT_POLL_SECONDS", "15"))
    deadline = time.monotonic() + float(os.environ.get("DEPLOYMENT_TIMEOUT_SECONDS", "3600"))
    arn = None
    last = ""
    while True:
        arn = arn or newest_deployment(cluster, service, since)
        if arn:
            d = describe(arn)
            status, stage = d.get("status", ""), d.get("lifecycleStage", "")
            hooks = d.get("lifecycleHookDetails", [])
            now = f"{status} at {stage}" + "".join(
                f", hook {h.get('hookId')} {h.get('status')}" for h in hooks
            )
            if now != last:
                print(f"{arn}: {now}", file=sys.stderr)
                last = now
            reason = d.get("statusReason", "")
            if status in FAILED or status in ROLLING_BACK:
                fail(f"the deployment did not go through: {status} {reason}".strip())
            if until == "final" and status in SUCCEEDED:
                return
            if until == "hook":
                if status in SUCCEEDED:
                    fail("the deployment finished without pausing; the PAUSE hook is missing")
                bad = [h for h in hooks if h.get("status") in HOOK_FAILED]
                if bad:
                    fail(f"hook {bad[0].get('hookId')} {bad[0].get('status')}")
                waiting = [h for h in hooks if h.get("status") == AWAITING]
                if waiting:
                    print(f"deployment={arn}")
                    print(f"hook={waiting[0]['hookId']}")
                    return
        if time.monotonic() > deadline:
            fail(f"timed out following the deployment of {service} ({last or 'none yet'})", 3)
        time.sleep(interval)


def wait_idle(cluster: str, service: str) -> None:
    interval = float(os.environ.get("DEPLOYMENT_POLL_SECONDS", "15"))
    deadline = time.monotonic() + float(os.environ.get("DEPLOYMENT_TIMEOUT_SECONDS", "3600"))
    while True:
        busy = aws(
            "list-service-deployments",
            "--cluster",
            cluster,
            "--service",
            service,
            "--status",
            *UNDER_WAY,
        ).get("serviceDeployments", [])
        if not busy:
            return
        names = ", ".join(f"{b['serviceDeploymentArn']} {b.get('status')}" for b in busy)
        if time.monotonic() > deadline:
            fail(f"a deployment of {service} is still under way: {names}", 3)
        print(f"waiting for {names}", file=sys.stderr)
        time.sleep(interval)


def main(argv: list[str]) -> None:
    usage = (
        "usage: service-deployment.py wait-hook|wait-final CLUSTER SERVICE_ARN SINCE"
        " | wait-idle CLUSTER SERVICE_ARN | continue DEPLOYMENT_ARN HOOK_ID CONTINUE|ROLLBACK"
    )
    commands = {"wait-hook": 4, "wait-final": 4, "wait-idle": 3, "continue": 4}
    if not argv or commands.get(argv[0]) != len(argv):
        fail(usage, 2)
    if argv[0] == "continue":
        arn, hook, action = argv[1:]
        if not ARN.match(arn):
            fail(f"deployment '{arn}' is not allowed; expected an ECS service deployment ARN", 2)
        if not NAME.match(hook):
            fail(f"hook '{hook}' is not allowed; expected a hook id", 2)
        if action not in {"CONTINUE", "ROLLBACK"}:
            fail(f"action '{action}' is not allowed; expected CONTINUE or ROLLBACK", 2)
        aws(
            "continue-service-deployment",
            "--service-deployment-arn",
            arn,
            "--hook-id",
            hook,
            "--action",
            action,
        )
        print(f"{arn}: hook {hook} {action}", file=sys.stderr)
        return
    cluster, service = argv[1:3]
    if not NAME.match(cluster):
        fail(f"cluster '{cluster}' is not allowed; expected a cluster name", 2)
    if not ARN.match(service):
        fail(f"service '{service}' is not allowed; expected an ECS service ARN", 2)
    if argv[0] == "wait-idle":
        wait_idle(cluster, service)
        return
    since = argv[3]
    if not re.fullmatch(r"[0-9]{9,11}", since):
        fail(f"since '{since}' is not allowed; expected epoch seconds", 2)
    follow(cluster, service, int(since), "hook" if argv[0] == "wait-hook" else "final")


if __name__ == "__main__":
    main(sys.argv[1:])
