"""Shared fixtures: every test runs against a temporary data directory (ASSISTANT_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def assistant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "assistant-home"
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def nlu():
    """The real NLU built by setup (loaded once per test run)."""
    from assistant.nlu import load_nlu

    return load_nlu()


@pytest.fixture
def pipeline(nlu, assistant_home: Path):
    """A real text pipeline (real NLU, real skills, real SQLite) in a fresh data directory."""
    from assistant.app import open_store, skill_for
    from assistant.config import Settings
    from assistant.pipeline import Pipeline

    assistant_home.mkdir(parents=True, exist_ok=True)
    p = Pipeline(nlu, open_store(assistant_home), assistant_home, skill_for, Settings())
    yield p
    p.store.close()
