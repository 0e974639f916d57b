"""The fitted parts the video recommender blends, each a plain numpy/scipy structure.

- sequence co-occurrence: in every rater's time-ordered history, item ``b`` rated ``d`` steps
  after item ``a`` (d <= window) adds ``1/d`` to ``C[a, b]``. MovieLens raters work through
  films in sessions, so what comes *next* after someone's latest films is the strongest signal.
- an implicit ALS model whose user vectors are folded in per request (our users are not
  MovieLens users), with the per-item contribution kept so a reason can name a film.
- popularity over all time and in a window before "now" (what is popular right now).
- a genre/content matrix for "you've been watching comedies" and "something like Alien".
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sequence_cooccurrence(sequences: list[np.ndarray], n_items: int, window: int) -> sp.csr_matrix:
    """Forward co-occurrence ``C[a, b]``: b followed a within ``window`` steps, weighted 1/distance."""
    rows, cols, vals = [], [], []
    for seq in sequences:
        for dist in range(1, min(window, len(seq) - 1) + 1):
            rows.append(seq[:-dist])
            cols.append(seq[dist:])
            vals.append(np.full(len(seq) - dist, 1.0 / dist, dtype=np.float32))
    if not rows:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


def popularity_normalised(
    matrix: sp.csr_matrix, counts: np.ndarray, row_power: float, col_power: float
) -> sp.csr_matrix:
    """Divide rows and columns by a power of item popularity (cosine at 0.5/0.5).

    A smaller column power keeps more of the popular "next" films, which is what people do
    watch next; the row power stops one blockbuster in the history from drowning the rest.
    """
    scale = counts.astype(np.float64) + 1.0
    rows = sp.diags((scale**-row_power).astype(np.float32))
    cols = sp.diags((scale**-col_power).astype(np.float32))
    out = (rows @ matrix @ cols).tocsr().astype(np.float32)
    out.setdiag(0)
    out.eliminate_zeros()
    return out


def fit_als(
    user_items: sp.csr_matrix, factors: int, regularization: float, iterations: int, seed: int = 0
) -> np.ndarray:
    """Item factors of an implicit-feedback ALS model (the `implicit` library, one CPU thread)."""
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(
        factors=factors,
        regularization=regularization,
        iterations=iterations,
        random_state=seed,
        num_threads=1,
    )
    model.fit(user_items.astype(np.float32), show_progress=False)
    return np.ascontiguousarray(model.item_factors, dtype=np.float32)


def als_fold_in(
    item_factors: np.ndarray, gram: np.ndarray, regularization: float, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The least-squares user vector for a new history (confidence 1 per positive item).

    Returns ``(user_vector, solve)`` where ``solve = (YtY + reg I)^-1``: the score of item i is
    ``sum_h y_i . solve . y_h``, so each history item's share of a score can be read off exactly.
    """
    size = gram.shape[0]
    solve = np.linalg.inv(gram + regularization * np.eye(size, dtype=np.float64)).astype(np.float32)
    if len(items) == 0:
        return np.zeros(size, dtype=np.float32), solve
    return solve @ item_factors[items].sum(axis=0), solve


def window_popularity(
    times_sorted: np.ndarray, items_by_time: np.ndarray, n_items: int, now: float, days: float
) -> np.ndarray:
    """log(1 + ratings per item) in the ``days`` before ``now`` (nothing after ``now`` is used)."""
    start = np.searchsorted(times_sorted, now - days * 86400.0)
    stop = np.searchsorted(times_sorted, now, side="right")
    return np.log1p(np.bincount(items_by_time[start:stop], minlength=n_items)).astype(np.float32)


def dot_rows(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` without BLAS threads: at request size, waking a threaded BLAS on a
    busy 2-core machine costs more than the product (the same choice as skills/embeddings.py)."""
    return np.einsum("ij,j->i", matrix, vector)


def scale_to_unit(values: np.ndarray) -> np.ndarray:
    """Divide by the maximum so each signal speaks on a 0..1 scale for this user."""
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def min_max(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def genre_matrix(genre_lists: list[list[str]], vocabulary: list[str]) -> np.ndarray:
    """Row-normalised one-hot genres (items x genres)."""
    index = {g: j for j, g in enumerate(vocabulary)}
    matrix = np.zeros((len(genre_lists), len(vocabulary)), dtype=np.float32)
    for i, genres in enumerate(genre_lists):
        for g in genres:
            if g in index:
                matrix[i, index[g]] = 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
