"""Retention over weeks of use, on a pinned clock (nothing sleeps, nothing reads today's date).

With ``[privacy] retention_days`` set, recordings, session logs and the history's turns older
than that go at each housekeeping pass, what the person taught the assistant (likes) stays, and
the database file shrinks back to what the retained history needs after a busy day ages out.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from assistant.pipeline.runner import Pipeline
from assistant.pipeline.session_log import recordings_dir, sessions_dir
from assistant.skill_sdk.api import Item
from assistant.storage.history import FeedbackRecord, HistoryStore, TurnRecord
from assistant.storage.retention import purge_before, reclaim_space

pytestmark = pytest.mark.timeout(60)

DAY = 86400.0
T0 = 1_790_000_000.0  # a pinned clock: 2026-09-21 21:33 UTC
RETENTION_DAYS = 30


def test_a_simulated_month_and_a_half_keeps_only_the_last_30_days(
    fake_pipeline: Pipeline, assistant_home: Path
):
    now = [T0]
    fake_pipeline.clock = lambda: now[0]
    fake_pipeline.settings.retention_days = RETENTION_DAYS
    days = 45
    for day in range(days):
        now[0] = T0 + day * DAY
        session = fake_pipeline.start_session("dana", seed=day)
        for text in ("suggest a tea", "i like that", "another"):
            fake_pipeline.run_turn(session, text=text)
        assert session.log is not None
        log_path = session.log.path
        fake_pipeline.end_session(session)
        recording = recordings_dir(assistant_home, "dana") / session.id / "turn-001.wav"
        recording.parent.mkdir(parents=True)
        recording.write_bytes(b"RIFF")
        for path in (log_path, recording):  # written that day
            os.utime(path, (now[0], now[0]))
        fake_pipeline.housekeeping(now=now[0] + 3600)  # as `assistant serve` does every few hours

    kept_days = range(days - RETENTION_DAYS, days)  # days 15..44: newer than the cutoff
    store = fake_pipeline.store
    turn_days = sorted({int((t["ts"] - T0) // DAY) for t in store.turns()})
    assert turn_days == list(kept_days)
    assert len(store.turns()) == 3 * RETENTION_DAYS
    assert len(store.recent_sessions(1000)) == RETENTION_DAYS
    assert len(list(sessions_dir(assistant_home, "dana").glob("*.jsonl"))) == RETENTION_DAYS
    recordings = list(recordings_dir(assistant_home, "dana").rglob("*.wav"))
    assert len(recordings) == RETENTION_DAYS
    # Emptied session folders went with their recordings.
    assert len([p for p in recordings_dir(assistant_home, "dana").iterdir()]) == RETENTION_DAYS
    # Every like stays (the profile learns from it); those of deleted turns lose only the link.
    likes = [f for f in store.feedback("dana") if f["kind"] == "like"]
    assert len(likes) == days
    assert sum(f["turn_id"] is None for f in likes) == days - RETENTION_DAYS
    assert store.integrity_ok()


def busy_history(path: Path, days: int, per_day: int = 40, busy_day: int = 20) -> dict[int, int]:
    """``days`` of turns (ten times as many on ``busy_day``), retention applied after each day;
    the file's size in bytes after each day."""
    store = HistoryStore(path)
    events = [{"type": "turn-start", "turn": 1, "t": 0.0, "text": "x" * 200}] + [
        {
            "type": "skill-end",
            "turn": 1,
            "t": 0.1,
            "items": [{"id": f"tea:{i}", "title": "T" * 40} for i in range(5)],
        }
    ] * 3
    sizes, seq = {}, 0
    for day in range(days):
        for i in range(per_day * (10 if day == busy_day else 1)):
            seq += 1
            turn = TurnRecord(
                f"s{day}", "dana", seq, T0 + day * DAY + i, "text", "suggest a tea", "Sencha.", events
            )
            turn.items = [Item(f"tea:{i % 6}", "Sencha", "tea", "a green tea")]
            turn.feedback = [FeedbackRecord("tea", "tea:1", "like")]
            store.record_turn(turn)
        purge_before(store, T0 + (day + 1) * DAY - RETENTION_DAYS * DAY)
        reclaim_space(store)
        sizes[day + 1] = path.stat().st_size
    assert store.integrity_ok()
    store.close()
    return sizes


def test_the_file_shrinks_back_once_a_busy_day_ages_out(tmp_path: Path):
    sizes = busy_history(tmp_path / "history.db", days=75)
    peak = max(sizes.values())
    assert sizes[50] == peak  # the busy day (day 20) and 29 ordinary days
    assert sizes[52] < 0.85 * peak  # measured 5.3 MB after 6.7 MB (storage/retention.py: reclaim_space)
    assert sizes[75] < 1.05 * sizes[55]  # flat while the traffic is: it stops growing


def test_a_file_made_before_auto_vacuum_is_converted_once(tmp_path: Path):
    path = tmp_path / "history.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA auto_vacuum = NONE")  # what earlier releases made
    conn.execute("CREATE TABLE earlier (x)")
    conn.commit()
    conn.close()
    sizes = busy_history(path, days=55)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    conn.close()
    assert sizes[55] < 0.85 * max(sizes.values())


def test_retention_zero_keeps_everything(fake_pipeline: Pipeline):
    fake_pipeline.settings.retention_days = 0
    fake_pipeline.clock = lambda: T0
    fake_pipeline.run_turn(fake_pipeline.start_session("dana", seed=1), text="suggest a tea")
    assert fake_pipeline.housekeeping(now=T0 + 400 * DAY) == {}
    assert len(fake_pipeline.store.turns()) == 1
