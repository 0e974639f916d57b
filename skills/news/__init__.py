"""The news skill: reads HuffPost headlines chosen for the user, or on a topic they name."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import field_validator

from assistant.skill_sdk.api import (
    Answers,
    HistoryPhrasing,
    Item,
    ModelHints,
    OfferPolicy,
    Skill,
    SkillPhrasing,
    SkillRequest,
    SkillResult,
    SkillSettings,
    SkillSpec,
    SkillWords,
)
from assistant.skill_sdk.status import OnlineFeature, SkillStatus
from skills.embeddings import ENCODER_ARTIFACT
from skills.news.words import CONSTRAINT_WORDS
from skills.situations import leaves_room

log = logging.getLogger(__name__)

NAME = "news"
FEED_PREFIX = "feed:"  # ids of stories from the configured feeds (skills/news/feeds.py)
INTENTS = frozenset({"news_query"})
# Read when ``[news] feeds`` is not set and the network is allowed: well-known public world news
# feeds, so that "what's the news" is today's news out of the box.
DEFAULT_FEEDS = (
    "https://feeds.bbci.co.uk/news/world/rss.xml",
    "https://www.theguardian.com/world/rss",
    "https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml",
)


BRIEFING_INTRO = "Here's your morning briefing, one story from each of {sections} sections."
# A question about a story read out: its summary answers it.
ABOUT_STORY = re.compile(
    r"\bwhat(?:'s| is| was) (?:it|that|this)(?: one| story)? about\b|\btell me (?:a (?:bit|little) )?more\b|"
    r"\bmore (?:on|about) (?:it|that|this)\b|\bwho won\b|\bwhat happened\b|\bwhat'?s the story\b|"
    # "read it", "read me the second one", "the second one" after the headlines: that story
    r"\bread (?:me |out )?(?:it|that|this|that one|this one|the \w+ (?:one|story|headline|article))\b|"
    r"^(?:\w+,? )?the \w+ (?:one|story|headline|article)\W*$"
)
# Slots that say what news is wanted: with none of them, a morning request is a briefing.
NAMING_SLOTS = ("topic", "mood", "descriptor")


def is_briefing(request: SkillRequest) -> bool:
    situation = request.situation
    return (
        situation is not None
        and situation.part_of_day == "morning"
        and request.anchor is None
        and leaves_room(request.slots, NAMING_SLOTS)
    )


class NewsSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender, feeds: tuple[str, ...] = ()) -> None:
        # A NewsRecommender; typed loosely to keep import cheap. ``feeds``: the configured URLs.
        self.recommender = recommender
        self.archive = recommender.index  # the shipped HuffPost set, without feed stories
        self.feeds = feeds
        self.feed_problem = ""  # why the last fetch brought nothing ("" when it worked)
        self._lock = threading.Lock()

    def handle(self, request: SkillRequest) -> SkillResult:
        result = self.recommender.recommend(request)
        if result.items and is_briefing(request):
            # A morning "what's the news" is a short briefing: one story from each section
            # (the recommender's spread without a topic), said as such.
            sections = len({it.meta.get("category") for it in result.items})
            result.text = f"{BRIEFING_INTRO.format(sections=sections)} {result.text}".strip()
            for item in result.items:
                item.reason = f"your morning briefing: {item.reason}"
        if result.items and all(not it.id.startswith(FEED_PREFIX) for it in result.items):
            result.text = f"{self.archive_note()} {result.text}".strip()
        elif result.items and all(it.id.startswith(FEED_PREFIX) for it in result.items):
            result.text = f"{feed_note(result.items, dt.date.today())} {result.text}".strip()
        return result

    def about(self, item: Item, question: str) -> SkillResult | None:
        """ "What's that about?", "tell me more", "who won?" about a headline read out
        (``AnswersAbout``): the story's own summary, or that it has none; the story comes back in
        ``items``, as read out."""
        if item.domain != NAME or not ABOUT_STORY.search(question.lower()):
            return None
        summary = str(item.meta.get("description") or "").strip()
        if not summary:
            return SkillResult([item], f"That story has no more than its headline: {item.title}.")
        date = item.meta.get("date")
        return SkillResult([item], f"{item.title}{f' ({date})' if date else ''}: {summary}")

    def archive_note(self) -> str:
        """Archive headlines are said to be that, with their years: never passed off as today's."""
        dates = sorted(h.date for h in self.archive.headlines)
        years = f"{dates[0][:4]} to {dates[-1][:4]}" if dates else ""
        archive = f"the HuffPost archive ({years})"
        if not self.feeds:
            return f"These are from {archive}, not today's news: no news feeds are set up."
        if self.feed_problem:
            return f"These are from {archive}: {self.feed_problem}."
        return f"These are from {archive}."

    # --- feeds ----------------------------------------------------------------------------------
    def use_stored(self, db) -> int:
        """Serve the stored feed stories with the archive (a new index; the swap is atomic)."""
        from skills.news.feeds import stored_stories
        from skills.news.recommender import NewsIndex

        stories, vectors = stored_stories(db)
        if stories:
            index = NewsIndex(self.archive.headlines + stories, np.vstack([self.archive.embeddings, vectors]))
            self.recommender.index = index
        return len(stories)

    def refresh(self, db) -> None:
        """Fetch the feeds now, store what is new and serve it (run on a background thread)."""
        from skills.news.feeds import refresh

        with self._lock:
            report = refresh(list(self.feeds), db)
            stored = self.use_stored(db)
            if stored == 0:
                # Said aloud: no web addresses or socket errors ("[Errno 111] Connection
                # refused"); those go to the log for whoever mends the feeds.
                log.info("no news feed stories: %s", "; ".join(report.problems) or "the feeds had no stories")
                self.feed_problem = (
                    "I couldn't fetch your news feeds just now"
                    if report.problems
                    else "your news feeds had no stories just now"
                )
            else:
                self.feed_problem = ""


