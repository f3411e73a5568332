"""The project's policy pack.

The rules are plain functions in :mod:`policy.rules` over the engine-neutral model in
:mod:`policy.model`; :mod:`policy.exceptions` names what the design breaks on purpose.
``policy/__main__.py`` alone adapts them to pulumi-policy and starts the pack.
"""
