"""Where settings come from: the running program's config (`from_pulumi_config`) and stack
files read offline (`read_stack`), both decoded by `decode_config`, so the program and its
offline readers (the plan, the rollout model, the policy check, the tests) cannot disagree."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from settings.engine import PROJECT
from settings.stack import SCALARS, StackSettings, load_settings


def _decode(value: Any) -> Any:
    """Config values reach the program as strings; objects, lists and scalars as JSON text."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The `ecs-platform:*` values of a config mapping (as the engine passes them to the
    program), keyed without the namespace and decoded: the one decoding both the running
    program and the offline readers of a stack file use, so they cannot disagree.

    String settings are taken as written ("123" or "true" as a reason stays text); the rest
    arrive as JSON text (objects, lists, booleans).
    """
    prefix = f"{PROJECT}:"
    text_keys = {key for key, (kind, _default, _doc) in SCALARS.items() if kind is str}
    raw: dict[str, Any] = {}
    for key, value in config.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            raw[name] = value if name in text_keys else _decode(value)
    return raw


def raw_project_config() -> dict[str, Any]:
    """Every `ecs-platform:*` config value the engine passed to the program, decoded."""
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return decode_config(merged)


def from_pulumi_config() -> StackSettings:
    """Loads the settings of the stack being deployed (or rendered under mocks)."""
    region = runtime_config.get_config("aws:region") or ""
    return load_settings(pulumi.get_stack(), raw_project_config(), region=str(region))


# The project directory: the stack files lie beside Pulumi.yaml, one level above this package.
ROOT = Path(__file__).resolve().parent.parent


class StackFileError(Exception):
    """The stack file is missing or is not a Pulumi stack file."""


def secret_placeholder(key: str) -> str:
    """What an encrypted config value reads as offline."""
    return f"<secret {key}>"


# What the Pulumi CLI accepts as a stack name: letters, digits, '-', '_' and '.' (`pulumi stack
# init` refuses anything else), so no name reaches outside the project's directory.
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def stack_name_problem(stack: str) -> str | None:
    """Why `stack` cannot be a stack name, or None."""
    if _STACK_NAME.match(stack):
        return None
    return f"'{stack}' is not a stack name (letters, digits, '.', '_', '-')"


def stack_names(project_dir: Path = ROOT) -> list[str]:
    """Stacks that have a stack file in the project, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


@dataclass(frozen=True)
class StackFile:
    """One stack file, its config as the Pulumi CLI passes it to a program."""

    stack: str
    path: Path
    config: dict[str, str]
    """Every value as the CLI passes it: plain strings as written, the rest as JSON text."""
    secret_keys: tuple[str, ...]
    """Keys written as `{secure: ...}`; their value in `config` is `secret_placeholder(key)`."""
    region: str
    """`aws:region`, "" when absent."""

    def settings(self) -> StackSettings:
        """The validated settings (raises SettingsError listing every problem)."""
        return load_settings(self.stack, decode_config(self.config), region=self.region)

    @property
    def production(self) -> bool:
        """`ecs-platform:production` as the program reads it (absent: False)."""
        return decode_config(self.config).get("production", False) is True


def _yaml_problem(error: yaml.YAMLError) -> str:
    # Only the position and the parser's complaint: the parser's own message quotes the
    # offending line, which may hold an encrypted value.
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def read_stack(stack: str, project_dir: Path = ROOT) -> StackFile:
    """Reads `Pulumi.<stack>.yaml` of `project_dir`.

    Raises StackFileError naming the file (and the stacks that exist) when it is missing, is
    not YAML, or is not a mapping with a `config` mapping.
    """
    problem = stack_name_problem(stack)
    if problem is not None:
        raise StackFileError(problem)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(f"no stack file {path.name} for stack '{stack}' (stacks: {known})")
    try:
        # libyaml's safe loader when PyYAML has it (its wheels do): the same documents, faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(path.read_text(), Loader=loader) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {_yaml_problem(error)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path.name} must be a mapping with a 'config' mapping")
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (document.get("config") or {}).items():
        key = str(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = secret_placeholder(key)
            secrets.append(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return StackFile(
        stack=stack,
        path=path,
        config=config,
        secret_keys=tuple(secrets),
        region=config.get("aws:region", ""),
    )


def project_name(project_dir: Path = ROOT) -> str:
    """The project's name (`name:` in its Pulumi.yaml): the namespace of its config keys."""
    path = project_dir / "Pulumi.yaml"
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as error:
        raise StackFileError(f"{path} is not readable: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path} is not valid YAML: {_yaml_problem(error)}") from None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{path} has no project name (`name:`)")
    return name
