"""Maximal marginal relevance with a per-group limit, shared by the music and news skills.

Each pick is the most relevant candidate left after a penalty for resembling what was already
picked; a group limit (tracks per artist, headlines per section) keeps one source from filling
the list.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from skills.embeddings import dot_rows

TRADE_OFF = 0.5  # weight of redundancy against relevance


def diverse_picks(
    scores: np.ndarray,
    embeddings: np.ndarray,
    groups: np.ndarray,
    k: int,
    may_take: Callable[[int, dict[int, int]], bool],
    redundancy: Callable[[np.ndarray], np.ndarray],
    trade_off: float = TRADE_OFF,
) -> list[int]:
    """Up to ``k`` candidate positions, in the order picked.

    ``scores``, ``embeddings`` (unit rows) and ``groups`` describe the same candidates.
    ``may_take(group, taken)`` says whether one more of ``group`` may join, given how many of
    each group are already in; ``redundancy`` maps cosine similarities to the penalty scale.
    """
    taken: dict[int, int] = {}
    chosen: list[int] = []
    max_redundancy = np.zeros(len(scores), np.float32)
    while len(chosen) < k:
        value = scores - trade_off * max_redundancy
        best = next(
            (int(j) for j in np.argsort(-value) if int(j) not in chosen and may_take(int(groups[j]), taken)),
            None,
        )
        if best is None:
            break
        chosen.append(best)
        group = int(groups[best])
        taken[group] = taken.get(group, 0) + 1
        max_redundancy = np.maximum(max_redundancy, redundancy(dot_rows(embeddings, embeddings[best])))
    return chosen
