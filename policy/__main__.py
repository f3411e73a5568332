"""Entry point of the policy pack: `pulumi preview --policy-pack policy`.

Only this file constructs the PolicyPack (which starts a server and never returns).
"""

import sys
from pathlib import Path

# The pack runs with policy/ as its working directory; the rules import as `policy.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.engine import PACK_NAME, policies

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=policies(),
)
