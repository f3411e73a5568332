"""Runs the real program (`__main__.py` with a stack's real stack file) under the mock engine.

This is how the offline plan, the stack tests, the policy check and the contract checks see a
stack: the same program and the same stack file that `pulumi up` uses, with AWS answered by
`AwsMocks`.
Encrypted (`secure:`) values are replaced by labelled placeholders.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.sync_await import _sync_await

from mock_engine.mocks import AwsMocks, RecordedResource, Recording, RecordingMonitor
from settings import PROJECT, project_name, read_stack

ROOT = Path(__file__).resolve().parent.parent


def _fresh_engine(stack: str, mocks: AwsMocks, project: str) -> RecordingMonitor:
    runtime_settings.ROOT.set(None)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    return monitor


def record(
    build: Callable[[], Any],
    *,
    stack: str = "test",
    project: str = PROJECT,
    region: str = "us-east-1",
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    declared: list[RecordedResource] | None = None,
    mocks: AwsMocks | None = None,
) -> Recording:
    """Runs `build` under the mock engine until every registration has settled.

    Returns every resource declared and the stack's exported outputs, resolved. When `build`
    fails, the exception propagates; `declared` (if given) still receives what was declared.
    `mocks` replaces the default `AwsMocks(region=region)` (a subclass that answers some
    type differently); its own region is then the one that counts.
    """
    mocks = AwsMocks(region=region) if mocks is None else mocks
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    monitor = _fresh_engine(stack, mocks, project)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    try:
        _sync_await(runtime_stack.run_pulumi_func(build))
    finally:
        if declared is not None:
            declared.extend(monitor.records)
    root = runtime_settings.get_root_resource()
    outputs: dict[str, Any] = {}
    for key, value in (getattr(root, "outputs", None) or {}).items():
        outputs[key] = _sync_await(pulumi.Output.from_input(value).future())
    return Recording(resources=list(monitor.records), outputs=outputs)


def render_config(
    stack: str, config: dict[str, Any], *, declared: list[RecordedResource] | None = None
) -> Recording:
    """Runs `__main__.py` with config given as a mapping (as a stack file's `config:` block
    would hold it), e.g. to show that a bad configuration declares nothing."""
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    program = ROOT / "__main__.py"
    return record(
        lambda: runpy.run_path(str(program), run_name="__main__"),
        stack=stack,
        region=str(config.get("aws:region", "us-east-1")),
        config=as_strings,
        declared=declared,
    )


def render_stack(
    stack: str,
    project_dir: Path = ROOT,
    *,
    config: dict[str, str] | None = None,
    declared: list[RecordedResource] | None = None,
) -> Recording:
    """Runs `__main__.py` for `stack` with its stack file and records what it declares.

    The program runs as the CLI runs it: in its project's directory, with that directory
    importable, under its project's name (`name:` in Pulumi.yaml). `config`, when given,
    replaces the stack file's values (encoded as `settings.read_stack` encodes them).

    Raises StackFileError for a missing or malformed stack file and settings.SettingsError
    for an invalid configuration (nothing is declared then).
    """
    project_dir = project_dir.resolve()
    stack_file = read_stack(stack, project_dir)
    values = stack_file.config if config is None else config
    region = values.get("aws:region", "us-east-1")
    program = project_dir / "__main__.py"
    has_project_file = (project_dir / "Pulumi.yaml").is_file()
    project = project_name(project_dir) if has_project_file else PROJECT
    previous = Path.cwd()
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    try:
        return record(
            lambda: runpy.run_path(str(program), run_name="__main__"),
            stack=stack,
            project=project,
            region=region,
            config=values,
            secret_keys=list(stack_file.secret_keys),
            declared=declared,
        )
    finally:
        sys.path.remove(str(project_dir))
        os.chdir(previous)
