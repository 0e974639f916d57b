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
    """Canonical film titles and genres, for the NLU's slot normalisation."""
    import pandas as pd

    from models.artifacts import artifact_dir

    path = artifact_dir("video") / "catalog.csv"
    if not path.exists():
        return {}
    catalog = pd.read_csv(path, usecols=["title", "genres"])
    genres = sorted({g for text in catalog["genres"].dropna() for g in str(text).split("|") if g})
    return {"title": sorted(set(catalog["title"].dropna().astype(str))), "movie_genre": genres}
