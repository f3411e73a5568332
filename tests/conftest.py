"""Shared fixtures: the recording mock engine and the two real stacks rendered once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from offline_plan.mocks import Recording
from offline_plan.render import record, render_stack


@pytest.fixture
def build() -> Callable[..., Recording]:
    """Runs a function that declares resources under the mock engine, returns what it
    declared once every registration has settled: `build(lambda: Network("net", args))`."""
    return record


@pytest.fixture(scope="session")
def stage() -> Recording:
    """The stage stack, rendered from Pulumi.stage.yaml by the real program."""
    return render_stack("stage")


@pytest.fixture(scope="session")
def prod() -> Recording:
    """The prod stack, rendered from Pulumi.prod.yaml by the real program."""
    return render_stack("prod")
