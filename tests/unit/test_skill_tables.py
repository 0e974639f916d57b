"""Skills' own tables in the history database (assistant/skill_sdk/storage.py, implemented by
assistant/storage/skill_tables.py): migrations run once, in order, each whole or not at all;
the version is recorded per skill; databases made before migrations keep their rows; a skill
stays within its own tables; the user's history, its export and forgetting are untouched."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from assistant.contracts.errors import HistoryError
from assistant.skill_sdk import storage as sdk
from assistant.skill_sdk.storage import SkillDatabase, SkillSchema, open_database
from assistant.storage.history import SCHEMA_VERSION, HistoryStore, TurnRecord
from assistant.storage.skill_tables import split_statements

# Step 1 has no IF NOT EXISTS: running it twice would fail, so a second run shows.
NOTES = SkillSchema(
    "notes",
    migrations=(
        "CREATE TABLE notes_items (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
        "INSERT INTO notes_items (text) VALUES ('made by step 2'); "
        "CREATE INDEX notes_items_text ON notes_items(text)",
        "ALTER TABLE notes_items ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    ),
)


def recorded(path: Path) -> dict[str, tuple[int, float]]:
    """skill -> (version, updated) as the file records it, read past any skill's connection."""
    with sqlite3.connect(path) as conn:
        return {s: (v, u) for s, v, u in conn.execute("SELECT skill, version, updated FROM skill_schema")}


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrations_run_in_order_once_and_the_version_is_recorded(tmp_path: Path):
    path = tmp_path / "history.db"
    db = open_database(NOTES, path)
    assert isinstance(db, SkillDatabase)
    assert db.query("SELECT text, pinned FROM notes_items") == [("made by step 2", 0)]
    assert recorded(path)["notes"][0] == 3
    db.close()
    first = recorded(path)["notes"]
    again = open_database(NOTES, path)  # a no-op: step 1 would fail if it ran again
    assert again.query("SELECT COUNT(*) FROM notes_items") == [(1,)]
    assert recorded(path)["notes"] == first  # nothing written, not even the time
    again.close()
    # The core's schema came first, in the same private WAL file the history store uses.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store = HistoryStore(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_later_build_runs_only_the_new_steps(tmp_path: Path):
    path = tmp_path / "history.db"
    older = SkillSchema("notes", NOTES.migrations[:2])
    open_database(older, path).close()
    assert recorded(path)["notes"][0] == 2
    db = open_database(NOTES, path)
    assert db.query("SELECT text, pinned FROM notes_items") == [("made by step 2", 0)]
    assert recorded(path)["notes"][0] == 3
    db.close()
    with pytest.raises(HistoryError, match="newer than this build's 2"):
        open_database(older, path)


def test_a_failing_step_leaves_nothing_and_the_next_open_retries_it(tmp_path: Path):
    path = tmp_path / "history.db"
    broken = SkillSchema(
        "notes", (NOTES.migrations[0], "CREATE TABLE notes_more (a); INSERT INTO nowhere VALUES (1)")
    )
    with pytest.raises(HistoryError, match="notes skill's migration 2 failed"):
        open_database(broken, path)
    assert recorded(path)["notes"][0] == 1 and "notes_more" not in tables(path)
    fixed = SkillSchema("notes", (NOTES.migrations[0], "CREATE TABLE notes_more (a)"))
    open_database(fixed, path).close()
    assert recorded(path)["notes"][0] == 2 and "notes_more" in tables(path)


