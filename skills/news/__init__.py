"""The news skill: reads HuffPost headlines chosen for the user, or on a topic they name."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from assistant.skill_api import HistoryPhrasing, Skill, SkillRequest, SkillResult, SkillSpec

NAME = "news"
INTENTS = frozenset({"news_query"})


class NewsSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender) -> None:  # a NewsRecommender; typed loosely to keep import cheap
        self.recommender = recommender

    def handle(self, request: SkillRequest) -> SkillResult:
        return self.recommender.recommend(request)


def load_skill(settings: Mapping[str, Any] | None = None) -> Skill:
    """Load the built news index (raises ``ArtifactMissingError`` when it has not been built).

    ``settings`` is the ``[skills.news]`` section of config.toml (nothing is read from it yet).
    """
    from skills.embeddings import warm_up
    from skills.news.recommender import NewsIndex, NewsRecommender

    index = NewsIndex.load()
    warm_up()  # the query encoder, for topic search
    return NewsSkill(NewsRecommender(index))


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, list[str]]:
    """Canonical ``topic`` values: every category as people say it, plus common other words."""
    import pandas as pd

    from skills.news.catalog import CATEGORY_ALIASES, NEWS_FILE, friendly_category

    categories = pd.read_csv(NEWS_FILE, usecols=["category"])["category"].unique()
    topics = {friendly_category(c) for c in categories}
    return {"topic": sorted(topics | {a for a, c in CATEGORY_ALIASES.items() if c in set(categories)})}


SPEC = SkillSpec(
    name=NAME,
    load=load_skill,
    offer_intent="news_query",
    slots=frozenset({"topic"}),
    fresh_slots=frozenset({"topic"}),
    items_per_offer=3,
    says_reason=False,
    examples=("what's the news", "news about climate"),
    description="read the news",
    topic="news",
    what="the news",
    history=HistoryPhrasing(words=("news", "headline", "read"), kind="news", noun="headlines"),
    templates={"offer": ("Here are the headlines: {items}.", "Here's the news: {items}.")},
    vocabulary=vocabulary,
    rank=20,
)
