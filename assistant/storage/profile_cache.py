"""Each person's recent offers and feedback kept in memory between turns.

Why: every skill request reads the person's profile for that skill (up to
``PROFILE_OFFER_LIMIT`` offers and ``PROFILE_FEEDBACK_LIMIT`` feedback rows, each made into an
object). Read from SQLite on every request, that cost grew with each person's history: in a
20,000-turn soak (``bench/soak.py``, 4,000 turns per person) ``HistoryStore.profile`` went
from 1.6 % to 5.8 % of the serving process's samples and turn latency p50 from 36 to 55 ms.
Kept here, a request copies the lists it already has and a recorded turn adds its own rows:
the same soak's p50 then moved +2.4 % and p95 +7.7 % from the first 1,000 turns to 20,000.

The cache is exactly what the query would return, or it is not used. Rows this connection
changes are seen by TEMP triggers on ``offers`` and ``feedback`` (they exist for this connection
only) that call back here with the row's person: a delete, an update or an insert drops that
person's kept profiles, except a turn's own rows while ``recording``, which ``recorded`` adds in
place once the turn is committed. Rows another connection commits (the web page, a second
process) move ``PRAGMA data_version``, and then every kept profile is dropped. Other writes --
a new session starts with every conversation, every 5 turns in the soak -- leave them be.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from assistant.skill_sdk.api import FeedbackEvent

# Profiles kept at most (a person and a skill each; the least recently read goes first): a
# household's people times the skills, with room for guests. One at the limits is 2,500 rows,
# about 0.5 MB (tracemalloc), so this bounds the cache near 30 MB however many people it hears.
MAX_KEPT = 64


@dataclass
class _Rows:
    """One person's rows in one domain, oldest first (by time, then row order), within limits."""

    offered: list[FeedbackEvent] = field(default_factory=list)
    feedback: list[FeedbackEvent] = field(default_factory=list)


def _insert(rows: list[FeedbackEvent], event: FeedbackEvent, limit: int) -> None:
    """Add a newly written row where ``ORDER BY ts, id`` puts it (after rows of the same time:
    its id is the largest), then keep the newest ``limit``."""
    rows.insert(bisect.bisect_right(rows, event.ts, key=lambda e: e.ts), event)
    del rows[: max(0, len(rows) - limit)]


class ProfileCache:
    """Profiles of the people one connection serves, dropped when their rows change."""

    def __init__(self, conn: sqlite3.Connection, offer_limit: int, feedback_limit: int) -> None:
        self.conn = conn
        self.offer_limit = offer_limit
        self.feedback_limit = feedback_limit
        self._rows: OrderedDict[tuple[str, str], _Rows] = OrderedDict()
        self._version: int | None = None
        self._recording = False
        conn.create_function("profile_rows_changed", 1, self._changed)
        for table in ("offers", "feedback"):
            for op, users in (
                ("insert", "NEW.user"),
                ("delete", "OLD.user"),
                ("update", "OLD.user, NEW.user"),
            ):
                calls = " ".join(f"SELECT profile_rows_changed({u});" for u in users.split(", "))
                conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS profile_cache_{table}_{op} "
                    f"AFTER {op.upper()} ON main.{table} BEGIN {calls} END"
                )

    def _changed(self, user: str) -> None:
        if not self._recording:
            for key in [k for k in self._rows if k[0] == user]:
                del self._rows[key]

    def _current(self) -> None:
        """Drop everything kept if another connection committed since the last look."""
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        if version != self._version:
            self._rows.clear()
            self._version = version

    def rows(
        self, user: str, domain: str, load: Callable[[], tuple[list[FeedbackEvent], list[FeedbackEvent]]]
    ) -> tuple[list[FeedbackEvent], list[FeedbackEvent]]:
        """Copies of ``user``'s offers and feedback in ``domain``; ``load`` reads them from the
        database when they are not kept."""
        self._current()
        kept = self._rows.get((user, domain))
        if kept is None:
            offered, feedback = load()
            kept = self._rows[(user, domain)] = _Rows(list(offered), list(feedback))
            while len(self._rows) > MAX_KEPT:
                self._rows.popitem(last=False)
        self._rows.move_to_end((user, domain))
        return list(kept.offered), list(kept.feedback)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """While a turn's own rows are inserted: they are added by ``recorded`` after its commit."""
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def recorded(
        self,
        user: str,
        ts: float,
        offers: Sequence[tuple[str, str]],
        feedback: Sequence[tuple[str, str, str, float | None]],
    ) -> None:
        """A turn this connection just committed: ``offers`` as (domain, item id), ``feedback``
        as (domain, item id, kind, value), all at ``ts``."""
        self._current()
        for domain, item_id in offers:
            kept = self._rows.get((user, domain))
            if kept is not None:
                _insert(kept.offered, FeedbackEvent(item_id, "offer", ts), self.offer_limit)
        for domain, item_id, kind, value in feedback:
            kept = self._rows.get((user, domain))
            if kept is not None:
                _insert(kept.feedback, FeedbackEvent(item_id, kind, ts, value), self.feedback_limit)
