"""The modelled rollout: how long a release takes, and how long a rollback takes once an alarm
fires, computed from a stack's settings alone (no AWS, no Pulumi runtime).

The model follows the ECS deployment lifecycle for a service behind two target groups:

    scale up the new (green) tasks -> they pass the load balancer's health checks ->
    test traffic reaches them -> [approval gate] -> production traffic shifts (at once,
    canary, or in linear steps, with the bakes in between) -> final bake with both
    versions up -> the old (blue) tasks drain and stop.

A rollback during a traffic-shifting deployment needs no new task: the blue tasks are still
running until the bake ends, so ECS only moves the production rule back and drains green.
A rolling deployment has no second fleet to return to: its rollback starts the previous
revision again.

Assumptions (seconds; the figures AWS does not publish are conservative round numbers):
- `TASK_START_SECONDS`: a Fargate task from placement to its container listening, including
  the ENI attachment and pulling a slim image of ~60 MB through NAT (observed 40-60 s);
  EC2 capacity with instances already in the cluster starts faster (no ENI trunking wait
  for the micro-VM), `EC2_TASK_START_SECONDS`. A scale-out that needs a new instance is not
  modelled: managed scaling keeps headroom at the target capacity.
- `RULE_CHANGE_SECONDS`: ECS rewriting a listener rule's weights and the load balancer
  applying it.
- `ALARM_REACTION_SECONDS`: ECS noticing an alarm in the ALARM state and starting the
  rollback.
- Health checks: a new target is healthy after `healthy_threshold` checks, one per
  `interval` (the first check runs one interval after registration).
- Draining takes the target group's full deregistration delay.
- The approval gate's wait is an operator's time and is reported apart, not in the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_facts import linear_step_count
from settings import DeploymentSettings, ObservabilitySettings, ServiceSettings

TASK_START_SECONDS = 60
EC2_TASK_START_SECONDS = 45
RULE_CHANGE_SECONDS = 10
ALARM_REACTION_SECONDS = 30

# The figures the shipped stack files must meet (seconds).
STAGE_DEPLOY_TARGET_SECONDS = 6 * 60
PROD_DEPLOY_TARGET_SECONDS = 20 * 60
ROLLBACK_TARGET_SECONDS = 3 * 60


@dataclass(frozen=True)
class Phase:
    """One step of a deployment or rollback and its modelled duration."""

    name: str
    seconds: int


@dataclass(frozen=True)
class Rollout:
    """The modelled times of one stack's deployment and rollback."""

    strategy: str
    deploy: tuple[Phase, ...]
    """Phases of a successful deployment, in order."""
    rollback: tuple[Phase, ...]
    """Phases from the moment a rollback alarm is in ALARM to traffic fully back on blue."""
    alarm_seconds: int
    """Time from a bad release taking traffic to its alarm firing (period x evaluation
    periods); not part of `rollback_seconds`."""
    approval_gate: bool
    """Whether a deployment waits for an operator before production traffic shifts (that
    wait is not part of `deploy_seconds`)."""

    @property
    def deploy_seconds(self) -> int:
        return sum(p.seconds for p in self.deploy)

    @property
    def rollback_seconds(self) -> int:
        return sum(p.seconds for p in self.rollback)

    def lines(self) -> list[str]:
        """Human-readable figures, as the offline plan prints them."""
        gate = " + the operator's approval" if self.approval_gate else ""
        out = [
            f"deployment ({self.strategy}): {_minutes(self.deploy_seconds)}{gate}",
            *(f"  {p.name}: {p.seconds} s" for p in self.deploy),
            f"rollback after the alarm fires: {_minutes(self.rollback_seconds)}",
            *(f"  {p.name}: {p.seconds} s" for p in self.rollback),
            f"alarm fires {self.alarm_seconds} s after a bad release takes traffic",
        ]
        return out


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s ({seconds} s)"


def traffic_steps(deployment: DeploymentSettings) -> list[tuple[float, int]]:
    """Production traffic shifts as (percent on green after the step, bake seconds after it
    before the next step); the last step has no bake of its own (the final bake follows)."""
    shift = deployment.traffic_shift
    if shift is None:
        return [(100.0, 0)]
    bake = shift.bake_minutes
    if deployment.strategy == "canary":
        percent = shift.percent
        return [(percent, bake * 60), (100.0, 0)] if percent < 100 else [(100.0, 0)]
    if deployment.strategy == "linear":
        step = shift.percent
        count = linear_step_count(step)
        return [
            (min(100.0, round(step * (i + 1), 1)), bake * 60 if i < count - 1 else 0)
            for i in range(count)
        ]
    return [(100.0, 0)]


def model(
    deployment: DeploymentSettings,
    service: ServiceSettings,
    observability: ObservabilitySettings,
) -> Rollout:
    """The modelled deployment and rollback of a stack (see the module docstring)."""
    start = EC2_TASK_START_SECONDS if service.capacity == "ec2" else TASK_START_SECONDS
    healthy = deployment.health_check_interval_seconds * deployment.healthy_threshold
    drain = deployment.deregistration_delay_seconds
    alarm = observability.alarm_period_seconds * observability.alarm_evaluation_periods

    rollback: tuple[Phase, ...]
    if deployment.strategy == "rolling":
        deploy = (
            Phase("start the new tasks", start),
            Phase("health checks until healthy", healthy),
            Phase("drain the old tasks", drain),
        )
        rollback = (
            Phase("ECS reacts to the alarm", ALARM_REACTION_SECONDS),
            Phase("start the previous revision", start),
            Phase("health checks until healthy", healthy),
            Phase("drain the failed tasks", drain),
        )
        return Rollout("rolling", deploy, rollback, alarm, False)

    phases = [
        Phase("start the green tasks", start),
        Phase("health checks until healthy", healthy),
        Phase("test traffic to green", RULE_CHANGE_SECONDS),
    ]
    for percent, bake in traffic_steps(deployment):
        phases.append(Phase(f"production traffic {percent:g}% to green", RULE_CHANGE_SECONDS))
        if bake:
            phases.append(Phase(f"bake at {percent:g}%", bake))
    phases += [
        Phase("bake with blue still up", deployment.bake_time_minutes * 60),
        Phase("drain and stop blue", drain),
    ]
    rollback = (
        Phase("ECS reacts to the alarm", ALARM_REACTION_SECONDS),
        Phase("production traffic back to blue", RULE_CHANGE_SECONDS),
        Phase("drain and stop green", drain),
    )
    return Rollout(deployment.strategy, tuple(phases), rollback, alarm, deployment.approval_gate)
