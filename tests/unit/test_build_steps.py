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
