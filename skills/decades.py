"""Decades and years as people say them ("the eighties", "90s", "from 1985"), for any skill."""

from __future__ import annotations

import re

DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
    "two thousands": 2000,
    "noughties": 2000,
    "twenty tens": 2010,
}


def decade_phrases() -> dict[int, tuple[str, ...]]:
    """Decade start -> the ways it is said, as regular expressions ("eighties", "1980s", "80s",
    "two thousands", "noughties"), for the skills' ``constraint_words``."""
    phrases: dict[int, list[str]] = {}
    for word, start in DECADE_WORDS.items():
        phrases.setdefault(start, [rf"{start}s", rf"'?{start % 100:02d}s"]).append(word.replace(" ", r"\s"))
    return {start: tuple(found) for start, found in phrases.items()}


def decade_span(text: str) -> tuple[int, int] | None:
    """ "nineties" / "the 1990s" / "90s" / "from 1985" as a range of release years."""
    text = text.lower()
    for word, start in DECADE_WORDS.items():
        if word in text:
            return start, start + 9
    m = re.search(r"\b(19|20)(\d)0s\b", text)
    if m:
        start = int(m.group(1) + m.group(2) + "0")
        return start, start + 9
    m = re.search(r"\b(\d)0s\b", text)
    if m:
        start = 1900 + int(m.group(1)) * 10 if int(m.group(1)) >= 2 else 2000 + int(m.group(1)) * 10
        return start, start + 9
    m = re.search(r"\b(19\d\d|20\d\d)\b", text)
    if m:
        year = int(m.group(1))
        return (year, 2100) if re.search(r"\b(after|since|from|newer)\b", text) else (year, year)
    return None
