"""What the household's web page shows and corrects about each person: who is known, what was
learnt (likes and dislikes per skill, with the title they were offered under), and removing one
learnt item or preference.

Kept beside ``history.py`` rather than in it: these are the page's questions, and every call
takes the ``HistoryStore`` whose connection (and thread) it runs on. Deleting a whole person is
not here: that is ``Pipeline.forget``, the same call voice "forget me" makes.
"""

from __future__ import annotations

from typing import Any

from assistant.storage.connection import Transaction
from assistant.storage.history import HistoryStore

# What a person taught, as opposed to what was only heard (a play or a skip of a track).
TAUGHT_KINDS = ("like", "dislike")


def people(store: HistoryStore) -> list[str]:
    """Every person the history knows, by name: a profile row, or turns and feedback without one."""
    rows = store.db.execute(
        "SELECT name FROM users UNION SELECT user FROM turns UNION SELECT user FROM feedback ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def taught(store: HistoryStore, user: str) -> dict[str, list[dict[str, Any]]]:
    """``user``'s likes and dislikes by skill (domain), newest first, each with the title it was
    last offered under (the item id when it never was, as for "I like Miles Davis")."""
    rows = store.db.query(
        "SELECT f.id, f.domain, f.item_id, f.kind, f.ts, "
        "(SELECT o.title FROM offers o WHERE o.user = f.user AND o.item_id = f.item_id "
        " ORDER BY o.ts DESC LIMIT 1) AS title "
        f"FROM feedback f WHERE f.user = ? AND f.kind IN ({', '.join('?' * len(TAUGHT_KINDS))}) "
        "ORDER BY f.ts DESC, f.id DESC",
        [user, *TAUGHT_KINDS],
    )
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row["title"] = row["title"] or row["item_id"]
        by_domain.setdefault(row["domain"], []).append(row)
    return by_domain


def recent_turns(store: HistoryStore, user: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """The latest turns (of one person, or of everyone), newest first, each with its offers."""
    where, params = ("WHERE user = ? ", [user]) if user is not None else ("", [])
    turns = list(
        store.db.query(
            f"SELECT id, user, ts, source, text, response, intent, domain FROM turns {where}"
            "ORDER BY ts DESC, id DESC LIMIT ?",
            [*params, limit],
        )
    )
    for turn in turns:
        turn["offers"] = list(
            store.db.query(
                "SELECT title, reason, domain FROM offers WHERE turn_id = ? ORDER BY position", [turn["id"]]
            )
        )
    return turns


def remove_feedback(store: HistoryStore, user: str, feedback_id: int) -> bool:
    """Delete one piece of ``user``'s feedback; False when it is not theirs (or is gone).

    The user is part of the condition, so an id from another person's page deletes nothing.
    """
    with Transaction(store.db.conn):
        cur = store.db.execute("DELETE FROM feedback WHERE id = ? AND user = ?", [feedback_id, user])
    return cur.rowcount > 0


def remove_preference(store: HistoryStore, user: str, key: str) -> bool:
    """Delete one of ``user``'s stored preferences (``home_city``); False when there was none."""
    with Transaction(store.db.conn):
        cur = store.db.execute("DELETE FROM preferences WHERE user = ? AND key = ?", [user, key])
    return cur.rowcount > 0
