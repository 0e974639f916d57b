"""Is every fact in the model's sentence in the evidence? Checked in code, not trusted.

A "claim" is anything that could be a fact a person would take at its word: a number (a year,
a count, a rating), a capitalised word (a title, a name, a place) and a quoted phrase. Each must
appear in the evidence text (case-insensitive, as a whole word). A capitalised word that only
opens a sentence is allowed when it is a common sentence opener; anything else capitalised
counts as a name. Lower-case words are not checked: "you liked it" cannot invent an item.
"""

from __future__ import annotations

import re

# Words that open a sentence (or are always capitalised) without naming anything.
OPENERS = frozenset(
    """i i'm i've it it's this that these those you you've you're your because since as
    the a an we they he she its their there here my if and but so with both like also
    just perhaps maybe it was which what when while given based after before""".split()
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u00c0-\u024f-]*")
QUOTED = re.compile(r"[\"\u201c\u2018]([^\"\u201d\u2019]{2,80})[\"\u201d\u2019]")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*[\"'(\u201c]?$")


def _present(claim: str, evidence: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(claim.lower())}(?!\w)", evidence) is not None


def ungrounded_claims(sentence: str, evidence: str) -> list[str]:
    """The numbers, names and quoted phrases of ``sentence`` that ``evidence`` does not contain."""
    known = evidence.lower()
    missing: list[str] = []
    for number in NUMBER.findall(sentence):
        if not _present(number, known):
            missing.append(number)
    for match in WORD.finditer(sentence):
        word = match.group(0)
        if not word[0].isupper():
            continue
        opens = SENTENCE_START.search(sentence[: match.start()]) is not None
        if (opens or word == "I") and word.lower().strip("'") in OPENERS:
            continue
        if not _present(word, known):
            missing.append(word)
    for quoted in QUOTED.findall(sentence):
        if not _present(quoted.strip(), known):
            missing.append(quoted.strip())
    return list(dict.fromkeys(missing))
