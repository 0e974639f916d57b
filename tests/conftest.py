"""Shared fixtures: every test runs against a temporary data directory (ASSISTANT_HOME)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

# The core's storage gives skills their tables (assistant.skill_sdk.storage), as in every
# assistant process: tests that call a skill's storage functions directly need it too.
import assistant.storage  # noqa: F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No skill probes the network in a test ("auto" live features stay off); tests that need a
# live service point it at a local server explicitly.
os.environ.setdefault("ASSISTANT_OFFLINE", "1")
# The language model stays out of every test (and every assistant a test starts) unless the
# test asks for it: the rest of the suite checks the classifier's path and its timings.
os.environ.setdefault("ASSISTANT_LLM", "off")
# Offers read the local clock (assistant/skill_sdk/situation.py: a Friday evening, a weekday morning), so
# every run, and every assistant a test starts, uses one time zone whatever the machine's.
os.environ["TZ"] = "UTC"
time.tzset()

REPO_ROOT = Path(__file__).resolve().parent.parent
# Fixtures that load the built models: a test using one needs the artifacts, marked or not.
ARTIFACT_FIXTURES = frozenset({"nlu", "pipeline"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if ARTIFACT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.artifacts)


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
    from assistant.pipeline.runner import Pipeline

    assistant_home.mkdir(parents=True, exist_ok=True)
    p = Pipeline(nlu, open_store(assistant_home), assistant_home, skill_for, Settings())
    yield p
    p.store.close()


@pytest.fixture
def fake_pipeline(assistant_home: Path):
    """The real pipeline, dialogue, NLG and SQLite store with fake NLU and skills (no artifacts)."""
    from assistant.app import open_store
    from assistant.config import Settings
    from assistant.pipeline.runner import Pipeline
    from tests.support.fakes import KeywordNLU, ToneSpeech, fake_skills

    assistant_home.mkdir(parents=True, exist_ok=True)
    p = Pipeline(
        KeywordNLU(), open_store(assistant_home), assistant_home, fake_skills(), Settings(), tts=ToneSpeech()
    )
    yield p
    p.store.close()


@pytest.fixture(scope="session")
def example_skill_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/example_skill, pip-installed (once per run) into a folder of its own.

    A real install (wheel build, dist-info with its entry point), so discovery finds it exactly
    as it would find a skill installed from PyPI; nothing is installed into the venv itself.
    """
    import shutil
    import subprocess
    import sys

    source = tmp_path_factory.mktemp("example-skill-source") / "example_skill"
    shutil.copytree(REPO_ROOT / "tests" / "data" / "example_skill", source)  # the build leaves files behind
    target = tmp_path_factory.mktemp("plugins")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=target,
    )
    return target


@pytest.fixture
def example_skill_path(example_skill_install: Path):
    """The installed example skill on ``sys.path`` for one test (so no other test sees it)."""
    import importlib
    import sys

    sys.path.insert(0, str(example_skill_install))
    importlib.invalidate_caches()
    yield example_skill_install
    sys.path.remove(str(example_skill_install))
    importlib.invalidate_caches()
