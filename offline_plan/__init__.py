"""The offline plan: the real program run under Pulumi's mock engine, without an AWS account.

It sits on top of everything else: it renders a stack with mock_engine, prices and groups
what was declared, takes the policy findings from `policy.findings` and the rollout figures
from `rollout`, and reads the stack file through `settings.read_stack`. No module of the
program, the policy pack or the rollout model imports it.
"""
