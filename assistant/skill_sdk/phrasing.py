"""Small phrasing helpers a skill and the core's own sentences share."""

from __future__ import annotations

from collections.abc import Sequence


def join_words(words: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or "or" as ``last``)."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]
