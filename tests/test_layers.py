"""Imports run one way: every module of the program and its tools imports only the layers
below its own (module-level and function-level imports alike), the policy pack never imports
the plan, and the plan reaches the policy pack only through its one public entry.

    L0 facts and pure helpers: aws_facts, address_space, secret_detection, observability
    L1 settings       the only reader of stack files and config
    L2 components     the ComponentResources and their helpers
    L3 __main__.py    the program
    L4 mock_engine    the program run under recording mocks
    L5 rollout, policy, contracts
    L6 offline_plan   the plan

Two packages of one layer do not import each other (a shared piece belongs a layer down),
except in L0, where a pure helper may use a fact. bootstrap/ and app/ are programs of their
own and import nothing of this one; scripts/, .github/scripts/ and the local observability
harnesses are tools and may import anything. The bootstrap's modules are top-level modules
of their own (`bootstrap_policies`, ...); only the contract checks import them. Tests are
not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Top-level module or package -> layer.
LAYERS: dict[str, int] = {
    "aws_facts": 0,
    "address_space": 0,
    "secret_detection": 0,
    "observability": 0,
    "settings": 1,
    "components": 2,
    "__main__": 3,
    "mock_engine": 4,
    "rollout": 5,
    "policy": 5,
    "contracts": 5,
    "offline_plan": 6,
}
#: Programs of their own: they import nothing of the layered program.
SEPARATE = frozenset({"app", "bootstrap"})
#: The bootstrap program's modules by the names it imports them with: it runs from bootstrap/,
#: so they are top-level modules, not `bootstrap.*` (its `__main__` is the program's entry).
BOOTSTRAP_MODULES = frozenset(
    path.stem for path in (ROOT / "bootstrap").glob("*.py") if path.stem != "__main__"
)
#: The layered packages that may import the bootstrap's modules, each with its reason.
BOOTSTRAP_READERS: dict[str, str] = {
    "contracts": "the contract checks run the bootstrap's declare() under the mock engine, "
    "to check the deploy roles against every document the bootstrap attaches to them",
}
#: Tools: may import anything (and nothing layered imports them).
TOOLS = frozenset({"scripts", ".github/scripts"})
#: Modules inside a layered package that are tools, not part of its layer: the local
#: observability stack and its stand-in website, run by `python -m` for the end-to-end test.
TOOL_MODULES = frozenset({"observability.localstack", "observability.standin"})
#: Directories that hold no code of the program or its tools.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "build",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "tests",
    }
)
#: The plan's one door into the policy pack.
POLICY_ENTRY = "findings"


@dataclass(frozen=True)
class Import:
    line: int
    module: str
    """The imported module, dotted and absolute."""
    names: tuple[str, ...] = ()
    """For `from module import a, b`: the names imported."""


def module_name(relative: str) -> str:
    """`offline_plan/plan.py` -> `offline_plan.plan`; a package's `__init__.py` is the package."""
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every import of a module's source, at any depth (functions, classes, `if` blocks), and
    every `importlib.import_module("...")` / `__import__("...")` of a literal name."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            yield Import(node.lineno, base, tuple(a.name for a in node.names))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                yield Import(node.lineno, first.value)


def layer_of(module: str) -> int | None:
    if any(module == t or module.startswith(t + ".") for t in TOOL_MODULES):
        return None
    return LAYERS.get(module.split(".")[0])


def kind_of(relative: str) -> str:
    """'layered', 'separate', 'tool' or 'unmapped' for a file of the repository."""
    top = relative.split("/")[0]
    if relative.startswith(".github/scripts/") or top in TOOLS:
        return "tool"
    if top in SEPARATE:
        return "separate"
    module = module_name(relative)
    if any(module == t or module.startswith(t + ".") for t in TOOL_MODULES):
        return "tool"
    return "layered" if module.split(".")[0] in LAYERS else "unmapped"


