"""Building model artifacts: how a build step knows an artifact is up to date, and its stamp.

Every artifact is a folder under ``models/artifacts/<name>``; it holds a ``stamp.json`` with the
content hash of everything it was built from (data files and the code that builds it). A build
step compares hashes and skips work when nothing changed, which keeps a second ``setup.sh``
fast and lets a code change retrain exactly what it affects.

The helpers live in ``assistant.artifacts``, where a skill's own build step (``skills/<name>/
build.py``, which never imports ``models``) finds them too; they are re-exported here so the
core's build code has one import.
"""

from __future__ import annotations

from assistant.artifacts import (
    DATA_DIR,
    ONNX_OPSET,
    REPO_ROOT,
    TOKEN_AXES,
    ArtifactMissingError,
    artifact_dir,
    artifacts_root,
    content_hash,
    export_onnx,
    is_current,
    read_stamp,
    stamp_hash,
    write_stamp,
)

__all__ = [
    "DATA_DIR",
    "ONNX_OPSET",
    "REPO_ROOT",
    "TOKEN_AXES",
    "ArtifactMissingError",
    "artifact_dir",
    "artifacts_root",
    "content_hash",
    "export_onnx",
    "is_current",
    "read_stamp",
    "stamp_hash",
    "write_stamp",
]
