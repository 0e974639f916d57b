"""The Library page's state: the skills' libraries of the user's files and their scans.

A skill that keeps such a library declares ``SkillSpec.library`` (assistant/skill_sdk/library.py);
the page knows it only through that interface. A scan can take minutes, so it runs on a thread
of its own (the skill's scan opens its own database connection: the pipeline's stays on the
pipeline's thread) and records its progress here; the page polls ``/library/panel`` while
one runs. One scan at a time per library: pressing "Scan" twice does not start a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.skill_sdk.library import FileLibrary, LibraryScanResult

log = logging.getLogger(__name__)
Finder = Callable[[], list[tuple[str, FileLibrary]]]  # (skill name, its library), in rank order


@dataclass
class ScanState:
    """One library's scan: running or finished, how far it got, what it found."""

    running: bool = False
    done: int = 0
    total: int = 0  # 0 while the folders are still being counted
    doing: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    result: LibraryScanResult | None = None
    error: str = ""

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class Shelves:
    """Every skill's library, found through ``find``, and the scans started from the page."""

    def __init__(self, find: Finder) -> None:
        self._find = find
        self._lock = threading.Lock()
        self._scans: dict[str, ScanState] = {}

    def libraries(self) -> list[tuple[str, FileLibrary]]:
        return self._find()

    def view(self) -> list[dict[str, Any]]:
        """Each library's overview and scan, for the page (reads files: call off the event loop)."""
        shown = []
        for name, library in self.libraries():
            try:
                overview, error = library.overview(), ""
            except Exception as exc:  # one skill's broken library must not take the page down
                log.exception("the %s library could not be read", name)
                overview, error = None, f"{type(exc).__name__}: {exc}"
            shown.append({"name": name, "overview": overview, "error": error, "scan": self.state(name)})
        return shown

    def state(self, name: str) -> ScanState | None:
        with self._lock:
            scan = self._scans.get(name)
            return None if scan is None else ScanState(**vars(scan))  # a copy: the thread writes on

    @staticmethod
    def scanning(view: list[dict[str, Any]]) -> bool:
        """Whether a scan ``view`` shows is running. The page polls on what it shows: read apart
        from the view, a scan that ended between the two left "Scanning" on the page for ever."""
        return any(shown["scan"] is not None and shown["scan"].running for shown in view)

    def start(self, name: str) -> bool:
        """Start scanning library ``name``; False when there is none or it is scanning already."""
        library = dict(self.libraries()).get(name)
        if library is None:
            return False
        with self._lock:
            if name in self._scans and self._scans[name].running:
                return False
            state = self._scans[name] = ScanState(running=True, doing="starting")
        threading.Thread(target=self._scan, args=(library, state), name=f"scan-{name}", daemon=True).start()
        return True

    def _scan(self, library: FileLibrary, state: ScanState) -> None:
        def progress(done: int, total: int, doing: str) -> None:
            with self._lock:
                state.done, state.total, state.doing = done, total, doing

        try:
            result = library.scan(progress)
        except Exception as exc:  # said on the page; the thread must end either way
            log.exception("a library scan failed")
            result, error = None, f"{type(exc).__name__}: {exc}"
        else:
            error = ""
        with self._lock:
            state.result, state.error, state.running = result, error, False
            state.seconds = time.monotonic() - state.started
            state.doing = "failed" if error else "done"
