"""What one user's music feedback says about every track: the taste part of the score.

Likes pull towards tracks whose tag text is like theirs; dislikes and skips push away, each by
its ``FEEDBACK_WEIGHTS`` weight (a skip counts less than a dislike), newest feedback counting
most. Genre and artist affinities sum the same weights per genre and per lead artist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from assistant.skill_sdk.api import UserProfile
from skills.music.index import SIM_FLOOR, MusicIndex

# The newest feedback counts most: each older event is worth this much of the next newer one.
FEEDBACK_DECAY = 0.98


def rescale(similarity: np.ndarray) -> np.ndarray:
    return np.clip((similarity - SIM_FLOOR) / (1.0 - SIM_FLOOR), 0.0, 1.0)


@dataclass
class Taste:
    """What one user's feedback says about every track of the catalog."""

    positive: np.ndarray  # best (similarity x weight) to a liked track
    positive_from: np.ndarray  # catalog index of that liked track (-1: none)
    negative: np.ndarray
    genre_affinity: np.ndarray
    artist_affinity: np.ndarray
    avoided_genres: dict[str, str] = field(default_factory=dict)  # genre -> "skip" | "dislike"
    has_history: bool = False


def _strongest_per_row(rows: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Positions of the largest ``strength`` for each distinct value of ``rows``."""
    order = np.lexsort((-strength, rows))
    first = np.ones(len(order), bool)
    first[1:] = rows[order][1:] != rows[order][:-1]
    return order[first]


def build_taste(index: MusicIndex, profile: UserProfile) -> Taste:
    n = len(index)
    weight: dict[int, float] = defaultdict(float)
    kinds: dict[int, list[str]] = defaultdict(list)
    for e, w in profile.decayed_feedback(FEEDBACK_DECAY):
        i = index.id_to_index.get(e.item_id)
        if i is not None:
            weight[i] += w
            kinds[i].append(e.kind)
    taste = Taste(
        np.zeros(n, np.float32),
        np.full(n, -1),
        np.zeros(n, np.float32),
        np.zeros(n, np.float32),
        np.zeros(n, np.float32),
        has_history=bool(weight),
    )
    if not weight:
        return taste
    items = np.array(list(weight), dtype=np.int64)
    w = np.array([weight[i] for i in items], dtype=np.float32)
    rows = index.text_row[items]
    liked, disliked = w > 0, w < 0
    if liked.any():
        # Per distinct tag text, only the strongest like matters to the max below.
        keep = _strongest_per_row(rows[liked], w[liked])
        contrib = index.tag_similarity[:, rows[liked][keep]] * w[liked][keep]  # texts x liked
        best = contrib.argmax(1)
        taste.positive = contrib[np.arange(len(contrib)), best][index.text_row]
        taste.positive_from = items[liked][keep][best][index.text_row]
    if disliked.any():
        keep = _strongest_per_row(rows[disliked], -w[disliked])
        contrib = index.tag_similarity[:, rows[disliked][keep]] * -w[disliked][keep]
        taste.negative = contrib.max(1)[index.text_row]
    genre_sum: dict[str, float] = defaultdict(float)
    genre_count: dict[str, int] = defaultdict(int)
    genre_kinds: dict[str, list[str]] = defaultdict(list)
    artist_sum: dict[int, float] = defaultdict(float)
    for i, wi in zip(items.tolist(), w.tolist(), strict=True):
        for g in index.tracks[i].genres:
            genre_sum[g] += wi
            genre_count[g] += 1
            genre_kinds[g] += kinds[i]
        artist_sum[int(index.artist_code[i])] += wi
    for g, total in genre_sum.items():
        # +1 in the denominator: one event is weaker evidence about a genre than ten.
        taste.genre_affinity[index.genre_tracks[g]] += total / (genre_count[g] + 1)
        if total / (genre_count[g] + 1) <= -0.2:
            negatives = [k for k in genre_kinds[g] if k in ("skip", "dislike")]
            taste.avoided_genres[g] = max(set(negatives), key=negatives.count)
    by_code = np.zeros(int(index.artist_code.max()) + 1, np.float32)
    for code, total in artist_sum.items():
        by_code[code] = np.tanh(total)
    taste.artist_affinity = by_code[index.artist_code]
    return taste
