"""Slots a skill's own words fill when the tagger leaves them empty.

The tagger learns a slot from its annotated examples, and a rare one comes and goes with the
machine that trains it: "sunny" is a ``weather_descriptor`` in five training requests, and a
build of the same data with the same seeds on another CPU (the CI machine's, 2026-12-01) left
it untagged in "will it be sunny this weekend" where builds here tagged it. A skill that knows
the words of a slot declares them (``SkillSpec.words.slot_words``); the setup step collects them with
the vocabulary, and on a request for that skill the first of them said, as whole words and over
no span the tagger found, fills the slot the tagger left empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

SLOT_WORDS_FILE = "slot_words.json"

# intent -> slot -> words (lowercase, as clean text spells them)
SlotWords = Mapping[str, Mapping[str, Sequence[str]]]


def compile_slot_words(slot_words: SlotWords) -> dict[str, dict[str, re.Pattern[str]]]:
    """One pattern per intent and slot; longer phrases first, so "snow tyres" beats "snow"."""
    compiled: dict[str, dict[str, re.Pattern[str]]] = {}
    for intent, slots in slot_words.items():
        for slot, words in slots.items():
            options = sorted({w.strip().lower() for w in words if w and w.strip()}, key=len, reverse=True)
            if options:
                alternation = "|".join(re.escape(w) for w in options)
                compiled.setdefault(intent, {})[slot] = re.compile(rf"\b(?:{alternation})\b")
    return compiled


def add_slot_words(
    patterns: Mapping[str, Mapping[str, re.Pattern[str]]],
    text: str,
    intent: str,
    spans: Sequence[tuple[int, int, str]],
) -> list[tuple[int, int, str]]:
    """``spans`` plus, for each declared slot of ``intent`` that no span fills, the first of its
    words in ``text`` (clean text, character offsets) that overlaps no span."""
    out = list(spans)
    present = {slot for *_, slot in out}
    for slot, pattern in patterns.get(intent, {}).items():
        if slot in present:
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            if not any(s < end and start < e for s, e, _ in out):
                out.append((start, end, slot))
                break
    return sorted(out)


def read_slot_words(folder: Path) -> dict[str, dict[str, list[str]]]:
    """The collected slot words in ``folder``, or none when they were not built (older setup)."""
    try:
        data = json.loads((folder / SLOT_WORDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(intent): {
            str(slot): [str(w) for w in words] for slot, words in slots.items() if isinstance(words, list)
        }
        for intent, slots in data.items()
        if isinstance(slots, dict)
    }
