"""The loaded music artifact: tracks plus the arrays the recommender scores with.

Everything per track is a numpy array aligned with ``tracks`` so a request scores the whole
catalog (about 36,000 tracks) in a few vectorised operations.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from assistant.artifacts import ArtifactMissingError, artifact_dir
from skills.embeddings import dot_rows
from skills.music.catalog import (
    CHART_SOURCE,
    LEAD_SPLIT,
    Track,
    artist_keys,
    canonical_genre,
    normalise_name,
    primary_artist,
    tracks_from_frame,
)
from skills.music.words import ARTIST_NICKNAMES

ARTIFACT = "music"
# Cosine below this between two tag texts is "not alike" (unrelated genres sit near 0.5);
# ``tag_similarity`` and ``taste.rescale`` map it to 0.
SIM_FLOOR = 0.5
# Spoken genre words that are not catalog genre names.
GENRE_ALIASES = {
    "rap": "hip hop",
    "hiphop": "hip hop",
    "r&b": "soul and r&b",
    "rnb": "soul and r&b",
    "r and b": "soul and r&b",
    "soul": "funk and soul",
    "funk": "funk and soul",
    "electronica": "electronic",
    "edm": "electronic",
    "orchestral": "classical",
    "soundtrack": "stage and screen",
    "soundtracks": "stage and screen",
    "film music": "stage and screen",
}
# A style must tag this many tracks to be offered as a genre word in the vocabulary.
VOCAB_MIN_STYLE_TRACKS = 20


@dataclass
class ArtistMatch:
    query: str
    key: str | None  # the catalog artist key that matched, None when nothing is close enough
    candidate: str  # the closest catalog artist key (even when not a match)
    name: str  # display name of the candidate
    score: float  # rapidfuzz edit-distance ratio 0..100 of query and candidate


class MusicIndex:
    # WRatio at or above this is the same artist said or spelled a little differently.
    ARTIST_MATCH = 85.0
    # Below ARTIST_MATCH, a name this close in edit distance is offered as "the closest name I have".
    ARTIST_CLOSE = 80.0

    def __init__(self, tracks: list[Track], tag_embeddings: np.ndarray, text_row: np.ndarray) -> None:
        self.tracks = tracks
        self.tag_embeddings = tag_embeddings
        self.text_row = text_row
        self.id_to_index = {t.id: i for i, t in enumerate(tracks)}
        self.popularity = np.array([t.popularity for t in tracks], dtype=np.float32)
        self.mood = np.array([t.mood for t in tracks])
        primaries = [primary_artist(t.artist) for t in tracks]
        codes = {name: i for i, name in enumerate(dict.fromkeys(primaries))}
        self.artist_code = np.array([codes[p] for p in primaries], dtype=np.int32)
        self.primary_key = primaries
        by_artist: dict[str, list[int]] = defaultdict(list)
        display: dict[str, str] = {}
        for i, t in enumerate(tracks):
            for key in artist_keys(t.artist):
                by_artist[key].append(i)
                display.setdefault(key, t.artist if normalise_name(t.artist) == key else key.title())
        for t in tracks:  # a lone credit names the artist best
            display[normalise_name(t.artist)] = t.artist
        self.tracks_by_artist = {k: np.array(v, dtype=np.int32) for k, v in by_artist.items()}
        self.artist_display = display
        self._artist_choices = list(self.tracks_by_artist)
        genre_tracks: dict[str, list[int]] = defaultdict(list)
        style_tracks: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(tracks):
            for g in t.genres:
                genre_tracks[g].append(i)
            for s in t.styles:
                style_tracks[s].append(i)
        self.genre_tracks = {g: np.array(v, dtype=np.int32) for g, v in genre_tracks.items()}
        self.style_tracks = {s: np.array(v, dtype=np.int32) for s, v in style_tracks.items()}
        # Tracks with local audio (the user's library): found first by name, preferred in ranking.
        self.playable = np.array([bool(t.path) for t in tracks], dtype=bool)
        self.library_indices = np.flatnonzero(self.playable).astype(np.int32)

    def with_library(self, library: list[Track], vectors: np.ndarray, texts: list[str]) -> MusicIndex:
        """This index plus the user's own tracks; ``vectors`` embeds ``texts`` (their tag texts)."""
        if not library:
            return self
        row_of = {text: len(self.tag_embeddings) + i for i, text in enumerate(texts)}
        rows = np.array([row_of[t.tag_text()] for t in library], dtype=self.text_row.dtype)
        return MusicIndex(
            self.tracks + library,
            np.vstack([self.tag_embeddings, vectors.astype(self.tag_embeddings.dtype)]),
            np.concatenate([self.text_row, rows]),
        )

    @classmethod
    def load(cls, folder: Path | None = None) -> MusicIndex:
        folder = folder or artifact_dir(ARTIFACT)
        try:
            json.loads((folder / "stamp.json").read_text())
            table = pd.read_csv(
                folder / "tracks.csv", keep_default_na=False, na_values=[""], low_memory=False
            )
            embeddings = np.load(folder / "tag_embeddings.npy")
            text_row = np.load(folder / "track_text_row.npy")
        except (OSError, ValueError) as exc:
            raise ArtifactMissingError(ARTIFACT, str(exc)) from exc
        tracks = tracks_from_frame(table)
        if len(tracks) != len(text_row) or text_row.max() >= len(embeddings):
            raise ArtifactMissingError(ARTIFACT, "tracks and embeddings disagree")
        return cls(tracks, embeddings, text_row)

    def __len__(self) -> int:
        return len(self.tracks)

    def prepare(self) -> MusicIndex:
        """Build the lookup tables now (about a second) so no request pays for them."""
        for table in (
            "tag_similarity",
            "track_embeddings",
            "_mood_masks",
            "_tracks_by_title",
            "_titles_by_word",
        ):
            getattr(self, table)
        return self

    @cached_property
    def _titles(self) -> list[str]:
        return [t.title.lower() for t in self.tracks]

    @cached_property
    def track_embeddings(self) -> np.ndarray:
        """One row per track (rows repeat for shared tag texts); used for diversity."""
        return self.tag_embeddings[self.text_row]

    @cached_property
    def tag_similarity(self) -> np.ndarray:
        """Tag text x tag text cosine, rescaled so unrelated genres are 0 (~7 MB, built once)."""
        cosine = self.tag_embeddings @ self.tag_embeddings.T
        return np.clip((cosine - SIM_FLOOR) / (1.0 - SIM_FLOOR), 0.0, 1.0).astype(np.float32)

    @cached_property
    def _mood_masks(self) -> dict[str, np.ndarray]:
        return {m: self.mood == m for m in set(self.mood.tolist())}

    def has_mood(self, mood: str) -> np.ndarray:
        return self._mood_masks.get(mood, np.zeros(len(self.tracks), bool))

    @cached_property
    def _tracks_by_title(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for i, title in enumerate(self._titles):
            out[title].append(i)
        return out

    @cached_property
    def _titles_by_word(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for i, title in enumerate(self._titles):
            for word in set(re.findall(r"\w+", title)):
                out[word].append(i)
        return out

    def text_similarity(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of every track's tag text with a query vector (computed per distinct text)."""
        return dot_rows(self.tag_embeddings, vector)[self.text_row]

    def resolve_genre(self, text: str) -> tuple[str, np.ndarray] | None:
        """A spoken genre -> (canonical genre or style, its track indices); None if unknown."""
        name = canonical_genre(text)
        name = GENRE_ALIASES.get(name, name)
        for candidate in (name, name.removesuffix(" music")):
            if candidate in self.genre_tracks:
                return candidate, self.genre_tracks[candidate]
            if candidate in self.style_tracks:
                return candidate, self.style_tracks[candidate]
        return None

    def resolve_artist(self, text: str) -> ArtistMatch:
        key = normalise_name(text)
        nickname = ARTIST_NICKNAMES.get(key) or ARTIST_NICKNAMES.get(text.strip().lower())
        key = normalise_name(nickname) if nickname else key  # "the boss": Bruce Springsteen
        if key in self.tracks_by_artist:
            return ArtistMatch(text, key, key, self.artist_display[key], 100.0)
        # Plain edit distance: partial scorers rate a short query inside a long name highly
        # ("john" in "elton john"), which is not the same artist.
        best = process.extractOne(
            key, self._artist_choices, scorer=fuzz.ratio, score_cutoff=self.ARTIST_CLOSE
        )
        if best is None:
            return ArtistMatch(text, None, "", "", 0.0)
        name, score, _ = best
        same = score >= self.ARTIST_MATCH
        return ArtistMatch(text, name if same else None, name, self.artist_display[name], float(score))

    def find_song(self, title: str, within: np.ndarray | None = None) -> int | None:
        """Index of the track whose title best matches, or None when none is close.

        ``within`` (the tracks of the artist named with the song) is searched first, then the
        whole catalog: a misheard or wrong artist must not hide the song. A near-exact title
        wins; failing that, a title that contains the words asked for ("candle in the wind" in
        "Candle In The Wind 1997/Something About ..."), never a short title that merely occurs
        inside the request ("Wind").
        """
        if len(self.library_indices):  # the user's own copy first
            mine = self.library_indices if within is None else np.intersect1d(within, self.library_indices)
            found = self._best_title(title, mine) if len(mine) else None
            if found is not None:
                return found
        found = self._best_title(title, within)
        if found is None and within is not None:
            found = self._best_title(title, None)
        return found

    def find_library_song(self, title: str) -> int | None:
        """The user's own track with this title (near-exact or containing it), or None."""
        return self._best_title(title, self.library_indices) if len(self.library_indices) else None

    def _best_title(self, title: str, within: np.ndarray | None) -> int | None:
        query = title.lower().strip()
        allowed = None if within is None else set(within.tolist())
        if allowed is None:
            titles: dict[int, str] | list[str] = self._titles
        else:
            titles = {i: self._titles[i] for i in allowed}
        best = process.extractOne(query, titles, scorer=fuzz.ratio, score_cutoff=85)
        if best is not None:
            wanted = [self._titles[best[2]]]
        else:
            # Only titles sharing a word with the request can contain it: a small pool to scan.
            # The two rarest words are enough: a title holding the request holds them (one may
            # be misheard), and common words ("the", "love") would bring in thousands.
            words = sorted(
                (w for w in set(re.findall(r"\w+", query)) if w in self._titles_by_word),
                key=lambda w: len(self._titles_by_word[w]),
            )[:2]
            pool = {i for w in words for i in self._titles_by_word[w]}
            if allowed is not None:
                pool &= allowed
            # Every word asked for must be in the title (one may be misheard in a long name):
            # by characters alone "hotel california" is close to "I Hate California".
            asked = set(re.findall(r"\w+", query))
            tolerated = 1 if len(asked) >= 4 else 0
            scored = [
                (fuzz.partial_ratio(query, self._titles[i]), i)
                for i in pool
                if len(self._titles[i]) >= len(query)
                and len(asked - set(re.findall(r"\w+", self._titles[i]))) <= tolerated
            ]
            scored = [(score, i) for score, i in scored if score >= 90]
            if not scored:
                return None
            top = max(score for score, _ in scored)
            wanted = list({self._titles[i] for score, i in scored if score == top})
        # Among equally good titles the most popular is the one people mean.
        candidates = [i for t in wanted for i in self._tracks_by_title[t] if allowed is None or i in allowed]
        return max(candidates, key=lambda i: self.popularity[i]) if candidates else None


def vocabulary(folder: Path | None = None) -> dict[str, list[str]]:
    """Lead artist names, genre words and chart song titles, read from the built catalog table.

    Songs are the Billboard chart titles only: the names people ask a speaker for. The free
    archives' titles ("Intro", "Untitled 3") would let ordinary words pass for song names.
    """
    folder = folder or artifact_dir(ARTIFACT)
    try:
        table = pd.read_csv(
            folder / "tracks.csv",
            usecols=["artist", "genres", "styles", "title", "source"],
            keep_default_na=False,
        )
    except (OSError, ValueError) as exc:
        raise ArtifactMissingError(ARTIFACT, str(exc)) from exc
    leads = {re.split(LEAD_SPLIT, a, maxsplit=1, flags=re.I)[0].strip() for a in table["artist"]}
    genres = {g for cell in table["genres"] if cell for g in cell.split("|")}
    style_counts = pd.Series([s for cell in table["styles"] if cell for s in cell.split("|")]).value_counts()
    styles = set(style_counts[style_counts >= VOCAB_MIN_STYLE_TRACKS].index) - genres
    # "Candle In The Wind 1997/Something About ..." is two songs; "(From ...)" is not the name.
    songs = {
        re.sub(r"\s*\(.*$", "", part).strip()
        for title in table.loc[table["source"] == CHART_SOURCE, "title"]
        for part in title.split("/")
    }
    return {
        "artist": sorted(a for a in leads if a),
        "genre": sorted(genres) + sorted(styles),
        "song": sorted(s for s in songs if s),
    }
