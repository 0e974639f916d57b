"""Skills' own tables in the history database, made by each skill's migrations.

The contract is ``assistant.skill_sdk.storage``: a skill declares a ``SkillSchema`` and calls
``open_database``; this module is what answers. Opening brings the core's schema up to date
first (``history.migrate``, which makes ``skill_schema``), then runs the skill's steps it has
not run: each step, its checks and the new version in ``skill_schema`` commit together
(BEGIN IMMEDIATE, so two processes opening at once take turns and the second finds the step
done). A second open finds the version current and writes nothing.

Two guards keep a skill to its own tables, whatever its SQL says:

- after each step, the schema is compared with the one before: a new table, index, view or
  trigger must be named "<skill>_..."; no object of anyone else may have changed or gone
  (except the skill's ``legacy_tables``). Otherwise the step is rolled back.
- SQLite's authorizer on the skill's connection refuses reading or writing any table not the
  skill's, and any PRAGMA or ATTACH; outside migrations, creating or altering anything too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from assistant.config import data_dir, ensure_private_dir
from assistant.contracts.errors import HistoryError
from assistant.skill_sdk.storage import Params, SkillSchema, provide_storage
from assistant.storage.connection import BUSY_TIMEOUT_MS, HISTORY_FILE, Transaction, connect
from assistant.storage.schema import migrate

# SQLite's bookkeeping tables, which DDL reads and writes on the statement's behalf.
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})
_CREATE_OR_DROP_ON_TABLE = frozenset(
    {
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_DROP_TRIGGER,
    }
)
_CREATE_OR_DROP_NAMED = frozenset(
    {
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_VIEW,
    }
)
_ALWAYS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION}
    | {sqlite3.SQLITE_SAVEPOINT}
)
_ROWS = frozenset({sqlite3.SQLITE_READ, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})


class SkillTables:
    """A skill's ``SkillDatabase``: one connection (any thread, calls serialised by a lock)."""

    def __init__(self, conn: sqlite3.Connection, schema: SkillSchema, path: Path) -> None:
        self.conn = conn
        self.schema = schema
        self.path = path
        # One connection shared by a skill's threads (the news skill refreshes its feeds in the
        # background): the lock keeps one thread's statements out of another's transaction.
        self._lock = threading.RLock()

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row ``sql`` returns."""
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._lock:
            return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per row of parameters; the rows changed in all."""
        with self._lock:
            return self.conn.executemany(sql, rows).rowcount

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The writes inside commit together, or roll back together on an exception."""
        with self._lock, Transaction(self.conn):
            yield

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.conn.close()


def open_skill_database(
    schema: SkillSchema, path: Path | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> SkillTables:
    """``schema``'s tables in ``path`` (default: the data directory's history database),
    migrated; raises ``HistoryError`` when the file cannot be opened or a step fails."""
    if path is None:
        path = ensure_private_dir(data_dir()) / HISTORY_FILE
    path = Path(path)
    try:
        conn = connect(path, busy_timeout_ms, any_thread=True)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"cannot open the database {path} for the {schema.skill} skill: {exc}") from exc
    try:
        migrate(sqlite_utils.Database(conn), path)
        migrate_skill(conn, schema, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HistoryError(f"cannot bring {path} up to date for the {schema.skill} skill: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    conn.set_authorizer(_authorizer(schema, migrating=False))
    return SkillTables(conn, schema, path)


def recorded_version(conn: sqlite3.Connection, skill: str) -> int:
    """How many of ``skill``'s migrations the file has run (0: none)."""
    row = conn.execute("SELECT version FROM skill_schema WHERE skill = ?", [skill]).fetchone()
    return int(row[0]) if row else 0


