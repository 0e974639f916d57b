"""The music catalog: one ``Track`` model, one loader per vendored source.

Sources (``data/music/``, licenses alongside the files):

- freemusi.cc (CC BY-SA 4.0): tracks joined on ``id`` to releases (genre, style tags, mood from
  the track's activity rating, track rating, year, archive.org file URL).
- Free Music Archive metadata excerpt (CC BY 4.0): artist, title, genres, tags, listens.
- Billboard Hot 100 aggregated (MIT): title, artist, best peak, weeks on the chart; no genre.

Item ids carry the source as a prefix (``fm:``, ``fma:``, ``bb:``) so they stay unique and
stable across runs.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assistant.artifacts import DATA_DIR

MUSIC_DIR = DATA_DIR / "music"
SOURCE_FILES = [
    MUSIC_DIR / "freemusi" / "tracks.csv",
    MUSIC_DIR / "freemusi" / "releases.csv",
    MUSIC_DIR / "fma" / "raw_tracks_excerpt.csv",
    MUSIC_DIR / "fma" / "genres.csv",
    MUSIC_DIR / "billboard" / "hot100_songs_aggregated.csv",
]
CHART_SOURCE = "bb"  # the Billboard Hot 100 tracks: the ones with chart history
SOURCE_NAMES = {
    "fm": "freemusi.cc",
    "fma": "the Free Music Archive",
    CHART_SOURCE: "the Billboard Hot 100",
    "lib": "your own library",
}

# freemusi activity rating -> the mood it stands for (0 means not rated).
MOOD_BY_ACTIVITY = {1: "calm", 2: "moderate", 3: "energetic"}
# Words placed in the embedded tag text so free-text moods ("relaxing", "upbeat") land near them.
MOOD_WORDS = {"calm": "calm, relaxing, mellow", "moderate": "", "energetic": "upbeat, energetic, lively"}
# Release styles that say nothing about the sound.
NON_STYLES = {"compilation", "various", "live", "remix", "remixes", "ep"}


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    artist: str
    source: str  # fm | fma | bb
    genres: tuple[str, ...] = ()  # canonical lower-case genre names; empty when the source has none
    styles: tuple[str, ...] = ()  # finer lower-case tags (sub-genres, release styles)
    mood: str = ""  # calm | moderate | energetic | "" (unknown)
    year: int | None = None
    rating: float | None = None  # freemusi track rating 1-5
    listens: int | None = None  # FMA play count
    peak: int | None = None  # Billboard best peak position
    weeks: int | None = None  # Billboard weeks on the chart
    url: str = ""
    album: str = ""
    popularity: float = 0.0  # 0..1, percentile within the source
    path: str = ""  # a local audio file (the user's library); "" for the vendored catalogs
    duration: float | None = None  # seconds, when known
    track_number: int | None = None

    @property
    def genre(self) -> str:
        return self.genres[0] if self.genres else ""

    def tag_text(self) -> str:
        """What the embedding sees: sound descriptors only (artist similarity is handled apart)."""
        parts = []
        if self.genres:
            parts.append(" and ".join(self.genres) + " music")
        if self.styles:
            parts.append(", ".join(self.styles))
        if MOOD_WORDS.get(self.mood):
            parts.append(MOOD_WORDS[self.mood])
        if self.source == CHART_SOURCE:
            decade = f"{(self.year // 10) * 10}s " if self.year else ""
            parts.append(f"{decade}chart hit, billboard hot 100 single")
        return "; ".join(parts) or "music"

    def popularity_phrase(self) -> str:
        """The popularity evidence as a spoken clause, from the source's own figure."""
        if self.source == CHART_SOURCE and self.peak is not None:
            return (
                f"it peaked at number {self.peak} on the Billboard Hot 100 ({self.weeks} weeks on the chart)"
            )
        if self.source == CHART_SOURCE:
            return f"it spent {self.weeks} weeks on the Billboard Hot 100"
        if self.source == "fma" and self.listens is not None:
            return f"it has {self.listens:,} listens on the Free Music Archive"
        if self.source == "lib":
            return "it is in your own library" + (f" ({self.album})" if self.album else "")
        if self.source == "fm" and self.rating:
            return f"listeners rated it {self.rating:g} of 5 on freemusi.cc"
        return f"it is from {SOURCE_NAMES[self.source]}"


