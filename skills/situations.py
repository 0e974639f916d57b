"""What a situation (assistant/skill_sdk/situation.py) suggests for an offer that leaves room, per kind of offer.

"play some music" on a rainy Sunday afternoon is a request for something cosy; the same words on
a Friday evening are a request for something to dance to. Only a request that names no genre,
artist, title, mood or topic is shaped this way, and the reason says so ("something cosy for a
rainy Sunday afternoon: acoustic, folk"). The mood names are the NLU's (``assistant/nlu/moods.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.skill_sdk.situation import Situation

# Per kind of offer, what it is like outside -> mood. Grey, wet and cold days call for
# something warm; a sunny one for something bright.
SKY_MOODS: dict[str, dict[str, str]] = {
    "music": {
        "rain": "cosy",
        "snow": "cosy",
        "storm": "cosy",
        "cloud": "cosy",
        "cold": "cosy",
        "sun": "happy",
    },
    "film": {"rain": "cosy", "snow": "cosy", "storm": "cosy", "cloud": "cosy", "cold": "cosy"},
}
# Per kind of offer, part of the day -> mood, when outside says nothing.
PART_MOODS: dict[str, dict[str, str]] = {
    "music": {"morning": "happy", "evening": "calm", "night": "calm"},
    "film": {},
}


def situation_mood(situation: Situation | None, kind: str) -> str:
    """The mood a situation suggests for an offer of ``kind`` ("music" | "film"), or ""."""
    if situation is None:
        return ""
    if situation.friday_or_saturday_evening:
        return "party"
    sky = SKY_MOODS.get(kind, {}).get(situation.sky, "")
    return sky or PART_MOODS.get(kind, {}).get(situation.part_of_day, "")


def leaves_room(slots: Mapping[str, str], named: tuple[str, ...]) -> bool:
    """Whether the request names none of ``named`` (the slots that say what is wanted)."""
    return not any(str(slots.get(slot, "")).strip() for slot in named)


def for_situation(situation: Situation | None) -> str:
    """ " for a rainy Sunday afternoon", or "" with no situation."""
    return f" for {situation.describe()}" if situation is not None else ""
