"""The film frame in words, for reasons and honest notes: "a comedy from the eighties for
children, with no horror, like The Princess Bride"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from skills.decades import DECADE_WORDS

# How one genre is said as a noun phrase ("a comedy", "an animated film").
GENRE_NOUNS = {
    "Action": "an action film",
    "Adventure": "an adventure film",
    "Animation": "an animated film",
    "Biography": "a biopic",
    "Comedy": "a comedy",
    "Crime": "a crime film",
    "Documentary": "a documentary",
    "Drama": "a drama",
    "Family": "a family film",
    "Fantasy": "a fantasy film",
    "Film Noir": "a film noir",
    "History": "a historical film",
    "Horror": "a horror film",
    "Music": "a music film",
    "Musical": "a musical",
    "Mystery": "a mystery",
    "Romance": "a romance",
    "Science Fiction": "a science fiction film",
    "Sport": "a sports film",
    "Thriller": "a thriller",
    "War": "a war film",
    "Western": "a western",
}
GENRE_ADJECTIVES = {"Animation": "animated", "Science Fiction": "science fiction", "Family": "family"}
_DECADE_NAMES = {start: word for word, start in DECADE_WORDS.items() if " " not in word}


@dataclass
class Narrowing:
    """One constraint on the films offered: its words, its mask, and whether it may be relaxed
    when nothing fits (an audience or a "not" never is)."""

    kind: str  # "genre", "mood", "era", "audience", "person", "short", "exclude", "similar"
    words: str  # "from the eighties", "for children", "with no horror"
    mask: np.ndarray
    relaxable: bool = True


def genre_phrase(genres: Sequence[str]) -> str:
    """ "a comedy"; several: "an animated comedy" / "a comedy and drama film"."""
    if not genres:
        return ""
    if len(genres) == 1:
        return GENRE_NOUNS.get(genres[0], f"{_article(genres[0])} {genres[0].lower()} film")
    *firsts, last = sorted(genres, key=lambda g: g not in GENRE_ADJECTIVES)
    if all(g in GENRE_ADJECTIVES for g in firsts) and last in GENRE_NOUNS:
        noun = GENRE_NOUNS[last].split(" ", 1)[1]
        adjectives = " ".join(GENRE_ADJECTIVES[g] for g in firsts)
        article = "an" if adjectives[0] in "aeiou" else "a"
        return f"{article} {adjectives} {noun}"
    return f"{_article(genres[0])} {' and '.join(g.lower() for g in genres)} film"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def span_words(low: int, high: int) -> str:
    """ "from the eighties", "from before 1960", "from 2010 on", "from 1990 to 1995"."""
    if high - low == 9 and low in _DECADE_NAMES:
        return f"from the {_DECADE_NAMES[low]}"
    if low <= 1880:
        return f"from before {high + 1}"
    if high >= 2100:
        return f"from {low} on"
    return f"from {low}" if low == high else f"from {low} to {high}"


def frame_phrase(head: str, narrowings: Sequence[Narrowing]) -> str:
    """The whole request in words, led by ``head`` ("a comedy", "something cosy", "a film")."""
    order = ("era", "audience", "person", "short", "exclude", "similar")
    tail = [n.words for kind in order for n in narrowings if n.kind == kind and n.words]
    joined = head
    for words in tail:
        joined += ("," if words.startswith("with no") else "") + " " + words
    return joined.strip()
