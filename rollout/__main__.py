"""`python -m rollout [stack ...]`: see rollout/cli.py."""

import sys

from rollout.cli import main

sys.exit(main())