def migrate_skill(conn: sqlite3.Connection, schema: SkillSchema, path: Path) -> int:
    """Run the steps of ``schema`` that ``path`` has not run, in order; the version reached."""
    skill, target = schema.skill, schema.version
    version = recorded_version(conn, skill)
    if version > target:
        raise HistoryError(
            f"{path} has the {skill} skill's tables at version {version}, newer than this build's "
            f"{target}; update the {skill} skill"
        )
    for step in range(version + 1, target + 1):
        with Transaction(conn):
            if recorded_version(conn, skill) >= step:  # another process ran it meanwhile
                continue
            before = _objects(conn)
            conn.set_authorizer(_authorizer(schema, migrating=True))
            try:
                for statement in split_statements(schema.migrations[step - 1]):
                    conn.execute(statement)
            except sqlite3.Error as exc:
                denied = "not authorized" in str(exc) or "prohibited" in str(exc)
                why = (
                    f" (a skill's migrations reach only names starting with {schema.prefix!r})"
                    if denied
                    else ""
                )
                raise HistoryError(
                    f"the {skill} skill's migration {step} failed in {path}: {exc}{why}"
                ) from exc
            finally:
                conn.set_authorizer(None)
            _check_names(schema, step, before, _objects(conn))
            conn.execute(
                "INSERT INTO skill_schema (skill, version, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (skill) DO UPDATE SET version = excluded.version, updated = excluded.updated",
                [skill, step, time.time()],
            )
    return target


def split_statements(script: str) -> list[str]:
    """The statements of an SQL script, in order. ``sqlite3.complete_statement`` decides where
    one ends, so a ';' inside a string, a comment or a trigger's body does not split it."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):  # a comment alone runs as a no-op
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \t\r\n;"):  # an unfinished statement: SQLite's own error names it
        statements.append(pending.strip())
    return statements


def _objects(conn: sqlite3.Connection) -> dict[str, tuple[str, str, str | None]]:
    """Every named object of the main schema but SQLite's own: name -> (type, table, sql)."""
    rows = conn.execute(
        "SELECT name, type, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    return {name: (kind, table, sql) for name, kind, table, sql in rows}


def _check_names(schema: SkillSchema, step: int, before: dict, after: dict) -> None:
    """Refuse a step that made a name outside the skill's prefix or changed another's object."""
    own = schema.prefix
    made = sorted(n for n in after if not n.startswith(own) and after[n] != before.get(n))
    touched = sorted(
        n
        for n in before
        if not n.startswith(own) and n not in schema.legacy_tables and after.get(n) != before[n]
    )
    if made or touched:
        what = "; ".join(
            ([f"made {', '.join(made)} (names must start with {own!r})"] if made else [])
            + ([f"changed or removed {', '.join(touched)}, not the skill's"] if touched else [])
        )
        raise HistoryError(f"the {schema.skill} skill's migration {step} was refused: it {what}")


def _authorizer(schema: SkillSchema, migrating: bool) -> Callable[..., int]:
    """SQLite's authorizer for a skill's connection: its own tables only (see the module doc)."""
    legacy = schema.legacy_tables if migrating else frozenset()

    def own(name: str | None) -> bool:
        return name is not None and (name.startswith(schema.prefix) or name in legacy)

    def check(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if db not in (None, "main", "temp"):  # an attached file
            return sqlite3.SQLITE_DENY
        if action in _ALWAYS:
            return sqlite3.SQLITE_OK
        if action in _ROWS:
            ok = own(arg1) or (migrating and arg1 in _SCHEMA_TABLES)
        elif not migrating:
            ok = False  # tables change only through migrations
        elif action in _CREATE_OR_DROP_NAMED or action == sqlite3.SQLITE_REINDEX:
            ok = own(arg1)
        elif action in _CREATE_OR_DROP_ON_TABLE:
            ok = own(arg2)
        elif action == sqlite3.SQLITE_ALTER_TABLE:
            ok = own(arg2)
        else:  # PRAGMA, ATTACH, DETACH, ANALYZE, virtual tables
            ok = False
        return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY

    return check


def install() -> None:
    """Make this module the storage behind ``assistant.skill_sdk.storage.open_database``."""
    provide_storage(open_skill_database)
