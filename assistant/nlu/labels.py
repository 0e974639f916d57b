"""The design's fixed intent labels, the canonical slot names, and how HWU64 maps onto both."""

from __future__ import annotations

OUT_OF_SCOPE = "out_of_scope"

# The design's label set (DESIGN.md, "Intent labels"); order fixes the classifier's output index.
INTENT_LABELS: tuple[str, ...] = (
    "play_music",
    "music_query",
    "music_settings",
    "skip",
    "like",
    "dislike",
    "news_query",
    "weather_query",
    "recommend_video",
    "affirm",
    "negate",
    "stop",
    "repeat",
    "explain",
    "dontcare",
    "thanks",
    "volume_up",
    "volume_down",
    "volume_mute",
    "history_query",
    "forget_me",
    OUT_OF_SCOPE,
)

# HWU64 "<scenario>_<intent>" (its file name) -> design label; every other HWU64 intent is
# out_of_scope training data.
HWU64_TO_LABEL: dict[str, str] = {
    "play_music": "play_music",
    "play_radio": "play_music",
    "music_query": "music_query",
    "music_settings": "music_settings",
    "music_likeness": "like",
    "news_query": "news_query",
    "weather_query": "weather_query",
    "recommendation_movies": "recommend_video",
    "general_affirm": "affirm",
    "general_confirm": "affirm",
    "general_negate": "negate",
    "general_commandstop": "stop",
    "general_repeat": "repeat",
    "general_explain": "explain",
    "general_dontcare": "dontcare",
    "general_praise": "thanks",
    "audio_volume_up": "volume_up",
    "audio_volume_down": "volume_down",
    "audio_volume_mute": "volume_mute",
}

# The slot names the skills read. Our own example files use these names directly.
SLOT_TYPES: tuple[str, ...] = (
    "artist",
    "song",
    "genre",
    "descriptor",
    "playlist",
    "radio",
    "topic",
    "place",
    "date",
    "time",
    "timeofday",
    "weather_descriptor",
    "title",
    "movie_genre",
    "media_type",
    "person",
)

# HWU64 entity type -> canonical slot; entity types not listed are dropped (tagged O).
HWU64_ENTITY_TO_SLOT: dict[str, str] = {
    "artist_name": "artist",
    "song_name": "song",
    "music_genre": "genre",
    "music_descriptor": "descriptor",
    "playlist_name": "playlist",
    "radio_name": "radio",
    "news_topic": "topic",
    "place_name": "place",
    "date": "date",
    "time": "time",
    "timeofday": "timeofday",
    "weather_descriptor": "weather_descriptor",
    "movie_name": "title",
    "movie_type": "movie_genre",
    "media_type": "media_type",
    "person": "person",
}

# BIO tag set: "O" first, then B-/I- per slot type.
BIO_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{s}" for s in SLOT_TYPES for p in ("B", "I"))


def slot_for_entity(entity_type: str) -> str | None:
    """Canonical slot for an annotated entity type (HWU64 or our own), or None to drop it."""
    entity_type = entity_type.strip().lower()
    if entity_type in SLOT_TYPES:
        return entity_type
    return HWU64_ENTITY_TO_SLOT.get(entity_type)
