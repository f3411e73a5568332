"""Every range and default is written once: a component takes a setting from the stack's
settings (its area dataclass, or an argument the program fills from it) and an AWS fact from
aws_facts, never a copy of either.

Four ways a copy creeps in, each caught here:
- an Args dataclass of components/ grows a field named like a setting, with a default: the
  default is then written twice, and the two drift apart;
- a components module defines a constant named like, or equal to, a constant or a default
  that settings or aws_facts already hold (a port, a size, a name) instead of importing it;
  aws_facts' tables count too: a key of one of its dicts (a managed policy's ARN) or an entry
  of one of its lists;
- a component or the program writes such a value inline (a port number, an ARN);
- a component or the program gives a bare number to a provider argument that carries a fact
  or a setting (a log retention, a KMS deletion window, a probe interval), where the value
  must come from the one place that holds it, however small the number.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

import aws_facts
import components
import settings
from settings import AREAS

ROOT = Path(__file__).resolve().parent.parent
COMPONENT_FILES = sorted((ROOT / "components").glob("*.py"))
PROGRAM_FILES = [*COMPONENT_FILES, ROOT / "__main__.py"]

Value = int | float | str


def component_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"components.{m.name}")
        for m in pkgutil.iter_modules(components.__path__)
    ]


def setting_fields() -> dict[str, str]:
    """Field name -> `area.field` of every setting."""
    return {
        f.name: f"{area}.{f.name}" for area, cls in AREAS.items() for f in dataclasses.fields(cls)
    }


@cache
def setting_defaults() -> dict[str, Value]:
    """`area.field` -> default of every setting with a plain (non-boolean, non-empty) default."""
    out: dict[str, Value] = {}
    for area, cls in AREAS.items():
        for f in dataclasses.fields(cls):
            value = f.default
            if isinstance(value, int | float | str) and not isinstance(value, bool) and value != "":
                out[f"{area}.{f.name}"] = value
    return out


def defined_names(module: ModuleType) -> list[str]:
    """Upper-case names a module assigns at its top level (not those it imports)."""
    assert module.__file__ is not None
    names = []
    for node in ast.parse(Path(module.__file__).read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names += [
            t.id
            for t in targets
            if isinstance(t, ast.Name) and t.id.isupper() and not t.id.startswith("_")
        ]
    return names


@cache
def facts() -> dict[str, object]:
    """`module.NAME` -> value of every public constant aws_facts and settings' modules define."""
    modules = [aws_facts] + [
        importlib.import_module(f"settings.{m.name}")
        for m in pkgutil.iter_modules(settings.__path__)
    ]
    return {
        f"{module.__name__}.{name}": getattr(module, name)
        for module in modules
        for name in defined_names(module)
    }


def distinctive(value: object) -> bool:
    """A value that means one thing wherever it appears: a number above 1024 (a port, a size,
    a limit) or a string of five characters or more. Small numbers (1, 2, 30, 60) recur for
    unrelated reasons and would match by accident."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) > 1024
    return isinstance(value, str) and len(value) >= 5


def same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@cache
def table_entries() -> dict[str, list[object]]:
    """`aws_facts.NAME` -> the keys of a dict, or the entries of a list, tuple or set, that
    aws_facts defines: values AWS names (an ARN, a region) that a table holds once. A plain
    word (ecs, fargate) is left out: it recurs as one of the program's own choices."""
    out: dict[str, list[object]] = {}
    for name in defined_names(aws_facts):
        value = getattr(aws_facts, name)
        if isinstance(value, dict | list | tuple | frozenset | set):
            out[f"aws_facts.{name}"] = [
                v
                for v in value
                if not isinstance(v, list | tuple) and not (isinstance(v, str) and v.isalpha())
            ]
    return out


