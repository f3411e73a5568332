"""`python -m rollout [stack ...]`: the modelled deployment and rollback times of each stack
file (every stack with a `Pulumi.<stack>.yaml` when none is named).

Exit codes: 0 printed; 1 a stack's configuration is invalid (every problem listed); 2 a stack
file is missing or malformed, or the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys

from rollout.timing import model
from settings import SettingsError, StackFileError, read_stack, stack_names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rollout",
        description="The modelled deployment and rollback times of each stack file.",
        epilog="Exit 0 printed, 1 a stack's configuration is invalid, 2 a stack file is "
        "missing or malformed.",
    )
    parser.add_argument(
        "stacks",
        nargs="*",
        metavar="STACK",
        help="a stack with a Pulumi.<STACK>.yaml (default: every stack file)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Prints the modelled figures of each stack named in `argv` (default: every stack).

    `--help` prints the usage and exits 0; an unknown option exits 2 (argparse's SystemExit).
    """
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    stacks: list[str] = args.stacks or stack_names()
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
