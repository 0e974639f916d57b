"""The history database's core schema: numbered migrations, each one transaction.

The schema's version is SQLite's ``PRAGMA user_version``; ``migrate`` brings an older file up
to date when it is opened (by the history store or by a skill asking for its tables). A
migration is never edited once released: a file written by an older release runs every later
step in order (tests/unit/test_upgrades.py opens files of each older schema).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from assistant.contracts.errors import HistoryError
from assistant.storage.connection import Transaction


def _migrate_to_1(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS users (
            name TEXT PRIMARY KEY, created REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY, user TEXT NOT NULL, started REAL NOT NULL,
            seed INTEGER NOT NULL, mode TEXT NOT NULL, log_path TEXT)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS turns (
            id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, user TEXT NOT NULL,
            seq INTEGER NOT NULL, ts REAL NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
            intent TEXT, confidence REAL, slots TEXT, act TEXT, domain TEXT,
            response TEXT NOT NULL, error TEXT, audio_path TEXT, events TEXT NOT NULL,
            UNIQUE (session_id, seq))"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS offers (
            id INTEGER PRIMARY KEY, turn_id INTEGER NOT NULL REFERENCES turns(id),
            user TEXT NOT NULL, domain TEXT NOT NULL, item_id TEXT NOT NULL, title TEXT NOT NULL,
            reason TEXT NOT NULL, position INTEGER NOT NULL, ts REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY, turn_id INTEGER REFERENCES turns(id),
            user TEXT NOT NULL, domain TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,
            value REAL, ts REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS preferences (
            user TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,
            PRIMARY KEY (user, key))"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS offers_user_domain_ts ON offers(user, domain, ts)")
    db.execute("CREATE INDEX IF NOT EXISTS feedback_user_domain_ts ON feedback(user, domain, ts)")
    db.execute("CREATE INDEX IF NOT EXISTS turns_user_ts ON turns(user, ts)")


def _migrate_to_2(db: sqlite_utils.Database) -> None:
    # One voiceprint per user: the mean speaker embedding of their enrolment phrases.
    db.execute(
        """CREATE TABLE IF NOT EXISTS voiceprints (
            user TEXT PRIMARY KEY, embedding BLOB NOT NULL, clips INTEGER NOT NULL,
            model TEXT NOT NULL, created REAL NOT NULL)"""
    )


def _migrate_to_3(db: sqlite_utils.Database) -> None:
    # Skills keep their own tables in this file, made by their own numbered migrations
    # (assistant/storage/skill_tables.py); this records how far each skill's schema has come.
    db.execute(
        """CREATE TABLE IF NOT EXISTS skill_schema (
            skill TEXT PRIMARY KEY, version INTEGER NOT NULL, updated REAL NOT NULL)"""
    )


def _migrate_to_4(db: sqlite_utils.Database) -> None:
    # Retention deletes turns by age, and deleting a turn makes SQLite look up the offers and
    # feedback that reference it (foreign keys are on): without these indexes each deleted turn
    # scans both tables, so a month's purge on a year of history took minutes, not milliseconds.
    db.execute("CREATE INDEX IF NOT EXISTS turns_ts ON turns(ts)")
    db.execute("CREATE INDEX IF NOT EXISTS offers_turn ON offers(turn_id)")
    db.execute("CREATE INDEX IF NOT EXISTS feedback_turn ON feedback(turn_id)")
    db.execute("CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migrate_to_1,
    _migrate_to_2,
    _migrate_to_3,
    _migrate_to_4,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    """The core schema's version of an open database (SQLite's ``user_version``)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    """Bring the core's tables up to ``SCHEMA_VERSION``, one transaction per step.

    Whoever opens the file first migrates it (the history store or a skill asking for its
    tables); a newer file than this build knows is refused rather than written to.
    """
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path} has schema version {version}, newer than this build's "
            f"{SCHEMA_VERSION}; update the assistant"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with Transaction(db.conn):
            if schema_version(db) >= target:  # another process migrated it meanwhile
                continue
            MIGRATIONS[target - 1](db)
            db.execute(f"PRAGMA user_version = {target}")
