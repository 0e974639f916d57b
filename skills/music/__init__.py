"""The music skill: plays (names) tracks from the vendored CC catalogs, personalised per user."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from assistant.skill_api import HistoryPhrasing, Item, Skill, SkillRequest, SkillResult, SkillSpec

NAME = "music"
INTENTS = frozenset({"play_music", "music_query"})  # recommendations and questions about them
SETTINGS_INTENT = "music_settings"  # "turn on shuffle": declared in SPEC, answered by handle()


class MusicSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender) -> None:  # a MusicRecommender; typed loosely to keep import cheap
        self.recommender = recommender

    def handle(self, request: SkillRequest) -> SkillResult:
        if request.intent == "music_query":
            return self._about(request)
        if request.intent == SETTINGS_INTENT:
            return self._setting(request)
        return self.recommender.recommend(request)

    def _about(self, request: SkillRequest) -> SkillResult:
        """ "What is playing?" is about the anchor (the track offered last); "who sings Shape of
        You" asks about that song instead. The item talked about comes back in ``items``."""
        name = request.slots.get("song", "").strip()
        playing = request.anchor
        if name and (playing is None or name.casefold() not in playing.title.casefold()):
            named = self.lookup(dict(request.slots))
            if named is None:
                return _answer([], "music_query_unknown", title=name)
            return _answer([named], "music_query_named", item=named)
        if playing is None:
            return _answer([], "music_query_nothing")
        return _answer([playing], "music_query", item=playing)

    @staticmethod
    def _setting(request: SkillRequest) -> SkillResult:
        text = request.text.lower()
        setting = "repeat" if ("repeat" in text or "loop" in text) and "shuffle" not in text else "shuffle"
        return _answer([], "music_settings", setting=setting.capitalize())

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The track a ``song`` slot names ("I love Candle in the Wind"), or None."""
        return self.recommender.lookup(slots)


def _answer(items: list[Item], key: str, **values: Any) -> SkillResult:
    """An answer in one of SPEC's templates: the key and values for the NLG, the plain text too."""
    shown = {k: SPEC.describe(v) if isinstance(v, Item) else v for k, v in values.items()}
    if isinstance(values.get("item"), Item):
        shown["title"] = values["item"].title
    return SkillResult(items, SPEC.say(key, None, **shown), key=key, values=values)


def load_skill(settings: Mapping[str, Any] | None = None) -> Skill:
    """Load the built music index (raises ``ArtifactMissingError`` when it has not been built).

    ``settings`` is the ``[skills.music]`` section of config.toml (nothing is read from it yet).
    """
    from skills.embeddings import warm_up
    from skills.music.index import MusicIndex
    from skills.music.recommender import MusicRecommender

    index = MusicIndex.load().prepare()
    warm_up()  # the query encoder, for free-text moods and unknown artists
    return MusicSkill(MusicRecommender(index))


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, list[str]]:
    """Canonical slot values: ``artist`` (lead artists) and ``genre`` (genres and common styles)."""
    from skills.music.index import vocabulary as read_vocabulary

    return read_vocabulary()


SPEC = SkillSpec(
    name=NAME,
    load=load_skill,
    offer_intent="play_music",
    intents=frozenset({"music_query", SETTINGS_INTENT}),
    slots=frozenset({"artist", "song", "genre", "descriptor", "playlist", "radio"}),
    fresh_slots=frozenset({"artist", "song", "genre", "playlist", "radio"}),
    items_per_offer=1,
    named_item_slot="song",
    unknown_name_key="like_unknown_song",
    examples=("play some jazz", "something upbeat", "play Shape of You", "who sings Thinking Out Loud"),
    description="play music",
    topic="music",
    what="some music",
    item_nouns=("song", "songs"),
    not_names=frozenset({"jazz", "rock"}),
    history=HistoryPhrasing(words=("listen", "play", "song", "music", "track"), kind="music", noun="tracks"),
    templates={
        "offer": ("Here's {item}.", "How about {item}?", "Playing {item}.", "Let's try {item}."),
        "item": ("{title} by {subtitle}",),
        "like_unknown_song": ("I don't know a song called {title}, so I can't note it yet.",),
        "music_query": ("That was {item}.", "You're listening to {item}."),
        "music_query_named": ("That's {item}. Say 'play {title}' to hear it.",),
        "music_query_unknown": ("I don't know a song called {title}.",),
        "music_query_nothing": ("Nothing is playing right now. Say 'play some jazz' to start.",),
        "music_settings": ("Okay, {setting} is on.", "{setting} on."),
    },
    vocabulary=vocabulary,
    rank=10,
)
