"""The video skill's build step (``SkillSpec.build``): fit the recommender on all MovieLens
ratings and store it with its catalog.

Artifact ``video``: the fitted recommender's files, ``catalog.csv``, ``stamp.json``. Run by
``python -m models.build`` (``--only video``); the runtime never imports this module.
"""

from __future__ import annotations

import os
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # implicit warns (and slows) with threaded BLAS

from assistant.artifacts import (  # noqa: E402
    REPO_ROOT,
    artifact_dir,
    content_hash,
    is_current,
    stamp_hash,
    write_stamp,
)

NAME = "video"
CODE = [
    REPO_ROOT / "skills" / "video" / f for f in ("recommender.py", "signals.py", "content.py", "catalog.py")
]
# Hashes stamped while this step was models/video_fit.py (assistant.artifacts.stamp_hash).
EARLIER_HASHES = Path(__file__).with_name("build_stamps.json")


def current_hash() -> str:
    """The hash the artifact is stamped with when built from today's code and data."""
    from skills.video.catalog import source_versions

    return stamp_hash(content_hash([*CODE, Path(__file__)], extra=source_versions()), EARLIER_HASHES)


def build(force: bool = False) -> str:
    """Fit and store the recommender unless the stamp says it is current; a one-line summary."""
    want = current_hash()
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
