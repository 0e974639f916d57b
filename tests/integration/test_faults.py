"""Faults: SIGKILL mid-turn, two writers, missing parts. Nothing lost, nothing half-written."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.pipeline.session_log import read_log, repair_session_logs
from assistant.storage.history import HistoryStore
from tests.conftest import REPO_ROOT

UTTERANCES = [
    "play some jazz",
    "i like that",
    "another one",
    "what's the news",
    "suggest a movie",
    "i don't like that one",
    "what's the weather in chicago",
    "why",
    "thanks",
]


def _turn_loop(nlu, home: str, started) -> None:
    """Child process: the real pipeline taking turns until it is killed."""
    import torch

    # The parent's OpenMP worker threads do not exist in a forked child; a multi-threaded
    # forward pass here would wait on them for ever.
    torch.set_num_threads(1)
    from assistant.app import open_store, skill_for
    from assistant.pipeline.runner import Pipeline

    pipeline = Pipeline(nlu, open_store(Path(home)), Path(home), skill_for)
    session = pipeline.start_session("crash", seed=os.getpid())
    started.set()
    i = 0
    while True:
        pipeline.run_turn(session, text=UTTERANCES[i % len(UTTERANCES)])
        i += 1


def check_consistent(home: Path) -> int:
    """Every turn row has exactly its offers and feedback, and appears once in its log."""
    store = HistoryStore(home / "history.db")
    assert store.integrity_ok()
    repair_session_logs(store, recent=1000)  # what the next start does
    turns = store.turns()
    for turn in turns:
        events = json.loads(turn["events"])
        assert events[0]["type"] == "turn-start" and events[-1]["type"] == "turn-end"
        offered = [it["id"] for e in events if e["type"] == "skill-end" for it in e["items"]]
        rows = store.db.execute(
            "SELECT item_id FROM offers WHERE turn_id = ? ORDER BY position", [turn["id"]]
        )
        assert [r[0] for r in rows] == offered
    for session in store.recent_sessions(1000):
        logged = [e.event.turn for e in read_log(Path(session["log_path"])) if e.event.type == "turn-end"]
        in_db = [seq for seq, _ in store.turn_events(session["id"])]
        assert logged == in_db, session["id"]
    store.close()
    return len(turns)


@pytest.mark.artifacts
@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(nlu, assistant_home: Path):
    from assistant.app import skill_for

    for domain in ("music", "news", "weather", "video"):
        skill_for(domain)  # loaded once here, shared with every forked child
    assistant_home.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("fork")
    rng = random.Random(8)
    kills, total = 100, 0
    for _ in range(kills):
        started = ctx.Event()
        child = ctx.Process(target=_turn_loop, args=(nlu, str(assistant_home), started))
        child.start()
        assert started.wait(60)
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        total = check_consistent(assistant_home)
    assert total > kills  # turns were really being written between kills
    # The next real start needs no manual repair: the CLI takes a turn on the same store.
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home)}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), "--text", "--json", "--user", "crash"],
        input="play some jazz\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["intent"] == "play_music"
    assert check_consistent(assistant_home) == total + 1


@pytest.mark.artifacts
@pytest.mark.slow
def test_two_writers_lose_no_turns():
    # Run as the bench script runs: its spawned writers import it by module name.
    turns = os.environ.get("TWO_WRITER_TURNS", "1000")
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "two_writers.py"), "--turns", turns, "--no-baseline"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "turns lost: 0" in done.stdout and " 0 turn errors, integrity ok" in done.stdout


@pytest.mark.artifacts
def test_a_full_session_runs_with_sockets_blocked(pipeline, monkeypatch: pytest.MonkeyPatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    session = pipeline.start_session("offline", seed=1)
    for text in [
        "play some jazz",
        "what's the news",
        "what's the weather in seattle",
        "suggest a movie",
        "why",
        "another one",
        "i like that",
        "what do you know about me",
    ]:
        result = pipeline.run_turn(session, text=text)
        assert not [e for e in result.events if e.type == "error"], (text, result.events)


@pytest.mark.artifacts
def test_store_and_recordings_are_owner_only(pipeline, assistant_home: Path):
    session = pipeline.start_session("alice", seed=1)
    pipeline.run_turn(session, text="play some jazz")
    assert (assistant_home / "history.db").stat().st_mode & 0o777 == 0o600
    assert assistant_home.stat().st_mode & 0o777 == 0o700
    log = next((assistant_home / "sessions").rglob("*.jsonl"))
    assert log.stat().st_mode & 0o777 == 0o600 and log.parent.stat().st_mode & 0o777 == 0o700


def test_missing_nlu_artifact_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.artifacts import ArtifactMissingError
    from assistant.nlu import load_nlu

    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path / "nothing-here"))
    with pytest.raises(ArtifactMissingError, match="setup.sh"):
        load_nlu()


@pytest.mark.artifacts
def test_missing_skill_catalog_gives_a_reply_not_a_crash(nlu, assistant_home: Path):
    from assistant.app import open_store
    from assistant.contracts.errors import SkillFailedError
    from assistant.pipeline.runner import Pipeline

    def broken_skill(domain: str):
        raise SkillFailedError(
            f"{domain} catalog missing",
            user_message=f"Sorry, my {domain} catalog is not available right now.",
        )

    assistant_home.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(nlu, open_store(assistant_home), assistant_home, broken_skill)
    session = pipeline.start_session("alice", seed=1)
    result = pipeline.run_turn(session, text="play some jazz")
    assert "music catalog is not available" in result.response
    assert [(e.stage, e.code) for e in result.events if e.type == "error"] == [("skill", "skill-failed")]
    assert pipeline.store.turns(user="alice")[0]["error"] == "SkillFailedError"
    assert pipeline.run_turn(session, text="thank you").response  # text mode goes on


@pytest.mark.artifacts
@pytest.mark.parametrize(
    ("component", "method", "code"),
    [
        ("nlu", "parse", "nlu-failed"),
        ("dialogue", "respond", "dialogue-failed"),
        ("nlg", "respond", "nlg-failed"),
    ],
)
def test_a_bug_in_a_stage_costs_one_turn_named_by_the_stages_code(
    pipeline, assistant_home: Path, monkeypatch: pytest.MonkeyPatch, component: str, method: str, code: str
):
    real = getattr(getattr(pipeline, component), method)
    calls = []

    def first_call_breaks(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError(f"{component} broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(getattr(pipeline, component), method, first_call_breaks)
    session = pipeline.start_session("alice", seed=1)
    failed = pipeline.run_turn(session, text="play some jazz")
    assert failed.response == "Sorry, something went wrong on my side."
    [error] = [e for e in failed.events if e.type == "error"]
    assert (error.code, error.error) == (code, "RuntimeError") and f"{component} broke" in error.message
    assert pipeline.run_turn(session, text="play some jazz").items  # the session goes on
    pipeline.end_session(session)
    rows = pipeline.store.turns(session_id=session.id)
    assert [r["response"] for r in rows][0] == failed.response and rows[0]["error"] is not None
    logged = [e.event for e in read_log(next((assistant_home / "sessions").rglob("*.jsonl")))]
    assert [e.code for e in logged if e.type == "error"] == [code]


def test_unreadable_config_falls_back_with_a_message(tmp_path: Path):
    from assistant.config import Settings, load_settings

    path = tmp_path / "config.toml"
    path.write_text("[stt\nmodel = ")
    settings = load_settings(path)
    assert settings.stt_model == Settings().stt_model and "config.toml" in settings.warnings[0]
    path.write_text('[privacy]\nretention_days = "ten"\n')
    assert "retention_days should be int" in load_settings(path).warnings[0]
