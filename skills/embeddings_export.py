"""Build step shared by the skills that embed text: the sentence encoder exported to ONNX.

``ensure_exported()`` is called first by each skill build that embeds (music, news), so the
catalogs are embedded by the same network the assistant then runs on their queries. It exports
all-MiniLM-L6-v2 with its mean pooling and normalising inside the network, checks on sample texts
that onnxruntime gives torch's vectors, and only then stamps the artifact ``sentence-encoder``
(``skills/embeddings.py`` uses it from then on). Up to date after the first time: a few seconds
once.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant.artifacts import (
    ONNX_OPSET,
    REPO_ROOT,
    artifact_dir,
    content_hash,
    export_onnx,
    is_current,
    write_stamp,
)
from skills.embeddings import (
    ENCODER_ARTIFACT,
    MAX_TOKENS,
    ONNX_FILE,
    OUTPUT_NAME,
    OnnxEncoder,
    TorchEncoder,
    base_model_path,
)

# Cosines of unit vectors: 1e-4 is far above float32 rounding (under 1e-6 measured, 2026-12-07)
# and far below any difference a ranking could notice.
MAX_VECTOR_DIFFERENCE = 1e-4
CHECK_TEXTS = [
    "music",
    "relaxing acoustic guitar for a rainy afternoon",
    "Stocks fall as central bank raises interest rates again",
    "80s synth pop",
    "x " * 100,  # longer than the token budget
]


def current_hash() -> str:
    import onnx
    import torch

    versions = f"torch={torch.__version__}|onnx={onnx.__version__}|opset={ONNX_OPSET}|{MAX_TOKENS}"
    code = [
        Path(__file__),
        Path(__file__).with_name("embeddings.py"),
        REPO_ROOT / "assistant" / "artifacts.py",
    ]
    return content_hash([*code, base_model_path() / "model.safetensors"], extra=versions)


def ensure_exported(force: bool = False) -> str:
    """Export the encoder unless its stamp is current; a one-line summary."""
    want = current_hash()
    folder = artifact_dir(ENCODER_ARTIFACT)
    if not force and is_current(ENCODER_ARTIFACT, want) and (folder / ONNX_FILE).is_file():
        return "sentence encoder up to date"
    started = time.perf_counter()
    reference = TorchEncoder()
    batch = reference.tokenizer(CHECK_TEXTS[:2], padding=True, return_tensors="pt")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stamp.json").unlink(missing_ok=True)  # stale until the checked file is in place
    sample = {name: batch[name] for name in ("input_ids", "attention_mask")}
    export_onnx(reference.network, sample, {OUTPUT_NAME: {0: "batch"}}, folder / ONNX_FILE)
    difference = float(
        np.abs(
            OnnxEncoder(folder).embed(CHECK_TEXTS, MAX_TOKENS) - reference.embed(CHECK_TEXTS, MAX_TOKENS)
        ).max()
    )
    if difference > MAX_VECTOR_DIFFERENCE:
        (folder / ONNX_FILE).unlink()
        raise RuntimeError(f"the exported sentence encoder differs from torch's (by {difference:.2g})")
    write_stamp(ENCODER_ARTIFACT, want, largest_vector_difference=difference)
    return f"sentence encoder exported in {time.perf_counter() - started:.0f}s (within {difference:.1g} of torch)"
