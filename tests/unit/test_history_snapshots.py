"""The history a session starts from: whole once per user per day, then what each session added.

Replay reads it back (``read_history``) and must get the profile the session started from.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

import assistant.pipeline.history_snapshots as history_snapshots
from assistant.pipeline.history_snapshots import read_history
from assistant.pipeline.runner import Pipeline
from assistant.pipeline.session_log import read_log, sessions_dir
from assistant.storage.history import HistoryStore
from assistant.storage.people import remove_feedback

pytestmark = pytest.mark.timeout(60)

T0 = 1_790_000_000.0  # 2026-09-21 21:33 UTC (the tests run in UTC)
DAY = 86400.0


def converse(pipeline: Pipeline, user: str, texts=("suggest a tea", "i like that", "another")):
    session = pipeline.start_session(user, seed=1)
    for text in texts:
        pipeline.run_turn(session, text=text)
    pipeline.end_session(session)
    return session


def start_of(home: Path, user: str, session_id: str):
    [first, *_] = read_log(sessions_dir(home, user) / f"{session_id}.jsonl")
    return first.event


def kinds(path: Path) -> list[str]:
    return ["history" if "history" in json.loads(line) else "since" for line in path.read_text().splitlines()]


def profiles_after_import(history: dict, tmp_path: Path, name: str) -> tuple:
    store = HistoryStore(tmp_path / f"{name}.db")
    store.import_user(history)
    try:
        return store.profile(history["user"], "tea"), store.preferences(history["user"])
    finally:
        store.close()


def test_the_history_is_written_whole_once_per_user_per_day(
    fake_pipeline: Pipeline, assistant_home: Path, tmp_path: Path
):
    now = [T0]
    fake_pipeline.clock = lambda: now[0]
    first = converse(fake_pipeline, "dana")  # nothing stored yet: no history to keep
    assert start_of(assistant_home, "dana", first.id).history_file is None
    sessions = [converse(fake_pipeline, "dana") for _ in range(3)]
    converse(fake_pipeline, "eve")
    converse(fake_pipeline, "eve")  # the first had nothing stored to start from
    day = sessions_dir(assistant_home, "dana") / "history" / "20260921.jsonl"
    assert kinds(day) == ["history", "since", "since"]  # the snapshot once, then what was added
    for session in sessions:
        start = start_of(assistant_home, "dana", session.id)
        assert start.history is None and start.history_file == "history/20260921.jsonl"
    # Each later line holds only the rows of the session before it: one offer after another.
    since = json.loads(day.read_text().splitlines()[2])["since"]
    offered = fake_pipeline.store.db.execute(
        "SELECT o.id FROM offers o JOIN turns t ON o.turn_id = t.id WHERE t.session_id = ? ORDER BY o.id",
        [sessions[1].id],
    )
    assert [o["id"] for o in since["offers"]] == [row[0] for row in offered] != []
    assert kinds(sessions_dir(assistant_home, "eve") / "history" / "20260921.jsonl") == ["history"]

    now[0] = T0 + DAY  # a new day starts a new file with the whole snapshot again
    converse(fake_pipeline, "dana")
    assert kinds(sessions_dir(assistant_home, "dana") / "history" / "20260922.jsonl") == ["history"]


def test_the_history_read_back_is_the_profile_the_session_started_from(
    fake_pipeline: Pipeline, assistant_home: Path, tmp_path: Path
):
    fake_pipeline.clock = lambda: T0
    for _ in range(3):
        converse(fake_pipeline, "dana")
    fake_pipeline.store.set_preference("dana", "home_city", "Oslo")
    expected = fake_pipeline.store.snapshot_user("dana")  # what a whole snapshot would say now
    session = converse(fake_pipeline, "dana")
    start = start_of(assistant_home, "dana", session.id)
    history = read_history(sessions_dir(assistant_home, "dana") / start.history_file, session.id)
    assert profiles_after_import(history, tmp_path, "read") == profiles_after_import(
        expected, tmp_path, "whole"
    )
    with pytest.raises(Exception, match="no history for session"):
        read_history(sessions_dir(assistant_home, "dana") / start.history_file, "no-such-session")


def test_a_deleted_row_writes_the_history_whole_again(
    fake_pipeline: Pipeline, assistant_home: Path, tmp_path: Path
):
    fake_pipeline.clock = lambda: T0
    converse(fake_pipeline, "dana")
    converse(fake_pipeline, "dana")
    liked = fake_pipeline.store.feedback("dana")[0]
    assert remove_feedback(fake_pipeline.store, "dana", liked["id"])  # from the web page
    session = converse(fake_pipeline, "dana")
    day = sessions_dir(assistant_home, "dana") / "history" / "20260921.jsonl"
    assert kinds(day) == ["history", "history"]  # rows added since would keep the removed one
    history = read_history(day, session.id)
    assert liked["id"] not in [f["id"] for f in history["feedback"]]


def test_forgetting_a_person_starts_their_history_again(fake_pipeline: Pipeline, assistant_home: Path):
    fake_pipeline.clock = lambda: T0
    converse(fake_pipeline, "dana")
    converse(fake_pipeline, "dana")
    fake_pipeline.forget("dana")
    converse(fake_pipeline, "dana")
    session = converse(fake_pipeline, "dana")
    day = sessions_dir(assistant_home, "dana") / "history" / "20260921.jsonl"
    assert kinds(day) == ["history"]
    assert read_history(day, session.id)["feedback"]


def test_a_history_file_the_disk_refuses_goes_into_the_session_log(
    fake_pipeline: Pipeline, assistant_home: Path, monkeypatch: pytest.MonkeyPatch
):
    fake_pipeline.clock = lambda: T0
    converse(fake_pipeline, "dana")
    converse(fake_pipeline, "dana")

    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(history_snapshots, "_append", full)
        refused = converse(fake_pipeline, "dana")
    start = start_of(assistant_home, "dana", refused.id)
    assert start.history_file is None and start.history["feedback"]  # replay still has it
    later = converse(fake_pipeline, "dana")  # the file starts again with a whole snapshot
    day = sessions_dir(assistant_home, "dana") / "history" / "20260921.jsonl"
    assert kinds(day) == ["history", "history"]
    assert read_history(day, later.id)["user"] == "dana"


def test_a_torn_last_line_is_ignored(tmp_path: Path):
    path = tmp_path / "20260921.jsonl"
    whole = {"user": "dana", "offers": [], "feedback": [], "preferences": {"a": "1"}}
    path.write_text(json.dumps({"session_id": "s1", "history": whole}) + "\n" + '{"session_id": "s2", "si')
    assert read_history(path, "s1")["preferences"] == {"a": "1"}
    with pytest.raises(Exception, match="no history for session s2"):
        read_history(path, "s2")
