"""Content features of films: genres, directors and cast from MovieLens and Wikidata.

Two views: a dense genre matrix (the "you've been watching comedies" signal) and a sparse
TF-IDF matrix over genre, director and cast tokens (for "something like Alien": same director,
shared actors, same genres; rare names count more than common ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from skills.video.signals import genre_matrix

DIRECTOR_WEIGHT = 1.5  # a shared director says more about a film than one shared actor
CAST_LIMIT = 15  # Wikidata cast lists are alphabetical, so long tails are not the leads


def _names(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(",") if part.strip()]


class ContentIndex:
    def __init__(self, genres: list[str], genre_rows: np.ndarray, features: sp.csr_matrix) -> None:
        self.genres = genres
        self.genre_matrix = genre_rows.astype(np.float32)
        self.features = features.tocsr().astype(np.float32)
        self._features_t = self.features.T.tocsr()

    @classmethod
    def build(
        cls, genre_lists: list[list[str]], directors: list[object], casts: list[object]
    ) -> ContentIndex:
        vocabulary = sorted({g for genres in genre_lists for g in genres})
        genre_rows = genre_matrix(genre_lists, vocabulary)
        tokens: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, (genres, director, cast) in enumerate(zip(genre_lists, directors, casts, strict=True)):
            features = [(f"g:{g}", 1.0) for g in genres]
            features += [(f"d:{d}", DIRECTOR_WEIGHT) for d in _names(director)]
            features += [(f"c:{c}", 1.0) for c in _names(cast)[:CAST_LIMIT]]
            for token, weight in features:
                rows.append(i)
                cols.append(tokens.setdefault(token, len(tokens)))
                vals.append(weight)
        counts = sp.csr_matrix((vals, (rows, cols)), shape=(len(genre_lists), max(len(tokens), 1)))
        document_freq = np.bincount(cols, minlength=counts.shape[1]).astype(np.float64)
        idf = np.log((1 + len(genre_lists)) / (1 + document_freq)) + 1.0
        weighted = (counts @ sp.diags(idf)).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        weighted = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ weighted
        return cls(vocabulary, genre_rows, weighted)

    def similar(self, item: int) -> np.ndarray:
        """Cosine similarity of every film's content to one film's."""
        return self.similar_to_each([item])[0]

    def similar_to_each(self, items: list[int]) -> np.ndarray:
        """One row per film in ``items``: its cosine similarity to every film, in one product."""
        # Row slices of CSR are cheap; column slices are not, so multiply by the rows' transpose.
        product = self.features[items] @ self._features_t
        return np.asarray(product.todense(), dtype=np.float32)

    def save(self, folder: Path) -> None:
        np.save(folder / "genre_matrix.npy", self.genre_matrix)
        sp.save_npz(folder / "content.npz", self.features)
        (folder / "content.json").write_text(json.dumps({"genres": self.genres}))

    @classmethod
    def load(cls, folder: Path) -> ContentIndex:
        genres = json.loads((folder / "content.json").read_text())["genres"]
        return cls(genres, np.load(folder / "genre_matrix.npy"), sp.load_npz(folder / "content.npz"))
