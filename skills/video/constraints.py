"""Constraints on a film request beyond one genre, a person or a title.

They arrive as slots (from the language model's reading, or the classifier's ``mood``):
several genres at once ("Animation|Comedy"), a mood, an audience, a span of years ("before
1965", "1950-1969", "1950s") and genres to leave out. Each narrows the candidate films; the
words for each go into the offer's reason.

Children never get a film the catalog files under a genre that is not for them: the catalog
has no age ratings, so "for children" means Family or Animation and none of ``NOT_FOR_CHILDREN``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from assistant.skill_sdk.api import split_values
from skills.video.phrasing import Narrowing, span_words

GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Film Noir",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Science Fiction",
    "Sport",
    "Thriller",
    "War",
    "Western",
)
FOR_CHILDREN = ("Family", "Animation")
NOT_FOR_CHILDREN = ("Horror", "Thriller", "Crime", "War", "Film Noir")
# A mood picks films from any of these genres (the classifier's moods, and a few more).
MOOD_GENRES: dict[str, tuple[str, ...]] = {
    "happy": ("Comedy", "Family", "Animation"),
    "calm": ("Family", "Animation", "Documentary"),
    "focus": ("Documentary",),
    "sad": ("Drama", "Romance"),
    "romantic": ("Romance",),
    "energetic": ("Action", "Adventure"),
    "party": ("Comedy", "Musical"),
    "sleep": ("Animation", "Family"),
    "cosy": ("Family", "Romance", "Comedy"),
    "scary": ("Horror",),
    "exciting": ("Action", "Thriller", "Adventure"),
    "thoughtful": ("Drama", "Documentary", "Biography"),
}
MOODS = tuple(MOOD_GENRES)
# The classifier's media_type words that are a kind of film ("a cartoon comedy").
MEDIA_GENRES = {"cartoon": "Animation", "cartoons": "Animation", "documentary": "Documentary"}
AUDIENCES = ("children", "adults")


def year_span(text: str) -> tuple[int, int] | None:
    """ "before 1965", "after 2000", "1950-1969", "1950 to 1969" as release years (inclusive)."""
    text = text.lower().strip()
    m = re.search(r"\b(1[89]\d\d|20\d\d)\s*(?:-|to|and|until)\s*(1[89]\d\d|20\d\d)\b", text)
    if m:
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return low, high
    m = re.search(r"\b(1[89]\d0|20\d0)'?s\b", text)
    if m and not re.search(r"\b(before|after|since|until)\b", text):
        return int(m.group(1)), int(m.group(1)) + 9
    m = re.search(r"\b(before|until|up to|earlier than|older than|pre)\s*-?\s*(1[89]\d\d|20\d\d)\b", text)
    if m:
        return 1880, int(m.group(2)) - (0 if m.group(1) in ("until", "up to") else 1)
    m = re.search(r"\b(after|since|from|newer than|post)\s*-?\s*(1[89]\d\d|20\d\d)\b", text)
    if m:
        return int(m.group(2)) + (1 if m.group(1) in ("after", "newer than", "post") else 0), 2100
    return None


def combined_span(era: str) -> tuple[int, int] | None:
    """Several eras said at once: "from the fifties or sixties" is either decade (1950-1969);
    "a classic black and white film" (before 1975, before 1960) is what both allow; "an older
    one, from the seventies" is the seventies."""
    spans = [s for s in (year_span(part) for part in split_values(era)) if s]
    closed = [s for s in spans if s[0] > 1880 and s[1] < 2100]
    if closed:  # a decade said beside "older" or "classic" is the more exact of the two
        span = (min(s[0] for s in closed), max(s[1] for s in closed))
    else:
        span = (1880, 2100)
        for low, high in spans:
            span = (max(span[0], low), min(span[1], high))
    return span if spans and span[0] <= span[1] else None


class ConstraintFilter:
    """Boolean masks over the recommender's films for each kind of constraint."""

    def __init__(self, genre_masks: Mapping[str, np.ndarray], years: np.ndarray) -> None:
        self.genre_masks = genre_masks
        self.years = years
        self.size = len(years)

    def _any(self, genres: tuple[str, ...] | list[str]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        for genre in genres:
            if genre in self.genre_masks:
                mask |= self.genre_masks[genre]
        return mask

    def narrowings(self, slots: Mapping[str, str], excluded: frozenset[str] = frozenset()) -> list[Narrowing]:
        """One ``Narrowing`` per constraint in ``slots`` (and per genre ruled out in ``excluded``)."""
        found: list[Narrowing] = []
        genres = [g for g in split_values(slots.get("movie_genre", "")) if g in self.genre_masks]
        if len(genres) > 1:
            both = np.logical_and.reduce([self.genre_masks[g] for g in genres])
            # All of them when some film is all of them ("a cartoon comedy"), else any of them.
            found.append(Narrowing("genre", "", both if both.any() else self._any(genres)))
        kind = MEDIA_GENRES.get(slots.get("media_type", "").lower())
        if kind and kind not in genres and kind in self.genre_masks:
            found.append(Narrowing("genre", f"that is {kind.lower()}", self.genre_masks[kind]))
        # the first of the moods the language model gave that films have a genre for ("scary|cosy")
        mood = next((m for m in split_values(slots.get("mood", "").lower()) if m in MOOD_GENRES), "")
        if mood:
            found.append(Narrowing("mood", f"for a {mood} mood", self._any(MOOD_GENRES[mood])))
        if slots.get("audience", "").lower() == "children":
            children = self._any(FOR_CHILDREN) & ~self._any(NOT_FOR_CHILDREN)
            found.append(Narrowing("audience", "for children", children, relaxable=False))
        span = combined_span(slots.get("era", ""))
        if span:
            found.append(
                Narrowing("era", span_words(*span), (self.years >= span[0]) & (self.years <= span[1]))
            )
        ruled_out = [
            g
            for g in dict.fromkeys([*split_values(slots.get("exclude", "")), *sorted(excluded)])
            if g in self.genre_masks
        ]
        if ruled_out:
            words = "with no " + " or ".join(g.lower() for g in ruled_out)
            found.append(Narrowing("exclude", words, ~self._any(ruled_out), relaxable=False))
        return found

    def mask(self, slots: Mapping[str, str], kinds: list[str]) -> np.ndarray | None:
        """The films every constraint in ``slots`` allows (None: none given); words into ``kinds``."""
        found = self.narrowings(slots)
        if not found:
            return None
        kinds.extend(n.words for n in found if n.words)
        return np.logical_and.reduce([n.mask for n in found])
