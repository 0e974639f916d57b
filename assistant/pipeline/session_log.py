"""Session logs: the events of every turn as JSON lines, one file per session.

Logs live in ``<data dir>/sessions/<user>/<session id>.jsonl`` and recordings in
``<data dir>/recordings/<user>/<session id>/``; keeping each user under their own folder
makes "forget me" a folder delete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import ensure_private_dir
from assistant.contracts.events import Event, EventFormatError, event_from_json

if TYPE_CHECKING:
    from assistant.storage.history import HistoryStore


def user_folder_name(user: str) -> str:
    """A file-system-safe folder name for a user name (names are free text)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", user.lower()).strip("-")[:40] or "user"
    return slug


def sessions_dir(data_dir: Path, user: str) -> Path:
    """The folder of ``user``'s session logs under ``data_dir``."""
    return data_dir / "sessions" / user_folder_name(user)


def recordings_dir(data_dir: Path, user: str) -> Path:
    """The folder of ``user``'s voice recordings under ``data_dir``."""
    return data_dir / "recordings" / user_folder_name(user)


def new_session_id() -> str:
    """A new session id: the local time, the process id and a monotonic counter."""
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid() % 100000:05d}-{time.monotonic_ns() % 100000:05d}"


class SessionLog:
    """Appends whole turns to a JSONL file; one write per turn so a crash never splits a turn."""

    def __init__(self, path: Path) -> None:
        self.path = path
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def append(self, events: Iterable[Event]) -> None:
        """Write a turn's events as one block and flush it to disk."""
        block = "".join(e.to_json() + "\n" for e in events)
        self._file.write(block)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the log file (again is harmless)."""
        if not self._file.closed:
            self._file.close()


@dataclass
class LogLine:
    """One event read from a session log, with its line number."""

    number: int
    event: Event


def read_log(path: Path) -> Iterator[LogLine]:
    """Read a session log; a malformed line raises ``EventFormatError`` naming file and line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EventFormatError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield LogLine(number, event_from_json(line))
                except EventFormatError as exc:
                    raise EventFormatError(f"{path}, line {number}: {exc}") from None
        except UnicodeDecodeError:
            raise EventFormatError(f"{path}: not a UTF-8 text file") from None


def delete_user_files(data_dir: Path, user: str) -> int:
    """Remove a user's session logs and recordings; returns how many files went."""
    removed = 0
    for folder in (sessions_dir(data_dir, user), recordings_dir(data_dir, user)):
        if folder.exists():
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
    return removed


def purge_old_recordings(data_dir: Path, max_age_days: int, now: float | None = None) -> int:
    """Retention: delete recordings older than ``max_age_days``; returns the count."""
    root = data_dir / "recordings"
    if not root.exists() or max_age_days <= 0:
        return 0
    cutoff = (now or time.time()) - max_age_days * 86400
    removed = 0
    for wav in root.rglob("*.wav"):
        try:
            if wav.stat().st_mtime < cutoff:
                wav.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def repair_log(path: Path, recorded_turns: list[tuple[int, list[dict]]]) -> int:
    """Make a session log agree with the history database after a crash.

    The database row is written first and is the source of truth: a torn last line (the
    process died mid-write) is cut off, and turns whose events never reached the log are
    appended from the events stored with the turn. Returns the number of turns appended.
    """
    if not path.exists():
        return 0
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[: raw.rfind(b"\n") + 1]
        path.write_bytes(raw)
    logged: set[int] = set()
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            event = event_from_json(line)
        except EventFormatError:
            continue
        if event.type == "turn-end":
            logged.add(event.turn)
    missing = [(seq, events) for seq, events in recorded_turns if seq not in logged]
    if missing:
        with path.open("a", encoding="utf-8") as f:
            for _, events in sorted(missing, key=lambda m: m[0]):
                f.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
            f.flush()
            os.fsync(f.fileno())
    return len(missing)


def repair_session_logs(store: HistoryStore, recent: int = 20) -> int:
    """After a crash, bring the latest session logs back in line with the database."""
    appended = 0
    for row in store.recent_sessions(recent):
        if row["log_path"]:
            appended += repair_log(Path(row["log_path"]), store.turn_events(row["id"]))
    return appended
