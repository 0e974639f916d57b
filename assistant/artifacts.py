"""Finding and reading the model artifacts at run time (the runtime side of ``models/``).

Every artifact is a folder under ``models/artifacts/<name>`` (``ASSISTANT_ARTIFACTS`` overrides
the root) holding a ``stamp.json`` written last by its build step. This module owns where those
folders are, the repository's ``data/`` folder, reading a stamp, and ``ArtifactMissingError``,
the one error runtime code raises when an artifact is missing or damaged. Building artifacts
(content hashes, writing stamps) belongs to ``models.artifacts``; runtime code never imports
``models``.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.config import environment

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


def artifacts_root() -> Path:
    """The artifacts folder; ``ASSISTANT_ARTIFACTS`` overrides it (tests with small models)."""
    return environment().artifacts or REPO_ROOT / "models" / "artifacts"


def artifact_dir(name: str) -> Path:
    """The folder of artifact ``name`` under the artifacts root."""
    return artifacts_root() / name


class ArtifactMissingError(RuntimeError):
    """An artifact the setup step builds is not there (or is damaged)."""

    def __init__(self, name: str, detail: str = "") -> None:
        self.name = name
        msg = f"model artifact '{name}' is missing or unusable"
        if detail:
            msg += f" ({detail})"
        msg += ". Build it with: ./setup.sh --only   (or: .venv/bin/python -m models.build)"
        super().__init__(msg)


def read_stamp(name: str) -> dict:
    """The ``stamp.json`` of artifact ``name``; raises ``OSError`` or ``ValueError`` when unreadable."""
    data = json.loads((artifact_dir(name) / "stamp.json").read_text())
    if not isinstance(data, dict):
        raise ValueError(f"stamp of '{name}' is not a JSON object")
    return data
