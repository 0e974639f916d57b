from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from assistant.skill_sdk.api import Item
from assistant.storage.history import SCHEMA_VERSION, FeedbackRecord, HistoryStore, TurnRecord

INJECTIONS = [
    "'; DROP TABLE turns; --",
    "Robert'); DELETE FROM feedback WHERE ('1'='1",
    '" OR 1=1 --',
    "%s %d {0} {user} \\x00",
]


def make_turn(seq: int, user: str = "alice", text: str = "play some jazz", **kw) -> TurnRecord:
    items = kw.pop("items", [Item(f"fm:{seq}", f"Track {seq}", "music", "a popular jazz track")])
    return TurnRecord(
        session_id="s1",
        user=user,
        seq=seq,
        ts=1_700_000_000.0 + seq,
        source="text",
        text=text,
        response=f"reply {seq}",
        events=[{"type": "turn-start", "turn": seq}],
        intent="play_music",
        confidence=0.9,
        slots={"genre": "jazz"},
        act="recommend",
        domain="music",
        items=items,
        **kw,
    )


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    s = HistoryStore(tmp_path / "history.db")
    s.start_session("s1", "alice", seed=1, mode="text", log_path=None)
    yield s
    s.close()


def test_new_store_is_private_wal_and_current(store: HistoryStore):
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == SCHEMA_VERSION
    assert store.integrity_ok()


def test_turn_with_items_feedback_and_preferences_is_written_together(store: HistoryStore):
    turn_id = store.record_turn(
        make_turn(1, feedback=[FeedbackRecord("music", "fm:0", "like")], preferences={"home_city": "Chicago"})
    )
    row = store.turns(user="alice")[0]
    assert row["id"] == turn_id and row["text"] == "play some jazz" and row["slots"] == '{"genre": "jazz"}'
    assert [o["item_id"] for o in store.offers("alice")] == ["fm:1"]
    assert [(f["item_id"], f["kind"]) for f in store.feedback("alice")] == [("fm:0", "like")]
    assert store.preferences("alice") == {"home_city": "Chicago"}
    profile = store.profile("alice", "music")
    assert profile.offered_ids == {"fm:1"} and profile.ids_with("like") == ["fm:0"]
    assert profile.preferences["home_city"] == "Chicago"


