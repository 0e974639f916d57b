"""The music library as the household page shows it: ``SkillSpec.library`` returns a
``MusicShelf``, the skill's side of ``assistant.skill_sdk.library.FileLibrary``.

It reads and scans through the same functions as ``assistant library scan`` (``library.scan``),
each call on a database connection of its own, so the page's scan thread never shares the
pipeline's. Tracks a scan adds are offered from the skill's next load, as after the command.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.skill_sdk.library import (
    LibraryFolder,
    LibraryOverview,
    LibraryProblem,
    LibraryScanResult,
    Progress,
)
from skills.music.library import folders_from, library_db, library_size, scan, stored_problems

TITLE = "Music library"


class MusicShelf:
    """The configured library folders and what the skill's tables hold of them."""

    def __init__(self, folders: list[Path], db_path: Path | None = None) -> None:
        self.folders = folders
        self.db_path = db_path  # None: the assistant's own database (another file in tests)

    def overview(self) -> LibraryOverview:
        db = library_db(self.db_path)
        try:
            usable, problems = library_size(db), stored_problems(db)
        finally:
            db.close()
        return LibraryOverview(
            title=TITLE,
            folders=tuple(LibraryFolder(str(f), f.is_dir()) for f in self.folders),
            usable=usable,
            problems=tuple(LibraryProblem(p, why) for p, why in problems),
        )

    def scan(self, progress: Progress) -> LibraryScanResult:
        db = library_db(self.db_path)
        try:
            # no terminal bar: the page shows progress; every configured folder is the library
            report = scan(self.folders, db, progress=False, on_progress=progress)
        finally:
            db.close()
        return LibraryScanResult(
            files=report.files,
            read=report.read,
            unchanged=report.unchanged,
            removed=report.removed,
            seconds=report.seconds,
            problems=tuple(LibraryProblem(p, why) for p, why in report.problem_paths),
        )


def music_shelf(settings: Mapping[str, Any]) -> MusicShelf:
    """``SkillSpec.library``: the folders of ``[skills.music] library``."""
    return MusicShelf(folders_from(dict(settings or {})))
