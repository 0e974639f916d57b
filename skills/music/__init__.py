"""The music skill: plays (names) tracks from the vendored CC catalogs, personalised per user."""

from __future__ import annotations

from functools import lru_cache

from skills.base import Item, Skill, SkillRequest, SkillResult

NAME = "music"
INTENTS = frozenset({"play_music", "music_query"})


class MusicSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender) -> None:  # a MusicRecommender; typed loosely to keep import cheap
        self.recommender = recommender

    def handle(self, request: SkillRequest) -> SkillResult:
        if request.intent == "music_query" and request.anchor is not None:
            # "What is playing?" is about the current item, not a new recommendation.
            a = request.anchor
            return SkillResult(
                items=[a], text=f"That is {a.title} by {a.subtitle}." if a.subtitle else a.title
            )
        return self.recommender.recommend(request)

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The track a ``song`` slot names ("I love Candle in the Wind"), or None."""
        return self.recommender.lookup(slots)


def load_skill() -> Skill:
    """Load the built music index (raises ``ArtifactMissingError`` when it has not been built)."""
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
