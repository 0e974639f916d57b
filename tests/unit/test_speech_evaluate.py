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
