"""A separately packaged skill (tests/data/example_skill), pip-installed for the test run, found
through its entry point and exercised through the real pipeline: no edit to the core."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline.runner import Pipeline
from assistant.skill_sdk.plugins import SkillRegistry, discover_specs
from tests.support.fakes import SPEC as TEA
from tests.support.fakes import KeywordNLU

pytestmark = pytest.mark.timeout(180)
REPO_ROOT = Path(__file__).resolve().parents[2]
WALL = 1_795_000_000.0


def dice_pipeline(home: Path, settings: dict | None = None) -> Pipeline:
    from assistant.app import open_store

    dice = next(s for s in discover_specs() if s.name == "dice")
    home.mkdir(parents=True, exist_ok=True)
    registry = SkillRegistry([TEA, dice], settings)
    return Pipeline(KeywordNLU(), open_store(home), home, registry, Settings())


def test_the_installed_plugin_is_discovered(example_skill_path):
    names = [s.name for s in discover_specs()]
    assert "dice" in names and names.index("dice") == len(names) - 1  # rank 90: listed last
    assert any(p.name.startswith("assistant_dice") for p in example_skill_path.iterdir())


def test_routes_reach_the_plugin_and_it_answers_in_its_own_words(example_skill_path, assistant_home):
    pipeline = dice_pipeline(assistant_home)
    session = pipeline.start_session("dana", seed=3)
    roll = pipeline.run_turn(session, text="roll two dice", wall_time=WALL)
    match = re.fullmatch(r"You rolled (\d), (\d): (\d+) in all\.", roll.response)
    assert match and int(match[1]) + int(match[2]) == int(match[3])
    assert roll.summary()["intent"] == "roll_dice" and roll.summary()["nlu_intent"] == "out_of_scope"
    coin = pipeline.run_turn(session, text="flip a coin", wall_time=WALL + 1)
    assert re.search(r"heads|tails", coin.response, re.IGNORECASE)
    rows = pipeline.store.turns(session_id=session.id)
    assert [(r["act"], r["domain"]) for r in rows] == [("recommend", "dice"), ("recommend", "dice")]


def test_the_active_plugin_gets_the_first_look_at_again(example_skill_path, assistant_home):
    pipeline = dice_pipeline(assistant_home)
    session = pipeline.start_session("dana", seed=5)
    pipeline.run_turn(session, text="roll three dice", wall_time=WALL)
    again = pipeline.run_turn(session, text="again", wall_time=WALL + 1)
    assert re.fullmatch(r"You rolled \d, \d, \d: \d+ in all\.", again.response)
    assert [e.to_dict()["act"] for e in again.events if e.type == "dialogue-end"] == ["converse"]
    # Once another skill is active, "again" is not the dice skill's any more.
    pipeline.run_turn(session, text="suggest a tea", wall_time=WALL + 2)
    other = pipeline.run_turn(session, text="again", wall_time=WALL + 3)
    assert "rolled" not in other.response


def test_the_plugin_reads_its_own_settings_section(example_skill_path, assistant_home):
    pipeline = dice_pipeline(assistant_home, {"dice": {"sides": 1000}})
    session = pipeline.start_session("dana", seed=11)
    values = [
        int(re.search(r"\d+", pipeline.run_turn(session, text="roll a die", wall_time=WALL + i).response)[0])
        for i in range(5)
    ]
    assert max(values) > 6


def test_help_and_out_of_scope_list_the_plugin(example_skill_path, assistant_home):
    pipeline = dice_pipeline(assistant_home)
    session = pipeline.start_session("dana", seed=1)
    reply = pipeline.run_turn(session, text="what is the capital of peru", wall_time=WALL).response
    assert "suggest a tea or roll dice" in reply


@pytest.mark.artifacts
def test_the_plugin_works_in_the_real_assistant(example_skill_path, tmp_path):
    """The real NLU and the four built-in skills, plus the plugin, through ``--text --json``."""
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home")}
    env["PYTHONPATH"] = os.pathsep.join([str(example_skill_path), str(REPO_ROOT)])
    out = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), "--text", "--json", "--seed", "4"],
        input="roll a die\nagain\nplay some jazz\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=170,
        check=True,
    ).stdout
    turns = [json.loads(line) for line in out.splitlines()]
    one_die = r"(You rolled a|It's a) \d\."
    assert turns[0]["intent"] == "roll_dice" and re.fullmatch(one_die, turns[0]["response"])
    assert turns[1]["intent"] == "roll_dice" and re.fullmatch(one_die, turns[1]["response"])
    assert turns[2]["intent"] == "play_music" and turns[2]["items"][0]["domain"] == "music"
