"""Retention in the history database: turns older than a cutoff go, and the file gives the
freed pages back (``assistant/pipeline/retention.py`` runs both, with the files' retention).
"""

from __future__ import annotations

import sqlite3

from assistant.contracts.errors import HistoryError
from assistant.storage.history import HistoryStore


def purge_before(store: HistoryStore, cutoff: float) -> dict[str, int]:
    """Retention: delete the turns older than ``cutoff`` (a Unix time), with their offers and
    the sessions left without a turn; counts per table.

    What a person taught the assistant stays: feedback (likes, skips, plays) loses only its
    link to the deleted turn, and preferences and voiceprints are untouched. Profiles read
    only the latest rows of those (``history.PROFILE_*_LIMIT``), and "forget me" deletes them.
    """
    old = "SELECT id FROM turns WHERE ts < ?"
    with store.write("apply retention"):
        store.db.execute(f"UPDATE feedback SET turn_id = NULL WHERE turn_id IN ({old})", [cutoff])
        offers = store.db.execute(f"DELETE FROM offers WHERE turn_id IN ({old})", [cutoff]).rowcount
        turns = store.db.execute("DELETE FROM turns WHERE ts < ?", [cutoff]).rowcount
        sessions = store.db.execute(
            "DELETE FROM sessions WHERE started < ? "
            "AND NOT EXISTS (SELECT 1 FROM turns WHERE turns.session_id = sessions.id)",
            [cutoff],
        ).rowcount
    return {"turns": turns, "offers": offers, "sessions": sessions}


def reclaim_space(store: HistoryStore) -> int:
    """Give the file's free pages back to the file system; returns the bytes given back.

    Incremental auto-vacuum (new files have it) moves free pages to the end of the file and
    truncates it, in place, in milliseconds. Measured (tests/integration/test_retention.py's
    scenario, 120 days of 40 turns a day and one day of 400, 30 days kept): with it the file
    grew to 6.7 MB over the busy day and went back to 5.3 MB once that day aged out; without
    it, deletes alone leave the file at its largest, 6.9 MB, for good (SQLite reuses free
    pages but never shrinks the file). A periodic VACUUM would do the same at the cost of
    rewriting the whole file, with as much free disk again, and blocking turns meanwhile: so
    a file made before auto-vacuum is converted by one VACUUM, once a tenth of it is free.
    """
    conn = store.db.conn
    page_size, before = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    try:
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:  # INCREMENTAL
            # Through sqlite3_exec: the pragma frees one page per step, and a cursor's
            # execute steps once (measured: 1 of 298 free pages went).
            conn.executescript("PRAGMA incremental_vacuum;")
        elif free * 10 > before:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("VACUUM")
        # The WAL holds the moved pages until a checkpoint; TRUNCATE also empties it.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as exc:
        raise HistoryError(f"could not reclaim the database's free space: {exc}") from exc
    return (before - conn.execute("PRAGMA page_count").fetchone()[0]) * page_size
