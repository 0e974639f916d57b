"""Each person's recent offers and feedback kept in memory between turns.

Why: every skill request reads the person's profile for that skill (up to
``PROFILE_OFFER_LIMIT`` offers and ``PROFILE_FEEDBACK_LIMIT`` feedback rows, each made into an
object). Read from SQLite on every request, that cost grew with each person's history: in a
20,000-turn soak (``bench/soak.py``, 4,000 turns per person) ``HistoryStore.profile`` went
from 1.6 % to 5.8 % of the serving process's samples and turn latency p50 from 36 to 55 ms.
Kept here, a request copies the lists it already has and a recorded turn adds its own rows.

The cache is exactly what the query would return, or it is not used: its token is the
connection's ``total_changes`` (every row this connection inserted, changed or deleted) and
``PRAGMA data_version`` (which moves when another connection commits: the web page, a second
process). A turn this store records is added row by row when nothing else changed since the
token was taken; any other change (a delete, a retention run, an import, another writer) drops
every kept profile, and the next read goes to the database.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.skill_sdk.api import FeedbackEvent

Token = tuple[int, int]


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
    """Profiles of the people this connection serves, valid while its token holds."""

    def __init__(self, conn: sqlite3.Connection, offer_limit: int, feedback_limit: int) -> None:
        self.conn = conn
        self.offer_limit = offer_limit
        self.feedback_limit = feedback_limit
        self._rows: dict[tuple[str, str], _Rows] = {}
        self._token: Token | None = None

    def token(self) -> Token:
        """What the database looks like to this connection now (see the module's doc)."""
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        return int(version), self.conn.total_changes

    def rows(
        self, user: str, domain: str, load: Callable[[], tuple[list[FeedbackEvent], list[FeedbackEvent]]]
    ) -> tuple[list[FeedbackEvent], list[FeedbackEvent]]:
        """Copies of ``user``'s offers and feedback in ``domain``; ``load`` reads them from the
        database when they are not kept or the database changed since."""
        now = self.token()
        if now != self._token:
            self._rows.clear()
            self._token = now
        kept = self._rows.get((user, domain))
        if kept is None:
            offered, feedback = load()
            kept = self._rows[(user, domain)] = _Rows(list(offered), list(feedback))
        return list(kept.offered), list(kept.feedback)

    def recorded(
        self,
        before: Token,
        user: str,
        ts: float,
        offers: Sequence[tuple[str, str]],
        feedback: Sequence[tuple[str, str, str, float | None]],
    ) -> None:
        """A turn this connection just committed: ``offers`` as (domain, item id), ``feedback``
        as (domain, item id, kind, value), all at ``ts``. ``before`` is the token taken just
        before its transaction; if the cache was not current then, it is dropped instead."""
        if before != self._token:
            self._rows.clear()
            self._token = None
            return
        for domain, item_id in offers:
            kept = self._rows.get((user, domain))
            if kept is not None:
                _insert(kept.offered, FeedbackEvent(item_id, "offer", ts), self.offer_limit)
        for domain, item_id, kind, value in feedback:
            kept = self._rows.get((user, domain))
            if kept is not None:
                _insert(kept.feedback, FeedbackEvent(item_id, kind, ts, value), self.feedback_limit)
        self._token = self.token()
