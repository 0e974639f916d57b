"""The user's own music: folders scanned for tagged audio files, kept in the history database.

``[music] library = ["~/Music", ...]`` in config.toml names the folders. A scan walks them
(following links, each real folder once, so a symlink loop ends), reads the tags with
``mutagen`` (title, artist, album, genre, year, duration, track number) from MP3, FLAC, Ogg
Vorbis/Opus, M4A and WAV, and stores one row per file in the ``music_library_tracks`` table of the
history database (the skill's own tables, made by ``SCHEMA``'s migrations; see
``assistant.skill_sdk.storage``). A rescan reads only files whose size or modification time
changed. Files that cannot be read are stored with the reason, reported once, and never offered.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.skill_sdk.storage import SkillDatabase, SkillSchema, open_database
from skills.music.catalog import Track, canonical_genre

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav"})
LIBRARY_SOURCE = "lib"
TRACKS_TABLE, TEXTS_TABLE = "music_library_tracks", "music_library_texts"
TRACK_COLUMNS = (
    "path", "folder", "mtime", "size", "title", "artist", "album", "genre", "year", "duration",
    "track_number", "error", "scanned",
)  # fmt: skip
# The skill's tables. Step 1 adopts the tables an earlier build made with CREATE TABLE IF NOT
# EXISTS under the names "library_tracks" and "library_texts" (their rows stay; on a new file it
# makes them empty), then renames them into the skill's own "music_" names.
SCHEMA = SkillSchema(
    "music",
    migrations=(
        """CREATE TABLE IF NOT EXISTS library_tracks (
            path TEXT PRIMARY KEY, folder TEXT NOT NULL, mtime REAL NOT NULL, size INTEGER NOT NULL,
            title TEXT, artist TEXT, album TEXT, genre TEXT, year INTEGER, duration REAL,
            track_number INTEGER, error TEXT, scanned REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS library_texts (text TEXT PRIMARY KEY, vector BLOB NOT NULL);
        ALTER TABLE library_tracks RENAME TO music_library_tracks;
        ALTER TABLE library_texts RENAME TO music_library_texts;""",
    ),
    legacy_tables=frozenset({"library_tracks", "library_texts"}),
)
# A changed file's row replaces the old one whole (a file that became unreadable keeps no stale tags).
UPSERT_TRACK = (
    f"INSERT INTO {TRACKS_TABLE} ({', '.join(TRACK_COLUMNS)}) VALUES ({', '.join('?' * len(TRACK_COLUMNS))}) "
    f"ON CONFLICT (path) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in TRACK_COLUMNS[1:])}"
)
PROGRESS_MIN_FILES = 500  # a progress bar for folders at least this large
UNKNOWN_ARTIST = "Unknown artist"
# ID3 frames (MP3 and WAV tags) -> our field names; Vorbis comments and MP4 atoms are mapped below.
ID3_FRAMES = {
    "TIT2": "title",
    "TPE1": "artist",
    "TALB": "album",
    "TCON": "genre",
    "TDRC": "year",
    "TRCK": "track",
}
MP4_ATOMS = {
    "\xa9nam": "title",
    "\xa9ART": "artist",
    "\xa9alb": "album",
    "\xa9gen": "genre",
    "\xa9day": "year",
}


@dataclass
class ScanReport:
    files: int = 0  # audio files seen
    read: int = 0  # files whose tags were (re)read
    unchanged: int = 0
    removed: int = 0
    problems: list[str] = field(default_factory=list)  # one line per file or folder not used
    seconds: float = 0.0
    # The same problems as (path, why), for the household page, which shows them as a table.
    problem_paths: list[tuple[str, str]] = field(default_factory=list)

    def note(self, path: str, reason: str, folder: bool = False) -> None:
        """A file or folder not used, and why."""
        self.problems.append(f"{'folder ' if folder else ''}{path}: {reason}")
        self.problem_paths.append((path, reason))

    def summary(self) -> str:
        usable = self.files - sum(1 for p in self.problems if not p.startswith("folder"))
        text = (
            f"{self.files} audio files ({usable} playable): {self.read} read, {self.unchanged} unchanged, "
            f"{self.removed} removed, in {self.seconds:.1f} s"
        )
        if self.problems:
            text += f"; {len(self.problems)} problem(s):\n  " + "\n  ".join(self.problems[:20])
            if len(self.problems) > 20:
                text += f"\n  ... and {len(self.problems) - 20} more"
        return text


def library_db(path: Path | None = None) -> SkillDatabase:
    """The skill's library tables, in the assistant's database (``path``: another file, for tests)."""
    return open_database(SCHEMA, path)


def folders_from(settings: dict[str, Any] | None) -> list[Path]:
    raw = (settings or {}).get("library") or []
    if isinstance(raw, str):
        raw = [raw]
    return [Path(os.path.expanduser(str(f))) for f in raw if str(f).strip()]


def _walk(folder: Path, report: ScanReport) -> Iterator[tuple[str, os.stat_result]]:
    """Audio files under ``folder``; each real folder once (a symlink loop ends), errors noted."""
    seen: set[tuple[int, int]] = set()
    stack = [str(folder)]
    while stack:
        here = stack.pop()
        try:
            info = os.stat(here)
        except OSError as exc:
            report.note(here, str(exc.strerror or exc), folder=True)
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            continue  # reached again through a link: a loop, or the same folder twice
        seen.add(key)
        try:
            entries = list(os.scandir(here))
        except OSError as exc:
            report.note(here, f"cannot be read ({exc.strerror or exc})", folder=True)
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=True):
                    stack.append(entry.path)
                elif Path(entry.name).suffix.lower() in AUDIO_SUFFIXES and entry.is_file(
                    follow_symlinks=True
                ):
                    yield entry.path, entry.stat(follow_symlinks=True)
            except OSError as exc:
                report.note(entry.path, str(exc.strerror or exc))


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    text = getattr(value, "text", value)  # ID3 frames carry a list in .text
    if isinstance(text, list | tuple):
        text = text[0] if text else ""
    return str(text).strip()


def _number(text: str) -> int | None:
    digits = "".join(ch for ch in text.split("/")[0].split("-")[0] if ch.isdigit())
    return int(digits) if digits else None


def read_tags(path: str) -> dict[str, Any]:
    """Tags and duration of one file; raises ``ValueError`` with the reason when unreadable."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # mutagen raises its own error per format for damaged headers
        raise ValueError(f"not a readable audio file ({type(exc).__name__}: {exc})") from exc
    if audio is None:
        raise ValueError("not an audio format I know")
    info = getattr(audio, "info", None)
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0:
        raise ValueError("no audio in it (zero length)")
    found: dict[str, str] = {}
    tags = audio.tags or {}
    for key in list(tags.keys()):
        name = ID3_FRAMES.get(key[:4]) or MP4_ATOMS.get(key)
        if name is None and key.lower() in ("title", "artist", "album", "genre", "date", "tracknumber"):
            name = {"date": "year", "tracknumber": "track"}.get(key.lower(), key.lower())
        if name is None and key == "trkn":
            number = tags[key][0][0] if tags[key] else None
            found.setdefault("track", str(number or ""))
            continue
        if name:
            found.setdefault(name, _first(tags[key]))
    title = found.get("title") or Path(path).stem.replace("_", " ").strip()
    return {
        "title": title,
        "artist": found.get("artist") or UNKNOWN_ARTIST,
        "album": found.get("album", ""),
        "genre": found.get("genre", ""),
        "year": _number(found.get("year", "")),
        "duration": round(length, 3),
        "track_number": _number(found.get("track", "")),
    }


def scan(
    folders: Iterable[Path],
    db: SkillDatabase,
    progress: bool = True,
    prune_others: bool = True,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> ScanReport:
    """Bring the stored library up to date with ``folders`` (incremental: size and mtime).

    ``prune_others``: files stored from folders not in ``folders`` are dropped too (the
    configured list is the whole library); False for a scan of some folders only.
    ``on_progress(done, total, doing)``: told per folder while counting (total 0), then per file
    read (the household page's progress bar; the terminal's is ``progress``).
    """
    tell = on_progress or (lambda done, total, doing: None)
    started = time.perf_counter()
    report = ScanReport()
    folders = [Path(f) for f in folders]
    known = {
        row[0]: (row[1], row[2], row[3], row[4])
        for row in db.query(f"SELECT path, mtime, size, error, folder FROM {TRACKS_TABLE}")
    }
    found: list[tuple[str, str, os.stat_result]] = []
    for folder in folders:
        tell(len(found), 0, f"looking in {folder}")
        if not folder.is_dir():
            report.note(str(folder), "not found or not a folder", folder=True)
            continue
        found += [(str(folder), path, st) for path, st in _walk(folder, report)]
    report.files = len(found)
    changed = [
        (f, p, st) for f, p, st in found if known.get(p, (None, None))[:2] != (st.st_mtime, st.st_size)
    ]
    report.unchanged = report.files - len(changed)
    changed_paths = {p for _, p, _ in changed}
    for path, (_, _, error, _) in known.items():
        if error and path not in changed_paths:
            report.note(path, error)
    rows = []
    bar = None
    if progress and len(changed) >= PROGRESS_MIN_FILES:
        from tqdm import tqdm

        bar = tqdm(total=len(changed), desc="scanning music library", unit="file")
    now = time.time()
    for done, (folder, path, st) in enumerate(changed):
        tell(done, len(changed), f"reading {path}")
        row: dict[str, Any] = {"path": path, "folder": folder, "mtime": st.st_mtime, "size": st.st_size}
        try:
            if st.st_size == 0:
                raise ValueError("empty file (zero bytes)")
            row.update(read_tags(path), error=None)
        except ValueError as exc:
            row.update(title=Path(path).stem, artist=None, error=str(exc))
            report.note(path, str(exc))
        row["scanned"] = now
        rows.append(row)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    report.read = len(rows)
    tell(len(rows), len(rows), "storing what was read")
    present = {p for _, p, _ in found}
    scanned = {str(f) for f in folders}
    gone = [p for p, row in known.items() if p not in present and (prune_others or row[3] in scanned)]
    with db.transaction():  # a scan stores all of its rows or none
        db.executemany(UPSERT_TRACK, [[row.get(c) for c in TRACK_COLUMNS] for row in rows])
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            db.execute(f"DELETE FROM {TRACKS_TABLE} WHERE path IN ({','.join('?' * len(chunk))})", chunk)
    report.removed = len(gone)
    report.seconds = time.perf_counter() - started
    return report


def track_id(path: str) -> str:
    return f"{LIBRARY_SOURCE}:" + hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def library_tracks(db: SkillDatabase) -> list[Track]:
    """The playable stored files as catalog ``Track``s (source "lib", ``path`` set)."""
    out = []
    for row in db.query(
        f"SELECT path, title, artist, album, genre, year, duration, track_number FROM {TRACKS_TABLE} "
        "WHERE error IS NULL ORDER BY artist, album, track_number, title"
    ):
        path, title, artist, album, genre, year, duration, number = row
        genres = tuple(
            dict.fromkeys(
                canonical_genre(g) for g in str(genre or "").replace(";", ",").split(",") if g.strip()
            )
        )
        out.append(
            Track(
                id=track_id(path),
                title=title,
                artist=artist or UNKNOWN_ARTIST,
                source=LIBRARY_SOURCE,
                genres=genres,
                year=year,
                album=album or "",
                popularity=0.5,
                path=path,
                duration=duration,
                track_number=number,
            )
        )
    return out


def stored_vectors(db: SkillDatabase, texts: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for start in range(0, len(texts), 500):
        chunk = texts[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(db.query(f"SELECT text, vector FROM {TEXTS_TABLE} WHERE text IN ({marks})", chunk))
    return found


def store_vectors(db: SkillDatabase, vectors: dict[str, bytes]) -> None:
    with db.transaction():
        db.executemany(f"INSERT OR REPLACE INTO {TEXTS_TABLE} (text, vector) VALUES (?, ?)", vectors.items())


def stored_problems(db: SkillDatabase) -> list[tuple[str, str]]:
    """(path, why) of every stored file that is never offered, by path."""
    return [
        (str(path), str(error))
        for path, error in db.query(
            f"SELECT path, error FROM {TRACKS_TABLE} WHERE error IS NOT NULL ORDER BY path"
        )
    ]


def library_size(db: SkillDatabase) -> int:
    """How many readable tracks the library tables hold (``assistant status``)."""
    return int(db.query(f"SELECT COUNT(*) FROM {TRACKS_TABLE} WHERE error IS NULL")[0][0])


def library_command(argv: list[str], settings: dict[str, Any]) -> int:
    """``assistant library scan [FOLDER ...]``: scan the configured (or given) folders now."""
    import argparse

    p = argparse.ArgumentParser(prog="assistant library", description="Your own music library.")
    sub = p.add_subparsers(dest="action", required=True)
    scan_p = sub.add_parser("scan", help="scan the library folders (incremental)")
    scan_p.add_argument(
        "folders", nargs="*", type=Path, help="default: [music] library = [...] in config.toml"
    )
    sub.add_parser("list", help="count the stored tracks by artist")
    args = p.parse_args(argv)
    db = library_db()
    try:
        return _run_library_action(args, db, settings)
    finally:
        db.close()


def _run_library_action(args: Any, db: SkillDatabase, settings: dict[str, Any]) -> int:
    if args.action == "list":
        rows = db.query(
            f"SELECT artist, COUNT(*) FROM {TRACKS_TABLE} WHERE error IS NULL GROUP BY artist ORDER BY 2 DESC"
        )
        if not rows:  # say so: a silent command reads as a broken one
            print("No tracks stored yet: run `assistant library scan` after setting [music] library.")
        for artist, count in rows:
            print(f"{count:6d}  {artist}")
        return 0
    folders = args.folders or folders_from(settings)
    if not folders:
        print('No library folders: add [music] library = ["~/Music"] to config.toml, or name a folder.')
        return 2
    report = scan(folders, db, prune_others=not args.folders)
    print(report.summary())
    return 0
