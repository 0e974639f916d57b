"""Build step: the news catalog table and MiniLM embeddings of every headline + description.

Artifact ``news``: ``headlines.csv``, ``embeddings.npy`` (float16 unit rows: half the size, and
cosine ranking does not notice), ``stamp.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.artifacts import REPO_ROOT, artifact_dir, content_hash, is_current, write_stamp

NAME = "news"
CODE_FILES = [
    Path(__file__),
    REPO_ROOT / "skills" / "news" / "catalog.py",
    REPO_ROOT / "skills" / "embeddings.py",
]


def current_hash() -> str:
    from skills.news.catalog import NEWS_FILE

    return content_hash([NEWS_FILE, *CODE_FILES], extra="news-index-v3")


def build(force: bool = False) -> str:
    want = current_hash()
    if not force and is_current(NAME, want):
        return "news index up to date"
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
    return f"news index: {len(headlines):,} headlines embedded"
