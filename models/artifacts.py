"""Building model artifacts: how a build step knows an artifact is up to date, and its stamp.

Every artifact is a folder under ``models/artifacts/<name>``; it holds a ``stamp.json`` with the
content hash of everything it was built from (data files and the code that builds it). A build
step compares hashes and skips work when nothing changed, which keeps a second ``setup.sh``
fast and lets a code change retrain exactly what it affects.

Where artifacts live and ``ArtifactMissingError`` are runtime concerns owned by
``assistant.artifacts``; they are re-exported here so build code has one import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from assistant.artifacts import (
    DATA_DIR,
    REPO_ROOT,
    ArtifactMissingError,
    artifact_dir,
    artifacts_root,
    read_stamp,
)

__all__ = [
    "DATA_DIR",
    "REPO_ROOT",
    "ArtifactMissingError",
    "artifact_dir",
    "artifacts_root",
    "content_hash",
    "is_current",
    "read_stamp",
    "write_stamp",
]


def content_hash(paths: Iterable[Path], extra: str = "") -> str:
    """A hash over file contents (folders are walked in sorted order) and an extra string."""
    digest = hashlib.sha256(extra.encode())
    for path in sorted(Path(p) for p in paths):
        files = sorted(q for q in path.rglob("*") if q.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(REPO_ROOT) if f.is_relative_to(REPO_ROOT) else f).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:24]


def is_current(name: str, want_hash: str) -> bool:
    """Whether artifact ``name`` has a stamp recording ``want_hash``."""
    try:
        return read_stamp(name)["hash"] == want_hash
    except (OSError, ValueError, KeyError):
        return False


def write_stamp(name: str, want_hash: str, **info: object) -> None:
    """Written last, after every file of the artifact, so a crash mid-build leaves it stale."""
    folder = artifact_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "stamp.json.tmp"
    tmp.write_text(json.dumps({"hash": want_hash, **info}, indent=2, default=str))
    tmp.replace(folder / "stamp.json")
