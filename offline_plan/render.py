"""Runs the real program (`__main__.py` with a stack's real stack file) under the mock engine.

This is how the offline plan, the stack tests and the policy checks see a stack: the same
program and the same stack file that `pulumi up` uses, with AWS answered by `AwsMocks`.
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
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.sync_await import _sync_await

from offline_plan.mocks import AwsMocks, RecordedResource, Recording, RecordingMonitor

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "ecs-platform"


class StackFileError(Exception):
    """The stack file is missing or is not a Pulumi stack file."""


def secret_placeholder(key: str) -> str:
    """What an encrypted config value reads as offline."""
    return f"<secret {key}>"


def stack_names(project_dir: Path = ROOT) -> list[str]:
    """Stacks that have a stack file in the project, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, project_dir: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the engine passes it to a program: every value a string
    (objects and lists as JSON), plus the keys that were secrets."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(f"no stack file {path.name} for stack '{stack}' (stacks: {known})")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path.name} must be a mapping with a 'config' mapping")
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = secret_placeholder(key)
            secrets.append(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secrets


def project_name(project_dir: Path = ROOT) -> str:
    """The program's project name (`name:` in its Pulumi.yaml): the namespace of its config."""
    try:
        document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'} is not readable: {error}") from error
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'} has no project name")
    return name


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
) -> Recording:
    """Runs `build` under the mock engine until every registration has settled.

    Returns every resource declared and the stack's exported outputs, resolved. When `build`
    fails, the exception propagates; `declared` (if given) still receives what was declared.
    """
    mocks = AwsMocks(region=region)
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
    replaces the stack file's values (encoded as `read_stack_config` encodes them).

    Raises StackFileError for a missing or malformed stack file and settings.SettingsError
    for an invalid configuration (nothing is declared then).
    """
    project_dir = project_dir.resolve()
    from_file, secrets = read_stack_config(stack, project_dir)
    values = from_file if config is None else config
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
            secret_keys=secrets,
            declared=declared,
        )
    finally:
        sys.path.remove(str(project_dir))
        os.chdir(previous)
