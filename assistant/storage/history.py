"""The history store: one SQLite file per installation (WAL), written one transaction per turn.

Tables: users, sessions, turns, offers (items the assistant offered), feedback (like, dislike,
skip, play, rating), preferences, voiceprints (speaker embeddings; never exported), and
skill_schema (how far each skill's own migrations have run: skills' tables live in this file
too, named after the skill; see ``skill_tables``). The core's schema version lives in
``PRAGMA user_version`` and ``MIGRATIONS`` (``schema``) brings an older file up to date at open. Every
statement takes parameters; no text from a user is ever spliced into SQL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from assistant.contracts.errors import HistoryError
from assistant.skill_sdk.api import FeedbackEvent, Item, UserProfile
from assistant.storage.connection import BUSY_TIMEOUT_MS, Transaction, connect
from assistant.storage.profile_cache import ProfileCache
from assistant.storage.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "FeedbackRecord",
    "HistoryStore",
    "TurnRecord",
    "migrate",
    "schema_version",
]
# How much of a user's past a recommender sees: recent behaviour dominates, and a bound keeps
# the profile query fast with millions of rows in the store.
PROFILE_OFFER_LIMIT = 500
PROFILE_FEEDBACK_LIMIT = 2000


@dataclass
class FeedbackRecord:
    """One piece of feedback a turn records: the item, its domain and the kind (with a rating's value)."""

    domain: str
    item_id: str
    kind: str  # like | dislike | skip | play | rating
    value: float | None = None


@dataclass
class TurnRecord:
    """Everything one turn writes; ``HistoryStore.record_turn`` stores it atomically."""

    session_id: str
    user: str
    seq: int
    ts: float
    source: str  # text | audio
    text: str
    response: str
    events: list[dict[str, Any]]
    intent: str | None = None
    confidence: float | None = None
    slots: dict[str, str] = field(default_factory=dict)
    act: str | None = None
    domain: str | None = None
    error: str | None = None
    audio_path: str | None = None
    items: list[Item] = field(default_factory=list)
    feedback: list[FeedbackRecord] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)


