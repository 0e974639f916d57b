"""News recommendations: the user's topics, recency, diversity, and semantic topic search.

"What's the news": score = recency (relative to the catalog's newest day) + the user's category
affinity (likes, reads, skips and dislikes weighted by ``FEEDBACK_WEIGHTS``) + a small prior for
big desks; at most one headline per category. "News about climate": MiniLM similarity of the
topic to each headline + description, plus a slower recency term and a bonus for a category the
topic names; near-duplicate stories are kept apart with MMR.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assistant.artifacts import ArtifactMissingError, artifact_dir
from assistant.skill_sdk.api import MAX_FEEDBACK_EVENTS, Item, SkillRequest, SkillResult, UserProfile
from skills.diversity import diverse_picks
from skills.embeddings import dot_rows
from skills.news.catalog import CATEGORY_ALIASES, Headline, friendly_category, headlines_from_frame
from skills.news.tone import GOOD_NEWS_MOODS, positive_tone

ARTIFACT = "news"
HEADLINE_DAYS = 30.0  # recency decay for "what's the news"
TOPIC_DAYS = 365.0  # slower decay when searching a topic: an on-topic story may be older
TOPIC_RECENCY_WEIGHT = 0.15
CATEGORY_DAYS = 60.0  # recency decay for a topic that names a category ("sports")
CATEGORY_TOPIC_BONUS = 2.0  # enough to put every story of a named category first
FEEDBACK_DECAY = 0.97  # each older feedback event is worth this much of the next newer one
RECENT_OFFERS = 1000
# Below this cosine the catalog has little about a topic; the answer says so.
TOPIC_FOUND = 0.35
MMR_LAMBDA = 0.5
POOL_SIZE = 200
JITTER = 0.01
# "Good news": how much a story's tone counts against recency (both 0..1); 1.5 puts the happier
# stories of the last weeks first without reaching back years.
TONE_WEIGHT = 1.5
# "More about that": how much likeness to the story just read counts.
ANCHOR_WEIGHT = 0.8


class NewsIndex:
    def __init__(self, headlines: list[Headline], embeddings: np.ndarray) -> None:
        self.headlines = headlines
        self.embeddings = embeddings
        self.id_to_index = {h.id: i for i, h in enumerate(headlines)}
        self.categories = sorted({h.category for h in headlines})
        code = {c: i for i, c in enumerate(self.categories)}
        self.category_code = np.array([code[h.category] for h in headlines], dtype=np.int32)
        days = pd.to_datetime(pd.Series([h.date for h in headlines]))
        self.newest_date = days.max().date().isoformat()
        self.age_days = (days.max() - days).dt.days.to_numpy(np.float32)
        share = np.bincount(self.category_code, minlength=len(self.categories)) / len(headlines)
        # log share, scaled to 0..1: politics ~1, weddings ~0.
        prior = np.log(share * len(headlines))
        self.category_prior = (prior / prior.max()).astype(np.float32)
        self.topic_to_category = {friendly_category(c): c for c in self.categories}
        self.topic_to_category.update({c.lower(): c for c in self.categories})
        self.topic_to_category.update({k: v for k, v in CATEGORY_ALIASES.items() if v in code})

    @classmethod
    def load(cls, folder: Path | None = None) -> NewsIndex:
        folder = folder or artifact_dir(ARTIFACT)
        try:
            json.loads((folder / "stamp.json").read_text())
            table = pd.read_csv(folder / "headlines.csv", keep_default_na=False, dtype=str)
            embeddings = np.load(folder / "embeddings.npy").astype(np.float32)
        except (OSError, ValueError) as exc:
            raise ArtifactMissingError(ARTIFACT, str(exc)) from exc
        headlines = headlines_from_frame(table)
        if len(headlines) != len(embeddings):
            raise ArtifactMissingError(ARTIFACT, "headlines and embeddings disagree")
        return cls(headlines, embeddings)

    def __len__(self) -> int:
        return len(self.headlines)

    def category_for(self, topic: str) -> str | None:
        key = " ".join(topic.lower().replace("&", "and").split()).removesuffix(" news")
        for candidate in (key, f"{key} news", topic.lower().strip()):
            if candidate in self.topic_to_category:
                return self.topic_to_category[candidate]
        return None


@dataclass
class TopicTaste:
    affinity: np.ndarray  # per category, -1..1
    counts: dict[int, dict[str, int]]  # category -> feedback kind -> count
    has_history: bool


def topic_taste(index: NewsIndex, profile: UserProfile) -> TopicTaste:
    affinity = np.zeros(len(index.categories), np.float32)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total = np.zeros(len(index.categories), np.float32)
    n = np.zeros(len(index.categories), np.float32)
    for e, weight in profile.decayed_feedback(FEEDBACK_DECAY):
        i = index.id_to_index.get(e.item_id)
        if i is None:
            continue
        c = int(index.category_code[i])
        total[c] += weight
        n[c] += 1
        counts[c][e.kind] += 1
    # tanh keeps one category from swamping recency; +1 makes one event weak evidence.
    affinity = np.tanh(2.0 * total / (n + 1.0)).astype(np.float32)
    return TopicTaste(affinity, counts, has_history=bool(n.sum()))


class NewsRecommender:
    def __init__(self, index: NewsIndex, encode_query=None) -> None:
        self.index = index
        if encode_query is None:
            from skills.embeddings import encode_query
        self.encode_query = encode_query

    def recommend(self, request: SkillRequest) -> SkillResult:
        index, k = self.index, max(1, request.k)
        topic = (request.slots.get("topic") or "").strip()
        taste = topic_taste(index, request.profile)
        affinity = taste.affinity[index.category_code]
        similarity = None
        category = None
        if topic:
            category = index.category_for(topic)
            similarity = dot_rows(index.embeddings, self.encode_query(topic))
            if category is not None:
                # A desk by name ("sports news"): its latest stories, the most typical first.
                in_category = index.category_code == index.categories.index(category)
                recency = np.exp(-index.age_days / CATEGORY_DAYS)
                score = recency + 0.3 * similarity + 0.1 * affinity + CATEGORY_TOPIC_BONUS * in_category
            else:
                recency = np.exp(-index.age_days / TOPIC_DAYS)
                score = similarity + TOPIC_RECENCY_WEIGHT * recency + 0.1 * affinity
        else:
            recency = np.exp(-index.age_days / HEADLINE_DAYS)
            # A favourite desk outranks the day's other news even when its latest story is weeks
            # old; recency still orders stories within a desk.
            score = recency + 1.2 * affinity + 0.1 * index.category_prior[index.category_code]
        good_news = any(mood in GOOD_NEWS_MOODS for mood in request.values("mood"))
        if good_news:
            score = score + TONE_WEIGHT * positive_tone(index.embeddings, self.encode_query)
        anchor = request.anchor
        if anchor is not None and anchor.id in index.id_to_index:
            score = score + ANCHOR_WEIGHT * (
                index.embeddings @ index.embeddings[index.id_to_index[anchor.id]]
            )
        profile = request.profile
        # Offered recently, or already reacted to (read, liked, skipped): the user has seen it.
        excluded = {e.item_id for e in profile.offered[-RECENT_OFFERS:]} | set(request.exclude)
        excluded |= {e.item_id for e in profile.feedback[-MAX_FEEDBACK_EVENTS:]}
        for item_id in excluded:
            i = index.id_to_index.get(item_id)
            if i is not None:
                score[i] = -np.inf
        pool = np.argpartition(-score, min(POOL_SIZE, len(score) - 1))[:POOL_SIZE]
        pool = pool[np.isfinite(score[pool])]
        pool_score = score[pool] + JITTER * np.array([request.rng.random() for _ in pool], np.float32)
        chosen = self._diverse(pool, pool_score, k, one_per_category=not topic)
        text = ""
        found = similarity is None or category is not None or float(similarity.max()) >= TOPIC_FOUND
        if not found:
            text = f"I found little about {topic}; here are the closest headlines I have."
        items = [self._item(i, float(score[i]), topic, category, taste, found) for i in chosen]
        if good_news:
            for item in items:
                item.reason = f"good news: {item.reason}"
        return SkillResult(items=items, text=text)

    def _diverse(self, pool: np.ndarray, scores: np.ndarray, k: int, one_per_category: bool) -> list[int]:
        """Maximal marginal relevance; with ``one_per_category``, one headline per section
        until every section has one."""
        n_categories = len(self.index.categories)

        def may_take(category: int, taken: dict[int, int]) -> bool:
            return not (one_per_category and category in taken and len(taken) < n_categories)

        picks = diverse_picks(
            scores,
            self.index.embeddings[pool],
            self.index.category_code[pool],
            k,
            may_take=may_take,
            redundancy=lambda similarity: np.clip(similarity, 0, None),
            trade_off=MMR_LAMBDA,
        )
        return [int(pool[j]) for j in picks]

    def _item(
        self, i: int, score: float, topic: str, category: str | None, taste: TopicTaste, found: bool
    ) -> Item:
        h = self.index.headlines[i]
        return Item(
            id=h.id,
            title=h.headline,
            domain="news",
            subtitle=f"{h.topic}, {h.date}",
            score=score,
            reason=self.reason(i, topic, category, taste, found),
            meta={
                "category": h.category,
                "topic": h.topic,
                "date": h.date,
                "description": h.description,
                "link": h.link,
                "authors": h.authors,
            },
        )

    def reason(self, i: int, topic: str, category: str | None, taste: TopicTaste, found: bool = True) -> str:
        h = self.index.headlines[i]
        c = int(self.index.category_code[i])
        kinds = taste.counts.get(c, {})
        if topic and category == h.category:
            return f"latest in {h.topic}, as you asked ({h.date})"
        if topic and not found:
            return f"the closest I have to '{topic}' ({h.topic}, {h.date})"
        if topic:
            return f"matches '{topic}' ({h.topic}, {h.date})"
        if taste.affinity[c] >= 0.2 and kinds.get("like", 0) + kinds.get("play", 0) >= 2:
            return f"you often read about {h.topic}"
        avoided = [int(x) for x in np.flatnonzero(taste.affinity <= -0.2) if x != c]
        if avoided:
            a = avoided[0]
            kind = max(("skip", "dislike"), key=lambda k: taste.counts.get(a, {}).get(k, 0))
            name = friendly_category(self.index.categories[a])
            return f"latest in {h.topic}; you often {kind} {name}, so less of that"
        return f"latest in {h.topic} ({h.date})"
