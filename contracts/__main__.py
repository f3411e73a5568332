"""`python -m contracts`: the program checked against AWS's own contracts.

Exit 0 when every check holds, 1 when a check has findings, 2 when the program or the
bootstrap cannot be rendered (nothing was checked).
"""

from __future__ import annotations

import sys

from contracts.report import format_report, gather, run


def main() -> int:
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
