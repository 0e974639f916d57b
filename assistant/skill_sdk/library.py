"""What a skill that keeps a library of the user's own files shows on the household page.

A skill declares ``SkillSpec.library``: a function of its settings section that returns a
``FileLibrary`` quickly (no model loading, no network). The page lists each one's folders, the
files it holds, the files it cannot use and why, and runs a scan with live progress through
``FileLibrary.scan``. The core never names the kind of files: the skill's ``title`` does.

A scan runs on a thread of its own, with its own database connection (never the pipeline's);
what it stores is what the skill reads when it is next loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# A scan's progress: (files done, files to do; 0 while still counting, what it is doing).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LibraryFolder:
    """One configured folder, and whether it is there to be scanned."""

    path: str
    found: bool


@dataclass(frozen=True)
class LibraryProblem:
    """A file or folder the library cannot use, with why ("no audio in it (zero length)")."""

    path: str
    reason: str


@dataclass(frozen=True)
class LibraryOverview:
    """What a library holds now, as stored by its last scan."""

    title: str  # what the page calls it: "Your own recordings"
    folders: tuple[LibraryFolder, ...]
    usable: int  # files stored and offered
    problems: tuple[LibraryProblem, ...]  # files stored but never offered, with why


@dataclass(frozen=True)
class LibraryScanResult:
    """What one scan did."""

    files: int  # files seen
    read: int  # files (re)read because they are new or changed
    unchanged: int
    removed: int  # stored files no longer there
    seconds: float
    problems: tuple[LibraryProblem, ...]  # every file or folder not used, found now or before


@runtime_checkable
class FileLibrary(Protocol):
    """A skill's library of the user's files (``SkillSpec.library`` returns one)."""

    def overview(self) -> LibraryOverview:
        """The folders and what the last scan stored; quick (one query, a stat per folder)."""
        ...

    def scan(self, progress: Progress) -> LibraryScanResult:
        """Bring the stored library up to date with the folders, calling ``progress`` as it goes.

        May take minutes on a large library; it is called off the page's event loop."""
        ...
