"""How the assistant opens its SQLite file, for the history store and for skills' tables alike.

One recipe, so that every connection to ``history.db`` behaves the same: the file is created
owner-only, writers wait on a busy timeout rather than failing, the journal is WAL (readers never
block the writer) and every write transaction takes the write lock up front (``Transaction``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

HISTORY_FILE = "history.db"  # the one database of a data directory
BUSY_TIMEOUT_MS = 30_000


def connect(
    path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS, any_thread: bool = False
) -> sqlite3.Connection:
    """An autocommit connection to ``path`` (created owner-only first), in WAL mode.

    ``any_thread``: the connection may be used from another thread than the one that opened it
    (a skill refreshing its tables in the background); its user then serialises the calls.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Created owner-only before SQLite opens it: histories are private.
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=not any_thread
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if path.stat().st_size == 0:
            # Only a file without tables can take it: pages freed by retention's deletes go
            # back to the file system (``storage.retention.reclaim_space``) instead of staying in
            # the file at its largest size. Older files are converted once by a VACUUM there.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        _enable_wal(conn, busy_timeout_ms / 1000)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch to WAL once per file. SQLite answers "locked" at once, without the busy handler,
    when two processes open a new file together; so retry until the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; nested use joins the outer one.

    IMMEDIATE takes the write lock up front, so two writers wait on the busy timeout instead
    of failing half-way with "database is locked".
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.depth_owner = False

    def __enter__(self) -> Transaction:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.depth_owner = True
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.depth_owner:
            return
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                # A COMMIT refused (a full disk: SQLITE_FULL) may leave the transaction open;
                # the next "BEGIN" would then be skipped and every later turn would join a
                # transaction that never commits. Roll it back so the next turn starts clean.
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        # SQLite rolls a transaction back by itself after some errors (SQLITE_FULL, SQLITE_IOERR);
        # a second ROLLBACK would raise "no transaction is active" over the real error.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