def test_two_skills_tables_do_not_collide(tmp_path: Path):
    path = tmp_path / "history.db"
    alpha = open_database(SkillSchema("alpha", ("CREATE TABLE alpha_items (name TEXT)",)), path)
    beta = open_database(SkillSchema("beta", ("CREATE TABLE beta_items (name TEXT)",)), path)
    alpha.execute("INSERT INTO alpha_items VALUES ('a')")
    beta.execute("INSERT INTO beta_items VALUES ('b')")
    assert alpha.query("SELECT name FROM alpha_items") == [("a",)]
    with pytest.raises(sqlite3.DatabaseError, match="access to beta_items.name is prohibited"):
        alpha.query("SELECT name FROM beta_items")  # another skill's table
    assert {s: v for s, (v, _) in recorded(path).items()} == {"alpha": 1, "beta": 1}
    alpha.close()
    beta.close()


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ("CREATE TABLE items (a)", "not authorized .*names starting with 'notes_'"),
        ("CREATE TABLE notes_items (a); CREATE INDEX by_a ON notes_items(a)", "not authorized"),
        ("CREATE TABLE notes_items (a); ALTER TABLE notes_items RENAME TO users2", "refused: it made users2"),
        ("DROP TABLE turns", "not authorized"),
        ("CREATE INDEX notes_turns ON turns(user)", "not authorized"),
        ("ALTER TABLE turns ADD COLUMN notes_x", "not authorized"),
        ("CREATE TABLE notes_copy AS SELECT * FROM turns", "access to turns.id is prohibited"),
        ("UPDATE skill_schema SET version = 9", "not authorized"),
        ("PRAGMA journal_mode = delete", "not authorized"),
    ],
)
def test_a_step_outside_the_skills_own_names_is_refused_and_rolled_back(tmp_path: Path, step, said):
    path = tmp_path / "history.db"
    HistoryStore(path).close()
    before = tables(path)
    with pytest.raises(HistoryError, match=said):
        open_database(SkillSchema("notes", (step,)), path)
    assert tables(path) == before and "notes" not in recorded(path)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM turns",
        "DELETE FROM users",
        "INSERT INTO skill_schema VALUES ('notes', 99, 0)",
        "CREATE TABLE notes_late (a)",  # tables change through migrations only
        "DROP TABLE notes_items",
        "PRAGMA journal_mode = delete",
        "ATTACH DATABASE ':memory:' AS other",
    ],
)
def test_a_skill_connection_reaches_only_its_own_tables(tmp_path: Path, sql: str):
    db = open_database(NOTES, tmp_path / "history.db")
    with pytest.raises(sqlite3.DatabaseError, match="not authorized|prohibited"):
        db.execute(sql)
    db.close()


def test_a_transaction_stores_all_or_nothing_and_the_handle_works_from_another_thread(tmp_path: Path):
    db = open_database(NOTES, tmp_path / "history.db")
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO notes_items (text) VALUES ('half')")
        raise RuntimeError("the scan failed half-way")
    assert db.query("SELECT COUNT(*) FROM notes_items") == [(1,)]
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(db.execute("UPDATE notes_items SET pinned = 1")))
    worker.start()
    worker.join(10)
    assert done == [1]
    db.close()


def test_the_old_music_and_news_tables_keep_their_rows(tmp_path: Path):
    """A history.db written by a build before skill migrations: the core at schema 2, the
    skills' tables made by CREATE TABLE IF NOT EXISTS beside it."""
    from skills.music.library import TRACKS_TABLE, library_db, library_tracks, stored_vectors
    from skills.news.feeds import TABLE, feed_db

    path = tmp_path / "history.db"
    store = HistoryStore(path)
    store.record_turn(TurnRecord("s1", "ana", 1, 1.0, "text", "hello", "hi", events=[]))
    store.db.execute("DROP TABLE skill_schema")
    store.db.execute("PRAGMA user_version = 2")
    store.close()
    with sqlite3.connect(path) as old:  # the statements the skills ran then, verbatim
        old.execute(
            """CREATE TABLE IF NOT EXISTS library_tracks (
            path TEXT PRIMARY KEY, folder TEXT NOT NULL, mtime REAL NOT NULL, size INTEGER NOT NULL,
            title TEXT, artist TEXT, album TEXT, genre TEXT, year INTEGER, duration REAL,
            track_number INTEGER, error TEXT, scanned REAL NOT NULL)"""
        )
        old.execute("CREATE TABLE IF NOT EXISTS library_texts (text TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        old.execute(
            """CREATE TABLE IF NOT EXISTS news_feed_items (
            id TEXT PRIMARY KEY, headline_key TEXT NOT NULL UNIQUE, feed TEXT NOT NULL,
            headline TEXT NOT NULL, category TEXT NOT NULL, date TEXT NOT NULL, description TEXT,
            link TEXT, authors TEXT, fetched REAL NOT NULL, vector BLOB)"""
        )
        old.execute(
            "INSERT INTO library_tracks VALUES ('/m/a.flac', '/m', 1.0, 10, 'Old Song', 'Old Band', "
            "'', 'Jazz', 1999, 2.0, 1, NULL, 1.0)"
        )
        old.execute("INSERT INTO library_texts VALUES ('old song', x'0000803f')")
        old.execute(
            "INSERT INTO news_feed_items VALUES ('feed:1', 'old story', 'u', 'Old story', 'WORLD', "
            "'2025-01-01', '', '', '', 1.0, NULL)"
        )
    music = library_db(path)
    assert [t.title for t in library_tracks(music)] == ["Old Song"]
    assert stored_vectors(music, ["old song"]) == {"old song": b"\x00\x00\x80\x3f"}
    news = feed_db(path)
    assert news.query(f"SELECT headline FROM {TABLE}") == [("Old story",)]
    music.close()
    news.close()
    assert {"library_tracks", "library_texts"}.isdisjoint(tables(path)) and TRACKS_TABLE in tables(path)
    assert {s: v for s, (v, _) in recorded(path).items()} == {"music": 1, "news": 1}
    store = HistoryStore(path)
    assert store.schema_version == SCHEMA_VERSION and len(store.turns(user="ana")) == 1
    store.close()


