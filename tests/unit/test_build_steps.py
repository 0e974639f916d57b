"""``python -m models.build``: the core's steps and the ones the installed skills declare.

Nothing here builds or writes an artifact: the steps are listed and imported, not run.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from assistant.artifacts import stamp_hash
from assistant.skill_sdk.plugins import discover_specs
from models import build


def test_skill_steps_are_declared_by_the_skills_and_run_between_the_core_steps():
    steps = build.steps()
    assert {"video", "music", "news"} <= set(build.skill_steps())
    assert {s.name: s.build for s in discover_specs() if s.build} == build.skill_steps()
    assert build.skill_steps()["video"] == "skills.video.build"
    names = list(steps)
    # the vocabulary collects names from the catalogs the skills' steps build
    assert names.index("whisper-requests") < names.index("music") < names.index("vocabulary")
    assert names[: len(build.CORE_STEPS)] == list(build.CORE_STEPS)
    assert names[-len(build.AFTER_SKILL_STEPS) :] == list(build.AFTER_SKILL_STEPS)


@pytest.mark.parametrize("name", ["video", "music", "news"])
def test_each_declared_step_is_a_module_with_build(name: str):
    module = importlib.import_module(build.skill_steps()[name])
    assert callable(module.build) and module.NAME == name


def test_only_accepts_the_skills_step_names(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        build.main(["--only", "no-such-step"])
    assert exited.value.code == 2
    assert "'video'" in capsys.readouterr().err


def test_stamp_hash_keeps_the_hash_an_earlier_layout_stamped_for_the_same_inputs(tmp_path: Path):
    earlier = tmp_path / "build_stamps.json"
    assert stamp_hash("aaa", earlier) == "aaa"  # no file: the hash as computed
    earlier.write_text(json.dumps({"about": "moved", "hashes": {"aaa": "old"}}))
    assert stamp_hash("aaa", earlier) == "old"
    assert stamp_hash("bbb", earlier) == "bbb"  # an input changed: the new hash
    earlier.write_text("not json")
    assert stamp_hash("aaa", earlier) == "aaa"


def test_the_fine_tuned_speech_model_is_built_only_when_asked(monkeypatch, capsys):
    """whisper-requests (tiny.en-requests, 14-22 min) is opt-in: config.toml's [stt] model or
    --only. A module that does not exist stands for it: imported means the step ran."""
    from assistant.config import CONFIG_FILE, data_dir

    monkeypatch.setattr(build, "steps", lambda: {"whisper-requests": "models.no_such_step"})
    assert build.main([]) == 0  # the default config: skipped, and nothing failed
    assert "[whisper-requests] skipped: opt-in" in capsys.readouterr().out
    assert build.main(["--force"]) == 0  # --retrain rebuilds what is built, not what is opt-in
    assert build.main(["--only", "whisper-requests"]) == 1  # asked for: it runs
    assert "[whisper-requests] FAILED: ModuleNotFoundError" in capsys.readouterr().err
    (data_dir() / CONFIG_FILE).write_text('[stt]\nmodel = "tiny.en-requests"\n', encoding="utf-8")
    assert build.main([]) == 1  # the config asks for the model: it runs
    assert "[whisper-requests] FAILED" in capsys.readouterr().err
