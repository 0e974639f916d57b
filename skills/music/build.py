"""The music skill's build step (``SkillSpec.build``): the music catalog table and MiniLM
embeddings of each track's tag text.

Tracks share tag texts ("jazz music; instrumental, modern; calm, relaxing, mellow"), so only the
distinct texts are embedded (about 1,300 for 35,000 tracks) and each track points at its row.
Artifact ``music``: ``tracks.csv``, ``tag_embeddings.npy`` (float32, unit rows),
``track_text_row.npy`` (int32 per track), ``stamp.json``. Run by ``python -m models.build``
(``--only music``); the runtime never imports this module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.artifacts import REPO_ROOT, artifact_dir, content_hash, is_current, stamp_hash, write_stamp

NAME = "music"
CODE_FILES = [
    Path(__file__),
    REPO_ROOT / "skills" / "music" / "catalog.py",
    REPO_ROOT / "skills" / "embeddings.py",
]
# Hashes stamped while this step was models/music_index.py (assistant.artifacts.stamp_hash).
EARLIER_HASHES = Path(__file__).with_name("build_stamps.json")


def current_hash() -> str:
    """The hash the artifact is stamped with when built from today's code and data."""
    from skills.music.catalog import SOURCE_FILES

    return stamp_hash(content_hash([*SOURCE_FILES, *CODE_FILES], extra="music-index-v1"), EARLIER_HASHES)


def build(force: bool = False) -> str:
    """Build the index unless the stamp says it is current; a one-line summary."""
    from skills.embeddings_export import ensure_exported

    # First: the catalog is embedded by the same network the assistant runs the queries on.
    encoder = ensure_exported()
    want = current_hash()
    if not force and is_current(NAME, want):
        return f"music index up to date; {encoder}"
    from skills.embeddings import encode
    from skills.music.catalog import load_catalog, tracks_to_frame

    tracks = load_catalog()
    texts = [t.tag_text() for t in tracks]
    distinct = sorted(set(texts))
    row_of = {text: i for i, text in enumerate(distinct)}
    embeddings = encode(distinct, progress="music tag texts")

    folder = artifact_dir(NAME)
    folder.mkdir(parents=True, exist_ok=True)
    tracks_to_frame(tracks).to_csv(folder / "tracks.csv", index=False)
    np.save(folder / "tag_embeddings.npy", embeddings)
    np.save(folder / "track_text_row.npy", np.array([row_of[t] for t in texts], dtype=np.int32))
    (folder / "tag_texts.txt").write_text("\n".join(distinct) + "\n")
    write_stamp(NAME, want, tracks=len(tracks), distinct_texts=len(distinct))
    return f"music index: {len(tracks):,} tracks, {len(distinct):,} distinct tag texts embedded; {encoder}"
