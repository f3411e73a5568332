"""`python -m rollout [stack ...]`: the modelled deployment and rollback times of each stack
file (every stack with a `Pulumi.<stack>.yaml` when none is named).

Exit codes: 0 printed; 1 a stack's configuration is invalid (every problem listed); 2 a stack
file is missing or malformed.
"""

from __future__ import annotations

import sys

from rollout.timing import model
from settings import SettingsError, StackFileError, read_stack, stack_names


def main(argv: list[str] | None = None) -> int:
    """Prints the modelled figures of each stack named in `argv` (default: every stack)."""
    stacks = (argv if argv is not None else sys.argv[1:]) or stack_names()
    for stack in stacks:
        try:
            cfg = read_stack(stack).settings()
        except StackFileError as error:
            print(f"rollout: {error}", file=sys.stderr)
            return 2
        except SettingsError as error:
            print(f"rollout: {stack}: {error}", file=sys.stderr)
            return 1
        print(f"{stack}:")
        for line in model(cfg.deployment, cfg.service, cfg.observability).lines():
            print(f"  {line}")
    return 0
