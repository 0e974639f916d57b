"""A skill's own tables: declared as numbered migrations, kept in the assistant's database.

A skill that stores something (the music skill's scanned library, the news skill's fetched
stories) declares its schema once, as a ``SkillSchema``: its name and an ordered tuple of
migrations, each an SQL script (one or more statements). Migration N is ``migrations[N - 1]``;
the schema's version is how many there are. A later change to the tables is a new step at the
end; a released step is never edited, because databases out there have already run it.

``open_database(schema)`` hands the skill a ``SkillDatabase``: before it returns, the core has
run every step the file has not run yet, in order, each in its own transaction together with
the record of the new version, so a step is applied whole or not at all, and exactly once.

Every table, index, view and trigger a skill creates is named ``<skill>_...`` ("music_...",
"news_..."): the core refuses a step that creates any other name or touches a table that is not
the skill's, and a skill's connection can read and write its own tables only. Tables a skill
made before this existed are named in ``legacy_tables``: its first step may adopt them (a
``CREATE TABLE IF NOT EXISTS`` with the old definition keeps their rows) and rename them.

This module only declares the contract: the core's storage (``assistant.storage``) implements
it and registers itself with ``provide_storage`` when it is imported, as every assistant
process does. A skill imports only this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

# Names a skill's tables can start with: lower-case words joined by underscores.
SKILL_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")

Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class SkillSchema:
    """A skill's tables, as the ordered migrations that make them (see the module docstring)."""

    skill: str  # the skill's name (its ``SkillSpec.name``); every table is named "<skill>_..."
    migrations: tuple[str, ...]  # step N (from 1) is migrations[N - 1]: SQL, run in one transaction
    # Tables the skill kept before it had migrations: its steps may rename or drop them.
    legacy_tables: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not SKILL_NAME.fullmatch(self.skill):
            raise ValueError(f"{self.skill!r} cannot name tables: use lower-case words joined by '_'")
        if not self.migrations or not all(isinstance(m, str) and m.strip() for m in self.migrations):
            raise ValueError(f"the {self.skill} skill's schema needs at least one migration, each SQL text")

    @property
    def prefix(self) -> str:
        """What every name the skill creates starts with ("music_")."""
        return f"{self.skill}_"

    @property
    def version(self) -> int:
        """The version the migrations bring a database to: how many there are."""
        return len(self.migrations)


@runtime_checkable
class SkillDatabase(Protocol):
    """A skill's handle on its own tables; one connection, safe to share between threads.

    Every statement takes parameters (never text spliced into SQL). A statement outside
    ``transaction()`` commits on its own; writes that belong together go inside one.
    """

    schema: SkillSchema
    path: Path  # the database file (for messages)

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row ``sql`` returns."""
        ...

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement once per row of parameters; the number of rows changed in all."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """``with db.transaction():`` the writes inside are stored together or not at all (an
        exception rolls them back). Other writers wait on the busy timeout meanwhile."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class SkillStorageError(RuntimeError):
    """No storage is provided in this process (the assistant's storage was never imported)."""


Opener = Callable[[SkillSchema, Path | None], SkillDatabase]
_opener: Opener | None = None


def provide_storage(opener: Opener) -> None:
    """Make ``opener`` the one that ``open_database`` calls (the core's storage does this)."""
    global _opener
    _opener = opener


def open_database(schema: SkillSchema, path: Path | None = None) -> SkillDatabase:
    """The skill's tables, migrated to ``schema.version``.

    ``path``: the database file; None is the assistant's own (``history.db`` in the data
    directory), the one place a skill's tables belong outside tests and benchmarks.
    """
    if _opener is None:
        raise SkillStorageError(
            f"no storage for the {schema.skill} skill: the assistant's storage (assistant.storage) "
            "provides it once imported"
        )
    return _opener(schema, path)
