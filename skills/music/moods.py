"""What each understood mood means for the music catalog: tags that fit, tags that contradict it,
the catalog's own calm/energetic reading, and how the reason says it back.

The NLU gives one of a few moods (``assistant/nlu/moods.py``); here a mood becomes a score over
the tracks: MiniLM similarity of each track's tag text to a description of the mood, a bonus for
the genres and styles that fit it and for the catalog's calm/energetic tag, and the tracks whose
tags contradict it (metal for sleep, ambient for a party) taken out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from assistant.skill_sdk.api import SkillRequest
from skills.decades import decade_span
from skills.music.index import MusicIndex
from skills.music.taste import rescale
from skills.situations import leaves_room


@dataclass(frozen=True)
class MusicMood:
    said: str  # "something calm for focusing": the reason's opening
    description: str  # what the tag texts are compared with (MiniLM)
    fits: tuple[str, ...]  # genres and styles that suit it
    contradicts: tuple[str, ...] = ()  # genres and styles that never suit it
    energy: str = ""  # the catalog's "calm" | "energetic" reading that suits it


MUSIC_MOODS: dict[str, MusicMood] = {
    "happy": MusicMood(
        "something happy and uplifting",
        "happy upbeat feel-good cheerful pop funk soul disco",
        ("pop", "funk", "funk and soul", "soul", "disco", "synth-pop", "reggae", "pop rock", "dance"),
        ("noise", "drone", "dark", "industrial", "breakcore", "metal", "field recordings"),
        "energetic",
    ),
    "calm": MusicMood(
        "something calm and relaxing",
        "calm relaxing chill mellow downtempo ambient acoustic easy listening",
        ("ambient", "downtempo", "chillout", "acoustic", "easy listening", "lo-fi", "trip hop", "folk"),
        ("metal", "noise", "breakcore", "hard rock", "punk", "industrial", "drum & bass", "dubstep"),
        "calm",
    ),
    "focus": MusicMood(
        "something calm for focusing",
        "instrumental ambient music for concentration, study, minimal, modern classical, piano",
        (
            "instrumental",
            "ambient",
            "minimal",
            "modern classical",
            "classical",
            "piano",
            "post rock",
            "lo-fi",
        ),
        ("noise", "breakcore", "metal", "punk", "rap", "spoken", "radioshow", "hard rock"),
        "calm",
    ),
    "sad": MusicMood(
        "something melancholic",
        "sad melancholic emotional slow ballad heartbreak",
        ("ballad", "slowcore", "folk", "acoustic", "blues", "soul", "piano", "shoegaze"),
        ("disco", "party", "dance", "happy hardcore", "big beat"),
        "calm",
    ),
    "romantic": MusicMood(
        "something romantic",
        "romantic love songs soul r&b smooth jazz ballad",
        ("soul", "soul and r&b", "funk and soul", "ballad", "jazz", "vocal", "easy listening"),
        ("noise", "metal", "breakcore", "industrial", "punk", "dubstep"),
        "calm",
    ),
    "energetic": MusicMood(
        "something energetic",
        "energetic fast upbeat powerful workout rock electronic drum and bass",
        ("rock", "hard rock", "drum & bass", "techno", "electro", "punk", "hip hop", "big beat", "breaks"),
        ("ambient", "drone", "new age", "easy listening", "field recordings", "ballad"),
        "energetic",
    ),
    "party": MusicMood(
        "something to dance to",
        "dance party music, house, disco, dancefloor, electro pop",
        (
            "house",
            "deep house",
            "tech house",
            "disco",
            "dance",
            "electro",
            "funk",
            "synth-pop",
            "pop",
            "hip hop",
        ),
        ("ambient", "drone", "field recordings", "modern classical", "spoken", "free improvisation", "noise"),
        "energetic",
    ),
    "sleep": MusicMood(
        "something soft for sleeping",
        "soft quiet sleep music, ambient, slow piano, new age, lullaby",
        ("ambient", "new age", "piano", "modern classical", "drone", "easy listening"),
        ("metal", "noise", "punk", "breakcore", "hard rock", "techno", "drum & bass", "dubstep", "rap"),
        "calm",
    ),
    "cosy": MusicMood(
        "something cosy",
        "warm cosy acoustic folk jazz, soft vocals, rainy day",
        ("acoustic", "folk", "jazz", "easy listening", "soul", "singer-songwriter", "piano", "lo-fi"),
        ("metal", "noise", "breakcore", "industrial", "hard rock", "dubstep"),
        "calm",
    ),
}
# Weights of the parts of a mood's score (0..1 each): the description's similarity leads, the
# tags that fit and the catalog's energy reading add to it.
DESCRIPTION_WEIGHT, FITS_WEIGHT, ENERGY_WEIGHT = 1.0, 0.6, 0.4


def mood_scores(
    index: MusicIndex, mood: MusicMood, encode_query: Callable[[str], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(score per track, tracks allowed): the mood's fit, and every track not contradicting it."""
    description_similarity = rescale(index.text_similarity(encode_query(mood.description)))
    fits = _tag_mask(index, mood.fits)
    contradicts = _tag_mask(index, mood.contradicts)
    score = DESCRIPTION_WEIGHT * description_similarity + FITS_WEIGHT * fits
    if mood.energy:
        score = score + ENERGY_WEIGHT * index.has_mood(mood.energy)
    allowed = ~contradicts
    if not allowed.any():
        allowed = np.ones(len(index), bool)
    return score.astype(np.float32), allowed


