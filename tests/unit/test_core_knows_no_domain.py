"""The core names no domain: a new skill is a new package, not edits across ``assistant/``.

Every identifier and every string that is not a docstring in ``assistant/`` (outside
``assistant/nlu/``, whose labels and training data are about the domains by nature) is read
with ``ast``; none may name a built-in skill's domain. Comments and docstrings may.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "assistant"
DOMAIN_WORDS = re.compile(r"music|news|weather|video|movie|film|song|jazz|forecast|headline", re.IGNORECASE)
pytestmark = pytest.mark.timeout(60)


def docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def domain_words_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = docstring_nodes(tree)
    hits = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, ast.alias):
            names = [node.asname or node.name]
        elif isinstance(node, ast.keyword) and node.arg:
            names = [node.arg]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            names = [node.value]
        hits += [
            f"{path.relative_to(CORE.parent)}:{node.lineno}: {n!r}" for n in names if DOMAIN_WORDS.search(n)
        ]
    return hits


def test_no_domain_word_in_the_core():
    files = [p for p in sorted(CORE.rglob("*.py")) if "nlu" not in p.relative_to(CORE).parts]
    assert len(files) > 15
    hits = [hit for path in files for hit in domain_words_in(path)]
    assert hits == []
