"""Video: film suggestions from MovieLens ratings, enriched with Wikidata films."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.skill_sdk.api import (
    Answers,
    HistoryPhrasing,
    ModelHints,
    SkillPhrasing,
    SkillSettings,
    SkillSpec,
    SkillWords,
    SlotDoc,
)
from assistant.skill_sdk.status import SkillStatus
from skills.video.constraints import AUDIENCES, GENRES, MOODS, NOT_FOR_CHILDREN, combined_span
from skills.video.skill import VideoSkill
from skills.video.words import CONSTRAINT_WORDS

__all__ = ["SPEC", "VideoSkill", "load_skill", "vocabulary"]


class VideoSettings(SkillSettings):
    """``[skills.video]`` in config.toml: nothing to set yet (any key there is reported unknown)."""


def load_skill(settings: Mapping[str, Any] | None = None) -> VideoSkill:
    """The built film recommender; ``settings`` is ``[skills.video]`` (nothing read from it yet)."""
    from assistant.artifacts import ArtifactMissingError, artifact_dir

    folder = artifact_dir("video")
    try:
        return VideoSkill.load(folder)
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactMissingError("video", str(exc)) from exc


def status(settings: Mapping[str, Any]) -> SkillStatus:
    """For ``assistant status``: the built film catalog is the skill's one artifact."""
    return SkillStatus(artifacts=("video",))


def vocabulary() -> dict[str, list[str]]:
    """Canonical film titles, genres (as the catalog names them) and people, for slot normalisation.

    Reads only the built catalog table (no model load); empty lists when it is not built yet.
    """
    import pandas as pd

    from assistant.artifacts import artifact_dir
    from skills.video.catalog import split_names

    path = artifact_dir("video") / "catalog.csv"
    if not path.exists():
        return {"title": [], "movie_genre": [], "person": []}
    catalog = pd.read_csv(path, usecols=["title", "genres", "director", "cast"])
    genres = sorted({g for text in catalog["genres"].dropna() for g in str(text).split("|") if g})
    people = {
        name for column in ("director", "cast") for text in catalog[column] for name in split_names(text)
    }
    titles = sorted({t for t in catalog["title"].dropna().astype(str) if t})
    return {"title": titles, "movie_genre": genres, "person": sorted(people)}


# Words that give a film's time: a year or decade ("1960s", "the fifties"), or a period said
# another way. Without one the model may not write an era (see SlotDoc.cue): it gave "a zombie
# movie" the nineties and "a pirate adventure" the fifties (bench/llm_turns.py).
ERA_CUE = (
    r"\d|\b(twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|noughties|"
    r"century|decade|years|(last|this) year|era|period|age|old|older|oldie|classic|vintage|retro|silent|"
    r"black and white|recent|new|newer|newest|latest|modern|current|before|after|since)\b"
)


def combine_era(era: str) -> str:
    """Several eras said at once as one span ("1940-1949|1950-1959": "1940-1959")."""
    if "|" not in era:
        return era
    span = combined_span(era)
    if span is None:
        return era
    low, high = span
    return f"before {high + 1}" if low <= 1880 else f"after {low - 1}" if high >= 2100 else f"{low}-{high}"


SPEC = SkillSpec(
    name="video",
    load=load_skill,
    build="skills.video.build",
    answers=Answers(
        offer_intent="recommend_video",
        slots=frozenset(
            {
                "title",
                "movie_genre",
                "person",
                "media_type",
                "descriptor",
                "mood",
                "audience",
                "era",
                "exclude",
            }
        ),
        # A genre refines ("a comedy one" after "a film from the eighties" keeps the eighties); a
        # title or a person asks for something else.
        fresh_slots=frozenset({"title", "person"}),
        named_item_slot="title",
        combine_values={"era": combine_era},
        exclusion_slots={"exclude": "movie_genre"},
        # "No wait, something for the kids" after a horror film: a film for children, so the
        # genres children's films never are go (the filter would refuse them anyway).
        displaces=(("audience", "children", "movie_genre", frozenset(NOT_FOR_CHILDREN)),),
    ),
    words=SkillWords(
        domain_words=("film", "films", "movie", "movies", "watch", "cinema", "show", "series", "video"),
        item_nouns=("film", "films", "movie", "movies"),
        name_cues=tuple("director actor actress starring episode episodes".split()),
        constraint_words=CONSTRAINT_WORDS,
        vocabulary=vocabulary,
    ),
    phrasing=SkillPhrasing(
        examples=("suggest a movie", "suggest a comedy", "something like Alien"),
        description="suggest a movie",
        topic="a movie",
        what="a movie suggestion",
        templates={
            "offer": ("How about {item}?", "You might enjoy {item}.", "Try {item}."),
            "like_unknown": ("I don't know a film called {title}, so I can't note it yet.",),
        },
        history=HistoryPhrasing(words=("watch", "movie", "film", "video"), kind="films", noun="films"),
    ),
    # For the language model's reading of open requests (assistant/llm).
    llm=ModelHints(
        slot_docs={
            "movie_genre": SlotDoc("the kinds of film asked for", GENRES, many=True),
            "title": SlotDoc("a film the request names, or the most famous film about the topic asked for"),
            "person": SlotDoc("an actor or director the request names"),
            "mood": SlotDoc("only when the request names a feeling", MOODS),
            "audience": SlotDoc("who will watch", AUDIENCES),
            "era": SlotDoc(
                "only when the request gives a time: 'before 1965', 'after 2000', '1950-1969'", cue=ERA_CUE
            ),
            "exclude": SlotDoc("only when the request says what to avoid", GENRES, many=True),
            "descriptor": SlotDoc(
                "'short' when the person wants a short film", cue=r"\b(short|quick|brief)\b"
            ),
        },
        examples=(
            (
                "something for the grandchildren, nothing frightening",
                {"audience": "children", "exclude": "Horror"},
            ),
            ("a gangster film from the nineties", {"movie_genre": "Crime", "era": "1990-1999"}),
            ("that film where a ship hits an iceberg", {"title": "Titanic"}),
            ("a film to keep me on the edge of my seat", {"mood": "exciting"}),
        ),
    ),
    rank=40,
    settings_model=VideoSettings,
    status=status,
)
