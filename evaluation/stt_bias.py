"""Candidate decoder biases for the speech-to-text stage, each built from what the installed
skills declare (``SkillSpec``), never from words written here.

faster-whisper puts ``hotwords`` where Whisper puts its previous text (``<|startofprev|>`` then
the tokens, before the start of the transcript), the same place and tokens as ``initial_prompt``
for a command that fits one window: the candidates differ in their text, not in the parameter.

- ``none``: no bias (the product's decoding);
- ``examples``: the skills' example requests (``SkillPhrasing.examples``), as sentences, in rank
  order;
- ``requests``: those and the language model's worked requests (``ModelHints.examples``);
- ``words``: the content words of those requests and the skills' own words for what they offer
  (``SkillWords.domain_words``, ``item_nouns``), most frequent first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from assistant.skill_sdk.api import SkillSpec

BIASES = ("none", "examples", "requests", "words")
WORD = re.compile(r"[a-z][a-z']*")
# English function words: what is left is what the skills' requests are about.
FUNCTION_WORDS = frozenset(
    """a an the some any me my i i'd i'm you your we us our it its it's this that these those is are
    was be been am do does did can could would should will shall may might must to of in on at by
    for with from about and or but not no what what's which who how when where why there here""".split()
)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text[-1:] in ".?!" else ".")


def example_requests(specs: Iterable[SkillSpec], worked: bool = True) -> list[str]:
    """The skills' example requests, lowest rank first; ``worked``: with the language model's."""
    found: list[str] = []
    for spec in sorted(specs, key=lambda s: (s.rank, s.name)):
        found += list(spec.phrasing.examples)
        if worked:
            found += [text for text, _ in spec.llm.examples]
    return list(dict.fromkeys(found))


def content_words(specs: Iterable[SkillSpec]) -> list[str]:
    """The words of the skills' requests and their own words, no function words, most frequent
    first (ties: as first met)."""
    specs = list(specs)
    counts: Counter[str] = Counter()
    for text in example_requests(specs):
        counts.update(w for w in WORD.findall(text.lower()) if w not in FUNCTION_WORDS)
    for spec in sorted(specs, key=lambda s: (s.rank, s.name)):
        for phrase in (*spec.words.domain_words, *spec.words.item_nouns):
            counts.update(w for w in WORD.findall(phrase.lower()) if w not in FUNCTION_WORDS)
    order = {w: i for i, w in enumerate(counts)}
    return sorted(counts, key=lambda w: (-counts[w], order[w]))


def bias_text(kind: str, specs: Iterable[SkillSpec]) -> str | None:
    """The text of bias ``kind`` (``BIASES``), None for ``none``."""
    if kind == "none":
        return None
    if kind == "examples":
        return " ".join(_sentence(t) for t in example_requests(specs, worked=False))
    if kind == "requests":
        return " ".join(_sentence(t) for t in example_requests(specs))
    if kind == "words":
        return ", ".join(content_words(specs))
    raise ValueError(f"unknown bias {kind!r}; choose one of {', '.join(BIASES)}")
