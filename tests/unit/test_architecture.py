"""Import structure of the code, read with ``ast`` (nothing is imported, no artifact is needed).

Rules checked:

- no import cycle between modules of ``assistant/``, ``skills/`` and ``models/``. Every import
  statement anywhere in a file counts (module level, function bodies, ``if TYPE_CHECKING:``
  blocks): an import deferred into a function hides a cycle from the interpreter but not from
  the design, so it is no way around this rule;
- no cycle between the top-level packages, again counting every import anywhere: the allowed
  directions are skills -> assistant, models -> assistant and models -> skills;
- runtime code (``assistant/``, ``skills/``) never imports the build package ``models``,
  anywhere in a file.

``importlib.import_module("a.b")`` with a constant string counts as an import of ``a.b``. An
import names the most specific module it loads: ``from skills.music import index`` is the
module ``skills.music.index``, ``from skills.music import load_skill`` is ``skills.music``.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "skills", "models")
RUNTIME_PACKAGES = ("assistant", "skills")
BUILD_PACKAGE = "models"
ALLOWED_PACKAGE_EDGES = {("skills", "assistant"), ("models", "assistant"), ("models", "skills")}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (one of ours)
    line: int
    module_level: bool  # runs when ``source`` is imported (not in a function, not type-only)

    def where(self) -> str:
        path = modules()[self.source].relative_to(REPO_ROOT)
        deferred = "" if self.module_level else ", deferred"
        return f"{path}:{self.line} ({self.source} -> {self.target}{deferred})"


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the three packages; folders without ``__init__.py`` (data) are skipped."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            folder_parts = path.relative_to(REPO_ROOT).parts[:-1]
            if not all(
                (REPO_ROOT.joinpath(*folder_parts[: i + 1]) / "__init__.py").is_file()
                for i in range(len(folder_parts))
            ):
                continue
            parts = [*folder_parts, path.stem] if path.stem != "__init__" else list(folder_parts)
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _known(name: str) -> str | None:
    """``name`` or its longest prefix that is one of our modules."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules():
            return candidate
    return None


def _from_base(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module if modules()[module].name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        raise ValueError(f"{module}: relative import goes above the top-level package")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _targets(module: str, node: ast.AST) -> list[str]:
    """The modules of ours that one import statement or ``import_module`` call loads."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _from_base(module, node)
        # ``from pkg import sub`` loads the submodule ``pkg.sub``; otherwise it reads ``pkg``.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules() else base for a in node.names]
    elif isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in ("import_module", "__import__") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names = [arg.value]
    found = (_known(n) for n in names)
    return list(dict.fromkeys(t for t in found if t is not None and t != module))


def _walk(module: str, node: ast.AST, module_level: bool, out: list[Import]) -> None:
    """Every import under ``node``; ``module_level`` says whether ``node`` runs at import time."""
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for stmt in node.body:  # only read by type checkers
            _walk(module, stmt, False, out)
        for stmt in node.orelse:
            _walk(module, stmt, module_level, out)
        return
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        module_level = False  # the body runs when called, not when the module is imported
    if isinstance(node, ast.Import | ast.ImportFrom | ast.Call):
        out.extend(Import(module, t, node.lineno, module_level) for t in _targets(module, node))
    for child in ast.iter_child_nodes(node):
        _walk(module, child, module_level, out)


@functools.cache
def imports() -> tuple[Import, ...]:
    """Every import of our modules by our modules (parsed once per test run)."""
    out: list[Import] = []
    for module, path in modules().items():
        _walk(module, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), True, out)
    return tuple(out)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(
    cycles: list[list[str]], found: list[Import], key, packages: bool = False, shown: int = 6
) -> str:
    """Each cycle with the import statements along it, grouped by edge (``shown`` per edge)."""
    lines = []
    for members in cycles:
        lines.append(" <-> ".join(members))
        inside = set(members)
        by_edge: dict[tuple[str, str], list[Import]] = defaultdict(list)
        for i in found:
            if key(i.source) in inside and key(i.target) in inside:
                by_edge[key(i.source), key(i.target)].append(i)
        for (a, b), sites in sorted(by_edge.items()):
            verdict = "  <- not allowed" if packages and (a, b) not in ALLOWED_PACKAGE_EDGES else ""
            lines.append(f"  {a} -> {b}: {len(sites)} import(s){verdict}")
            lines += [f"    {i.where()}" for i in sites[:shown]]
            if len(sites) > shown:
                lines.append(f"    ... and {len(sites) - shown} more")
    return "\n".join(lines)


def _resolve(module: str, statement: str) -> list[str]:
    node = ast.parse(statement).body[0]
    return _targets(module, node.value if isinstance(node, ast.Expr) else node)


@pytest.mark.timeout(60)
def test_imports_resolve_to_the_module_they_load():
    assert {"assistant.cli", "assistant.nlu.parser", "skills.music.index", "models.build"} <= set(modules())
    assert _resolve("skills.music.taste", "from skills.music.index import MusicIndex") == [
        "skills.music.index"
    ]
    assert _resolve("skills.music.taste", "from skills.music import index") == ["skills.music.index"]
    assert _resolve("skills.music.taste", "from skills.music import load_skill") == ["skills.music"]
    assert _resolve("skills.music.taste", "from .index import MusicIndex") == ["skills.music.index"]
    assert _resolve("skills.music.taste", "from . import index, catalog") == [
        "skills.music.index",
        "skills.music.catalog",
    ]
    assert _resolve("skills.music", "from . import index") == ["skills.music.index"]
    assert _resolve("skills.music.taste", "from ..embeddings import dot_rows") == ["skills.embeddings"]
    assert _resolve("skills.music.taste", "import skills.music.index as ix") == ["skills.music.index"]
    assert _resolve("skills.music.taste", "import numpy, os.path") == []
    assert _resolve("skills.registry", "importlib.import_module('models.build')") == ["models.build"]
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import models.build\n")
    found: list[Import] = []
    _walk("assistant.cli", tree, True, found)
    assert [(i.target, i.module_level) for i in found] == [("models.build", False)]


@pytest.mark.timeout(60)
def test_no_import_cycle_between_modules():
    found = list(imports())
    edges: dict[str, set[str]] = defaultdict(set)
    for i in found:
        edges[i.source].add(i.target)
    cycles = _cycles(edges)
    assert not cycles, "import cycles (imports in functions count too):\n" + _describe(cycles, found, str)


@pytest.mark.timeout(60)
def test_no_cycle_between_top_level_packages():
    def top(module: str) -> str:
        return module.partition(".")[0]

    found = [i for i in imports() if top(i.source) != top(i.target)]
    edges: dict[str, set[str]] = defaultdict(set)
    for i in found:
        edges[top(i.source)].add(top(i.target))
    cycles = _cycles(edges)
    assert not cycles, (
        "package cycle (allowed: skills -> assistant, models -> assistant, models -> skills):\n"
        + _describe(cycles, found, top, packages=True)
    )


@pytest.mark.timeout(60)
def test_runtime_code_never_imports_the_build_package():
    offending = [
        i.where()
        for i in imports()
        if i.source.partition(".")[0] in RUNTIME_PACKAGES and i.target.partition(".")[0] == BUILD_PACKAGE
    ]
    assert not offending, "runtime code imports models (move what it needs into assistant/):\n" + "\n".join(
        offending
    )


@pytest.mark.timeout(120)
def test_import_contracts_are_kept():
    """The layers and boundaries declared in pyproject.toml's [tool.importlinter] hold."""
    # A subprocess: import-linter set up in this process would change the logging the other
    # tests check.
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=100
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
