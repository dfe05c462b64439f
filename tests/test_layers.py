"""The package's layers: each package imports only what stands below it (README, "Development").

The checker reads every module's imports with `ast` (nothing is imported, so it is fast) and is itself
tested on small synthetic packages, so a broken checker cannot pass silently.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
MAX_MODULE_LINES = 400

# package -> the project packages it may import (besides itself and the standard library).
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    # Ground floor beside `errors`: every text printed or written passes through it (secrets redacted).
    "safetext": frozenset(),
    "http": frozenset({"errors", "safetext"}),
    "engine": frozenset({"errors", "http", "safetext"}),
    "providers": frozenset({"errors", "http", "engine", "safetext"}),
    "project": frozenset({"errors", "http", "engine", "providers", "safetext"}),
    "render": frozenset({"errors", "engine", "safetext"}),
    "runner": frozenset({"errors", "http", "engine", "providers", "project", "safetext"}),
    "cli": frozenset({"errors", "http", "engine", "providers", "project", "render", "runner", "sandbox", "safetext"}),
    "sandbox": frozenset(),
    "__main__": frozenset({"cli"}),
}
# Third-party libraries a package must not use: the engine is pure planning, the product never needs
# the sandbox's web stack.
FORBIDDEN_LIBRARIES: dict[str, frozenset[str]] = {
    "engine": frozenset({"click", "ruamel", "rich", "starlette", "uvicorn"}),
    **{
        name: frozenset({"starlette", "uvicorn"})
        for name in ("errors", "http", "providers", "project", "render", "runner", "cli")
    },
}
# The vendor registry is the one way to reach the vendors from above: the engine knows none of them.
VENDOR_MODULES_ALLOWED_IN = frozenset({"providers"})
# The product reaches the sandbox only for the `demo` and `sandbox` commands, and only when they run: the
# demo imports it inside its callback; the group names the `sandbox` command's module, which lives in
# the sandbox, in its table of commands loaded by name (module -> what it may reach).
SANDBOX_IMPORT_ALLOWED_IN: dict[str, tuple[str, ...]] = {
    "reconciler.cli.demo": ("reconciler.sandbox",),
    "reconciler.cli.main": ("reconciler.sandbox.cli",),
}
# A module loaded by name is imported too, when the code runs: "package.module:attribute" (a table of
# commands) or `importlib.import_module("package.module")`.
LOADED_BY_NAME = re.compile(r"^reconciler(\.\w+)+:\w+$")


@dataclass(frozen=True)
class Import:
    target: str  # the imported module, absolute
    line: int
    lazy: bool  # inside a function, or under `if TYPE_CHECKING:` (never run at import time)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool) -> list[Import]:
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_lazy = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                child_lazy = True
            if isinstance(child, ast.Constant) and isinstance(child.value, str) and LOADED_BY_NAME.match(child.value):
                found.append(Import(child.value.split(":")[0], child.lineno, True))
            elif (
                isinstance(child, ast.Call)
                and ast.unparse(child.func).split(".")[-1] == "import_module"
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            ):
                found.append(Import(child.args[0].value, child.lineno, True))
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, child.lineno, lazy) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from reconciler.render import markdown` imports the submodule reconciler.render.markdown
                found.extend(Import(f"{base}.{alias.name}", child.lineno, lazy) for alias in child.names)
            visit(child, child_lazy)

    visit(tree, False)
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "reconciler" and len(parts) > 1 else None


def is_vendor_module(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 3 and parts[:2] == ["reconciler", "providers"] and parts[2] not in ("registry",)


def reaches(target: str, allowed: tuple[str, ...]) -> bool:
    return any(target == name or target.startswith(name + ".") for name in allowed)


def violations(root: Path) -> list[str]:
    """Every import that breaks the layer rules, as `file:line: message`."""
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        layer = layer_of(module)
        if layer is None:
            continue
        where = f"{path.relative_to(root.parent)}"
        for imp in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            top = imp.target.split(".")[0]
            if top != "reconciler":
                if top in FORBIDDEN_LIBRARIES.get(layer, frozenset()):
                    problems.append(f"{where}:{imp.line}: {layer} must not import {top}")
                continue
            other = layer_of(imp.target)
            if other is None or other == layer:
                continue
            if other not in ALLOWED.get(layer, frozenset()):
                problems.append(f"{where}:{imp.line}: {layer} must not import {other} ({imp.target})")
            elif other == "sandbox" and not (
                imp.lazy and reaches(imp.target, SANDBOX_IMPORT_ALLOWED_IN.get(module, ()))
            ):
                problems.append(
                    f"{where}:{imp.line}: the sandbox is imported only for the demo and sandbox commands, when they "
                    f"run ({imp.target})"
                )
            elif is_vendor_module(imp.target) and layer not in VENDOR_MODULES_ALLOWED_IN:
                problems.append(
                    f"{where}:{imp.line}: {layer} must reach vendors through providers.registry ({imp.target})"
                )
    return problems


def oversized_modules(root: Path, limit: int = MAX_MODULE_LINES) -> list[str]:
    return [
        f"{path.relative_to(root.parent)}: {count} lines"
        for path in sorted(root.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > limit
    ]


def test_every_package_imports_only_what_stands_below_it() -> None:
    assert violations(PACKAGE) == []


def test_no_product_module_is_over_400_lines() -> None:
    assert oversized_modules(PACKAGE) == []


def test_every_package_has_a_rule() -> None:
    packages = {layer_of(module_name(p, PACKAGE)) for p in PACKAGE.rglob("*.py")} - {None}
    assert packages <= set(ALLOWED)


def vendor_names_outside_providers(root: Path, names: set[str]) -> list[str]:
    """String constants naming a provider outside `providers/` and `sandbox/`: a vendor switch that the
    registry should make unnecessary."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if layer_of(module_name(path, root)) in ("providers", "sandbox"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {node.value!r}")
    return found