def problems(files: dict[str, str]) -> list[str]:
    """What breaks the layering in `files` (relative path -> source)."""
    out: list[str] = []
    for relative, source in sorted(files.items()):
        kind = kind_of(relative)
        if kind == "unmapped":
            out.append(f"{relative} belongs to no layer: add its package to LAYERS")
            continue
        if kind == "tool":
            continue
        module = module_name(relative)
        is_package = relative.endswith("__init__.py")
        own_top = module.split(".")[0]
        own = layer_of(module)
        for imp in imports(source, module, is_package=is_package):
            top = imp.module.split(".")[0]
            target = layer_of(imp.module)
            where = f"{relative}:{imp.line}"
            if kind == "separate":
                if target is not None:
                    out.append(
                        f"{where} imports {imp.module} (layer {target}) from {relative.split('/')[0]}/, "
                        "a program of its own"
                    )
                continue
            assert own is not None
            if top in BOOTSTRAP_MODULES:
                if own_top not in BOOTSTRAP_READERS:
                    out.append(
                        f"{where} imports {imp.module}, a module of the bootstrap program "
                        f"(only {', '.join(sorted(BOOTSTRAP_READERS))} may)"
                    )
                continue
            if top in TOOLS or top in SEPARATE:
                out.append(f"{where} imports {imp.module}, which is not part of the program")
                continue
            if own_top == "policy" and top == "offline_plan":
                out.append(f"{where} imports {imp.module}: the policy pack never imports the plan")
            if own_top == "offline_plan" and top == "policy":
                inner = imp.module.split(".")[1:] or [n for n in imp.names if n != POLICY_ENTRY]
                if inner:
                    out.append(
                        f"{where} imports {imp.module} {', '.join(imp.names)}: the plan uses "
                        f"only the policy pack's public entry policy.{POLICY_ENTRY}"
                    )
            if target is None or top == own_top:
                continue
            if target > own or (target == own and own > 0):
                out.append(f"{where} imports {imp.module} (layer {target}) from layer {own}")
    return out


def repository_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts[:-1]):
            continue
        files[relative.as_posix()] = path.read_text()
    return files


def test_no_module_imports_a_layer_above_its_own() -> None:
    found = problems(repository_files())
    assert found == [], "imports against the layering:\n" + "\n".join(found)


def test_the_bootstrap_modules_are_known_by_name() -> None:
    # An empty set (bootstrap/ moved or renamed) would let any import of them through.
    assert {"bootstrap_policies", "bootstrap_resources", "deploy_actions"} <= BOOTSTRAP_MODULES
    assert not BOOTSTRAP_MODULES & set(LAYERS)
    assert set(BOOTSTRAP_READERS) <= set(LAYERS)


