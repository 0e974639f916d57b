"""The news catalog: 13,357 HuffPost headlines (2018-2022) with category, date and description.

Item ids are ``hp:`` plus the article slug from its URL, which is unique and stable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from assistant.artifacts import DATA_DIR

NEWS_FILE = DATA_DIR / "news" / "huffpost" / "huffpost_headlines_merged_dedup.csv"

# Category labels as people say them; the rest are simply lower-cased with '&' -> 'and'.
FRIENDLY_CATEGORY = {"U.S. NEWS": "us news", "TECH": "technology"}
# Other words a topic slot may carry for a category.
CATEGORY_ALIASES = {
    "tech": "TECH",
    "technology news": "TECH",
    "us": "U.S. NEWS",
    "u.s.": "U.S. NEWS",
    "u.s. news": "U.S. NEWS",
    "national": "U.S. NEWS",
    "america": "U.S. NEWS",
    "american": "U.S. NEWS",
    "world": "WORLD NEWS",
    "international": "WORLD NEWS",
    "global": "WORLD NEWS",
    "sport": "SPORTS",
    "political": "POLITICS",
    "celebrity": "ENTERTAINMENT",
    "celebrities": "ENTERTAINMENT",
    "showbiz": "ENTERTAINMENT",
    "health": "WELLNESS",
    "finance": "MONEY",
    "economy": "BUSINESS",
    "science and technology": "SCIENCE",
    "arts": "CULTURE & ARTS",
    "culture": "CULTURE & ARTS",
    "food": "FOOD & DRINK",
    "style": "STYLE & BEAUTY",
    "beauty": "STYLE & BEAUTY",
    "fashion": "STYLE & BEAUTY",
    "home": "HOME & LIVING",
    "funny": "COMEDY",
    "weird": "WEIRD NEWS",
    "odd": "WEIRD NEWS",
}


def friendly_category(category: str) -> str:
    return FRIENDLY_CATEGORY.get(category, category.lower().replace("&", "and"))


@dataclass(frozen=True)
class Headline:
    id: str
    headline: str
    category: str  # the HuffPost label, upper case ("WORLD NEWS")
    date: str  # ISO day
    description: str
    link: str
    authors: str

    @property
    def topic(self) -> str:
        return friendly_category(self.category)

    def embed_text(self) -> str:
        return f"{self.headline}. {self.description}".strip()


def load_headlines() -> list[Headline]:
    table = pd.read_csv(NEWS_FILE, keep_default_na=False)
    return [
        Headline(
            id="hp:" + row.link.rstrip("/").rsplit("/", 1)[-1],
            headline=row.headline.strip(),
            category=row.category,
            date=row.date,
            description=row.short_description.strip(),
            link=row.link,
            authors=row.authors,
        )
        for row in table.itertuples(index=False)
    ]


def headlines_to_frame(headlines: list[Headline]) -> pd.DataFrame:
    return pd.DataFrame([h.__dict__ for h in headlines])


def headlines_from_frame(table: pd.DataFrame) -> list[Headline]:
    return [Headline(**row) for row in table.astype(str).to_dict("records")]
