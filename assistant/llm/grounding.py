"""Is every fact in the model's sentence in the evidence? Checked in code, not trusted.

A "claim" is anything that could be a fact a person would take at its word: a number (a year,
a count, a rating), a capitalised word (a title, a name, a place) and a quoted phrase. Each must
appear in the evidence text (case-insensitive, as a whole word). A capitalised word that only
opens a sentence is allowed when it is a common sentence opener; anything else capitalised
counts as a name. Lower-case words cannot invent an item, but they can say who did what:
``misattributed`` finds a sentence that has the person suggesting the item ("You suggested
Zootopia to me"), the assistant telling of its own experience ("a film that I enjoyed
watching") or a like the evidence does not hold ("because you liked thrillers" to someone who
has told no likes).
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


# The person as the one who suggested: the model read "suggested to you" back the wrong way round.
PERSON_SUGGESTED = re.compile(r"\byou(?: \w+)? (?:suggested|chose|picked|recommended|selected)\b", re.I)
# The assistant has watched and heard nothing.
OWN_EXPERIENCE = re.compile(
    r"\bi(?: \w+)? (?:enjoyed|loved|liked|watched|listened|heard|saw|read)\b|\bmy favou?rite\b", re.I
)
TOLD_LIKE = re.compile(r"\byou(?:'ve| have)?(?: \w+)? (?:liked|loved|enjoyed|like|love|enjoy)\b", re.I)


def misattributed(sentence: str, evidence: str) -> list[str]:
    """What ``sentence`` says about who did what that the evidence does not: the person as the
    one who suggested, the assistant's own experience, or likes the evidence does not list."""
    found = []
    if PERSON_SUGGESTED.search(sentence):
        found.append("the person as the one who suggested it")
    if OWN_EXPERIENCE.search(sentence):
        found.append("the assistant's own experience")
    if TOLD_LIKE.search(sentence) and not TOLD_LIKE.search(evidence):  # "you liked: Alien"
        found.append("a like the person never told")
    return found
