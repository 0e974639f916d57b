"""Where model artifacts live and how we know one is up to date.

Every artifact is a folder under ``models/artifacts/<name>``; it holds a ``stamp.json`` with the
content hash of everything it was built from (data files and the code that builds it). A build
step compares hashes and skips work when nothing changed, which keeps a second ``setup.sh``
fast and lets a code change retrain exactly what it affects.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


def artifacts_root() -> Path:
    """The artifacts folder; ``ASSISTANT_ARTIFACTS`` overrides it (tests with small models)."""
    override = os.environ.get("ASSISTANT_ARTIFACTS")
    return Path(override) if override else REPO_ROOT / "models" / "artifacts"


def artifact_dir(name: str) -> Path:
    return artifacts_root() / name


class ArtifactMissingError(RuntimeError):
    """An artifact the setup step builds is not there (or is damaged)."""

    def __init__(self, name: str, detail: str = "") -> None:
        self.name = name
        msg = f"model artifact '{name}' is missing or unusable"
        if detail:
            msg += f" ({detail})"
        msg += ". Build it with: ./setup.sh --only   (or: .venv/bin/python -m models.build)"
        super().__init__(msg)


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
    stamp = artifact_dir(name) / "stamp.json"
    try:
        return json.loads(stamp.read_text())["hash"] == want_hash
    except (OSError, ValueError, KeyError):
        return False


def write_stamp(name: str, want_hash: str, **info: object) -> None:
    """Written last, after every file of the artifact, so a crash mid-build leaves it stale."""
    folder = artifact_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "stamp.json.tmp"
    tmp.write_text(json.dumps({"hash": want_hash, **info}, indent=2, default=str))
    tmp.replace(folder / "stamp.json")