def canonical_genre(name: str) -> str:
    """'Hip-Hop' / 'Hip Hop' -> 'hip hop'; 'Funk / Soul' -> 'funk and soul'."""
    text = name.strip().lower().replace("-", " ").replace("/", " and ").replace("&", "and")
    text = {"soul rnb": "soul and r&b"}.get(" ".join(text.split()), text)
    return " ".join(text.split())


def artist_keys(artist: str) -> list[str]:
    """Lookup keys for an artist credit: the whole credit and each credited name."""
    whole = normalise_name(artist)
    parts = re.split(r"\s+(?:featuring|feat\.?|ft\.?|with|x|&|and|vs\.?)\s+|,\s*", artist, flags=re.I)
    keys = [whole] + [normalise_name(p) for p in parts]
    return list(dict.fromkeys(k for k in keys if k))


# What separates the lead artist from guests in a credit ("Drake Featuring Rihanna").
LEAD_SPLIT = r"\s+(?:featuring|feat\.?|ft\.?|with|x)\s+"


def primary_artist(artist: str) -> str:
    """The lead artist of a credit: 'Drake Featuring Rihanna' -> 'drake' (for per-artist caps)."""
    lead = re.split(LEAD_SPLIT, artist, maxsplit=1, flags=re.I)[0]
    return normalise_name(lead)


def normalise_name(name: str) -> str:
    text = re.sub(r"[^\w\s]", " ", name.lower())
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


_MOJIBAKE = re.compile(
    "[\u00c2-\u00c5\u00d0\u00d1\u00e2][\u0080-\u00bf\u0152-\u0178\u02c6-\u203a\u20ac\u2122]"
)


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 once ('AgustÃ\xadn' -> 'Agustín').

    Part of the freemusi.cc export went through that round trip; a string is repaired only
    when the reverse trip is clean, so genuine accents stay as they are.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        try:
            return text.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return text


def _percentile(values: pd.Series) -> pd.Series:
    return values.rank(pct=True, method="average").fillna(0.0)


def _int_or_none(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)


def load_freemusi(folder: Path = MUSIC_DIR / "freemusi") -> list[Track]:
    tracks = pd.read_csv(folder / "tracks.csv")
    releases = pd.read_csv(folder / "releases.csv", index_col="id")
    table = tracks.join(releases, on="id", rsuffix="_release").drop_duplicates("trackurl")
    table = table[table["title"].notna()]
    # Unrated tracks (0) rank below every rated one.
    popularity = _percentile(table["rating"].where(table["rating"] > 0, 0))
    out, seen = [], set()
    for row, pop in zip(table.itertuples(index=False), popularity, strict=True):
        base = f"fm:{row.id}:{row.disc}-{row.track}"
        item_id, n = base, 1
        while item_id in seen:  # a few releases number two files alike
            n += 1
            item_id = f"{base}.{n}"
        seen.add(item_id)
        genres = (
            tuple(canonical_genre(g) for g in str(row.genre).split(",")) if isinstance(row.genre, str) else ()
        )
        styles = (
            tuple(
                s for s in (x.strip().lower() for x in str(row.style).split(",")) if s and s not in NON_STYLES
            )
            if isinstance(row.style, str)
            else ()
        )
        artist = fix_mojibake(row.trackartist if isinstance(row.trackartist, str) else str(row.artist))
        out.append(
            Track(
                id=item_id,
                title=fix_mojibake(str(row.title)),
                artist=artist,
                source="fm",
                genres=genres,
                styles=styles,
                mood=MOOD_BY_ACTIVITY.get(int(row.activity), ""),
                year=_int_or_none(row.year),
                rating=float(row.rating) if row.rating > 0 else None,
                url=str(row.trackurl),
                album=fix_mojibake(str(row.album)) if isinstance(row.album, str) else "",
                popularity=float(pop),
            )
        )
    return out