def test_export_and_forget_of_a_user_are_unaffected(tmp_path: Path):
    path = tmp_path / "history.db"
    store = HistoryStore(path)
    store.record_turn(TurnRecord("s1", "ana", 1, 1.0, "text", "hello", "hi", events=[]))
    plain = store.export_user("ana")
    db = open_database(NOTES, path)
    assert store.export_user("ana") == plain  # no skill table in a user's export
    assert store.forget_user("ana")["turns"] == 1
    assert not store.has_user_data("ana")
    assert db.query("SELECT COUNT(*) FROM notes_items") == [(1,)]  # the skill's rows are no user's
    db.close()
    store.close()


def test_a_file_that_is_no_database_is_named(tmp_path: Path):
    path = tmp_path / "history.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(HistoryError, match="for the notes skill: file is not a database"):
        open_database(NOTES, path)


def test_statements_split_where_sqlite_ends_them():
    script = """
        CREATE TABLE t_a (x TEXT DEFAULT 'a;b'); -- a comment; with a semicolon
        CREATE TRIGGER t_trig AFTER INSERT ON t_a BEGIN UPDATE t_a SET x = 'c;d'; END;
        /* only a comment */
        INSERT INTO t_a VALUES ('e')
    """
    parts = split_statements(script)  # a comment goes with the statement after it
    assert parts[0] == "CREATE TABLE t_a (x TEXT DEFAULT 'a;b');" and len(parts) == 3
    assert parts[1].startswith("-- a comment") and parts[1].endswith("SET x = 'c;d'; END;")
    assert parts[2].startswith("/* only a comment */") and "INSERT INTO t_a VALUES ('e')" in parts[2]
    conn = sqlite3.connect(":memory:")
    for part in parts:
        conn.execute(part)
    assert conn.execute("SELECT x FROM t_a").fetchall() == [("c;d",)]


def test_a_skill_name_must_make_table_names():
    with pytest.raises(ValueError, match="lower-case words"):
        SkillSchema("My Skill", ("CREATE TABLE x (a)",))
    with pytest.raises(ValueError, match="at least one migration"):
        SkillSchema("notes", ())


def test_without_the_cores_storage_a_skill_is_told_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(sdk, "_opener", None)
    with pytest.raises(sdk.SkillStorageError, match="no storage for the notes skill"):
        open_database(NOTES, tmp_path / "history.db")


def _open_notes(path: str, start) -> None:
    start.wait()
    db = open_database(NOTES, Path(path))
    db.execute("INSERT INTO notes_items (text) VALUES ('x')")
    db.close()


def test_processes_migrating_a_new_file_together_run_each_step_once(tmp_path: Path):
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    path = tmp_path / "race.db"
    start = ctx.Barrier(4)
    procs = [ctx.Process(target=_open_notes, args=(str(path), start)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 4
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT text, COUNT(*) FROM notes_items GROUP BY text").fetchall() == [
            ("made by step 2", 1),
            ("x", 4),
        ]
