"""The system prompts' cache kept across starts (``assistant/llm/slot_cache.py``), on SmolLM2-135M.

Each test starts the model twice on one cache folder, as two starts of the assistant would:
the first reads the prompt and writes its file, the second restores it. A file that does not
check out (another key, truncated, corrupt) is ignored and rebuilt, and the answer is the same.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from assistant.llm import prompts
from assistant.llm.runtime import LlamaModel
from assistant.llm.slot_cache import SlotCache
from assistant.llm.weights import model_path
from assistant.skill_sdk.plugins import SkillRegistry

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(300)]
MODEL = "smollm2-135m"


@pytest.fixture(scope="module")
def task():
    specs = SkillRegistry.discover().specs
    system, schema = prompts.understanding_system_prompt(specs), prompts.understanding_schema(specs)
    return system, prompts.understanding_user_prompt("a cowboy movie from the fifties", [], ""), schema


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory, task):
    """A first start: the prompt read afresh (the start-up warm-up's call), its file written,
    then the fixed request answered (temperature 0, seed 0, as every call is)."""
    system, user, schema = task
    folder = tmp_path_factory.mktemp("slot-cache")
    model = LlamaModel(model_path(MODEL), MODEL, threads=1, cache_dir=folder)
    warm = model.complete(system, "Request: hello", schema, 4, 60)
    assert warm.status == "ok" and warm.cached_tokens == 0 and not model.restored
    assert model.wait_saved(60)
    answer = model.complete(system, user, schema, 48, 60)
    assert answer.status == "ok", answer.error
    [key] = model._slot_keys.values()
    return folder, key, answer.text


def start(folder: Path) -> LlamaModel:
    return LlamaModel(model_path(MODEL), MODEL, threads=1, cache_dir=folder)


def test_a_second_start_restores_the_prompt_and_answers_the_same(first_start, task, tmp_path: Path):
    folder, key, text = first_start
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    info = json.loads((copy / f"{key}.json").read_text())
    assert info["key"] == key and info["tokens"] > 0 and (copy / f"{key}.bin").stat().st_size == info["size"]
    model = start(copy)
    answer = model.complete(*task, 48, 60)
    assert answer.status == "ok" and answer.text == text
    assert answer.cached_tokens > 0 and model.restored == {0: info["tokens"]}
    # ... and as the start-up warm-up asks it: restored without a call
    warm = start(copy)
    assert warm.restore_prompt(task[0]) and warm.restore_prompt(task[0]) and warm.restored == model.restored
    assert warm.complete(*task, 48, 60).text == text
    assert answer.new_prompt_tokens < answer.prompt_tokens - 500  # the system prompt was not read again
    assert model.wait_saved(5) and model._saves == []  # restored: nothing to write


def _ignored_and_rebuilt(
    folder: Path, key: str, text: str, task, caplog: pytest.LogCaptureFixture, says: str
):
    caplog.set_level(logging.WARNING, logger="assistant.llm")
    model = start(folder)
    answer = model.complete(*task, 48, 60)
    assert answer.status == "ok" and answer.text == text  # bad input loses nothing
    assert not model.restored and answer.cached_tokens == 0
    assert says in caplog.text
    assert model.wait_saved(60)
    # ... and the file is written again, good for the next start
    assert SlotCache(folder, model._cache.identity).restorable(key) == f"{key}.bin"
    again = start(folder).complete(*task, 48, 60)
    assert again.text == text and again.cached_tokens > 0


def test_a_file_written_for_another_key_is_ignored(first_start, task, tmp_path, caplog):
    folder, key, text = first_start
    copy = tmp_path / "cache"
    copy.mkdir()
    # Another prompt's file under this prompt's name: its description names the other key.
    other = "0" * len(key)
    shutil.copy(folder / f"{key}.bin", copy / f"{key}.bin")
    info = json.loads((folder / f"{key}.json").read_text())
    (copy / f"{key}.json").write_text(json.dumps({**info, "key": other}))
    _ignored_and_rebuilt(copy, key, text, task, caplog, "written for another key")


def test_a_changed_prompt_does_not_restore_the_old_one(first_start, task, tmp_path):
    folder, _, _ = first_start
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    system, user, schema = task
    model = start(copy)
    answer = model.complete(system + "\nAnswer briefly.", user, schema, 48, 60)
    assert answer.status == "ok" and not model.restored and answer.cached_tokens == 0


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "garbage description"])
def test_a_damaged_file_is_ignored_and_rebuilt(first_start, task, tmp_path, caplog, damage: str):
    folder, key, text = first_start
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    data, meta = copy / f"{key}.bin", copy / f"{key}.json"
    blob = bytearray(data.read_bytes())
    if damage == "truncated":
        data.write_bytes(blob[: len(blob) // 3])
        says = "expected"
    elif damage == "corrupt":
        blob[len(blob) // 2 : len(blob) // 2 + 64] = bytes(64)  # the keys and values, not the header
        data.write_bytes(blob)
        says = "checksum differs"
    else:
        meta.write_text('{"key": "' + key[:10])
        says = "unreadable description"
    _ignored_and_rebuilt(copy, key, text, task, caplog, says)
