"""Where the model artifacts are, and the stamps that say what each was built from.

Every artifact is a folder under ``models/artifacts/<name>`` (``ASSISTANT_ARTIFACTS`` overrides
the root) holding a ``stamp.json`` written last by its build step. This module owns where those
folders are, the repository's ``data/`` folder, reading a stamp, and ``ArtifactMissingError``,
the one error runtime code raises when an artifact is missing or damaged.

It also holds what a build step needs to stamp an artifact (``content_hash``, ``is_current``,
``write_stamp``) and to export a network for onnxruntime (``export_onnx``): build steps live both in ``models/`` (the core's) and in each skill's
``build.py`` (declared by ``SkillSpec.build``), and a skill's build module never imports
``models``. ``models.artifacts`` re-exports them. Runtime code reads stamps, never writes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.config import environment

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
# ONNX's operator set 17 covers every layer of the BERT-style encoders exported here (the
# classifier, the skills' sentence encoder); onnxruntime 1.32 runs it.
ONNX_OPSET = 17
TOKEN_AXES = {0: "batch", 1: "tokens"}


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


def file_sha256(path: Path) -> str:
    """The sha256 of one file's bytes, read a megabyte at a time.

    assistant/voice/whisper_checkpoints.py keeps a copy of its own: that file's bytes are part
    of the fine-tuned speech decoder's build hash, and a change there rebuilds it (14-22 min)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_hash(paths: Iterable[Path], extra: str = "") -> str:
    """A hash over file contents (folders are walked in sorted order) and an extra string."""
    digest = hashlib.sha256(extra.encode())
    for path in sorted(Path(p) for p in paths):
        files = sorted(q for q in path.rglob("*") if q.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(REPO_ROOT) if f.is_relative_to(REPO_ROOT) else f).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:24]


def stamp_hash(want: str, earlier: Path) -> str:
    """The hash a build step stamps with: ``want``, or the hash an earlier layout of the step
    computed from the very same inputs, when ``earlier`` (a JSON object, hash now -> hash then)
    lists it. A step that moves (its own code is part of its hash) lists its hashes at the move,
    so an artifact built before it moved is still current and a rebuild writes the same stamp."""
    try:
        moved = json.loads(earlier.read_text())
    except (OSError, ValueError):
        return want
    then = moved.get("hashes", {}).get(want) if isinstance(moved, dict) else None
    return then if isinstance(then, str) else want


def is_current(name: str, want_hash: str) -> bool:
    """Whether artifact ``name`` has a stamp recording ``want_hash``."""
    try:
        return read_stamp(name)["hash"] == want_hash
    except (OSError, ValueError, KeyError):
        return False


def write_stamp(name: str, want_hash: str, **info: object) -> None:
    """Written last, after every file of the artifact, so a crash mid-build leaves it stale."""
    folder = artifact_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "stamp.json.tmp"
    tmp.write_text(json.dumps({"hash": want_hash, **info}, indent=2, default=str))
    tmp.replace(folder / "stamp.json")


def export_onnx(network: Any, sample: dict[str, Any], outputs: dict[str, dict[int, str]], path: Path) -> None:
    """Write the torch ``network`` as ONNX to ``path``, through a temporary file beside it.

    ``sample``: each input's name and a sample tensor (batch x tokens; both axes stay free);
    ``outputs``: each output's name and its free axes. The caller checks the file against the
    network before it stamps the artifact; torch is imported here, at build time only."""
    import warnings

    import torch

    tmp = path.with_name(path.name + ".tmp")
    # The tracer warns about the encoders' Python-side shape checks, which are constant for these
    # networks; the caller's comparison is what says the file is right.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", module=r"torch\.onnx")
        torch.onnx.export(
            network,
            tuple(sample.values()),
            str(tmp),
            input_names=list(sample),
            output_names=list(outputs),
            dynamic_axes={**dict.fromkeys(sample, TOKEN_AXES), **outputs},
            opset_version=ONNX_OPSET,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and it takes the HF encoders
        )
    tmp.replace(path)
