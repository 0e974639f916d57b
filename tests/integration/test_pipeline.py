"""The text pipeline through its public interfaces: bad input, history rows, replay, users."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.contracts.stages import MAX_INPUT_CHARS
from assistant.pipeline.replay import replay_session
from assistant.pipeline.session_log import recordings_dir, sessions_dir
from tests.conftest import REPO_ROOT

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \t  \n ",
    "huge": "play some jazz " * 7000,  # about 100,000 characters
    "binary": bytes(range(256)).decode("latin-1"),
    "sql": "'; DROP TABLE turns; --",
    "format": "%s %n {0} {user.__class__} ${HOME}",
    "emoji_mixed": "🎵 играй джаз 播放爵士乐 \u202e jazz",
    "surrogate": "play \udc80 jazz",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_text_gets_a_clear_reply_and_a_consistent_turn(pipeline, name):
    session = pipeline.start_session("alice", seed=1)
    result = pipeline.run_turn(session, text=BAD_INPUTS[name])
    assert result.response.strip()
    assert not [e for e in result.events if e.type == "error"]
    if name in ("empty", "whitespace"):
        assert "didn't catch" in result.response
    if name == "huge":
        assert "only read the beginning" in result.response
    rows = pipeline.store.turns(session_id=session.id)
    assert len(rows) == 1 and rows[0]["response"] == result.response and rows[0]["text"] == result.text
    assert json.loads(rows[0]["events"])[-1]["type"] == "turn-end"
    assert pipeline.store.integrity_ok()


def test_text_over_the_input_limit_is_read_in_part_and_the_reply_says_so(fake_pipeline):
    session = fake_pipeline.start_session("alice", seed=1)
    request = "suggest a tea "
    at_limit = (request * MAX_INPUT_CHARS)[:MAX_INPUT_CHARS]
    assert "only read the beginning" not in fake_pipeline.run_turn(session, text=at_limit).response
    result = fake_pipeline.run_turn(session, text=at_limit + "x")
    assert result.response.startswith("That was a lot of text, so I only read the beginning.")
    assert [e.text for e in result.events if e.type == "turn-start"] == [at_limit + "x"]


def test_session_log_holds_every_event_of_every_turn(pipeline, assistant_home: Path):
    session = pipeline.start_session("alice", seed=5)
    results = [pipeline.run_turn(session, text=t) for t in ("play some jazz", "i like that")]
    pipeline.end_session(session)
    log = sessions_dir(assistant_home, "alice") / f"{session.id}.jsonl"
    types = [json.loads(line)["type"] for line in log.read_text().splitlines()]
    assert types[0] == "session-start" and types[-1] == "session-end"
    assert types.count("turn-start") == 2 and types.count("turn-end") == 2
    feedback = pipeline.store.feedback("alice")
    assert [(f["kind"], f["item_id"]) for f in feedback] == [("like", results[0].items[0].id)]


def test_replay_into_an_empty_directory_reproduces_the_session(
    pipeline, assistant_home: Path, tmp_path: Path
):
    # A user with earlier history, so the session's starting state matters.
    warmup = pipeline.start_session("carol", seed=2)
    for text in ("play some rock", "i like that", "suggest a comedy movie"):
        pipeline.run_turn(warmup, text=text)
    pipeline.end_session(warmup)
    session = pipeline.start_session("carol", seed=9)
    for text in ("play some jazz", "another one", "why", "what's the news", "recommend a movie", "thanks"):
        pipeline.run_turn(session, text=text)
    pipeline.end_session(session)
    log = sessions_dir(assistant_home, "carol") / f"{session.id}.jsonl"

    def build(home: Path):
        from assistant.app import open_store, skill_for
        from assistant.pipeline.runner import Pipeline

        home.mkdir(parents=True, exist_ok=True)
        return Pipeline(pipeline.nlu, open_store(home), home, skill_for, pipeline.settings)

    report = replay_session(log, build, home=tmp_path / "replay-home")
    assert report.turns == 6
    assert report.identical, report.diffs


@pytest.mark.timeout(300)
def test_replay_of_a_later_session_of_the_day_and_of_an_older_log_reproduces_it(
    pipeline, assistant_home: Path, tmp_path: Path
):
    # Three sessions: nothing stored, then the day's whole snapshot, then only what the second
    # added (history_snapshots); the third must replay exactly from the day's file.
    for seed, texts in enumerate(
        (("play some rock", "i like that"), ("suggest a comedy movie", "i like that"))
    ):
        earlier = pipeline.start_session("erin", seed=seed)
        for text in texts:
            pipeline.run_turn(earlier, text=text)
        pipeline.end_session(earlier)
    session = pipeline.start_session("erin", seed=9)
    for text in ("play some jazz", "another one", "recommend a movie", "why", "thanks"):
        pipeline.run_turn(session, text=text)
    pipeline.end_session(session)
    log = sessions_dir(assistant_home, "erin") / f"{session.id}.jsonl"
    lines = log.read_text().splitlines()
    start = json.loads(lines[0])
    assert start["history"] is None and start["history_file"]
    day = [json.loads(line) for line in (log.parent / start["history_file"]).read_text().splitlines()]
    assert ["history" in line for line in day] == [True, False]

    def build(home: Path):
        from assistant.app import open_store, skill_for
        from assistant.pipeline.runner import Pipeline

        home.mkdir(parents=True, exist_ok=True)
        return Pipeline(pipeline.nlu, open_store(home), home, skill_for, pipeline.settings)

    report = replay_session(log, build, home=tmp_path / "replay-home")
    assert report.turns == 5 and report.identical, report.diffs

    # A log written before the day's file existed carries the whole snapshot in its start.
    from assistant.pipeline.history_snapshots import read_history

    older = tmp_path / "older" / log.name
    older.parent.mkdir()
    inline = {**start, "history": read_history(log.parent / start["history_file"], session.id)}
    del inline["history_file"]
    older.write_text("\n".join([json.dumps(inline), *lines[1:]]) + "\n")
    report = replay_session(older, build, home=tmp_path / "older-home")
    assert report.turns == 5 and report.identical, report.diffs


def test_replay_reports_a_changed_response(pipeline, assistant_home: Path, tmp_path: Path):
    session = pipeline.start_session("dave", seed=4)
    pipeline.run_turn(session, text="play some jazz")
    pipeline.end_session(session)
    log = sessions_dir(assistant_home, "dave") / f"{session.id}.jsonl"
    lines = log.read_text().splitlines()
    edited = [
        json.dumps({**json.loads(line), "text": "something else"})
        if json.loads(line)["type"] == "response"
        else line
        for line in lines
    ]
    log.write_text("\n".join(edited) + "\n")

    def build(home: Path):
        from assistant.app import open_store, skill_for
        from assistant.pipeline.runner import Pipeline

        home.mkdir(parents=True, exist_ok=True)
        return Pipeline(pipeline.nlu, open_store(home), home, skill_for, pipeline.settings)

    report = replay_session(log, build, home=tmp_path / "h")
    assert not report.identical and "response" in report.diffs[0].fields


def test_guest_records_nothing_and_users_are_isolated(pipeline, assistant_home: Path):
    guest = pipeline.start_session("guest", seed=1)
    pipeline.run_turn(guest, text="play some jazz")
    assert pipeline.store.turns(user="guest") == []
    assert not sessions_dir(assistant_home, "guest").exists()
    alice = pipeline.start_session("alice", seed=1)
    liked = pipeline.run_turn(alice, text="play some jazz").items[0]
    pipeline.run_turn(alice, text="i like that")
    bob = pipeline.start_session("bob", seed=1)
    assert pipeline.store.profile("bob", "music").feedback == []
    answer = pipeline.run_turn(bob, text="what do you know about me").response
    assert liked.title not in answer


def test_forget_me_needs_a_yes_and_removes_rows_and_files(pipeline, assistant_home: Path):
    alice = pipeline.start_session("alice", seed=1)
    pipeline.run_turn(alice, text="play some jazz")
    pipeline.run_turn(alice, text="i like that")
    (recordings_dir(assistant_home, "alice") / "s").mkdir(parents=True)
    (recordings_dir(assistant_home, "alice") / "s" / "turn-1.wav").write_bytes(b"RIFF")
    bob = pipeline.start_session("bob", seed=1)
    pipeline.run_turn(bob, text="play some rock")
    alice = pipeline.start_session("alice", seed=2)
    assert pipeline.run_turn(alice, text="forget everything you know about me").expects_reply
    assert pipeline.store.feedback("alice")  # nothing deleted before the yes
    pipeline.run_turn(alice, text="yes")
    for table in ("turns", "offers", "feedback", "preferences"):
        n = pipeline.store.db.execute(f"SELECT count(*) FROM {table} WHERE user = 'alice'").fetchone()[0]
        assert n == 0, table
    assert not recordings_dir(assistant_home, "alice").exists()
    assert all(
        "turn-start" not in p.read_text() for p in sessions_dir(assistant_home, "alice").glob("*.jsonl")
    )
    assert len(pipeline.store.turns(user="bob")) == 1


def run_cli(args: list[str], stdin: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=300,
        cwd=REPO_ROOT,
    )


@pytest.mark.slow
@pytest.mark.artifacts
def test_scripted_cli_json_and_replay(assistant_home: Path):
    out = run_cli(["--text", "--json", "--seed", "3"], "play some jazz\nanother one\nwhy\n", assistant_home)
    assert out.returncode == 0, out.stderr
    turns = [json.loads(line) for line in out.stdout.splitlines()]
    assert [t["intent"] for t in turns] == ["play_music", "skip", "explain"]
    first = turns[0]
    assert set(first) == {
        "text",
        "intent",
        "nlu_intent",
        "confidence",
        "slots",
        "response",
        "items",
        "reasons",
        "elapsed_ms",
        "understood_by",
        "llm_ms",
        "state",
    }
    # What the assistant thinks is wanted: the music frame, carried into "another one".
    assert first["state"]["domain"] == "music" and first["state"]["constraints"] == {"genre": "jazz"}
    assert turns[1]["state"]["constraints"] == {"genre": "jazz"}
    # conftest turns the language model off: the classifier understood every turn.
    assert {(t["understood_by"], t["llm_ms"]) for t in turns} == {("classifier", 0.0)}
    assert [t["nlu_intent"] for t in turns] == ["play_music", "skip", "explain"]
    assert all(t["elapsed_ms"] > 0 for t in turns)
    assert first["items"][0]["domain"] == "music" and first["reasons"][0]
    plain = run_cli(["--text"], "what's the weather in chicago\n/quit\n", assistant_home)
    assert plain.returncode == 0 and len(plain.stdout.strip().splitlines()) == 1
    log = next((assistant_home / "sessions" / "default").glob("*.jsonl"))
    replay = run_cli(["--replay", str(log)], "", assistant_home)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "identical" in replay.stdout
    broken = assistant_home / "broken.jsonl"
    broken.write_text(log.read_text().splitlines()[0] + '\n{"type": "turn-start", \n')
    bad = run_cli(["--replay", str(broken)], "", assistant_home)
    assert bad.returncode == 2 and "broken.jsonl, line 2" in bad.stderr


def test_export_writes_everything_about_one_user(pipeline, assistant_home: Path, tmp_path: Path):
    from assistant.cli import main

    alice = pipeline.start_session("alice", seed=1)
    pipeline.run_turn(alice, text="play some jazz")
    pipeline.run_turn(alice, text="i like that")
    pipeline.end_session(alice)
    bob = pipeline.start_session("bob", seed=1)
    pipeline.run_turn(bob, text="suggest a movie")
    out = tmp_path / "alice.json"
    assert main(["export", "--user", "alice", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [t["text"] for t in data["turns"]] == ["play some jazz", "i like that"]
    assert [f["kind"] for f in data["feedback"]] == ["like"]
    assert data["files"] and all("alice" in f for f in data["files"])
    assert "bob" not in out.read_text()
    assert out.stat().st_mode & 0o777 == 0o600


def test_retention_deletes_only_old_recordings(tmp_path: Path):
    from assistant.pipeline.session_log import purge_old_recordings

    folder = recordings_dir(tmp_path, "alice") / "s1"
    folder.mkdir(parents=True)
    old, new = folder / "turn-001.wav", folder / "turn-002.wav"
    old.write_bytes(b"RIFF")
    new.write_bytes(b"RIFF")
    now = 1_795_435_200.0  # a pinned clock: file times and "now" agree under faketime too
    os.utime(old, (now - 10 * 86400, now - 10 * 86400))
    os.utime(new, (now - 3600, now - 3600))
    assert purge_old_recordings(tmp_path, max_age_days=7, now=now) == 1
    assert not old.exists() and new.exists()
