"""Every AWS invoke inside a component uses the `*_output` form with the component as parent.

A plain invoke blocks the program until AWS answers and runs outside the component tree: it
neither inherits the component's provider (region, default tags) nor shows under it. The
one deliberate plain invoke is the registry's `running_release`, which the program calls
before it declares anything (its docstring says why).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parent.parent / "components"
# (module, function) of the plain invokes made on purpose.
DELIBERATE_PLAIN = {("registry.py", "running_release")}


def _chain(node: ast.expr) -> list[str]:
    """`aws.ecs.get_service` -> ["aws", "ecs", "get_service"]; [] for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return []


def _is_invoke_options_with_parent(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and _chain(node.func)[-1:] == ["InvokeOptions"]
        and any(keyword.arg == "parent" for keyword in node.keywords)
    )


def _bound_with_parent(function: ast.AST, name: str) -> bool:
    """Whether `function` assigns `name = ...InvokeOptions(parent=...)`."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and _is_invoke_options_with_parent(node.value)
        for node in ast.walk(function)
    )


def invoke_problems(source: str, module: str) -> list[str]:
    """Each AWS invoke of `source` that is plain (unless deliberate) or has no parent."""
    problems: list[str] = []
    tree = ast.parse(source)
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for function in functions:
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            chain = _chain(node.func)
            if len(chain) < 2 or chain[0] != "aws" or not chain[-1].startswith("get_"):
                continue
            where = f"{module}:{node.lineno} {'.'.join(chain)} in {function.name}"
            if not chain[-1].endswith("_output"):
                if (module, function.name) not in DELIBERATE_PLAIN:
                    problems.append(f"{where}: a plain invoke; use the _output form")
                continue
            opts = next((k.value for k in node.keywords if k.arg == "opts"), None)
            parented = opts is not None and (
                _is_invoke_options_with_parent(opts)
                or (isinstance(opts, ast.Name) and _bound_with_parent(function, opts.id))
            )
            if not parented:
                problems.append(f"{where}: no opts=pulumi.InvokeOptions(parent=...)")
    return problems


def test_every_component_invoke_is_an_output_invoke_with_a_parent() -> None:
    problems = [
        problem
        for path in sorted(COMPONENTS.glob("*.py"))
        for problem in invoke_problems(path.read_text(), path.name)
    ]
    assert problems == []


def test_the_deliberate_plain_invoke_is_still_there() -> None:
    # Guards the allowance: should running_release go, so should its entry.
    source = (COMPONENTS / "registry.py").read_text()
    names = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
    assert {function for _, function in DELIBERATE_PLAIN} <= names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "def f(self):\n    return aws.get_region().region\n",
            "m.py:2 aws.get_region in f: a plain invoke; use the _output form",
        ),
        (
            "def f(self):\n    return aws.get_region_output().region\n",
            "m.py:2 aws.get_region_output in f: no opts=pulumi.InvokeOptions(parent=...)",
        ),
        (
            "def f(self):\n"
            "    invoke = pulumi.InvokeOptions(provider=p)\n"
            "    return aws.ssm.get_parameter_output(name='x', opts=invoke)\n",
            "m.py:3 aws.ssm.get_parameter_output in f: no opts=pulumi.InvokeOptions(parent=...)",
        ),
    ],
)
def test_the_check_catches_plain_and_orphan_invokes(source: str, expected: str) -> None:
    assert invoke_problems(source, "m.py") == [expected]


def test_the_check_accepts_a_parented_output_invoke() -> None:
    source = (
        "def f(self):\n"
        "    invoke = pulumi.InvokeOptions(parent=self)\n"
        "    a = aws.get_region_output(opts=invoke)\n"
        "    b = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self))\n"
    )
    assert invoke_problems(source, "m.py") == []