def test_only_providers_and_the_sandbox_name_a_vendor() -> None:
    """A new provider is its module plus a line in the registry (README, "Adding a provider")."""
    from reconciler.providers.registry import PROVIDERS

    assert vendor_names_outside_providers(PACKAGE, set(PROVIDERS)) == []


def test_vendor_name_check_finds_a_switch(tmp_path: Path) -> None:
    root = make_package(tmp_path, {"cli/demo.py": 'def f(p):\n    return p == "onelogin"\n'})
    assert vendor_names_outside_providers(root, {"onelogin"}) == ["reconciler/cli/demo.py:2: 'onelogin'"]


# ---- the checker itself, on synthetic packages -------------------------------------------------------
def make_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "reconciler"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"engine/plan.py": "from reconciler.providers.registry import PROVIDERS\n"},
            "engine must not import providers",
        ),
        ({"engine/plan.py": "from reconciler.providers import primo\n"}, "engine must not import providers"),
        ({"engine/plan.py": "import click\n"}, "engine must not import click"),
        ({"http/client.py": "from reconciler.engine.model import ScopeRef\n"}, "http must not import engine"),
        ({"project/config.py": "from reconciler.runner import flows\n"}, "project must not import runner"),
        ({"runner/flows.py": "from reconciler.render.text import render_plan\n"}, "runner must not import render"),
        ({"render/text.py": "from ..cli import main\n"}, "render must not import cli"),
        ({"runner/flows.py": "from reconciler.providers.primo import PrimoProvider\n"}, "through providers.registry"),
        ({"cli/plan.py": "def f():\n    from reconciler.sandbox import SandboxServer\n"}, "only for the demo and"),
        ({"cli/demo.py": "from reconciler.sandbox import SandboxServer\n"}, "only for the demo and sandbox"),
        ({"cli/main.py": 'COMMANDS = {"plan": "reconciler.sandbox.server:run"}\n'}, "only for the demo and"),
        ({"cli/main.py": "from reconciler.sandbox.cli import sandbox_command\n"}, "only for the demo and"),
        ({"cli/apply.py": 'import importlib\nimportlib.import_module("reconciler.sandbox")\n'}, "only for the demo"),
        ({"runner/flows.py": "def f():\n    from reconciler.sandbox import seeds\n"}, "runner must not import sandbox"),
        ({"project/config.py": "from ..sandbox.common import PROVIDERS\n"}, "project must not import sandbox"),
        (
            {"engine/plan.py": 'COMMANDS = {"x": "reconciler.render.text:render_plan"}\n'},
            "engine must not import render",
        ),
        ({"runner/flows.py": "import uvicorn\n"}, "runner must not import uvicorn"),
        ({"sandbox/server.py": "from reconciler.engine.model import ScopeRef\n"}, "sandbox must not import engine"),
    ],
)
def test_checker_finds_a_violation(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = violations(make_package(tmp_path, files))
    assert len(found) == 1 and expected in found[0], found


def test_checker_accepts_what_the_rules_allow(tmp_path: Path) -> None:
    root = make_package(
        tmp_path,
        {
            "cli/demo.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reconciler.sandbox import S\n"
            "def run():\n    from reconciler.sandbox import SandboxServer\n",
            "cli/main.py": 'COMMANDS = {"sandbox": "reconciler.sandbox.cli:sandbox_command"}\n',
            "project/schema.py": "from reconciler.providers.registry import PROVIDERS\n",
            "providers/registry.py": "from reconciler.providers.primo import PrimoProvider\n",
            "render/text.py": "from reconciler.engine.plan import Plan\nimport click\n",
        },
    )
    assert violations(root) == []


def test_size_check_finds_a_long_module(tmp_path: Path) -> None:
    root = make_package(tmp_path, {"engine/big.py": "x = 1\n" * 401, "engine/small.py": "x = 1\n" * 400})
    assert oversized_modules(root) == ["reconciler/engine/big.py: 401 lines"]
