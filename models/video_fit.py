"""Fit the video recommender on all MovieLens ratings at setup and store it with its catalog."""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # implicit warns (and slows) with threaded BLAS

from models.artifacts import REPO_ROOT, artifact_dir, content_hash, is_current, write_stamp  # noqa: E402

NAME = "video"
CODE = [
    REPO_ROOT / "skills" / "video" / f for f in ("recommender.py", "signals.py", "content.py", "catalog.py")
]


def build(force: bool = False) -> str:
    from skills.video.catalog import source_versions

    want = content_hash([*CODE, REPO_ROOT / "models" / "video_fit.py"], extra=source_versions())
    if is_current(NAME, want) and not force:
        return "up to date"
    from skills.video.catalog import build_catalog, movielens_ratings
    from skills.video.recommender import VideoRecommender

    ratings = movielens_ratings()
    catalog = build_catalog(ratings)
    recommender = VideoRecommender.fit(ratings, catalog=catalog, progress=True)
    folder = artifact_dir(NAME)
    recommender.save(folder)
    catalog.reset_index().to_csv(folder / "catalog.csv", index=False)
    write_stamp(NAME, want, ratings=len(ratings), movies=len(catalog))
    return f"fitted on {len(ratings):,} ratings, {len(catalog):,} films"
