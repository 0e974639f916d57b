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
            return SkillResult(items=[], text=self._setting(request))
        return self.recommender.recommend(request)

    def _about(self, request: SkillRequest) -> SkillResult:
        """ "What is playing?" is about the anchor (the track offered last); "who sings Shape of
        You" asks about that song instead. The item talked about comes back in ``items``."""
        name = request.slots.get("song", "").strip()
        playing = request.anchor
        if name and (playing is None or name.casefold() not in playing.title.casefold()):
            named = self.lookup(dict(request.slots))
            if named is None:
                return SkillResult([], SPEC.say("query_unknown", request.rng, title=name))
            text = SPEC.say("query_named", request.rng, item=SPEC.describe(named), title=named.title)
            return SkillResult([named], text)
        if playing is None:
            return SkillResult([], SPEC.say("query_nothing", request.rng))
        return SkillResult([playing], SPEC.say("query", request.rng, item=SPEC.describe(playing)))

    @staticmethod
    def _setting(request: SkillRequest) -> str:
        text = request.text.lower()
        setting = "repeat" if ("repeat" in text or "loop" in text) and "shuffle" not in text else "shuffle"
        return SPEC.say("settings", request.rng, setting=setting.capitalize())

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The track a ``song`` slot names ("I love Candle in the Wind"), or None."""
        return self.recommender.lookup(slots)


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
        "like_unknown": ("I don't know a song called {title}, so I can't note it yet.",),
        "query": ("That was {item}.", "You're listening to {item}."),
        "query_named": ("That's {item}. Say 'play {title}' to hear it.",),
        "query_unknown": ("I don't know a song called {title}.",),
        "query_nothing": ("Nothing is playing right now. Say 'play some jazz' to start.",),
        "settings": ("Okay, {setting} is on.", "{setting} on."),
    },
    vocabulary=vocabulary,
    rank=10,
)
