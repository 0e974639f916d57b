"""System prompts read into llama.cpp's cache, kept in files across starts.

Every start used to read the three system prompts into their slots' KV caches again: 22 s of
the 1.5B model's start on the shared 2-core machine (bench/llm_turns.py), most of the ~29 s a
fresh ``assistant --text`` took to answer its first open request. llama.cpp can save a slot's
cache (its tokens and their keys and values) to a file and restore it into a slot; restoring
the 1.5B model's understanding prompt (~800 tokens, 23 MB) takes milliseconds (bench/llm_start.py).

One file per system prompt, ``<key>.bin`` beside ``<key>.json`` in ``cache/llm/`` under the data
directory. The key is a hash of everything the cached keys and values depend on: the model
file (name, size, modification time), the prompt's text, the context and slot settings, the
cache's number format and the xllamacpp (so llama.cpp) version. A changed prompt or model has
another key, so a stale cache is never restored: its file is simply not asked for (and is
pruned, oldest first, past ``KEEP_FILES``).

The ``.json`` says which key the ``.bin`` was written for, its size and its sha256, checked
before llama.cpp reads it: llama.cpp checks a file's structure but not its numbers, and a
flipped byte in the keys and values would make wrong answers, not an error. A file that is
missing, unreadable, truncated, corrupt or written for another key is ignored with a log line;
the prompt is read as before and the file written again.

A file is written under a name of its own (the process id in it) and moved into place, so two
processes sharing a data directory never read each other's half-written file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from assistant.artifacts import file_sha256

log = logging.getLogger(__name__)

FOLDER = Path("cache") / "llm"
# Three prompts for each of the three models a person might switch between; past that the files
# least recently used go (the 1.5B model's three files are 28 MB together, bench/llm_start.py).
KEEP_FILES = 9
# Bumped when what a file holds, or how its key is made, changes.
FORMAT = 1
# A half-written file of a process that died while saving: left this long, then removed.
STALE_PART_S = 3600.0


def cache_dir(home: Path) -> Path:
    """Where the slot cache files of the data directory ``home`` live."""
    return home / FOLDER


def model_identity(path: Path) -> dict[str, Any]:
    """What identifies a model file without reading its 1.1 GB: its name, size and modification
    time (a rebuilt file, even an identical one, gets its caches rebuilt once)."""
    stat = path.stat()
    return {"model": path.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


class SlotCache:
    """The folder of slot cache files for one model and one set of settings (``identity``)."""

    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        self.folder = folder
        self.identity = {**identity, "format": FORMAT}

    def key(self, system: str) -> str:
        """The file name (without its ending) for ``system``'s cache under this identity."""
        blob = json.dumps({**self.identity, "system": system}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]

    def data(self, key: str) -> Path:
        return self.folder / f"{key}.bin"

    def meta(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def restorable(self, key: str) -> str | None:
        """The file name llama.cpp may restore for ``key``, or None: nothing saved yet (quietly),
        or a file that does not check out (with a log line; it is rebuilt after this start)."""
        data, meta = self.data(key), self.meta(key)
        if not data.exists() and not meta.exists():
            return None
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            if not isinstance(info, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            log.warning("language model cache %s: unreadable description (%s); rebuilding it", key, exc)
            return None
        if info.get("key") != key or info.get("format") != FORMAT:
            log.warning("language model cache %s: written for another key; rebuilding it", key)
            return None
        try:
            size = data.stat().st_size
            if size != info.get("size"):
                log.warning(
                    "language model cache %s: %d bytes, %s expected; rebuilding it",
                    key,
                    size,
                    info.get("size"),
                )
                return None
            if file_sha256(data) != info.get("sha256"):
                log.warning("language model cache %s: checksum differs (corrupt); rebuilding it", key)
                return None
            os.utime(data)  # used: pruning keeps the most recently used files
        except OSError as exc:
            log.warning("language model cache %s: unreadable (%s); rebuilding it", key, exc)
            return None
        return data.name

    def staging_name(self, key: str) -> str:
        """The name llama.cpp writes a new file under, in the folder (moved into place by ``commit``)."""
        return f"{key}.{os.getpid()}.part"

    def commit(self, key: str, staging: str, tokens: int) -> bool:
        """Move a file llama.cpp has just written under ``staging`` into place, with its description."""
        part = self.folder / staging
        try:
            description = {
                "key": key,
                "format": FORMAT,
                "size": part.stat().st_size,
                "sha256": file_sha256(part),
                "tokens": tokens,
                "written": time.time(),
            }
            meta_part = self.folder / f"{staging}.json"
            meta_part.write_text(json.dumps(description), encoding="utf-8")
            os.replace(part, self.data(key))
            os.replace(meta_part, self.meta(key))
        except OSError as exc:  # a full disk costs the cache, not a turn
            log.warning("language model cache %s: not written (%s)", key, exc)
            for leftover in (part, self.folder / f"{staging}.json"):
                leftover.unlink(missing_ok=True)
            return False
        self.prune()
        return True

    def discard(self, staging: str) -> None:
        (self.folder / staging).unlink(missing_ok=True)

    def prune(self) -> None:
        """Keep the ``KEEP_FILES`` most recently used caches; remove stale half-written files."""
        try:
            files = sorted(self.folder.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[KEEP_FILES:]:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
            now = time.time()
            for part in self.folder.glob("*.part*"):
                if now - part.stat().st_mtime > STALE_PART_S:
                    part.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("language model cache: not pruned (%s)", exc)
