"""The video skill: film suggestions from the user's own history, folded into the MovieLens model.

Feedback becomes star ratings for the recommender (like 5, play 3.5, skip 2.5, dislike 1, an
imported rating its own value). Slots narrow the candidates: a genre, a decade or year, a
person, "not too long"; a title (or "more like this") adds similarity to that film.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from skills.base import Item, SkillRequest, SkillResult, UserProfile
from skills.video.catalog import normalise_title
from skills.video.recommender import VideoRecommender

FEEDBACK_STARS = {"like": 5.0, "play": 3.5, "skip": 2.5, "dislike": 1.0}
SHORT_FILM_MINUTES = 105
GENRE_ALIASES = {
    "sci fi": "Science Fiction",
    "scifi": "Science Fiction",
    "sci-fi": "Science Fiction",
    "romcom": "Romance",
    "rom com": "Romance",
    "cartoon": "Animation",
    "kids": "Children",
    "scary": "Horror",
    "funny": "Comedy",
    "doc": "Documentary",
    "documentaries": "Documentary",
}
DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
}
SHORT_WORDS = re.compile(r"\b(not too long|short|quick|under two hours|not long)\b")


class VideoSkill:
    name = "video"
    intents = frozenset({"recommend_video"})

    def __init__(self, recommender: VideoRecommender, catalog: pd.DataFrame) -> None:
        self.rec = recommender
        self.catalog = catalog.reindex(recommender.item_ids)
        self.genre_sets = [
            set(str(g).split("|")) if isinstance(g, str) else set() for g in self.catalog["genres"]
        ]
        self.years = self.catalog["year"].astype("Float64").fillna(np.nan).to_numpy(dtype=float)
        self.runtime = self.catalog["runtime"].astype("Float64").fillna(np.nan).to_numpy(dtype=float)
        self.title_keys = self.catalog["title_key"].fillna("").tolist()
        self.genre_names = sorted({g for s in self.genre_sets for g in s if g})

    @classmethod
    def load(cls, folder: Path) -> VideoSkill:
        catalog = pd.read_csv(folder / "catalog.csv").set_index("movieId")
        return cls(VideoRecommender.load(folder), catalog)

    # --- the request ----------------------------------------------------------------------
    def handle(self, request: SkillRequest) -> SkillResult:
        history = self.history(request.profile)
        exclude = {int(i) for i in request.profile.offered_ids | request.exclude if str(i).isdigit()}
        notes: list[str] = []
        allowed = self._filters(request, notes)
        extra = self._similarity(request, notes)
        recs = self.rec.recommend(history, request.k, exclude=exclude, allowed=allowed, extra=extra)
        if not recs and allowed is not None:
            notes.append("I found nothing that fits all of that, so here is my best other pick.")
            recs = self.rec.recommend(history, request.k, exclude=exclude, extra=extra)
        return SkillResult(
            items=[self._item(r.item_id, r.score, r.reason) for r in recs], text=" ".join(notes)
        )

    @staticmethod
    def history(profile: UserProfile) -> list[tuple[int, float, float]]:
        rows = []
        for event in profile.feedback:
            if not event.item_id.isdigit():
                continue
            stars = (
                event.value
                if event.kind == "rating" and event.value is not None
                else FEEDBACK_STARS.get(event.kind)
            )
            if stars is not None:
                rows.append((int(event.item_id), float(stars), float(event.ts)))
        return rows

    def _filters(self, request: SkillRequest, notes: list[str]) -> np.ndarray | None:
        mask = np.ones(len(self.rec.item_ids), dtype=bool)
        used = False
        genre = request.slots.get("movie_genre", "")
        if SHORT_WORDS.search(genre):
            genre = ""  # "a short comedy": the length is handled below
        name = self.match_genre(genre) if genre else None
        if name is None:  # the slot missed it, or caught only part: look for a genre word
            name = next(
                (
                    g
                    for g in self.genre_names
                    if re.search(rf"\b{re.escape(g.lower())}\b", request.text.lower())
                ),
                None,
            )
        if name:
            mask &= np.array([name in s for s in self.genre_sets])
            used = True
        elif genre:
            notes.append(f"I don't know the genre '{genre}'.")
        span = decade_span(request.slots.get("date", ""))
        if span:
            mask &= (self.years >= span[0]) & (self.years <= span[1])
            used = True
        person = request.slots.get("person")
        if person:
            wanted = person.lower()
            found = (
                self.catalog["director"].fillna("").str.lower().str.contains(wanted, regex=False)
                | self.catalog["cast"].fillna("").str.lower().str.contains(wanted, regex=False)
            ).to_numpy()
            if found.any():
                mask &= found
                used = True
            else:
                notes.append(f"I don't know films with {person}.")
        if SHORT_WORDS.search(request.text.lower()) or "short" in request.slots.get("descriptor", ""):
            mask &= np.nan_to_num(self.runtime, nan=999) <= SHORT_FILM_MINUTES
            used = True
        return mask if used else None

    def _similarity(self, request: SkillRequest, notes: list[str]) -> tuple[np.ndarray, float, str] | None:
        anchor = request.anchor
        if anchor is not None and anchor.domain == "video" and anchor.id.isdigit():
            return self.rec.similar_to(int(anchor.id)), 2.0, f"similar to {anchor.title}"
        title = request.slots.get("title")
        if not title:
            return None
        movie_id = self.find_title(title)
        if movie_id is None:
            notes.append(f"I don't know a film called {title}; here is something you may like instead.")
            return None
        name = str(self.catalog.loc[movie_id, "title"])
        return self.rec.similar_to(movie_id), 2.0, f"similar to {name}"

    def find_title(self, title: str) -> int | None:
        match = process.extractOne(
            normalise_title(title), self.title_keys, scorer=fuzz.WRatio, score_cutoff=88
        )
        return int(self.rec.item_ids[match[2]]) if match else None

    def match_genre(self, text: str) -> str | None:
        text = text.lower().strip()
        if text in GENRE_ALIASES:
            return GENRE_ALIASES[text]
        text = re.sub(r"\b(movies?|films?)\b", "", text).strip()
        match = process.extractOne(
            text, self.genre_names, scorer=fuzz.WRatio, processor=str.lower, score_cutoff=85
        )
        return match[0] if match else GENRE_ALIASES.get(text)

    def _item(self, movie_id: int, score: float, reason: str) -> Item:
        row = self.catalog.loc[movie_id]
        genres = [g for g in str(row["genres"]).split("|") if g and g != "nan"]
        year = None if pd.isna(row["year"]) else int(row["year"])
        subtitle = ", ".join(p for p in [str(year) if year else "", " and ".join(genres[:2]).lower()] if p)
        return Item(
            id=str(movie_id),
            title=str(row["title"]),
            domain="video",
            reason=reason,
            subtitle=subtitle,
            score=float(score),
            meta={
                "genres": genres,
                "year": year,
                "runtime": None if pd.isna(row["runtime"]) else float(row["runtime"]),
                "director": str(row["director"]) if isinstance(row["director"], str) else "",
            },
        )


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
