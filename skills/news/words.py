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
    ),
    "science": (r"science", r"scientific", r"scientists?", r"space", r"nasa", r"research"),
    "technology": (r"tech", r"technology", r"gadgets?", r"computers?", r"artificial intelligence", r"\bai\b"),
    "politics": (r"politics", r"political", r"elections?", r"congress", r"parliament", r"the president"),
    "business": (r"business", r"markets?", r"stocks?", r"finance"),
    "economy": (r"economy", r"economic", r"inflation", r"jobs report"),
    "entertainment": (r"entertainment", r"celebrit(?:y|ies)", r"hollywood", r"showbiz"),
    "wellness": (r"health", r"wellness", r"fitness", r"medical", r"medicine"),
    "travel": (r"travel", r"holidays?", r"tourism"),
    "food": (r"food", r"cooking", r"recipes?", r"restaurants?"),
    "environment": (r"environment", r"green"),
    "climate": (r"climate", r"global warming"),
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
