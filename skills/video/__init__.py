"""Video: film suggestions from MovieLens ratings, enriched with Wikidata films."""

from __future__ import annotations

from skills.video.skill import VideoSkill

__all__ = ["VideoSkill", "load_skill", "vocabulary"]


def load_skill() -> VideoSkill:
    from models.artifacts import ArtifactMissingError, artifact_dir

    folder = artifact_dir("video")
    try:
        return VideoSkill.load(folder)
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactMissingError("video", str(exc)) from exc


def vocabulary() -> dict[str, list[str]]:
    """Canonical film titles, genres (as the catalog names them) and people, for slot normalisation.

    Reads only the built catalog table (no model load); empty lists when it is not built yet.
    """
    import pandas as pd

    from models.artifacts import artifact_dir
    from skills.video.catalog import split_names

    path = artifact_dir("video") / "catalog.csv"
    if not path.exists():
        return {"title": [], "movie_genre": [], "person": []}
    catalog = pd.read_csv(path, usecols=["title", "genres", "director", "cast"])
    genres = sorted({g for text in catalog["genres"].dropna() for g in str(text).split("|") if g})
    people = {
        name for column in ("director", "cast") for text in catalog[column] for name in split_names(text)
    }
    titles = sorted({t for t in catalog["title"].dropna().astype(str) if t})
    return {"title": titles, "movie_genre": genres, "person": sorted(people)}