def fitting_tags(index: MusicIndex, i: int, mood: MusicMood) -> list[str]:
    """The track's genres and styles that suit the mood, for the reason ("ambient, instrumental")."""
    t = index.tracks[i]
    tags = [x for x in (*t.genres, *t.styles) if x in mood.fits]
    if not tags:
        tags = [x for x in (*t.genres[:1], *t.styles[:1]) if x]
    return list(dict.fromkeys(tags))[:2]


RELATIVE_ERAS = ("older", "newer")


def relative_span(which: str, last_year: int | None, said: bool) -> list[tuple[tuple[int, int], str]]:
    """(years, how they are said) for "something older" / "newer" than the track offered last,
    the wish first, then the closest reading of it.

    Said this turn: a decade further than that track's ("older" than a 2016 track is before
    2010), else any year before it. Carried into "another one": that decade or further, so each
    skip does not move another decade away. With no track on offer: before 2000, or from 2020 on.
    """
    if last_year is None:
        return [((1900, 1999), "before 2000")] if which == "older" else [((2020, 2100), "from 2020 on")]
    decade = last_year // 10 * 10
    if which == "older":
        end = decade - 1 if said else decade + 9
        return [((1900, end), f"before {end + 1}"), ((1900, last_year - 1), f"before {last_year}")]
    start = decade + 10 if said else decade
    return [((start, 2100), f"from {start} on"), ((last_year + 1, 2100), f"after {last_year}")]


def decade_mask(
    index: MusicIndex, mask: np.ndarray | None, span: tuple[int, int], kind: str, label: str = ""
) -> tuple[np.ndarray | None, str]:
    """(tracks of the years ``span`` within ``mask``, or of the years alone when none is; a note
    saying so). (None, note) when the catalog has nothing from then. ``label``: how the years
    are said ("before 2010"); a decade's name by default."""
    years = np.array([t.year or 0 for t in index.tracks], dtype=np.int32)
    in_span = (years >= span[0]) & (years <= span[1])
    label = label or (f"the {span[0]}s" if span[1] - span[0] == 9 else str(span[0]))
    if not in_span.any():
        return None, f"I have no music from {label}; here is the closest I have."
    narrowed = in_span if mask is None else mask & in_span
    if narrowed.any():
        return narrowed, ""
    # The kind asked for is the heart of the request; the decade is what gives way.
    return mask, f"I have no {kind} from {label}; here is {kind} from another time."


def _tag_mask(index: MusicIndex, tags: tuple[str, ...]) -> np.ndarray:
    mask = np.zeros(len(index), bool)
    for tag in tags:
        for table in (index.genre_tracks, index.style_tracks):
            if tag in table:
                mask[table[tag]] = True
    return mask


# Slots that say what music is wanted: with none of them the situation may choose a mood.
NAMING_SLOTS = ("song", "artist", "genre", "descriptor", "playlist", "radio", "mood")


def room(slots: Mapping[str, str], request: SkillRequest) -> bool:
    """Whether a request leaves room for the situation ("play some music", not "play jazz")."""
    return request.anchor is None and leaves_room(slots, NAMING_SLOTS) and decade_span(request.text) is None


def situation_said(request: SkillRequest, slots: Mapping[str, str]) -> bool:
    """Whether the reason names the situation: it chose the mood, or the words described it."""
    situation = request.situation
    return situation is not None and (not slots.get("mood") or bool(situation.said))