def load_fma(folder: Path = MUSIC_DIR / "fma") -> list[Track]:
    # The excerpt holds a few bytes that are not UTF-8; replacing them keeps every row.
    table = pd.read_csv(folder / "raw_tracks_excerpt.csv", encoding_errors="replace")
    genre_table = pd.read_csv(folder / "genres.csv")
    top_title = dict(zip(genre_table["genre_id"], genre_table["top_level"], strict=True))
    titles = dict(zip(genre_table["genre_id"], genre_table["title"], strict=True))
    popularity = _percentile(table["track_listens"].astype(float).map(math.log1p))
    out = []
    for row, pop in zip(table.itertuples(index=False), popularity, strict=True):
        genres: list[str] = []
        styles: list[str] = []
        for g in ast.literal_eval(row.track_genres) if isinstance(row.track_genres, str) else []:
            gid = int(g["genre_id"])
            top = canonical_genre(titles.get(top_title.get(gid, gid), g["genre_title"]))
            genres.append(top)
            if top_title.get(gid, gid) != gid:
                styles.append(g["genre_title"].lower())
        styles += [t.lower() for t in ast.literal_eval(row.tags)] if isinstance(row.tags, str) else []
        year = pd.to_datetime(row.track_date_created, errors="coerce")
        out.append(
            Track(
                id=f"fma:{row.track_id}",
                title=str(row.track_title),
                artist=str(row.artist_name),
                source="fma",
                genres=tuple(dict.fromkeys(genres)),
                styles=tuple(dict.fromkeys(styles)),
                year=None if pd.isna(year) else int(year.year),
                listens=int(row.track_listens),
                url=str(row.track_url),
                album=str(row.album_title) if isinstance(row.album_title, str) else "",
                popularity=float(pop),
            )
        )
    return out


def load_billboard(folder: Path = MUSIC_DIR / "billboard") -> list[Track]:
    table = pd.read_csv(folder / "hot100_songs_aggregated.csv")
    # A few rows carry 999 for "no peak recorded"; the chart has 100 places.
    peak = table["best_peak"].where(table["best_peak"] <= 100)
    popularity = _percentile(table["weeks"] * (101 - peak.fillna(100)))
    out = []
    for row, pk, pop in zip(table.itertuples(index=False), peak, popularity, strict=True):
        digest = hashlib.sha1(f"{row.artist}|{row.title}".encode()).hexdigest()[:12]
        out.append(
            Track(
                id=f"bb:{digest}",
                title=str(row.title),
                artist=str(row.artist),
                source=CHART_SOURCE,
                year=int(str(row.first_week)[:4]),
                peak=_int_or_none(pk),
                weeks=int(row.weeks),
                popularity=float(pop),
            )
        )
    return out


def load_catalog() -> list[Track]:
    return load_freemusi() + load_fma() + load_billboard()


_LIST_FIELDS = ("genres", "styles")
_OPTIONAL_INT = ("year", "listens", "peak", "weeks")


def tracks_to_frame(tracks: list[Track]) -> pd.DataFrame:
    """A flat table of the catalog (list fields joined with '|') for the built artifact."""
    rows = []
    for t in tracks:
        row = {name: getattr(t, name) for name in Track.__dataclass_fields__}
        for name in _LIST_FIELDS:
            row[name] = "|".join(row[name])
        rows.append(row)
    return pd.DataFrame(rows)


def tracks_from_frame(table: pd.DataFrame) -> list[Track]:
    table = table.astype(object).where(table.notna(), None)
    out = []
    for row in table.to_dict("records"):
        for name in _LIST_FIELDS:
            row[name] = tuple(row[name].split("|")) if row[name] else ()
        for name in _OPTIONAL_INT:
            row[name] = None if row[name] is None else int(row[name])
        row["rating"] = None if row["rating"] is None else float(row["rating"])
        for name in ("title", "artist", "url", "album", "mood", "path"):
            row[name] = row.get(name) or ""
        row["popularity"] = float(row["popularity"])
        row["duration"] = None if row.get("duration") is None else float(row["duration"])
        row["track_number"] = None if row.get("track_number") is None else int(row["track_number"])
        out.append(Track(**row))
    return out
