"""The first start's greeting (assistant/status.py): what the assistant can do, from the skills'
declarations, and what it could not set up; said once per data directory. And the skills'
status hooks, read without loading a model or reaching the network."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant import status
from assistant.config import Settings
from assistant.skill_sdk.status import OnlineFeature, SkillStatus
from tests.support.fakes import SPEC


def tea_status(settings) -> SkillStatus:
    return SkillStatus(
        artifacts=("tea",),
        facts=(("teas", "12"),),
        online=(OnlineFeature("tea prices", "prices = true", True, ("http://127.0.0.1:9/prices",)),),
    )


@pytest.fixture
def nothing_set_up(monkeypatch, tmp_path: Path):
    """No sound device, no artifact built (ASSISTANT_OFFLINE=1 is every test's default)."""
    monkeypatch.setattr(status, "audio_devices", lambda: {"input": [], "output": [], "detail": ""})
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path / "no-artifacts"))


def test_the_first_start_says_what_it_can_do_and_what_is_missing_then_never_again(nothing_set_up, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    specs = [replace(SPEC, status=tea_status)]
    greeting = status.first_start_greeting(home, Settings(), specs)
    assert greeting is not None
    assert greeting.startswith('Hello! I can suggest a tea: try "suggest a tea".')
    assert "there is no sound device" in greeting
    assert "I'm offline (ASSISTANT_OFFLINE is set), so tea prices are off" in greeting
    assert "nlu, nlu-onnx, vocabulary and tea are not built" in greeting
    assert greeting.count(". ") <= 3  # two sentences and the pointer to /help
    assert (home / status.GREETED_FILE).is_file()
    assert status.first_start_greeting(home, Settings(), specs) is None


def test_everything_set_up_is_said_in_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setattr(
        status, "audio_devices", lambda: {"input": ["mic"], "output": ["speaker"], "detail": ""}
    )
    monkeypatch.setattr(
        status, "artifact_state", lambda name: {"name": name, "state": "built", "size_bytes": 0}
    )
    monkeypatch.setattr(status, "models", lambda settings, home=None: {"llm": {"state": "on"}})
    monkeypatch.delenv("ASSISTANT_OFFLINE")
    home = tmp_path / "home"
    home.mkdir()
    greeting = status.first_start_greeting(home, Settings(), [SPEC])
    assert greeting == (
        'Hello! I can suggest a tea: try "suggest a tea". Everything is set up. '
        "/help for more, `assistant status` for the details."
    )


def test_a_skill_s_report_is_read_and_its_services_not_checked_without_a_timeout(nothing_set_up, tmp_path):
    report = status.collect(tmp_path, Settings(), [replace(SPEC, status=tea_status)], timeout=None)
    assert report["skills"]["tea"] == {"facts": {"teas": "12"}, "error": ""}
    assert {a["name"]: a["used_by"] for a in report["artifacts"]}["tea"] == "tea"
    [feature] = report["online"]["features"]
    assert feature["state"] == "off" and feature["services"] == []  # ASSISTANT_OFFLINE


def test_a_failing_skill_report_is_a_line_not_a_crash(nothing_set_up, tmp_path):
    def broken(settings):
        raise RuntimeError("no table")

    report = status.collect(tmp_path, Settings(), [replace(SPEC, status=broken)], timeout=None)
    assert report["skills"]["tea"]["error"] == "RuntimeError: no table"
    assert "could not tell: RuntimeError: no table" in status.render(report)


def test_services_are_checked_at_once_within_the_timeout():
    import socket
    import time

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        checked = status.check_services([f"{url}/a", f"{url}/b", f"{url}/c"], timeout=0.5)
        assert time.monotonic() - started < 1.5  # at once, not one after another
    assert all(why.startswith("no answer within 0.5 s") for why in checked.values()), checked