class HistoryStore:
    """All reads and writes of the history database."""

    def __init__(self, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite_utils.Database(connect(self.path, busy_timeout_ms))
            migrate(self.db, self.path)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"cannot open the history database {self.path}: {exc}",
                user_message="Sorry, my history database could not be opened.",
            ) from exc
        self._profiles = ProfileCache(self.db.conn, PROFILE_OFFER_LIMIT, PROFILE_FEEDBACK_LIMIT)

    # --- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """The database's schema version (SQLite's ``user_version``)."""
        return schema_version(self.db)

    def _transaction(self) -> Transaction:
        return Transaction(self.db.conn)

    @contextmanager
    def write(self, what: str) -> Iterator[None]:
        """One write transaction; a refused write (a full disk, a locked or damaged file) is a
        ``HistoryError`` naming ``what``, the transaction rolled back whole, never half."""
        try:
            with self._transaction():
                yield
        except sqlite3.Error as exc:
            raise HistoryError(f"could not {what}: {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        self.db.conn.close()

    # --- writes ----------------------------------------------------------------------------
    def start_session(
        self,
        session_id: str,
        user: str,
        seed: int,
        mode: str,
        log_path: str | None,
        started: float | None = None,
    ) -> None:
        """Record a new session (and its user, if new); ``started`` defaults to now."""
        started = time.time() if started is None else started
        with self.write("start session"):
            self.db.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", [user, started])
            self.db.execute(
                "INSERT OR REPLACE INTO sessions (id, user, started, seed, mode, log_path) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [session_id, user, started, seed, mode, log_path],
            )

    def record_turn(self, record: TurnRecord) -> int:
        """Write a turn with its offers, feedback and preferences in one transaction."""
        with self._profiles.recording(), self.write(f"record turn {record.seq}"):
            turn_id = self._insert_turn(record)
        self._profiles.recorded(
            record.user,
            record.ts,
            [(it.domain, it.id) for it in record.items],
            [(f.domain, f.item_id, f.kind, f.value) for f in record.feedback],
        )
        return turn_id

    def _insert_turn(self, r: TurnRecord) -> int:
        self.db.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", [r.user, r.ts])
        cursor = self.db.execute(
            "INSERT INTO turns (session_id, user, seq, ts, source, text, intent, confidence, "
            "slots, act, domain, response, error, audio_path, events) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.session_id,
                r.user,
                r.seq,
                r.ts,
                r.source,
                r.text,
                r.intent,
                r.confidence,
                json.dumps(r.slots, ensure_ascii=False),
                r.act,
                r.domain,
                r.response,
                r.error,
                r.audio_path,
                json.dumps(r.events, ensure_ascii=False),
            ],
        )
        turn_id = int(cursor.lastrowid)
        self.db.conn.executemany(
            "INSERT INTO offers (turn_id, user, domain, item_id, title, reason, position, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (turn_id, r.user, it.domain, it.id, it.title, it.reason, pos, r.ts)
                for pos, it in enumerate(r.items)
            ],
        )
        self.db.conn.executemany(
            "INSERT INTO feedback (turn_id, user, domain, item_id, kind, value, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(turn_id, r.user, f.domain, f.item_id, f.kind, f.value, r.ts) for f in r.feedback],
        )
        self.db.conn.executemany(
            "INSERT INTO preferences (user, key, value, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user, key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
            [(r.user, k, v, r.ts) for k, v in r.preferences.items()],
        )
        return turn_id

    def import_feedback(self, user: str, rows: Iterable[tuple[str, str, str, float | None, float]]) -> int:
        """Bulk-load past behaviour ``(domain, item_id, kind, value, ts)`` for one user."""
        rows = list(rows)
        with self.write("import feedback"):
            self.db.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", [user, time.time()])
            self.db.conn.executemany(
                "INSERT INTO feedback (turn_id, user, domain, item_id, kind, value, ts) "
                "VALUES (NULL, ?, ?, ?, ?, ?, ?)",
                [(user, d, i, k, v, ts) for d, i, k, v, ts in rows],
            )
        return len(rows)

    def set_preference(self, user: str, key: str, value: str) -> None:
        """Store ``user``'s setting ``key`` (a new value replaces the old)."""
        with self.write("store a preference"):
            self.db.execute(
                "INSERT INTO preferences (user, key, value, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user, key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                [user, key, value, time.time()],
            )

    def forget_user(self, user: str) -> dict[str, int]:
        """Delete every row of one user (and nothing of anyone else); returns counts per table."""
        counts: dict[str, int] = {}
        with self.write("forget a user"):
            for table in ("feedback", "offers", "turns", "sessions", "preferences", "voiceprints"):
                cur = self.db.execute(f"DELETE FROM {table} WHERE user = ?", [user])
                counts[table] = cur.rowcount
            counts["users"] = self.db.execute("DELETE FROM users WHERE name = ?", [user]).rowcount
        return counts

    def save_voiceprint(self, user: str, embedding: bytes, clips: int, model: str) -> None:
        """Store (or replace) one user's voiceprint."""
        with self.write("save a voiceprint"):
            self.db.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", [user, time.time()])
            self.db.execute(
                "INSERT OR REPLACE INTO voiceprints (user, embedding, clips, model, created) VALUES (?, ?, ?, ?, ?)",
                [user, embedding, clips, model, time.time()],
            )

    # --- reads -----------------------------------------------------------------------------
    def voiceprints(self, model: str) -> dict[str, bytes]:
        """Every stored voiceprint made by ``model``: user -> embedding bytes."""
        rows = self.db.execute("SELECT user, embedding FROM voiceprints WHERE model = ?", [model])
        return dict(rows.fetchall())

    def has_voiceprint(self, user: str) -> bool:
        """Whether ``user`` has an enrolled voiceprint."""
        return self.db.execute("SELECT 1 FROM voiceprints WHERE user = ?", [user]).fetchone() is not None

    def profile(self, user: str, domain: str) -> UserProfile:
        """``user``'s recent offers and feedback in ``domain``, oldest first, with their preferences
        (kept in memory between turns while the database has not changed: ``profile_cache``)."""
        offered, feedback = self._profiles.rows(user, domain, lambda: self._read_profile(user, domain))
        return UserProfile(
            user=user, domain=domain, offered=offered, feedback=feedback, preferences=self.preferences(user)
        )

    def _read_profile(self, user: str, domain: str) -> tuple[list[FeedbackEvent], list[FeedbackEvent]]:
        offers = self.db.execute(
            "SELECT item_id, ts FROM offers WHERE user = ? AND domain = ? ORDER BY ts DESC, id DESC LIMIT ?",
            [user, domain, PROFILE_OFFER_LIMIT],
        ).fetchall()
        feedback = self.db.execute(
            "SELECT item_id, kind, ts, value FROM feedback WHERE user = ? AND domain = ? "
            "ORDER BY ts DESC, id DESC LIMIT ?",
            [user, domain, PROFILE_FEEDBACK_LIMIT],
        ).fetchall()
        return (
            [FeedbackEvent(i, "offer", ts) for i, ts in reversed(offers)],
            [FeedbackEvent(i, k, ts, v) for i, k, ts, v in reversed(feedback)],
        )

    def preferences(self, user: str) -> dict[str, str]:
        """``user``'s stored settings, key to value."""
        rows = self.db.execute("SELECT key, value FROM preferences WHERE user = ?", [user])
        return dict(rows.fetchall())

    def turns(self, user: str | None = None, session_id: str | None = None) -> list[dict[str, Any]]:
        """The stored turns, of one user or one session if given, as dicts."""
        where, params = [], []
        if user is not None:
            where.append("user = ?")
            params.append(user)
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        sql = "SELECT * FROM turns" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return list(self.db.query(sql, params))

    def turn(self, session_id: str, seq: int) -> dict[str, Any] | None:
        """One stored turn of a session, or None."""
        rows = list(self.db.query("SELECT * FROM turns WHERE session_id = ? AND seq = ?", [session_id, seq]))
        return rows[0] if rows else None

    def offers(
        self, user: str, since: float | None = None, domain: str | None = None
    ) -> list[dict[str, Any]]:
        """``user``'s offers, optionally since a time and in one domain, as dicts."""
        sql = "SELECT * FROM offers WHERE user = ?"
        params: list[Any] = [user]
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since)
        if domain is not None:
            sql += " AND domain = ?"
            params.append(domain)
        return list(self.db.query(sql + " ORDER BY ts, id", params))

    def feedback(self, user: str) -> list[dict[str, Any]]:
        """Every piece of ``user``'s feedback, oldest first, as dicts."""
        return list(self.db.query("SELECT * FROM feedback WHERE user = ? ORDER BY ts, id", [user]))

    def daily_activity(self, user: str, since: float) -> dict[str, dict[str, int]]:
        """Per local day ("2024-05-31") from ``since`` on: "turns" said and feedback given by
        kind ("like", "play", ...), counted in SQL so a long history costs one pass per table."""
        days: dict[str, dict[str, int]] = {}
        day = "strftime('%Y-%m-%d', ts, 'unixepoch', 'localtime')"
        for row in self.db.execute(
            f"SELECT {day}, 'turns', COUNT(*) FROM turns WHERE user = ? AND ts >= ? GROUP BY 1 UNION ALL "
            f"SELECT {day}, kind, COUNT(*) FROM feedback WHERE user = ? AND ts >= ? GROUP BY 1, 2",
            [user, since, user, since],
        ):
            days.setdefault(row[0], {})[row[1]] = int(row[2])
        return days

    def recent_sessions(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest sessions, newest first, as dicts."""
        return list(self.db.query("SELECT * FROM sessions ORDER BY started DESC LIMIT ?", [limit]))

    def turn_events(self, session_id: str) -> list[tuple[int, list[dict[str, Any]]]]:
        """(turn number, events) of every stored turn of a session, in order."""
        rows = self.db.execute(
            "SELECT seq, events FROM turns WHERE session_id = ? ORDER BY seq", [session_id]
        )
        return [(seq, json.loads(events)) for seq, events in rows.fetchall()]

    def has_user_data(self, user: str) -> bool:
        """Whether anything of ``user``'s is stored (turns, feedback or preferences)."""
        for table in ("turns", "feedback", "preferences"):
            if self.db.execute(f"SELECT 1 FROM {table} WHERE user = ? LIMIT 1", [user]).fetchone():
                return True
        return False

    def export_user(self, user: str) -> dict[str, Any]:
        """Every row of one user, as plain JSON-able data (for export and for replay)."""
        return {
            "user": user,
            "schema_version": SCHEMA_VERSION,
            "turns": self.turns(user=user),
            "offers": self.offers(user),
            "feedback": self.feedback(user),
            "preferences": self.preferences(user),
            "sessions": list(self.db.query("SELECT * FROM sessions WHERE user = ? ORDER BY started", [user])),
        }

    def snapshot_user(self, user: str) -> dict[str, Any]:
        """What a session's log starts from, for replay: per domain, the offers and feedback a
        profile reads (``PROFILE_*_LIMIT``), and the preferences; no turns, which no dialogue
        reads. The whole ``export_user`` made every new conversation's log copy the user's
        whole past: the soak bench's logs grew as the square of the turns (134 MB after 1,500)."""
        data: dict[str, Any] = {"user": user, "schema_version": SCHEMA_VERSION, "offers": [], "feedback": []}
        for table, limit in (("offers", PROFILE_OFFER_LIMIT), ("feedback", PROFILE_FEEDBACK_LIMIT)):
            domains = [
                r[0] for r in self.db.execute(f"SELECT DISTINCT domain FROM {table} WHERE user = ?", [user])
            ]
            for domain in domains:
                rows = self.db.query(
                    f"SELECT * FROM {table} WHERE user = ? AND domain = ? ORDER BY ts DESC, id DESC LIMIT ?",
                    [user, domain, limit],
                )
                data[table].extend(reversed(list(rows)))
        data["preferences"] = self.preferences(user)
        return data

    def history_marks(self, user: str) -> dict[str, list[int]]:
        """Per table (offers, feedback): how many rows of ``user``'s there are and the highest
        row id; ``history_since`` reads what came after, and a count that fell says rows were
        deleted (forgotten, or past retention) since."""
        return {
            table: list(
                self.db.execute(
                    f"SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {table} WHERE user = ?", [user]
                ).fetchone()
            )
            for table in ("offers", "feedback")
        }

    def history_since(self, user: str, marks: dict[str, list[int]]) -> dict[str, Any]:
        """``user``'s offers and feedback added after ``marks`` (``history_marks``), with all
        their preferences: a ``snapshot_user`` plus these is the history now."""
        data: dict[str, Any] = {"user": user, "schema_version": SCHEMA_VERSION}
        for table in ("offers", "feedback"):
            # By row id, not by user: the rows since the last session (a day's at most) are
            # read, where the (user, ...) index would walk every row the user ever had. The
            # unary + keeps SQLite off that index (test_history checks the query plan).
            data[table] = list(
                self.db.query(
                    f"SELECT * FROM {table} WHERE id > ? AND +user = ? ORDER BY id",
                    [marks[table][1], user],
                )
            )
        data["preferences"] = self.preferences(user)
        return data

    def import_user(self, data: dict[str, Any]) -> None:
        """Load an ``export_user`` dump or a ``snapshot_user`` (replay restores a session's
        starting history). A snapshot's offers name turns it does not carry: foreign keys are
        off for the load, on a connection not inside a transaction (SQLite ignores it there)."""
        user = data["user"]
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            self._import(user, data)
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    def _import(self, user: str, data: dict[str, Any]) -> None:
        with self.write("import a history"):
            self.db.execute("INSERT OR IGNORE INTO users (name, created) VALUES (?, ?)", [user, time.time()])
            for table in ("sessions", "turns", "offers", "feedback"):
                rows = data.get(table) or []
                if rows:
                    self.db[table].insert_all(rows, replace=True)
            for key, value in (data.get("preferences") or {}).items():
                self.db.execute(
                    "INSERT OR REPLACE INTO preferences (user, key, value, updated) VALUES (?, ?, ?, ?)",
                    [user, key, value, time.time()],
                )

    def integrity_ok(self) -> bool:
        """Whether SQLite's integrity check passes."""
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
