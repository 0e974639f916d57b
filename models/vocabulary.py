"""Canonical slot values from every skill's catalog, for the NLU's slot normalisation.

The NLU must not import skills at run time (it only reads this JSON), so the vocabulary is
collected here at setup, after the catalogs are built.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.nlu.slot_words import SLOT_WORDS_FILE
from assistant.skill_sdk.plugins import discover_specs
from models.artifacts import REPO_ROOT, artifact_dir, artifacts_root, content_hash, is_current, write_stamp

NAME = "vocabulary"


def collect() -> dict[str, list[str]]:
    merged: dict[str, set[str]] = {}
    for spec in discover_specs():
        if spec.words.vocabulary is None:
            continue
        for slot, values in spec.words.vocabulary().items():
            merged.setdefault(slot, set()).update(v for v in values if v and v.strip())
    return {slot: sorted(values) for slot, values in sorted(merged.items())}


def collect_slot_words() -> dict[str, dict[str, list[str]]]:
    """Per intent, the words each skill declares for its slots (``SkillSpec.words.slot_words``)."""
    collected: dict[str, dict[str, list[str]]] = {}
    for spec in discover_specs():
        for slot, words in spec.words.slot_words.items():
            for intent in sorted(spec.answers.all_intents):
                known = collected.setdefault(intent, {}).setdefault(slot, [])
                known.extend(w for w in words if w not in known)
    return collected


def build(force: bool = False) -> str:
    inputs = [REPO_ROOT / "skills", REPO_ROOT / "data" / "music", REPO_ROOT / "data" / "news", __file__]
    stamps = [artifacts_root() / d / "stamp.json" for d in ("video", "music", "news")]
    want = content_hash([p for p in [*inputs, *stamps] if Path(p).exists()])
    if is_current(NAME, want) and not force:
        return "up to date"
    vocab = collect()
    folder = artifact_dir(NAME)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocabulary.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1))
    (folder / SLOT_WORDS_FILE).write_text(json.dumps(collect_slot_words(), ensure_ascii=False, indent=1))
    write_stamp(NAME, want, sizes={k: len(v) for k, v in vocab.items()})
    return "collected " + ", ".join(f"{len(v)} {k}" for k, v in vocab.items())