def _day(iso: str, today: dt.date) -> str:
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    if day == today:
        return "today"
    if day == today - dt.timedelta(days=1):
        return "yesterday"
    return f"{day.day} {day.strftime('%B')}" + ("" if day.year == today.year else f" {day.year}")


def feed_note(items: list[Item], today: dt.date) -> str:
    """Feed stories are said to be that, with their days: "dated today and yesterday"."""
    days = sorted({str(it.meta.get("date") or "") for it in items} - {""}, reverse=True)
    if not days:
        return "These are from your news feeds."
    words = [_day(d, today) for d in days]
    when = " and ".join(words) if len(words) <= 2 else f"{words[-1]} to {words[0]}"
    return f"These are from your news feeds, dated {when}."


class NewsSettings(SkillSettings):
    """``[skills.news]`` (or the older ``[news]``) in config.toml."""

    # RSS or Atom URLs (one may be written as a plain string); [] reads none. Left unset, the
    # DEFAULT_FEEDS are read, only while the network is allowed.
    feeds: list[str] = list(DEFAULT_FEEDS)
    refresh_minutes: float = 30.0  # how often they are fetched in the background (at most once a minute)

    @field_validator("feeds", mode="before")
    @classmethod
    def _one_feed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def load_skill(settings: Mapping[str, Any] | None = None) -> Skill:
    """Load the built news index (raises ``ArtifactMissingError`` when it has not been built).

    ``settings`` is the ``[skills.news]`` section of config.toml (``NewsSettings``): ``feeds``
    are fetched in the background every ``refresh_minutes`` unless the network is switched off
    (``ASSISTANT_OFFLINE``, ``[network] enabled = false``); stories already stored are served
    at once. Feeds left unset are the ``DEFAULT_FEEDS`` while the network is allowed and none
    when it is not: offline the archive answers and says plainly that it is the archive.
    """
    from assistant.config import network_allowed
    from skills.embeddings import warm_up
    from skills.news.recommender import NewsIndex, NewsRecommender

    options = NewsSettings.model_validate(dict(settings or {}))
    feeds = effective_feeds(options, network_allowed())
    index = NewsIndex.load()
    warm_up()  # the query encoder, for topic search
    skill = NewsSkill(NewsRecommender(index), feeds)
    if feeds:
        from skills.news.feeds import feed_db

        db = feed_db()  # the skill's table in the assistant's database, migrated by the core
        if skill.use_stored(db) == 0:
            skill.feed_problem = "your news feeds have not been fetched yet"
        if network_allowed():
            minutes = options.refresh_minutes
            threading.Thread(
                target=_keep_fresh, args=(skill, db, minutes), name="news-feeds", daemon=True
            ).start()
    return skill


def effective_feeds(options: NewsSettings, online: bool) -> tuple[str, ...]:
    """The feeds read: those set in config.toml, else the defaults while ``online``."""
    if "feeds" not in options.model_fields_set and not online:
        return ()
    return tuple(f for f in options.feeds if f.strip())


def status(settings: Mapping[str, Any]) -> SkillStatus:
    """For ``assistant status``: the built archive index and the feeds as set."""
    from skills.news.recommender import ARTIFACT

    options = NewsSettings.model_validate(dict(settings or {}))
    feeds = effective_feeds(options, True)
    written = "feeds = [...]" if "feeds" in options.model_fields_set else "feeds: the defaults"
    feature = OnlineFeature("news feeds", f"{written} ({len(feeds)})", bool(feeds), feeds)
    return SkillStatus(artifacts=(ARTIFACT, ENCODER_ARTIFACT), online=(feature,))


def _keep_fresh(skill: NewsSkill, db, minutes: float) -> None:
    while True:
        try:
            skill.refresh(db)
        except Exception:  # the archive still answers; the next round tries again
            logging.getLogger(__name__).exception("refreshing the news feeds failed")
        time.sleep(max(60.0, minutes * 60))


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
    build="skills.news.build",
    answers=Answers(
        offer_intent="news_query",
        slots=frozenset({"topic", "mood"}),
        fresh_slots=frozenset({"topic"}),
    ),
    words=SkillWords(
        domain_words=(
            "news",
            "the latest on",  # "what's the latest on the election"
            "what's happening",  # "morning, what's happening"
            "headline",
            "headlines",
            "story",
            "stories",
            "sports",
            "politics",
            "economy",
            "science",
        )
        + ("business", "technology"),
        item_nouns=("story", "stories", "headline", "headlines"),
        name_cues=("author",),
        constraint_words=CONSTRAINT_WORDS,
        vocabulary=vocabulary,
    ),
    phrasing=SkillPhrasing(
        examples=("what's the news", "news about climate"),
        description="read the news",
        topic="news",
        what="the news",
        templates={"offer": ("Here are the headlines: {items}.", "Here's the news: {items}.")},
        history=HistoryPhrasing(words=("news", "headline", "read"), kind="news", noun="headlines"),
    ),
    offers=OfferPolicy(items_per_offer=3, says_reason=False),
    # For the language model's reading of open requests (assistant/llm).
    llm=ModelHints(examples=(("what is going on in the world of tech", {"topic": "technology"}),)),
    rank=20,
    settings_model=NewsSettings,
    status=status,
)
