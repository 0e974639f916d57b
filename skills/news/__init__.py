"""The news skill: reads HuffPost headlines chosen for the user, or on a topic they name."""

from __future__ import annotations

from functools import lru_cache

from skills.base import Skill, SkillRequest, SkillResult

NAME = "news"
INTENTS = frozenset({"news_query"})


class NewsSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender) -> None:  # a NewsRecommender; typed loosely to keep import cheap
        self.recommender = recommender

    def handle(self, request: SkillRequest) -> SkillResult:
        return self.recommender.recommend(request)


def load_skill() -> Skill:
    """Load the built news index (raises ``ArtifactMissingError`` when it has not been built)."""
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
