"""`python -m offline_plan`: see offline_plan/cli.py."""

import sys

from offline_plan.cli import main

sys.exit(main())
