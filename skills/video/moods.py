"""What each understood mood means for films: genres that suit it and genres that contradict it.

The NLU gives one of a few moods (``assistant/nlu/moods.py``). A film request with a mood keeps
the films of a fitting genre and drops those of a contradicting one ("something to cheer me up"
never brings a war film); with a genre asked as well, only the contradictions are dropped.
Focus has no film meaning and leaves the request as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.skill_sdk.api import SkillRequest
from skills.decades import decade_span
from skills.situations import for_situation, leaves_room, situation_mood


@dataclass(frozen=True)
class FilmMood:
    said: str  # how the reason says the mood back
    fits: tuple[str, ...]  # catalog genres (as the catalog spells them)
    contradicts: tuple[str, ...]


FILM_MOODS: dict[str, FilmMood] = {
    "happy": FilmMood(
        "a feel-good film",
        ("Comedy", "Family", "Animation", "Musical"),
        ("Horror", "War", "Crime", "Thriller", "Film Noir"),
    ),
    "calm": FilmMood(
        "something gentle",
        ("Drama", "Romance", "Family", "Documentary"),
        ("Horror", "Action", "War", "Thriller"),
    ),
    "sad": FilmMood(
        "a film for a good cry", ("Drama", "Romance"), ("Comedy", "Animation", "Family", "Action")
    ),
    "romantic": FilmMood("a romantic film", ("Romance",), ("Horror", "War", "Documentary")),
    "energetic": FilmMood(
        "something exciting", ("Action", "Adventure", "Thriller", "Sport"), ("Documentary", "Musical")
    ),
    "party": FilmMood(
        "a fun film to watch together",
        ("Comedy", "Adventure", "Animation", "Musical"),
        ("Horror", "War", "Documentary", "Film Noir"),
    ),
    "sleep": FilmMood(
        "something gentle for bedtime",
        ("Animation", "Family", "Documentary"),
        ("Horror", "Thriller", "Action", "War", "Crime"),
    ),
    "cosy": FilmMood(
        "something cosy",
        ("Family", "Animation", "Comedy", "Romance", "Fantasy"),
        ("Horror", "War", "Thriller", "Crime", "Action"),
    ),
}


def film_mood(request: SkillRequest) -> FilmMood | None:
    """The film meaning of the request's mood: of a joined mood ("energetic|happy", the frame's
    join of what the classifier heard and what the words say), the first one films have."""
    return next((FILM_MOODS[m] for m in request.values("mood") if m in FILM_MOODS), None)


# Slots that say what film is wanted: with none of them the situation may choose a mood.
FILM_NAMING_SLOTS = ("movie_genre", "title", "person", "mood", "descriptor", "date")


def with_situation(request: SkillRequest) -> tuple[SkillRequest, str]:
    """The request with the mood its situation suggests when it leaves room ("what should I
    watch" on a rainy Sunday: something cosy), and the reason's " for a rainy Sunday afternoon"."""
    situation = request.situation
    if situation is None:
        return request, ""
    if request.slots.get("mood"):  # "something cosy for a rainy day": the words chose the mood
        return request, for_situation(situation) if situation.said else ""
    if request.anchor is not None or not leaves_room(request.slots, FILM_NAMING_SLOTS):
        return request, ""
    mood = situation_mood(situation, "film")
    if not mood or decade_span(request.text) is not None:
        return request, ""
    return replace(request, slots={**request.slots, "mood": mood}), for_situation(situation)
