"""``python -m assistant.speech.evaluate``: the command issue 30 names for the speech figures runs
the voice families' table, and reads the issue's two targets for the default model off it."""

from __future__ import annotations

import subprocess
import sys

from assistant.speech import evaluate
from evaluation.speech import _targets


def row(family: str, condition: str, model: str, wer: float, in_scope: float | None = None) -> dict:
    return {
        "family": family,
        "condition": condition,
        "model": model,
        "wer": wer,
        "in_scope_accuracy": in_scope,
    }


def test_the_command_is_the_voice_families_table_with_the_callers_options(monkeypatch):
    seen = []
    monkeypatch.setattr("evaluation.speech.main", lambda argv: seen.append(argv) or 0)
    assert evaluate.main(["--families", "piper", "--json"]) == 0
    assert seen == [
        ["--engine", "faster-whisper", "--no-baseline", "--no-spoken", "--families", "piper", "--json"]
    ]


def test_the_module_runs_as_a_command():
    done = subprocess.run(
        [sys.executable, "-m", "assistant.speech.evaluate", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--families" in done.stdout and "--bias" in done.stdout


def test_targets_met_and_missed_are_named():
    rows = [
        row("festival", "clean", "tiny.en", 0.16, 0.897),
        row("festival", "noisy", "tiny.en", 0.21, 0.862),
        row("human", "clean", "tiny.en", 0.0769),
    ]
    said = _targets(rows, "festival", "tiny.en")
    assert "human WER 7.69% vs stock tiny.en 7.69% (no worse: met)" in said
    assert "held-out festival spoken in-scope 89.7% clean, noisy 86.2% (clean >= 90%: NOT met)" in said
    rows[0]["in_scope_accuracy"] = 0.905
    assert "(clean >= 90%: met)" in _targets(rows, "festival", "tiny.en")


def test_a_default_worse_than_stock_on_humans_is_called_so():
    rows = [row("human", "clean", "tiny.en-requests", 0.11), row("human", "clean", "tiny.en", 0.077)]
    assert "(no worse: NOT met)" in _targets(rows, "festival", "tiny.en-requests")
    assert "not in this run" in _targets([], "festival", "tiny.en")


def test_the_language_models_row_is_read_off_the_table_too():
    rows = [
        row("festival", "clean", "tiny.en", 0.16, 0.897),
        row("festival", "clean", "tiny.en +language model", 0.16, 0.897) | {"oos_recall": 0.95},
    ]
    said = _targets(rows, "festival", "tiny.en")
    assert (
        "with the language model's second opinion 89.7% in scope, 95.0% out-of-scope recall (NOT met)" in said
    )


def test_the_transcript_is_read_as_the_turn_runner_asks_the_model(tmp_path):
    from assistant.app import open_store
    from assistant.contracts.stages import Parse
    from assistant.llm.advisor import SecondOpinion
    from assistant.skill_sdk.plugins import SkillRegistry
    from evaluation.spoken import AskedAsBefore, model_reading
    from tests.support.fakes import ScriptedModel

    weather = ScriptedModel({"understand": {"skill": "weather", "place": "California"}})
    skills, store = SkillRegistry.discover(), open_store(tmp_path)
    now = model_reading(SecondOpinion(weather, skills, store))
    before = model_reading(AskedAsBefore(weather, skills, store))
    clock = Parse("out_of_scope", 0.99, {}, "what is the current time in california")
    assert now(clock, clock.text) == "out_of_scope" and not weather.calls  # never asked
    assert before(clock, clock.text) == "weather_query"  # the rule it replaced: taken for weather
    rain = Parse("out_of_scope", 0.6, {}, "any rain in california tonight")
    assert now(rain, rain.text) == "weather_query"  # "rain": the weather skill's own word
