"""Session logs: the events of every turn as JSON lines, one file per session.

Logs live in ``<data dir>/sessions/<user>/<session id>.jsonl`` and recordings in
``<data dir>/recordings/<user>/<session id>/``; keeping each user under their own folder
makes "forget me" a folder delete.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
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

log = logging.getLogger(__name__)


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


# Sessions started by this process: the last part of an id. It was the monotonic clock's
# nanoseconds modulo 100,000, and two of a test's 45 sessions started in one second came out
# with the same id (their turns then clashed in the store).
_SESSIONS_STARTED = itertools.count()


def new_session_id() -> str:
    """A new session id: the local time, the process id and this process's count of sessions
    (unique within the process for 100,000 sessions a second; ids sort by time)."""
    count = next(_SESSIONS_STARTED) % 100000
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid() % 100000:05d}-{count:05d}"


class SessionLog:
    """Appends whole turns to a JSONL file; one write per turn so a crash never splits a turn.

    A write the disk refuses (full, or the folder gone) never fails the turn: what was written
    of it is cut off again, so the file still holds whole turns only, and the turn is kept in
    memory and written before the next one once there is space. The database row is the
    source of truth either way: ``repair_log`` fills in what a crash lost.
    """

    # Turns held while the disk refuses writes: about 3 kB each (a recommendation turn's
    # events), so at most ~0.6 MB; beyond that the oldest go, and the next start's
    # ``repair_log`` writes them from the database.
    MAX_PENDING = 200

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pending: list[bytes] = []
        self.dropped = 0  # turns given up after MAX_PENDING

    def _open(self) -> int:
        if self._fd is None:
            ensure_private_dir(self.path.parent)
            self._fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        return self._fd

    @property
    def pending(self) -> int:
        """How many turns wait in memory for the disk to take them."""
        return len(self._pending)

    def append(self, events: Iterable[Event]) -> bool:
        """Write a turn's events as one block and flush it to disk (after any turns still held
        from a refused write); False when the disk refused and the turn is held instead."""
        self._pending.append("".join(e.to_json() + "\n" for e in events).encode("utf-8"))
        try:
            self._write_pending()
        except OSError as exc:
            if len(self._pending) > self.MAX_PENDING:
                del self._pending[0]
                self.dropped += 1
            log.warning(
                "session log %s: %s; %d turn(s) held until it can be written",
                self.path,
                exc,
                len(self._pending),
            )
            return False
        return True

    def _write_pending(self) -> None:
        fd = self._open()
        data = b"".join(self._pending)
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # a torn line would break reading the whole log
                os.ftruncate(fd, size)
            raise
        self._pending.clear()
        # No descriptor is held between turns: a server keeps up to 256 conversations open
        # (MAX_OPEN_CONVERSATIONS), and the soak bench saw its descriptors climb from 177 to
        # 265 with them. Opening for each turn costs microseconds beside the fsync.
        self._fd = None
        os.close(fd)

    def close(self) -> None:
        """Close the log file (again is harmless); turns still held get one last try."""
        if self._pending:
            with contextlib.suppress(OSError):
                self._write_pending()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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
    return _purge_files(data_dir / "recordings", "*.wav", max_age_days, now)


def purge_old_session_logs(data_dir: Path, max_age_days: int, now: float | None = None) -> int:
    """Retention: delete session logs last written more than ``max_age_days`` ago; the count.

    A log is appended at every turn, so an open conversation's log is never this old."""
    return _purge_files(data_dir / "sessions", "*.jsonl", max_age_days, now)


def _purge_files(root: Path, pattern: str, max_age_days: int, now: float | None) -> int:
    if not root.exists() or max_age_days <= 0:
        return 0
    cutoff = (time.time() if now is None else now) - max_age_days * 86400
    removed = 0
    for path in root.rglob(pattern):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    # The folders emptied (a session's recordings, a user's): else a month of sessions leaves
    # a month of empty folders behind.
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty one goes
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
            try:
                appended += repair_log(Path(row["log_path"]), store.turn_events(row["id"]))
            except OSError as exc:  # a full disk at start-up: repaired at the next start
                log.warning("could not repair the session log %s: %s", row["log_path"], exc)
    return appended
