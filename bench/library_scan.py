"""Scanning a large music library: 10,000 generated tagged files, a first scan and a rescan.

The files are real: one short tone per format (FLAC, Ogg Vorbis, MP3, M4A, WAV, Opus) is
encoded once, then copied and tagged with ``mutagen`` 10,000 times (distinct titles, artists,
albums, genres, years, track numbers). Baselines, same run and same files: walking and stat-ing
every file (the floor of any incremental rescan) and reading every file's tags with mutagen and
nothing else (the floor of a first scan). Targets: first scan <= 60 s, unchanged rescan <= 3 s.

    .venv/bin/python bench/library_scan.py [--files 10000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORMATS = (".flac", ".ogg", ".mp3", ".m4a", ".wav", ".opus")
GENRES = ("Jazz", "Rock", "Folk", "Electronic", "Classical", "Hip Hop", "Blues", "Pop")
SCAN_TARGET_S, RESCAN_TARGET_S = 60.0, 3.0


def generate(root: Path, count: int) -> float:
    from tqdm import tqdm

    from testkit.music_files import tag, write_audio

    started = time.perf_counter()
    templates = {s: write_audio(root / f"template{s}", 0.3) for s in FORMATS}
    for n in tqdm(range(count), desc="generating tagged files", unit="file"):
        suffix = FORMATS[n % len(FORMATS)]
        artist = f"Artist {n // 40:03d}"
        path = root / artist / f"Album {n // 10 % 4}" / f"{n:05d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates[suffix], path)
        tag(path, title=f"Track {n} of the bench", artist=artist, album=f"Album {n // 10 % 4}",
            genre=GENRES[n % len(GENRES)], date=str(1960 + n % 60), tracknumber=str(n % 10 + 1))  # fmt: skip
    for template in templates.values():
        template.unlink()
    return time.perf_counter() - started


def walk_floor(root: Path) -> float:
    started = time.perf_counter()
    n = 0
    for folder, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
            n += 1
    return time.perf_counter() - started


def tags_floor(root: Path) -> float:
    import mutagen

    started = time.perf_counter()
    for path in root.rglob("*"):
        if path.is_file():
            mutagen.File(str(path))
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=10_000)
    p.add_argument("--keep", action="store_true", help="keep the generated folder")
    args = p.parse_args()
    import assistant.storage  # noqa: F401  (the core's storage: what library_db opens the skill's tables with)
    from skills.music.library import library_db, library_tracks, scan

    tmp = Path(tempfile.mkdtemp(prefix="library-bench-"))
    root = tmp / "Music"
    try:
        made = generate(root, args.files)
        db = library_db(tmp / "history.db")
        first = scan([root], db)
        rescan = scan([root], db, progress=False)
        playable = len(library_tracks(db))
        floor_walk, floor_tags = walk_floor(root), tags_floor(root)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.files} generated tagged files ({made:.1f} s to make), {playable} stored as playable:")
    print(f"  first scan      {first.seconds:6.2f} s   (target <= {SCAN_TARGET_S:.0f} s;"
          f" baseline: mutagen tags alone {floor_tags:.2f} s)")  # fmt: skip
    print(f"  rescan, no change {rescan.seconds:4.2f} s   (target <= {RESCAN_TARGET_S:.0f} s;"
          f" baseline: walk + stat alone {floor_walk:.2f} s; {rescan.read} files re-read)")  # fmt: skip
    print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    ok = first.seconds <= SCAN_TARGET_S and rescan.seconds <= RESCAN_TARGET_S and rescan.read == 0
    print(f"  targets {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