def test_every_layered_package_exists() -> None:
    # A renamed package would leave its entry here checking nothing.
    for name in LAYERS:
        assert (ROOT / f"{name}.py").is_file() or (ROOT / name / "__init__.py").is_file(), name


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"components/dns.py": "import os\n\nfrom offline_plan.plan import build_plan\n"},
            ["components/dns.py:3 imports offline_plan.plan (layer 6) from layer 2"],
        ),
        (
            {"settings/network.py": "def f():\n    from components import network\n"},
            ["settings/network.py:2 imports components (layer 2) from layer 1"],
        ),
        (
            {"mock_engine/run.py": "import importlib\nimportlib.import_module('policy.check')\n"},
            ["mock_engine/run.py:2 imports policy.check (layer 5) from layer 4"],
        ),
        (
            {"policy/check.py": "def render():\n    from offline_plan import plan\n"},
            [
                "policy/check.py:2 imports offline_plan: the policy pack never imports the plan",
                "policy/check.py:2 imports offline_plan (layer 6) from layer 5",
            ],
        ),
        (
            {"offline_plan/plan.py": "from policy.rules import evaluate\n"},
            [
                "offline_plan/plan.py:1 imports policy.rules evaluate: the plan uses only the "
                "policy pack's public entry policy.findings"
            ],
        ),
        (
            {"offline_plan/plan.py": "from policy import rules\n"},
            [
                "offline_plan/plan.py:1 imports policy rules: the plan uses only the policy "
                "pack's public entry policy.findings"
            ],
        ),
        (
            {"rollout/timing.py": "from contracts import checks\n"},
            ["rollout/timing.py:1 imports contracts (layer 5) from layer 5"],
        ),
        (
            {"bootstrap/__main__.py": "import settings\n"},
            [
                "bootstrap/__main__.py:1 imports settings (layer 1) from bootstrap/, "
                "a program of its own"
            ],
        ),
        (
            {"components/iam.py": "from scripts import gen_pulumi_yaml\n"},
            ["components/iam.py:1 imports scripts, which is not part of the program"],
        ),
        (
            {"offline_plan/plan.py": "import bootstrap_resources as res\n"},
            [
                "offline_plan/plan.py:1 imports bootstrap_resources, a module of the bootstrap "
                "program (only contracts may)"
            ],
        ),
        (
            {"policy/engine.py": "def f():\n    from bootstrap_policies import STATE_PREFIX\n"},
            [
                "policy/engine.py:2 imports bootstrap_policies, a module of the bootstrap "
                "program (only contracts may)"
            ],
        ),
        (
            {"docs/gen.py": "import settings\n"},
            ["docs/gen.py belongs to no layer: add its package to LAYERS"],
        ),
        # What the layering allows: downward imports, the policy entry, relative imports
        # inside a package, L0 helpers using facts, tools importing anything.
        (
            {
                "offline_plan/plan.py": "import policy\nfrom policy import findings\n"
                "import rollout\nfrom mock_engine import render_stack\nfrom . import cost\n",
                "components/dns.py": "from settings import DnsSettings\nimport aws_facts\n",
                "address_space.py": "import aws_facts\n",
                "app/website/main.py": "from .config import Settings\n",
                "scripts/bench_plan.py": "from offline_plan import cli\n",
                "observability/localstack.py": "from app.tools.localpg import LocalPostgres\n",
                "contracts/sources.py": "import bootstrap_policies as pol\n"
                "import bootstrap_resources as res\n",
                "bootstrap/bootstrap_resources.py": "import bootstrap_policies as pol\n",
            },
            [],
        ),
    ],
)
def test_the_check_names_each_import_against_the_layering(
    files: dict[str, str], expected: list[str]
) -> None:
    assert problems(files) == expected


#: The program itself: the layers `pulumi up` runs.
PROGRAM = frozenset({"aws_facts", "address_space", "secret_detection", "settings", "components"})


def lazy_program_imports(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Imports of the program's own modules made inside a function: a sign that a piece lives
    in the wrong room (a component reaching into a sibling, a fact kept beside a check)."""
    in_functions = {
        inner.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom, ast.Call))
    }
    return [
        imp
        for imp in imports(source, module, is_package=is_package)
        if imp.line in in_functions and imp.module.split(".")[0] in PROGRAM
    ]


def test_the_program_imports_its_own_modules_at_the_top() -> None:
    found = []
    for relative, source in repository_files().items():
        module = module_name(relative)
        if relative == "__main__.py" or module.split(".")[0] in PROGRAM:
            is_package = relative.endswith("__init__.py")
            for imp in lazy_program_imports(source, module, is_package=is_package):
                found.append(f"{relative}:{imp.line} imports {imp.module} inside a function")
    assert found == [], "function-level imports inside the program:\n" + "\n".join(found)


def test_a_function_level_import_of_a_sibling_component_is_found() -> None:
    source = (
        "import pulumi\n\n\ndef collector(url: str) -> str:\n"
        "    from components.observability import collector_config\n\n"
        "    return collector_config(url)\n"
    )
    found = lazy_program_imports(source, "components.ecs_service")
    assert [(i.line, i.module) for i in found] == [(5, "components.observability")]