def repeats(value: object, *, aws_only: bool = False) -> list[str]:
    """Where settings or aws_facts already hold `value` (defaults, constants, table keys and
    entries); with `aws_only`, where aws_facts holds it."""
    if not distinctive(value):
        return []
    found = []
    if not aws_only:
        found += [
            f"the default of setting {key}"
            for key, d in setting_defaults().items()
            if same(d, value)
        ]
    found += [
        f"{name}"
        for name, v in facts().items()
        if same(v, value) and (not aws_only or name.startswith("aws_facts."))
    ]
    found += [
        f"an entry of {name}"
        for name, entries in table_entries().items()
        if any(same(e, value) for e in entries)
    ]
    return found


# Provider arguments whose value is a fact or a setting, named where it is held: a bare number
# given to one of them is a second copy, however small (30 days recurs for unrelated reasons,
# so the value alone cannot tell).
FACT_ARGUMENTS = {
    "retention_in_days": "a log retention comes from the settings",
    "deletion_window_in_days": "a KMS deletion window comes from components.kms",
    "request_interval": "a health-check interval comes from aws_facts",
    "seconds_to_live": "a token lifetime comes from aws_facts",
    "retention_period_in_days": "a metrics retention comes from aws_facts",
}


# --- the checks, as functions of source, so that they can be shown to fail -----------------------


def fields_repeating_settings(classes: list[type]) -> list[str]:
    """Fields with a default named like a setting."""
    names = setting_fields()
    problems = []
    for cls in classes:
        for f in dataclasses.fields(cls):
            has_default = (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            )
            if has_default and f.name in names:
                problems.append(
                    f"{cls.__module__}.{cls.__qualname__}.{f.name} has a default and repeats "
                    f"setting {names[f.name]}: take it from the settings bundle or make it required"
                )
    return problems


def constants(source: str) -> Iterator[tuple[int, str, object]]:
    """Module-level `NAME = <literal>` of a source."""
    for node in ast.parse(source).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    continue
                yield node.lineno, target.id, literal


def constants_repeating_facts(path: str, source: str) -> list[str]:
    """Constants named like a settings or aws_facts constant, or equal to one or to a
    setting's default."""
    known = {name.rpartition(".")[2]: name for name in facts()}
    problems = []
    for line, name, value in constants(source):
        if name in known:
            problems.append(f"{path}:{line} defines {name}; import {known[name]} instead")
        for where in repeats(value):
            problems.append(f"{path}:{line} {name} = {value!r} repeats {where}")
    return problems


