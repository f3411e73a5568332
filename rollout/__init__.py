"""The deployment timing model: how long a release and a rollback take, from a stack's
settings alone (rollout/timing.py), and `python -m rollout` to print them per stack.

It sits above the program: it reads settings and the strategy defaults of aws_facts, and
nothing of the components that deploy.
"""

from rollout.cli import main
from rollout.timing import (
    ALARM_REACTION_SECONDS,
    EC2_TASK_START_SECONDS,
    PROD_DEPLOY_TARGET_SECONDS,
    ROLLBACK_TARGET_SECONDS,
    RULE_CHANGE_SECONDS,
    STAGE_DEPLOY_TARGET_SECONDS,
    TASK_START_SECONDS,
    Phase,
    Rollout,
    model,
    traffic_steps,
)

__all__ = [
    "ALARM_REACTION_SECONDS",
    "EC2_TASK_START_SECONDS",
    "PROD_DEPLOY_TARGET_SECONDS",
    "ROLLBACK_TARGET_SECONDS",
    "RULE_CHANGE_SECONDS",
    "STAGE_DEPLOY_TARGET_SECONDS",
    "TASK_START_SECONDS",
    "Phase",
    "Rollout",
    "main",
    "model",
    "traffic_steps",
]
