"""How positive a story is, for "good news": MiniLM similarity of each headline + description to
a described good-news story minus its similarity to a described bad-news one.

The stored embeddings are the ones topic search uses, so this costs two query encodings and one
matrix-vector product per catalog, once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

GOOD_NEWS = (
    "good news: a heartwarming, uplifting, hopeful story of kindness, success, love, rescue, "
    "a celebration or a happy ending"
)
BAD_NEWS = "bad news: death, killing, violence, crime, war, disaster, tragedy, abuse, scandal or a crisis"
# Moods whose news is the good kind; the others leave the news as it is.
GOOD_NEWS_MOODS = frozenset({"happy"})

_cache: dict[int, np.ndarray] = {}


def positive_tone(embeddings: np.ndarray, encode_query: Callable[[str], np.ndarray]) -> np.ndarray:
    """Per story, good-news similarity minus bad-news similarity, scaled to 0..1 over the catalog."""
    key = id(embeddings)
    if key not in _cache:
        good = embeddings @ encode_query(GOOD_NEWS).astype(embeddings.dtype)
        bad = embeddings @ encode_query(BAD_NEWS).astype(embeddings.dtype)
        tone = (good - bad).astype(np.float32)
        low, high = float(tone.min()), float(tone.max())
        _cache[key] = (tone - low) / (high - low) if high > low else np.zeros_like(tone)
    return _cache[key]
