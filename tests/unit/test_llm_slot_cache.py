"""The slot cache's files without a model: keys, checks, writing and pruning (``slot_cache.py``).

The model's own save and restore are tested on SmolLM2 in tests/integration/test_llm_slot_cache.py.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from assistant.llm import slot_cache
from assistant.llm.slot_cache import SlotCache, cache_dir, model_identity

IDENTITY = {"model": "m.gguf", "size": 10, "mtime_ns": 1, "n_ctx": 6144, "slots": 3, "xllamacpp": "1"}


def write(cache: SlotCache, key: str, blob: bytes) -> None:
    staging = cache.staging_name(key)
    (cache.folder / staging).write_bytes(blob)
    assert cache.commit(key, staging, tokens=7)


def test_the_key_changes_with_the_prompt_the_model_and_the_settings(tmp_path: Path):
    key = SlotCache(tmp_path, IDENTITY).key("You read requests.")
    assert key == SlotCache(tmp_path, dict(IDENTITY)).key("You read requests.")
    assert key != SlotCache(tmp_path, IDENTITY).key("You read requests!")
    for name, value in [("mtime_ns", 2), ("n_ctx", 4096), ("slots", 2), ("xllamacpp", "2"), ("model", "x")]:
        assert key != SlotCache(tmp_path, {**IDENTITY, name: value}).key("You read requests.")


def test_model_identity_and_folder(tmp_path: Path):
    weights = tmp_path / "m.gguf"
    weights.write_bytes(b"12345")
    assert model_identity(weights) == {"model": "m.gguf", "size": 5, "mtime_ns": weights.stat().st_mtime_ns}
    assert cache_dir(tmp_path) == tmp_path / "cache" / "llm"


def test_a_written_file_is_restorable_and_a_damaged_one_is_not(tmp_path: Path, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.llm")
    cache = SlotCache(tmp_path, IDENTITY)
    key = cache.key("prompt")
    assert cache.restorable(key) is None and not caplog.text  # nothing yet: quietly
    write(cache, key, b"x" * 1000)
    assert cache.restorable(key) == f"{key}.bin"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.bin", f"{key}.json"]  # no leftovers
    cases = [
        (lambda: cache.data(key).write_bytes(b"x" * 999), "999 bytes, 1000 expected"),
        (lambda: cache.data(key).write_bytes(b"y" * 1000), "checksum differs"),
        (lambda: cache.meta(key).write_text("{"), "unreadable description"),
        (lambda: cache.meta(key).write_text("[1]"), "unreadable description"),
        (lambda: cache.meta(key).unlink(), "unreadable description"),
        (lambda: cache.data(key).unlink(), "unreadable"),
        (lambda: _rewrite(cache.meta(key), key="0" * 40), "written for another key"),
        (lambda: _rewrite(cache.meta(key), format=slot_cache.FORMAT + 1), "written for another key"),
    ]
    for damage, says in cases:
        write(cache, key, b"x" * 1000)
        caplog.clear()
        damage()
        assert cache.restorable(key) is None
        assert says in caplog.text and "rebuilding it" in caplog.text


def _rewrite(meta: Path, **changes) -> None:
    meta.write_text(json.dumps({**json.loads(meta.read_text()), **changes}))


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, caplog):
    cache = SlotCache(tmp_path, IDENTITY)
    key = cache.key("prompt")
    assert not cache.commit(key, cache.staging_name(key), tokens=1)  # llama.cpp wrote nothing
    assert list(tmp_path.iterdir()) == [] and "not written" in caplog.text


def test_pruning_keeps_the_most_recently_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = SlotCache(tmp_path, IDENTITY)
    keys = [cache.key(f"prompt {i}") for i in range(3)]
    for age, key in zip((300, 200, 100), keys, strict=True):
        write(cache, key, key.encode())
        os.utime(cache.data(key), (1e9 - age, 1e9 - age))
    monkeypatch.setattr(slot_cache, "KEEP_FILES", 2)
    cache.restorable(keys[0])  # used now: kept
    stale = tmp_path / f"{keys[1]}.99.part"
    stale.write_bytes(b"half")
    os.utime(stale, (1e9, 1e9))
    cache.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{k}.{ext}" for k in (keys[0], keys[2]) for ext in ("bin", "json")
    )
