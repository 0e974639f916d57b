"""Upgrades keep data: a history database written by an earlier release opens with this one,
migrates to the current schema and keeps every row.

The earlier schemas are frozen in tests/data/fixtures/history/ (``schema_v1.sql``: the first
release's; ``schema_v3.sql``: the release before the retention indexes), written from those
releases' migrations, so no git history is needed to run this.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.skill_sdk.api import Item
from assistant.storage.history import SCHEMA_VERSION, FeedbackRecord, HistoryStore, TurnRecord
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(30)

SCHEMAS = REPO_ROOT / "tests" / "data" / "fixtures" / "history"
T0 = 1_790_000_000.0
TABLES = ("users", "sessions", "turns", "offers", "feedback", "preferences")


def old_database(path: Path, version: int) -> None:
    """A file as release ``version`` left it: its schema, and a household's rows in it."""
    conn = sqlite3.connect(path)
    conn.executescript((SCHEMAS / f"schema_v{version}.sql").read_text())
    conn.execute("PRAGMA journal_mode = wal")
    for u, user in enumerate(("alice", "bob")):
        conn.execute("INSERT INTO users VALUES (?, ?)", [user, T0])
        for s in range(3):
            sid = f"2026-{user}-{s}"
            conn.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)", [sid, user, T0 + s, s, "text", None]
            )
            for seq in range(1, 5):
                events = json.dumps([{"type": "turn-start", "turn": seq, "t": 0.0, "text": "play some jazz"}])
                cur = conn.execute(
                    "INSERT INTO turns (session_id, user, seq, ts, source, text, intent, confidence, slots, "
                    "act, domain, response, error, audio_path, events) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [sid, user, seq, T0 + s * 100 + seq, "text", "play some jazz", "play_music", 0.9,
                     '{"genre": "jazz"}', "recommend", "music", "Here is Kind of Blue.", None, None, events],
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO offers (turn_id, user, domain, item_id, title, reason, position, ts) "
                    "VALUES (?, ?, 'music', ?, 'Kind of Blue', 'jazz', 0, ?)",
                    [cur.lastrowid, user, f"fm:{u}{s}{seq}", T0 + seq],
                )
                conn.execute(
                    "INSERT INTO feedback (turn_id, user, domain, item_id, kind, value, ts) "
                    "VALUES (?, ?, 'music', ?, 'like', NULL, ?)",
                    [cur.lastrowid, user, f"fm:{u}{s}{seq}", T0 + seq],
                )
        conn.execute("INSERT INTO preferences VALUES (?, 'units', 'celsius', ?)", [user, T0])
    if version >= 2:
        conn.execute("INSERT INTO voiceprints VALUES ('alice', ?, 3, 'resemblyzer', ?)", [b"\1" * 1024, T0])
    if version >= 3:
        conn.execute("INSERT INTO skill_schema VALUES ('news', 1, ?)", [T0])
    conn.commit()
    conn.close()


def dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in names}
    finally:
        conn.close()


@pytest.mark.parametrize("version", [1, 3])
def test_an_older_release_database_migrates_and_keeps_every_row(tmp_path: Path, version: int) -> None:
    path = tmp_path / "history.db"
    old_database(path, version)
    before = dump(path)
    assert sum(len(before[t]) for t in TABLES) == 2 + 6 + 24 + 24 + 24 + 2

    store = HistoryStore(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.integrity_ok()
    indexes = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"turns_ts", "offers_turn", "feedback_turn", "sessions_started"} <= indexes
    # The migrated store works on the old rows: profiles read them, new turns join them.
    profile = store.profile("alice", "music")
    assert len(profile.feedback) == 12 and len(profile.offered) == 12
    turn = TurnRecord("new", "alice", 1, T0 + 1000, "text", "more jazz", "Here is more.", [])
    turn.items, turn.feedback = (
        [Item("fm:new", "So What", "music", "jazz")],
        [FeedbackRecord("music", "fm:new", "like")],
    )
    store.record_turn(turn)
    store.close()

    after = dump(path)
    for table, rows in before.items():  # every old row, unchanged
        assert set(rows) <= set(after[table]), table
    assert len(after["turns"]) == len(before["turns"]) + 1
    if version < 2:
        assert after["voiceprints"] == [] and after["skill_schema"] == []


def test_an_upgraded_file_opens_again_without_migrating(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    old_database(path, 3)
    HistoryStore(path).close()
    once = dump(path)
    store = HistoryStore(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    assert dump(path) == once
