"""What each understood mood means for films: genres that suit it and genres that contradict it.

The NLU gives one of a few moods (``assistant/nlu/moods.py``). A film request with a mood keeps
the films of a fitting genre and drops those of a contradicting one ("something to cheer me up"
never brings a war film); with a genre asked as well, only the contradictions are dropped.
Focus has no film meaning and leaves the request as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        ("Horror", "War", "Thriller", "Crime"),
    ),
}
