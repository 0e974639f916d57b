"""Match a spoken place name to a city we hold records for.

The NLU may already hand us a canonical name; people also say "chicago il", "seatle" or
"bombay". Matching is deliberately strict so that "new york" is reported as unknown rather
than silently answered with another city's weather.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz

# Other names people use for the cities we hold.
ALIASES = {
    "bombay": "Mumbai",
    "peking": "Beijing",
    "beijing china": "Beijing",
    "the windy city": "Chicago",
    "windy city": "Chicago",
    "chi town": "Chicago",
    "chitown": "Chicago",
    "sea tac": "Seattle",
    "seatac": "Seattle",
    "auckland nz": "Auckland",
}
# Whole-string similarity for typos ("seatle", "chicgo", "mumbay").
TYPO_MIN_RATIO = 80.0


def normalise(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b(in|at|for|the city of|city of)\b", " ", text)
    return " ".join(text.split())


def match_city(spoken: str, cities: Iterable[str]) -> str | None:
    """The canonical city for a spoken place name, or None when it is not one of ``cities``."""
    cities = list(cities)
    query = normalise(spoken)
    if not query:
        return None
    by_key = {normalise(c): c for c in cities}
    if query in by_key:
        return by_key[query]
    alias = ALIASES.get(query)
    if alias in cities:
        return alias
    tokens = query.split()
    # "chicago il", "seattle washington", "san diego california": the city's words lead the phrase.
    for key, city in by_key.items():
        key_tokens = key.split()
        if tokens[: len(key_tokens)] == key_tokens:
            return city
    best, best_score = None, 0.0
    for key, city in by_key.items():
        # Compare with the same number of leading words, so "chicgo il" still finds Chicago.
        head = " ".join(tokens[: len(key.split())])
        score = fuzz.ratio(head, key)
        if score > best_score:
            best, best_score = city, score
    return best if best_score >= TYPO_MIN_RATIO else None
