"""`python -m contracts`: the program checked against AWS's own contracts.

Exit 0 when every check holds, 1 when a check has findings, 2 when the program or the
bootstrap cannot be rendered (nothing was checked) or the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys

from contracts.report import format_report, gather, run


def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m contracts",
        description="Renders the bootstrap and every stack under mocks and checks what they "
        "declare against AWS's own machine-readable contracts (the IAM service-authorization "
        "catalog, the CloudFormation registry schemas).",
        epilog="Exit 0 every check holds, 1 a check has findings, 2 nothing could be checked.",
    )


def main(argv: list[str] | None = None) -> int:
    # Parsed before anything renders: `--help` answers at once and a wrong argument exits 2.
    _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        inputs = gather()
    except Exception as error:  # a stack that does not render is reported, not traced
        print(f"contract-check: could not render the stacks or the bootstrap: {error}")
        return 2
    sections = run(inputs)
    print(format_report(sections))
    return 1 if any(s.failures for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
