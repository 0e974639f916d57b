"""Words for what news people ask for, as the news frame's ``topic`` ("anything about science",
"what about sports"). A value is a topic the recommender searches for (``category_for`` maps the
section names); words not listed still come through the slot tagger as free text."""

from __future__ import annotations

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "sports": (
        r"sports?",
        r"football",
        r"soccer",
        r"basketball",
        r"baseball",
        r"tennis",
        r"cricket",
        r"olympics?",
        r"nba",
        r"nfl",
        r"rugby",
        r"golf",
        r"formula (?:one|1)",
        r"f1",
        r"boxing",
        r"hockey",
        r"the match",
        r"the game last night",
    ),
    "science": (r"science", r"scientific", r"scientists?", r"space", r"nasa", r"research"),
    "technology": (r"tech", r"technology", r"gadgets?", r"computers?", r"artificial intelligence", r"\bai\b"),
    "politics": (r"politics", r"political", r"elections?", r"congress", r"parliament", r"the president"),
    # The economy is the business section's (the catalog's BUSINESS): one topic, so "anything on
    # the economy" then "more business news" is one frame, not a change of topic.
    "business": (
        r"business",
        r"markets?",
        r"stocks?",
        r"finance",
        r"economy",
        r"economic",
        r"inflation",
        r"jobs report",
        r"interest rates?",
        r"cost of living",
    ),
    "entertainment": (r"entertainment", r"celebrit(?:y|ies)", r"hollywood", r"showbiz"),
    "wellness": (r"health", r"wellness", r"fitness", r"medical", r"medicine"),
    "travel": (r"travel", r"holidays?", r"tourism"),
    "food": (r"food", r"cooking", r"recipes?", r"restaurants?"),
    # Climate stories are the environment section's (the catalog's ENVIRONMENT and GREEN).
    "environment": (
        r"environment",
        r"environmental",
        r"green",
        r"climate(?: change| summit| crisis)?",
        r"global warming",
        r"emissions",
        r"wildlife",
    ),
    "world news": (r"world news", r"international", r"abroad"),
}

TOPIC_WORDS.update(
    {
        "parenting": (r"parents?", r"parenting", r"families", r"raising kids"),
        "crime": (r"crimes?", r"police", r"courts?", r"trials?"),
        "education": (r"education", r"schools?", r"universit(?:y|ies)", r"teachers?"),
        "religion": (r"religion", r"religious", r"church", r"faith"),
    }
)

CONSTRAINT_WORDS = {"topic": TOPIC_WORDS}
