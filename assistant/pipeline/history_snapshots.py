"""The history a session starts from, kept for replay: whole once per user per day, then only
what each later session adds.

A replay runs a session log in an empty data directory, so the log must say what the dialogue
read of the person's past when the session began (the offers and feedback a profile reads, and
the preferences: ``HistoryStore.snapshot_user``). Written whole into every session's
``session-start``, that snapshot grew with the person's history and was written again for every
conversation: the soak bench (bench/soak.py, five users, a new conversation every five turns)
measured 26.6 MB of session logs per 1,000 turns after 3,000 turns (a session start's line
125 kB after 2,000 turns, 190 kB after 3,000, and bounded only by the profile limits), and a
session start's CPU time going from 1.4 ms to 10.3 ms over those turns (most of it
``dataclasses.asdict`` copying the snapshot). Each day's first session of a user now writes the
snapshot to ``sessions/<user>/history/<day>.jsonl``; a later session that day appends only the
rows added since the user's previous session there (1-4 kB in the bench), and its
``session-start`` names the file (``history_file``). After: session starts at 0.7-1.0 ms and
2.07 MB of logs per 1,000 turns, flat over 10,000 turns. ``read_history`` puts a session's
history back together.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import ensure_private_dir
from assistant.contracts.events import EventFormatError
from assistant.storage.history import HistoryStore

log = logging.getLogger(__name__)

FOLDER = "history"  # under the user's session-log folder, so "forget me" removes it too


@dataclass
class _Written:
    """What this process last wrote of one user's history: the day's file and the row marks."""

    path: Path  # the day's file
    marks: dict[str, list[int]]


class HistorySnapshots:
    """Writes each session's starting history: a whole snapshot once per user per day (and
    again after rows were deleted, or a write failed), else what was added since."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._written: dict[str, _Written] = {}

    def record(
        self, folder: Path, session_id: str, user: str, now: float
    ) -> tuple[dict[str, Any] | None, str | None]:
        """``(history, history_file)`` for a session-start in ``folder``: the file (relative
        to ``folder``) that holds this session's starting history; or the whole snapshot
        inline when that file cannot be written (a full disk); or (None, None) for a user with
        nothing stored."""
        if not self.store.has_user_data(user):
            return None, None
        path = folder / FOLDER / f"{time.strftime('%Y%m%d', time.localtime(now))}.jsonl"
        marks = self.store.history_marks(user)
        line: dict[str, Any] = {"session_id": session_id}
        last = self._written.get(user)
        if last is not None and last.path == path and path.exists():
            since = self.store.history_since(user, last.marks)
            # What the file holds plus these rows is the history now unless rows were deleted
            # meanwhile (forgotten, past retention): then the count grew by less than was added.
            if all(marks[t][0] == last.marks[t][0] + len(since[t]) for t in marks):
                line["since"] = since
        if "since" not in line:
            line["history"] = self.store.snapshot_user(user)
        try:
            _append(path, json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            log.warning("could not write %s: %s; the session log holds the history instead", path, exc)
            self._written.pop(user, None)  # the next session starts the file again
            return line.get("history") or self.store.snapshot_user(user), None
        self._written[user] = _Written(path, marks)
        return None, f"{FOLDER}/{path.name}"

    def forget(self, user: str) -> None:
        """``user`` was forgotten: their next session's history is written whole."""
        self._written.pop(user, None)


def _append(path: Path, text: str) -> None:
    """Append one whole line and flush it to disk; a refused write leaves no torn line."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        size = os.fstat(fd).st_size
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # a torn line would hide every later session's
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


def read_history(path: Path, session_id: str) -> dict[str, Any]:
    """The history session ``session_id`` started from, put back together from the day's file
    at ``path``: the last whole snapshot written before it, the rows every later session added,
    and the session's own preferences. A file without the session raises ``EventFormatError``."""
    lines: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as f:
            for number, text in enumerate(f, start=1):
                try:
                    line = json.loads(text)
                except json.JSONDecodeError:
                    if not text.endswith("\n"):
                        break  # a torn last line (the process died mid-write)
                    raise EventFormatError(f"{path}, line {number}: not valid JSON") from None
                if "history" in line:
                    lines = [line]
                elif lines:
                    lines.append(line)
                if line.get("session_id") == session_id:
                    break
            else:
                raise EventFormatError(f"{path}: no history for session {session_id}")
    except OSError as exc:
        raise EventFormatError(f"{path}: cannot read the session's history ({exc.strerror})") from None
    if not lines or lines[-1].get("session_id") != session_id:
        raise EventFormatError(f"{path}: no history for session {session_id}")
    history = dict(lines[0]["history"])
    for line in lines[1:]:
        for table in ("offers", "feedback"):
            history[table] = [*history.get(table, []), *line["since"].get(table, [])]
    history["preferences"] = (lines[-1].get("since") or lines[-1]["history"]).get("preferences", {})
    return history
