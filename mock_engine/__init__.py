"""The mock engine: the real program run under recording Pulumi mocks.

`run` executes a program (or any function that declares resources) with AWS answered by
`mocks.AwsMocks`, and returns a `Recording` of every resource declared and every output
exported. The offline plan, the policy check, the contract checks and the tests all see a
stack through it. It reads stack files through `settings.read_stack` and runs `__main__.py`
as the Pulumi CLI does; nothing above it (plan, policy, contracts, rollout) is imported here.
"""

from mock_engine.mocks import (
    ACCOUNT_ID,
    AwsMocks,
    RecordedAlias,
    RecordedResource,
    Recording,
    RecordingMonitor,
)
from mock_engine.run import ROOT, record, render_config, render_stack

__all__ = [
    "ACCOUNT_ID",
    "ROOT",
    "AwsMocks",
    "RecordedAlias",
    "RecordedResource",
    "Recording",
    "RecordingMonitor",
    "record",
    "render_config",
    "render_stack",
]
