"""The news skill's build step (``SkillSpec.build``): the news catalog table and MiniLM
embeddings of every headline + description.

Artifact ``news``: ``headlines.csv``, ``embeddings.npy`` (float16 unit rows: half the size, and
cosine ranking does not notice), ``stamp.json``. Run by ``python -m models.build``
(``--only news``); the runtime never imports this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.artifacts import REPO_ROOT, artifact_dir, content_hash, is_current, stamp_hash, write_stamp

NAME = "news"
CODE_FILES = [
    Path(__file__),
    REPO_ROOT / "skills" / "news" / "catalog.py",
    REPO_ROOT / "skills" / "embeddings.py",
]
# Hashes stamped while this step was models/news_index.py (assistant.artifacts.stamp_hash).
EARLIER_HASHES = Path(__file__).with_name("build_stamps.json")


def current_hash() -> str:
    """The hash the artifact is stamped with when built from today's code and data."""
    from skills.news.catalog import NEWS_FILE

    return stamp_hash(content_hash([NEWS_FILE, *CODE_FILES], extra="news-index-v3"), EARLIER_HASHES)


def build(force: bool = False) -> str:
    """Build the index unless the stamp says it is current; a one-line summary."""
    from skills.embeddings_export import ensure_exported

    # First: the catalog is embedded by the same network the assistant runs the queries on.
    encoder = ensure_exported()
    want = current_hash()
    if not force and is_current(NAME, want):
        return f"news index up to date; {encoder}"
    from skills.embeddings import encode
    from skills.news.catalog import headlines_to_frame, load_headlines

    headlines = load_headlines()
    # Headline + description average ~45 word pieces; the first 40 hold the headline and the gist
    # of the description and keep the build near a minute on two cores.
    embeddings = encode([h.embed_text() for h in headlines], progress="news headlines", max_tokens=40)
    folder = artifact_dir(NAME)
    folder.mkdir(parents=True, exist_ok=True)
    headlines_to_frame(headlines).to_csv(folder / "headlines.csv", index=False)
    np.save(folder / "embeddings.npy", embeddings.astype(np.float16))
    write_stamp(NAME, want, headlines=len(headlines))
    return f"news index: {len(headlines):,} headlines embedded; {encoder}"
