"""Film recommendations for one person from the MovieLens population, with a reason per film.

``VideoRecommender.fit(ratings)`` learns from a ratings table; ``recommend(history, k)`` folds a
person who is not in that table into the model from their own ``(movieId, rating, timestamp)``
history. The score blends, on a 0..1 scale each:

- what raters watch *next* after the person's latest films (sequence co-occurrence, forward and
  backward, plus a short-term one over the last five),
- the folded-in ALS taste vector,
- the genres of the person's recent films,
- popularity now (a window before the person's latest activity) and overall, and how close a
  film's release year is to "now".

Weights were chosen on earlier-position hold-outs of the ratings (the 2nd..5th last rating of
each rater), never on the last rating that ``bench/recsys_eval.py`` scores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from skills.video import signals
from skills.video.content import ContentIndex

WEIGHTS: dict[str, float] = {
    "forward": 1.0,
    "backward": 0.3,
    "short": 0.2,
    "als": 0.5,
    "genre": 0.5,
    "recent": 0.2,
    "newness": 0.1,
    "popular": 0.05,
}
WINDOW = 20  # co-occurrence reach in steps
RECENT_ITEMS, RECENT_DECAY = 20, 0.9  # the history items that drive the sequence signal
SHORT_ITEMS, SHORT_DECAY = 5, 0.7
GENRE_ITEMS, GENRE_DECAY = 10, 0.8
RECENT_DAYS = 180
ALS_FACTORS, ALS_REG, ALS_ITERATIONS = 64, 0.05, 15
LIKED = 3.5  # stars at or above which a film counts as liked in a reason
DISLIKED = 2.0  # stars at or below which a film is negative evidence
# A disliked film was still watched: what people watch after it stays weak evidence of what
# comes next, but its genres count against a film and it adds nothing to the taste vector.
DISLIKED_SEQUENCE_WEIGHT = 0.3
HATED = 1.0  # at or below: an explicit "dislike"; never evidence for what to watch next
DISLIKED_GENRE_WEIGHT = -0.5
REASON_GROUPS = {
    "forward": "sequence",
    "backward": "sequence",
    "short": "sequence",
    "als": "taste",
    "genre": "genre",
    "recent": "now",
    "newness": "now",
    "popular": "popular",
}


@dataclass
class Recommendation:
    item_id: int
    score: float
    reason: str
    evidence: dict[str, object] = field(default_factory=dict)


@dataclass
class _History:
    items: np.ndarray  # item indices, oldest first, each once (latest rating kept)
    ratings: np.ndarray
    now: float


class VideoRecommender:
    def __init__(
        self,
        *,
        item_ids: np.ndarray,
        titles: np.ndarray,
        years: np.ndarray,
        genres: list[str],
        forward: sp.csr_matrix,
        backward: sp.csr_matrix,
        short: sp.csr_matrix,
        item_factors: np.ndarray,
        popularity: np.ndarray,
        times_sorted: np.ndarray,
        items_by_time: np.ndarray,
        content: ContentIndex,
    ) -> None:
        self.item_ids = item_ids.astype(np.int64)
        self.titles = titles
        self.years = years.astype(np.float32)
        self.genres = genres
        self.forward, self.backward, self.short = forward, backward, short
        self.item_factors = item_factors
        self.popularity = popularity.astype(np.float32)
        self.times_sorted = times_sorted.astype(np.float64)
        self.items_by_time = items_by_time.astype(np.int64)
        self.content = content
        self.index = pd.Series(np.arange(len(item_ids)), index=self.item_ids)
        gram = item_factors.T.astype(np.float64) @ item_factors
        self._als_solve = signals.als_fold_in(item_factors, gram, ALS_REG, np.empty(0, np.int64))[1]
        norms = np.linalg.norm(item_factors, axis=1, keepdims=True)
        self._unit_factors = item_factors / np.where(norms > 0, norms, 1.0)
        self.data_end = float(self.times_sorted[-1]) if len(self.times_sorted) else time.time()
        self._popular_now = signals.window_popularity(
            self.times_sorted, self.items_by_time, len(item_ids), self.data_end, RECENT_DAYS
        )

    # ---- fitting -------------------------------------------------------------------------
    @classmethod
    def fit(
        cls, ratings: pd.DataFrame, catalog: pd.DataFrame | None = None, progress: bool = False
    ) -> VideoRecommender:
        """Fit on ``userId, movieId, rating, timestamp`` rows; ``catalog`` adds titles/genres/people."""
        from tqdm import tqdm

        steps = tqdm(total=5, desc="video model", disable=not progress, unit="step")
        if catalog is None:
            from skills.video.catalog import build_catalog

            catalog = build_catalog()
        frame = ratings[["userId", "movieId", "rating", "timestamp"]].reset_index(drop=True)
        frame = frame.assign(order=np.arange(len(frame))).sort_values(
            ["userId", "timestamp", "order"], kind="stable"
        )
        item_ids = np.sort(frame["movieId"].unique())
        n_items = len(item_ids)
        frame["item"] = np.searchsorted(item_ids, frame["movieId"].to_numpy())
        frame["user"] = pd.factorize(frame["userId"])[0]
        sequences = [group.to_numpy() for _, group in frame.groupby("user", sort=False)["item"]]
        counts = np.bincount(frame["item"].to_numpy(), minlength=n_items).astype(np.float32)
        steps.update()
        raw = signals.sequence_cooccurrence(sequences, n_items, WINDOW)
        forward = signals.popularity_normalised(raw, counts, 0.5, 0.3)
        backward = signals.popularity_normalised(raw.T.tocsr(), counts, 0.5, 0.2)
        short = signals.popularity_normalised((raw + raw.T).tocsr(), counts, 0.5, 0.5)
        steps.update()
        user_items = sp.csr_matrix(
            (np.ones(len(frame), np.float32), (frame["user"].to_numpy(), frame["item"].to_numpy())),
            shape=(int(frame["user"].max()) + 1, n_items),
        )
        user_items.data[:] = 1.0  # a film rated twice still counts once
        item_factors = signals.fit_als(user_items, ALS_FACTORS, ALS_REG, ALS_ITERATIONS)
        steps.update()
        by_time = np.argsort(frame["timestamp"].to_numpy(), kind="stable")
        known = catalog.reindex(item_ids)
        titles = known["title"].fillna("").astype(str).to_numpy()
        titles = np.where(titles == "", [f"film {i}" for i in item_ids], titles)
        genre_lists = [g.split("|") if isinstance(g, str) and g else [] for g in known["genres"]]
        content = ContentIndex.build(genre_lists, known["director"].tolist(), known["cast"].tolist())
        steps.update()
        model = cls(
            item_ids=item_ids,
            titles=titles.astype(str),
            years=pd.to_numeric(known["year"], errors="coerce").to_numpy(dtype=np.float64),
            genres=content.genres,
            forward=forward,
            backward=backward,
            short=short,
            item_factors=item_factors,
            popularity=np.log1p(counts),
            times_sorted=frame["timestamp"].to_numpy()[by_time],
            items_by_time=frame["item"].to_numpy()[by_time],
            content=content,
        )
        steps.update()
        steps.close()
        return model

    # ---- scoring -------------------------------------------------------------------------
    def _history(self, history: Iterable[Sequence[float]], now: float | None) -> _History:
        rows = np.asarray([(m, r, t) for m, r, t in history], dtype=np.float64).reshape(-1, 3)
        movies = rows[:, 0].astype(np.int64)
        slot = np.minimum(np.searchsorted(self.item_ids, movies), len(self.item_ids) - 1)
        rows, slot = rows[self.item_ids[slot] == movies], slot[self.item_ids[slot] == movies]
        order = np.argsort(rows[:, 2], kind="stable")  # equal times keep the caller's order
        rows, slot = rows[order], slot[order]
        # A film rated twice counts once, at its latest position with its latest rating.
        _, first_from_end = np.unique(slot[::-1], return_index=True)
        keep = np.sort(len(slot) - 1 - first_from_end)
        items, ratings = slot[keep], rows[keep, 1].astype(np.float32)
        last_seen = float(rows[-1, 2]) if len(rows) else self.data_end
        # The ratings end in the past; "now" for a live user is the newest moment the data knows.
        moment = min(now if now is not None else last_seen, self.data_end)
        return _History(items, ratings, moment)

    def _source_weights(
        self, hist: _History, count: int, decay: float, disliked: float = DISLIKED_SEQUENCE_WEIGHT
    ) -> tuple[np.ndarray, np.ndarray]:
        items = hist.items[::-1][:count]
        stars = hist.ratings[::-1][:count]
        weights = decay ** np.arange(len(items), dtype=np.float32)
        weights = np.where(stars <= DISLIKED, disliked * weights, weights)
        if disliked > 0:
            weights = np.where(stars <= HATED, 0.0, weights)
        return items, weights.astype(np.float32)

    def components(self, hist: _History) -> dict[str, np.ndarray]:
        """Each signal as a 0..1-scaled vector over all items."""
        n_items = len(self.item_ids)
        parts: dict[str, np.ndarray] = {}
        for name, matrix, count, decay in (
            ("forward", self.forward, RECENT_ITEMS, RECENT_DECAY),
            ("backward", self.backward, RECENT_ITEMS, RECENT_DECAY),
            ("short", self.short, SHORT_ITEMS, SHORT_DECAY),
        ):
            items, weights = self._source_weights(hist, count, decay)
            raw = matrix[items].T @ weights if len(items) else np.zeros(n_items, np.float32)
            parts[name] = signals.scale_to_unit(np.asarray(raw, dtype=np.float32).ravel())
        liked = hist.items[hist.ratings > DISLIKED]
        user_vector = (
            signals.dot_rows(self._als_solve, self.item_factors[liked].sum(axis=0)) if len(liked) else None
        )
        parts["als"] = (
            signals.min_max(signals.dot_rows(self.item_factors, user_vector))
            if user_vector is not None
            else np.zeros(n_items, np.float32)
        )
        items, weights = self._source_weights(hist, GENRE_ITEMS, GENRE_DECAY, DISLIKED_GENRE_WEIGHT)
        profile = np.einsum("i,ij->j", weights, self.content.genre_matrix[items]) if len(items) else None
        parts["genre"] = (
            signals.scale_to_unit(np.maximum(signals.dot_rows(self.content.genre_matrix, profile), 0))
            if profile is not None
            else np.zeros(n_items, np.float32)
        )
        recent = (
            self._popular_now
            if hist.now >= self.data_end
            else signals.window_popularity(
                self.times_sorted, self.items_by_time, n_items, hist.now, RECENT_DAYS
            )
        )
        parts["recent"] = signals.min_max(recent)
        year_now = time.gmtime(hist.now).tm_year
        parts["newness"] = np.nan_to_num(np.exp(-np.abs(year_now - self.years) / 3.0)).astype(np.float32)
        parts["popular"] = signals.min_max(self.popularity)
        return parts

    def scores(
        self, history: Iterable[Sequence[float]], now: float | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray], _History]:
        """The blended score of every item (items in the history get -inf)."""
        hist = self._history(history, now)
        parts = self.components(hist)
        total = np.zeros(len(self.item_ids), dtype=np.float32)
        for name, weight in WEIGHTS.items():
            total += weight * parts[name]
        total[hist.items] = -np.inf
        return total, parts, hist

    def similar_to(self, movie_id: int) -> np.ndarray:
        """0..1 similarity of every item to one film: co-watching, taste factors and content."""
        anchor = int(self.index[movie_id])
        watched = signals.scale_to_unit(self.short[anchor].toarray().ravel())
        taste = np.maximum(signals.dot_rows(self._unit_factors, self._unit_factors[anchor]), 0)
        content = self.content.similar(anchor)
        similarity = 0.4 * watched + 0.3 * taste + 0.4 * content
        similarity[anchor] = 0.0
        return similarity

    def recommend(
        self,
        history: Iterable[Sequence[float]],
        k: int = 10,
        *,
        exclude: Iterable[int] = (),
        allowed: np.ndarray | None = None,
        extra: tuple[np.ndarray, float, str] | None = None,
        adjust: np.ndarray | None = None,
        now: float | None = None,
    ) -> list[Recommendation]:
        """The top ``k`` films not in the history (nor ``exclude``), best first, each with a reason.

        ``allowed`` is a boolean mask over items (slot filters); ``extra`` adds a caller's
        signal ``(vector, weight, reason)`` such as similarity to a named film; ``adjust`` is
        added to the score without being a reason (e.g. a push away from disliked films).
        """
        total, parts, hist = self.scores(history, now)
        if extra is not None:
            total = total + extra[1] * extra[0]
        if adjust is not None:
            total = total + adjust
        blocked = [int(self.index[m]) for m in exclude if m in self.index.index]
        total[blocked] = -np.inf
        if allowed is not None:
            total = np.where(allowed, total, -np.inf)
        k = max(0, min(k, int(np.isfinite(total).sum())))
        if k == 0:
            return []
        top = np.argpartition(-total, k - 1)[:k]
        top = top[np.argsort(-total[top], kind="stable")]
        return [self._explain(int(i), float(total[i]), parts, hist, extra) for i in top]

    # ---- reasons -------------------------------------------------------------------------
    def _explain(
        self,
        item: int,
        score: float,
        parts: dict[str, np.ndarray],
        hist: _History,
        extra: tuple[np.ndarray, float, str] | None,
    ) -> Recommendation:
        shares = {name: WEIGHTS[name] * float(parts[name][item]) for name in WEIGHTS}
        groups: dict[str, float] = {}
        for name, share in shares.items():
            groups[REASON_GROUPS[name]] = groups.get(REASON_GROUPS[name], 0.0) + share
        if extra is not None:
            groups["extra"] = extra[1] * float(extra[0][item])
        group = max(groups, key=lambda g: groups[g])
        movie_id = int(self.item_ids[item])
        evidence: dict[str, object] = {"signal": group}
        if group == "extra" and extra is not None:
            return Recommendation(movie_id, score, extra[2], evidence)
        if group in ("sequence", "taste"):
            source = self._strongest_source(item, hist, group)
            if source is not None:
                title, stars = str(self.titles[source]), float(hist.ratings[hist.items == source][0])
                evidence.update(source=int(self.item_ids[source]), source_title=title, source_rating=stars)
                if group == "sequence":
                    who = "liked" if stars >= LIKED else "watched"
                    reason = f"popular with people who {who} {title}"
                else:
                    reason = f"because you {'liked' if stars >= LIKED else 'watched'} {title}"
                return Recommendation(movie_id, score, reason, evidence)
        if group == "genre":
            genre = self._shared_genre(item, hist)
            if genre:
                evidence["genre"] = genre
                return Recommendation(movie_id, score, f"you've been watching {genre} films lately", evidence)
        if group == "popular" and len(hist.items) > 0:
            return Recommendation(movie_id, score, "one of the most watched films overall", evidence)
        evidence["signal"] = "now"
        return Recommendation(movie_id, score, "popular right now", evidence)

    def _strongest_source(self, item: int, hist: _History, group: str) -> int | None:
        """The history film that added most to this item's score in the given signal group.

        Only films rated above DISLIKED are named: a turned-down film adds a little sequence
        evidence, but "popular with people who watched <a film you skipped>" misleads.
        """
        if group == "taste":
            liked = hist.items[hist.ratings > DISLIKED]
            if not len(liked):
                return None
            shares = signals.dot_rows(
                self.item_factors[liked], signals.dot_rows(self._als_solve, self.item_factors[item])
            )
            return int(liked[int(np.argmax(shares))])
        items, weights = self._source_weights(hist, RECENT_ITEMS, RECENT_DECAY, disliked=0.0)
        if not len(items):
            return None
        shares = np.zeros(len(items), dtype=np.float32)
        for name, matrix in (("forward", self.forward), ("backward", self.backward), ("short", self.short)):
            column = matrix[items][:, [item]].toarray().ravel()
            shares += WEIGHTS[name] * weights * column
        best = int(np.argmax(shares))
        return int(items[best]) if shares[best] > 0 else None

    def _shared_genre(self, item: int, hist: _History) -> str | None:
        recent = hist.items[::-1][:GENRE_ITEMS][hist.ratings[::-1][:GENRE_ITEMS] > DISLIKED]
        mine = self.content.genre_matrix[item] > 0
        if not len(recent) or not mine.any():
            return None
        weight = (self.content.genre_matrix[recent] > 0).sum(axis=0) * mine
        return self.genres[int(np.argmax(weight))] if weight.max() > 0 else None

    # ---- persistence ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "recommender.npz",
            item_ids=self.item_ids,
            titles=self.titles.astype(str),
            years=self.years,
            item_factors=self.item_factors,
            popularity=self.popularity,
            times_sorted=self.times_sorted,
            items_by_time=self.items_by_time,
        )
        for name in ("forward", "backward", "short"):
            sp.save_npz(folder / f"{name}.npz", getattr(self, name))
        self.content.save(folder)
        (folder / "recommender.json").write_text(json.dumps({"genres": self.genres, "weights": WEIGHTS}))

    @classmethod
    def load(cls, folder: Path) -> VideoRecommender:
        with np.load(folder / "recommender.npz", allow_pickle=False) as arrays:
            data = {name: arrays[name] for name in arrays.files}
        meta = json.loads((folder / "recommender.json").read_text())
        return cls(
            genres=list(meta["genres"]),
            forward=sp.load_npz(folder / "forward.npz").tocsr(),
            backward=sp.load_npz(folder / "backward.npz").tocsr(),
            short=sp.load_npz(folder / "short.npz").tocsr(),
            content=ContentIndex.load(folder),
            **data,
        )
