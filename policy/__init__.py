"""The project's policy pack.

The rules are plain functions in :mod:`policy.rules` (one module per area) over the
engine-neutral model in :mod:`policy.model`; :mod:`policy.exceptions` names what the design
breaks on purpose. ``policy/engine.py`` adapts them to pulumi-policy (``policy/__main__.py``
starts the pack); ``findings`` runs them over a stack recorded by the mock engine, and is
the one entry the offline plan uses.
"""

from policy.recorded import findings

__all__ = ["findings"]