def test_a_failing_turn_leaves_no_partial_rows(store: HistoryStore):
    bad = make_turn(1, feedback=[FeedbackRecord("music", "fm:0", "like")])
    bad.events = [{"unserialisable": object()}]  # json.dumps fails inside the transaction
    with pytest.raises(TypeError):
        store.record_turn(bad)
    store.record_turn(make_turn(1))
    # A duplicate (session, seq) violates a constraint half-way: offers must roll back too.
    from assistant.contracts.errors import HistoryError

    with pytest.raises(HistoryError):
        store.record_turn(make_turn(1, items=[Item("fm:99", "x", "music", "r")]))
    assert len(store.turns()) == 1
    assert [o["item_id"] for o in store.offers("alice")] == ["fm:1"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_looking_text_is_stored_verbatim(store: HistoryStore, text: str):
    store.record_turn(make_turn(1, user=text, text=text, preferences={text: text}))
    assert store.turns(user=text)[0]["text"] == text
    assert store.preferences(text) == {text: text}
    assert {"turns", "offers", "feedback", "users"} <= set(store.db.table_names())


def test_forget_user_removes_only_that_user(store: HistoryStore):
    store.record_turn(make_turn(1, user="alice", feedback=[FeedbackRecord("music", "fm:1", "like")]))
    store.start_session("s2", "bob", seed=2, mode="text", log_path=None)
    bob = make_turn(1, user="bob")
    bob.session_id = "s2"
    store.record_turn(bob)
    counts = store.forget_user("alice")
    assert counts["turns"] == 1 and counts["feedback"] == 1
    for table in ("turns", "offers", "feedback", "preferences", "sessions"):
        assert store.db.execute(f"SELECT count(*) FROM {table} WHERE user = 'alice'").fetchone()[0] == 0
    assert len(store.turns(user="bob")) == 1


def test_export_and_import_reproduce_a_users_history(store: HistoryStore, tmp_path: Path):
    store.record_turn(
        make_turn(1, feedback=[FeedbackRecord("music", "fm:1", "like")], preferences={"units": "fahrenheit"})
    )
    dump = store.export_user("alice")
    other = HistoryStore(tmp_path / "other.db")
    other.import_user(dump)
    assert other.export_user("alice") == dump
    other.close()


def test_old_file_is_migrated_and_newer_file_refused(tmp_path: Path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty file at schema version 0
    s = HistoryStore(path)
    assert s.schema_version == SCHEMA_VERSION
    s.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    s.close()
    from assistant.contracts.errors import HistoryError

    with pytest.raises(HistoryError, match="newer than this build"):
        HistoryStore(path)


def test_profile_is_bounded_and_ordered_oldest_first(store: HistoryStore):
    rows = [("music", f"fm:{i}", "skip", None, float(i)) for i in range(3000)]
    store.import_feedback("alice", rows)
    profile = store.profile("alice", "music")
    assert len(profile.feedback) == 2000
    assert profile.feedback[0].ts < profile.feedback[-1].ts
    assert profile.feedback[-1].item_id == "fm:2999"


def _open_and_write(path: str, user: str, start) -> None:
    start.wait()
    store = HistoryStore(Path(path))
    store.record_turn(TurnRecord(f"s-{user}", user, 1, 0.0, "text", "hello", "hi", events=[]))
    store.close()


def test_processes_opening_a_new_store_together_all_succeed(tmp_path: Path):
    """Two assistants started at once on a fresh data directory: WAL switch and migration race."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    for attempt in range(3):
        path = tmp_path / f"race-{attempt}.db"
        start = ctx.Barrier(6)
        procs = [ctx.Process(target=_open_and_write, args=(str(path), f"u{i}", start)) for i in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 6
        store = HistoryStore(path)
        assert len(store.turns()) == 6 and store.integrity_ok()
        store.close()


def test_a_session_snapshot_is_what_profiles_read_and_replays_alone(
    store: HistoryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import assistant.storage.history as history

    monkeypatch.setattr(history, "PROFILE_OFFER_LIMIT", 3)
    for seq in range(1, 7):
        store.record_turn(make_turn(seq, feedback=[FeedbackRecord("music", f"fm:{seq}", "like")]))
    snapshot = store.snapshot_user("alice")
    assert "turns" not in snapshot and "sessions" not in snapshot  # their events are the bulk
    assert [o["item_id"] for o in snapshot["offers"]] == ["fm:4", "fm:5", "fm:6"]  # a profile's window
    other = HistoryStore(tmp_path / "replay.db")
    other.import_user(snapshot)  # offers whose turns it does not carry
    assert other.profile("alice", "music") == store.profile("alice", "music")
    assert other.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    other.close()


@pytest.mark.timeout(30)
def test_rows_since_a_mark_are_read_by_row_id_not_by_the_users_whole_past(store: HistoryStore):
    for seq in range(1, 4):
        store.record_turn(make_turn(seq, feedback=[FeedbackRecord("music", f"fm:{seq}", "like")]))
    marks = store.history_marks("alice")
    assert marks == {"offers": [3, 3], "feedback": [3, 3]}  # (rows, highest id)
    store.record_turn(make_turn(4, feedback=[FeedbackRecord("music", "fm:4", "skip")]))
    store.record_turn(make_turn(5, user="bob"))
    queries: list[str] = []
    store.db.conn.set_trace_callback(queries.append)
    since = store.history_since("alice", marks)
    store.db.conn.set_trace_callback(None)
    assert [o["item_id"] for o in since["offers"]] == ["fm:4"]
    assert [(f["item_id"], f["kind"]) for f in since["feedback"]] == [("fm:4", "skip")]
    # Each session start reads this: a search from the mark by row id stays as cheap after a
    # year as on the first day, where the (user, domain, ts) index walks all of the user's rows.
    rows_since = [q for q in queries if "id >" in q]
    assert len(rows_since) == 2
    for sql in rows_since:
        plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INTEGER PRIMARY KEY (rowid>?)" in plan and "TEMP B-TREE" not in plan, plan
