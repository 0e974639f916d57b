"""The video skill: film suggestions from the user's own history, folded into the MovieLens model.

Feedback becomes star ratings for the recommender (like 5, play 3.5, skip 2, dislike 1, an
imported rating its own value); films close in content to a disliked one are pushed down. Slots narrow the candidates: a genre, a decade or year, a
person, "not too long"; a title (or "more like this") adds similarity to that film.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from assistant.skill_sdk.api import Item, SkillRequest, SkillResult, UserProfile, join_values, split_values
from assistant.skill_sdk.phrasing import join_words
from skills.decades import decade_span
from skills.video.catalog import normalise_title, split_names
from skills.video.constraints import ConstraintFilter
from skills.video.moods import FILM_MOODS, film_mood, with_situation
from skills.video.phrasing import Narrowing, frame_phrase, genre_phrase, span_words
from skills.video.recommender import VideoRecommender
from skills.video.told_likes import told_likes

FEEDBACK_STARS = {"like": 5.0, "play": 3.5, "skip": 2.0, "dislike": 1.0}
# How hard a film is pushed down for looking like one the user turned down (content cosine).
REJECT_PENALTY = {"dislike": 0.6, "skip": 0.25}
# "Something like X": candidates are the films closest to X, weighted well above taste.
NEAR_ANCHOR = 60
SIMILAR_WEIGHT = 3.0
# A title counts as the same film at token_sort_ratio >= 90 (typos, word order), and as
# "something close" (a title containing the words) at WRatio >= 86.
TITLE_CUTOFF, CLOSE_TITLE_CUTOFF = 90, 86
SHORT_FILM_MINUTES = 105
GENRE_ALIASES = {
    "sci fi": "Science Fiction",
    "scifi": "Science Fiction",
    "sci-fi": "Science Fiction",
    "romcom": "Romance",
    "rom com": "Romance",
    "cartoon": "Animation",
    "kids": "Family",
    "children": "Family",
    "children's": "Family",
    "scary": "Horror",
    "funny": "Comedy",
    "doc": "Documentary",
    "documentaries": "Documentary",
}
# What gives way first when nothing fits the whole frame (an audience and a "not" never do).
RELAX_ORDER = ("era", "short", "mood", "person", "similar", "genre")
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
        # Per-request filters are lookups, not scans over 9,000 rows.
        self.genre_masks = {g: np.array([g in s for s in self.genre_sets]) for g in self.genre_names}
        self.constraints = ConstraintFilter(self.genre_masks, self.years)
        # Films MovieLens lists without a title cannot be spoken, so they are never offered.
        self.untitled = {
            int(m)
            for m, t in zip(recommender.item_ids, self.catalog["title"], strict=True)
            if not isinstance(t, str) or not t
        }
        # Two films with one key ("Heat", "The Heat"): the name means the more watched one.
        order = np.argsort(recommender.popularity, kind="stable")
        self.known = np.empty(len(order), dtype=np.float32)
        self.known[order] = np.linspace(0.0, 1.0, len(order), dtype=np.float32)
        self.title_index: dict[str, int] = {}
        for i in np.argsort(-recommender.popularity, kind="stable"):
            if self.title_keys[i]:
                self.title_index.setdefault(self.title_keys[i], int(i))
        self.people: dict[str, list[int]] = {}
        self.person_names: dict[str, str] = {}
        for i, (director, cast) in enumerate(
            zip(self.catalog["director"], self.catalog["cast"], strict=True)
        ):
            for name in split_names(director) + split_names(cast):
                self.people.setdefault(name.lower(), []).append(i)
                self.person_names.setdefault(name.lower(), name)
        self.person_keys = list(self.people)

    @classmethod
    def load(cls, folder: Path) -> VideoSkill:
        catalog = pd.read_csv(folder / "catalog.csv").set_index("movieId")
        return cls(VideoRecommender.load(folder), catalog)

    # --- the request ----------------------------------------------------------------------
    def handle(self, request: SkillRequest) -> SkillResult:
        request, for_situation = with_situation(request)
        history = self.history(request.profile)
        offered = request.profile.offered_ids | request.exclude
        exclude = {int(i) for i in offered if str(i).isdigit()} | self.untitled
        notes: list[str] = []
        narrowings, genres = self._narrowings(request, notes)
        extra = self._similarity(request, notes)
        told = False
        if extra is not None:
            # "Something like Alien" is about Alien: the user's taste orders the films close to
            # it, it does not bring in others (a fresh like of Deadpool outweighed Alien).
            near = np.zeros(len(self.rec.item_ids), dtype=bool)
            near[np.argsort(-extra[0])[:NEAR_ANCHOR]] = True
            narrowings.append(Narrowing("similar", extra[2], near))
        if extra is None:  # a few films the person told us they loved: item-kNN on them
            extra = told_likes(self.rec, request.profile)
            told = extra is not None
        adjust = self._rejections(request.profile)

        def recommend(kept: list[Narrowing]) -> list:
            allowed = np.logical_and.reduce([n.mask for n in kept]) if kept else None
            return self.rec.recommend(
                history, request.k, exclude=exclude, allowed=allowed, extra=extra, adjust=adjust
            )

        kept = narrowings
        recs = recommend(kept)
        if not recs and narrowings:
            kept, recs = self._relaxed(narrowings, recommend)
            notes.append(self._relaxed_note(narrowings, kept, genres))
        kept_genres = genres if any(n.kind == "genre" for n in kept) else []
        mood = film_mood(request) if any(n.kind == "mood" for n in kept) else None
        head = genre_phrase(kept_genres) or (f"{mood.said}{for_situation}" if mood is not None else "")
        phrase = frame_phrase(head or "a film", kept) if (head or kept) else ""
        items = []
        for rec in recs:
            reason = rec.reason
            if phrase:
                # The frame says why it fits; the recommender adds a reason of the person's own.
                personal = rec.evidence.get("signal") in ("sequence", "taste", "genre") or (
                    told and rec.evidence.get("signal") == "extra"  # "because you liked Alien"
                )
                reason = phrase + (f"; {rec.reason}" if personal else "")
            items.append(self._item(rec.item_id, rec.score, reason, kept_genres[0] if kept_genres else None))
        return SkillResult(items=items, text=" ".join(notes))

    @staticmethod
    def _relaxed(narrowings: list[Narrowing], recommend) -> tuple[list[Narrowing], list]:
        """Nothing fits all of it: let go of one constraint at a time, the least essential
        first; what was ruled out and who is watching always hold."""
        for kind in RELAX_ORDER:
            kept = [n for n in narrowings if not (n.relaxable and n.kind == kind)]
            if len(kept) < len(narrowings):
                recs = recommend(kept)
                if recs:
                    return kept, recs
        kept = [n for n in narrowings if not n.relaxable]
        return kept, recommend(kept)

    @staticmethod
    def _relaxed_note(narrowings: list[Narrowing], kept: list[Narrowing], genres: list[str]) -> str:
        """ "I have no comedy from the eighties left that I haven't offered you; here is one
        that isn't from the eighties." """
        head = genre_phrase(genres) if any(n.kind == "genre" for n in narrowings) else "film"
        wanted = frame_phrase(head.removeprefix("a ").removeprefix("an "), narrowings)
        dropped = [n for n in narrowings if n not in kept]
        said = [n.words for n in dropped if n.words]
        if not said:
            return f"I have no {wanted} left that I haven't offered you, so here is my best other pick."
        return (
            f"I have no {wanted} left that I haven't offered you; here is one that isn't {' or '.join(said)}."
        )

    def candidates(self, request: SkillRequest, n: int) -> list[Item]:
        """The best ``n`` films for the request, every slot's filter applied (``Candidates``)."""
        return self.handle(replace(request, k=max(n, request.k))).items

    def _rejections(self, profile: UserProfile) -> np.ndarray | None:
        """A push away from films that look like ones the user disliked or skipped (latest 10)."""
        latest: dict[str, str] = {}
        for event in profile.feedback:
            latest[event.item_id] = event.kind
        rejected = [(i, k) for i, k in latest.items() if k in REJECT_PENALTY and i.isdigit()]
        rejected = [(int(i), k) for i, k in rejected[-10:] if int(i) in self.rec.index.index]
        if not rejected:
            return None
        rows = [int(self.rec.index[movie_id]) for movie_id, _ in rejected]
        weights = np.array([REJECT_PENALTY[kind] for _, kind in rejected], dtype=np.float32)
        similar = self.rec.content.similar_to_each(rows)
        return -(weights[:, None] * similar).max(axis=0)

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

    def _narrowings(self, request: SkillRequest, notes: list[str]) -> tuple[list[Narrowing], list[str]]:
        """One ``Narrowing`` per constraint of the request's frame, and the genres asked for."""
        found: list[Narrowing] = []
        genre = request.slots.get("movie_genre", "")
        values = [g for g in split_values(genre) if not SHORT_WORDS.search(g)]
        names = [n for n in dict.fromkeys(self.match_genre(g) for g in values) if n]
        if not values:  # the slot missed it: look for a genre word in the words
            text = request.text.lower()
            names = [g for g in self.genre_names if re.search(rf"\b{re.escape(g.lower())}\b", text)][:1]
        if len(names) == 1:
            found.append(Narrowing("genre", "", self.genre_masks[names[0]]))
        elif len(values) > len(names) and request.said("movie_genre"):  # said once, not on every skip
            unknown = [g for g in values if self.match_genre(g) is None]
            notes.append(f"I don't know the genre '{unknown[0]}'.")
        mood = film_mood(request)
        if mood is not None:
            fits = self._any_genre(mood.fits) if not names else np.ones(len(self.rec.item_ids), dtype=bool)
            # "Something less violent" after a thriller is a gentler thriller: the genre asked for
            # is not among what the mood rules out, only the rest is (action, war, horror).
            contradicts = tuple(g for g in mood.contradicts if g not in names)
            found.append(Narrowing("mood", "", fits & ~self._any_genre(contradicts)))
        # The tagger misses "the 90s" now and then; the words themselves still say it.
        span = (
            None
            if request.slots.get("era")
            else decade_span(request.slots.get("date", "")) or decade_span(request.text)
        )
        if span:
            found.append(
                Narrowing("era", span_words(*span), (self.years >= span[0]) & (self.years <= span[1]))
            )
        person = request.slots.get("person")
        if person:
            match = self.find_person(person)
            if match is not None:
                found.append(Narrowing("person", f"with {match[1]}", match[0]))
            elif request.said("person"):
                notes.append(f"I don't know films with {person}.")
        wants_short = SHORT_WORDS.search(request.text.lower()) or SHORT_WORDS.search(
            request.slots.get("descriptor", "").lower()
        )
        if wants_short:
            # Runtime comes from Wikidata; a film without one is not promised to be short.
            short = np.nan_to_num(self.runtime, nan=999) <= SHORT_FILM_MINUTES
            found.append(Narrowing("short", f"under {SHORT_FILM_MINUTES} minutes", short))
        # The classifier's moods are FILM_MOODS' (fitting genres, contradictions out); the
        # constraint filter takes the others the language model may give ("scary"), several
        # genres at once, an audience, a span of years and the genres ruled out.
        slots = {k: v for k, v in request.slots.items() if k != "mood"}
        other_moods = [m for m in request.values("mood") if m not in FILM_MOODS]
        if other_moods:
            slots["mood"] = join_values(other_moods)
        slots["movie_genre"] = join_values(names)
        for name in request.excluded.get("mood", ()):
            ruled_out = FILM_MOODS.get(name)
            if ruled_out is not None:  # "not in the mood for anything sad": none of what suits it
                words = f"with nothing {name}"
                found.append(Narrowing("exclude", words, ~self._any_genre(ruled_out.fits), relaxable=False))
        excluded = frozenset(
            filter(None, (self.match_genre(g) for g in request.excluded.get("movie_genre", ())))
        )
        found.extend(self.constraints.narrowings(slots, excluded))
        return found, names

    def _any_genre(self, genres: tuple[str, ...]) -> np.ndarray:
        mask = np.zeros(len(self.rec.item_ids), dtype=bool)
        for g in genres:
            if g in self.genre_masks:
                mask |= self.genre_masks[g]
        return mask

    def _similarity(self, request: SkillRequest, notes: list[str]) -> tuple[np.ndarray, float, str] | None:
        anchor = request.anchor
        if anchor is not None and anchor.domain == "video" and anchor.id.isdigit():
            return self.rec.similar_to(int(anchor.id)), SIMILAR_WEIGHT, f"similar to {anchor.title}"
        title = request.slots.get("title")
        if not title:
            return None
        movie_id = self.find_title(title)
        if movie_id is None:
            close = self.find_title(title, close=True)
            if close is None:
                if request.said("title"):
                    notes.append(
                        f"I don't know a film called {title}; here is something you may like instead."
                    )
                return None
            name = str(self.catalog.loc[close, "title"])
            if request.said("title"):
                notes.append(f"I don't know a film called {title}; here is something close to {name}.")
            return (
                self.rec.similar_to(close),
                SIMILAR_WEIGHT,
                f"similar to {name}",
            )
        name = str(self.catalog.loc[movie_id, "title"])
        return self.rec.similar_to(movie_id), SIMILAR_WEIGHT, f"similar to {name}"

    def about(self, item: Item, question: str) -> SkillResult | None:
        """ "Who directed it", "who's in it", "what year is it from", "how long is it", "what
        is it about": answered from the film's catalog row (``AnswersAbout``)."""
        if item.domain != "video" or not item.id.isdigit() or int(item.id) not in self.catalog.index:
            return None
        row = self.catalog.loc[int(item.id)]
        q = question.lower()
        title = str(row["title"])
        if re.search(r"\bdirect|\bwho made\b|\bdirector\b", q):
            director = join_words(split_names(row["director"]))  # "Andrew Adamson and Vicky Jenson"
            text = (
                f"{title} was directed by {director}." if director else f"I don't know who directed {title}."
            )
        elif re.search(
            r"\bwho(?:'s| is| are)? (?:in|starring|stars)\b|\bcast\b|\bactors?\b|\bstarring\b|\bthe stars?\b|"
            r"\bwho(?:'s| is)? the lead\b|\bwho plays\b",
            q,
        ):
            cast = split_names(row["cast"])[:3]
            text = f"{title} stars {join_words(cast)}." if cast else f"I don't know who is in {title}."
        elif re.search(r"\bwhat year\b|\bwhen\b|\bhow old\b|\breleased?\b|\bcome out\b", q):
            year = item.meta.get("year")
            text = f"{title} came out in {year}." if year else f"I don't know when {title} came out."
        elif re.search(
            r"\bhow long\b|\bruntime\b|\blength\b|\bminutes\b|\b(?:it|that|this|one) (?:too |very |really )?(?:long|short)\b",
            q,
        ):
            minutes = item.meta.get("runtime")
            text = (
                f"{title} runs {int(minutes)} minutes." if minutes else f"I don't know how long {title} is."
            )
        elif re.search(r"\bblack and white\b|\bin colou?r\b|\bsilent\b", q):
            year = item.meta.get("year")
            text = f"The catalog doesn't say whether {title} is in colour" + (
                f"; it came out in {year}." if year else "."
            )
        elif re.search(
            r"\btell me (?:a (?:bit|little) )?(?:more )?about\b|\bwhat(?:'s| is) (?:it|that|this)(?: one| film| movie)? about\b|\bwhat kind\b|\bwhat sort\b|\bwhat genre\b|\bwhat type\b|"
            r"\bhow (?:scary|funny|sad|violent|gory|dark|romantic|serious|frightening)\b|"
            r"\b(?:is|was) (?:it|that|this)(?: one)? (?:a |an )(?!good|bad)",
            q,
        ):
            genres = [g for g in item.meta.get("genres") or [] if g]
            text = f"{title} is {genre_phrase(genres[:2]) or 'a film'}" + (
                f" from {item.meta['year']}." if item.meta.get("year") else "."
            )
        elif re.search(
            r"\bany good\b|\brated\b|\bratings?\b|\breviews?\b|\bworth (?:it|watching|seeing)\b|\bpopular\b",
            q,
        ):
            # The catalog has no critics' score; how widely it was watched and rated is what it knows.
            share = float(self.known[self.rec.index[int(item.id)]])
            text = f"{title} is " + (
                f"one of the most watched films I know (more rated than {share:.0%} of them)."
                if share >= 0.5
                else f"less widely watched than most: more rated than {share:.0%} of the films I know."
            )
        else:
            return None
        return SkillResult([], text)

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The film a ``title`` slot names, or None when the catalog has no such film."""
        movie_id = self.find_title(slots.get("title", "")) if slots.get("title") else None
        if movie_id is None:
            return None
        # The score says how widely watched the film is (its popularity percentile): a name two
        # catalogs know ("Inception") is the better-known item's.
        return self._item(movie_id, float(self.known[self.rec.index[movie_id]]), "you named it")

    def find_title(self, title: str, close: bool = False) -> int | None:
        """The film a spoken title names; with ``close``, the nearest title containing its words."""
        key = normalise_title(title)
        if key in self.title_index:
            return int(self.rec.item_ids[self.title_index[key]])
        scorer, cutoff = (fuzz.WRatio, CLOSE_TITLE_CUTOFF) if close else (fuzz.token_sort_ratio, TITLE_CUTOFF)
        match = process.extractOne(key, self.title_keys, scorer=scorer, score_cutoff=cutoff)
        return int(self.rec.item_ids[match[2]]) if match else None

    def find_person(self, person: str) -> tuple[np.ndarray, str] | None:
        """Films directed by or starring a person (a close spelling is accepted), and the name."""
        key = person.lower().strip()
        if key not in self.people:
            match = process.extractOne(key, self.person_keys, scorer=fuzz.WRatio, score_cutoff=90)
            if match is None:
                return None
            key = match[0]
        mask = np.zeros(len(self.rec.item_ids), dtype=bool)
        mask[self.people[key]] = True
        return mask, self.person_names[key]

    def match_genre(self, text: str) -> str | None:
        text = text.lower().strip()
        if text in GENRE_ALIASES:
            return GENRE_ALIASES[text]
        text = re.sub(r"\b(movies?|films?)\b", "", text).strip()
        match = process.extractOne(
            text, self.genre_names, scorer=fuzz.WRatio, processor=str.lower, score_cutoff=85
        )
        return match[0] if match else GENRE_ALIASES.get(text)

    def _item(self, movie_id: int, score: float, reason: str, genre_asked: str | None = None) -> Item:
        row = self.catalog.loc[movie_id]
        genres = [g for g in str(row["genres"]).split("|") if g and g != "nan"]
        if genre_asked in genres:  # the subtitle leads with the genre the user asked for
            genres = [genre_asked, *(g for g in genres if g != genre_asked)]
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