def _not_values(tree: ast.AST) -> set[int]:
    """ids of the string constants that are no values: docstrings and dict keys (a dict key in
    a component is the field name of a provider type, e.g. "canary_percent")."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            skipped.update(id(k) for k in node.keys if isinstance(k, ast.Constant))
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement in body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    skipped.add(id(statement.value))
    return skipped


def literals_repeating_facts(path: str, source: str) -> list[str]:
    """Distinctive numbers and strings written inline that settings or aws_facts hold, and
    bare numbers given to a provider argument that carries a fact (FACT_ARGUMENTS)."""
    problems = []
    tree = ast.parse(source)
    skipped = _not_values(tree)
    for node in ast.walk(tree):
        # A string equal to a setting's default is most often a comparison with one of its
        # choices (strategy == "blue-green"), so strings are held to aws_facts alone.
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float | str)
            and id(node) not in skipped
        ):
            aws_only = isinstance(node.value, str)
            for where in repeats(node.value, aws_only=aws_only):
                problems.append(f"{path}:{node.lineno} {node.value!r} repeats {where}")
        if (
            isinstance(node, ast.keyword)
            and node.arg in FACT_ARGUMENTS
            and isinstance(node.value, ast.Constant)
        ):
            problems.append(
                f"{path}:{node.lineno} {node.arg}={node.value.value!r}: {FACT_ARGUMENTS[node.arg]}"
            )
    return problems


# --- the repository ------------------------------------------------------------------------


def test_no_component_field_with_a_default_repeats_a_setting() -> None:
    classes = [
        obj
        for module in component_modules()
        for obj in vars(module).values()
        if isinstance(obj, type)
        and dataclasses.is_dataclass(obj)
        and obj.__module__ == module.__name__
    ]
    assert classes, "components define their arguments as dataclasses"
    assert fields_repeating_settings(classes) == []


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_no_component_constant_repeats_a_setting_or_a_fact(path: Path) -> None:
    assert constants_repeating_facts(path.name, path.read_text()) == []


@pytest.mark.parametrize("path", PROGRAM_FILES, ids=lambda p: p.name)
def test_no_inline_value_repeats_a_setting_or_a_fact(path: Path) -> None:
    assert literals_repeating_facts(path.name, path.read_text()) == []


# --- the checks catch what they are for ----------------------------------------------------


def test_a_field_defaulting_a_setting_is_caught() -> None:
    @dataclasses.dataclass(frozen=True)
    class WebArgs:
        name: str
        container_port: int = 8080

    assert fields_repeating_settings([WebArgs]) == [
        f"{__name__}.test_a_field_defaulting_a_setting_is_caught.<locals>.WebArgs.container_port "
        "has a default and repeats setting service.container_port: take it from the settings "
        "bundle or make it required"
    ]


def test_a_required_field_named_like_a_setting_is_not_a_copy() -> None:
    @dataclasses.dataclass(frozen=True)
    class WebArgs:
        container_port: int

    assert fields_repeating_settings([WebArgs]) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("METRICS_PORT = 9102\n", "m.py:1 defines METRICS_PORT; import settings.service.METRICS_PORT instead"),
        ("WEB_PORT = 8080\n", "m.py:1 WEB_PORT = 8080 repeats the default of setting service.container_port"),
        ("TEST_PORT: int = 8443\n", "m.py:1 TEST_PORT = 8443 repeats the default of setting deployment.test_listener_port"),
        ("CLASS = 'db.t4g.micro'\n", "m.py:1 CLASS = 'db.t4g.micro' repeats the default of setting database.instance_class"),
        ("POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole'\n",
         "m.py:1 POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole' repeats aws_facts.RDS_ENHANCED_MONITORING_POLICY"),
        ("POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole'\n",
         "m.py:1 POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole' repeats an entry of aws_facts.MANAGED_POLICIES"),
    ],
)  # fmt: skip
def test_a_constant_copying_a_setting_or_a_fact_is_caught(source: str, expected: str) -> None:
    assert expected in constants_repeating_facts("m.py", source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("f(port=9102)\n", "m.py:1 9102 repeats settings.service.METRICS_PORT"),
        ("f(retention_in_days=30)\n", "m.py:1 retention_in_days=30: a log retention comes from the settings"),
        # The KMS deletion window the stack key takes, written again as a number elsewhere.
        ("aws.kms.Key('k', deletion_window_in_days=30)\n", "m.py:1 deletion_window_in_days=30: a KMS deletion window comes from components.kms"),
        ("f(request_interval=30)\n", "m.py:1 request_interval=30: a health-check interval comes from aws_facts"),
        # A managed policy's ARN is a key of aws_facts.MANAGED_POLICIES.
        ("f(policy_arn='arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore')\n",
         "m.py:1 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' repeats an entry of aws_facts.MANAGED_POLICIES"),
        # A region aws_facts holds in a table, written inline.
        ("f(region='us-east-1')\n", "m.py:1 'us-east-1' repeats aws_facts.ROUTE53_HEALTH_CHECK_METRICS_REGION"),
    ],
)  # fmt: skip
def test_an_inline_copy_is_caught(source: str, expected: str) -> None:
    assert expected in literals_repeating_facts("m.py", source)


def test_small_numbers_and_names_of_the_components_own_are_not_copies() -> None:
    source = "ECS_RULE_PRIORITY = 10\nCONTAINER_NAME = 'web'\nPOSTGRES_PORT = 5432\n"
    assert constants_repeating_facts("m.py", source) == []


def test_provider_field_names_and_docstrings_are_not_copies() -> None:
    # A dict key names a field of a provider type; a docstring may name a fact in words.
    source = (
        'def f():\n    """Sends to us-east-1."""\n'
        '    return {"us-east-1": 1, "canary_percent": shift.percent}\n'
    )
    assert literals_repeating_facts("m.py", source) == []
