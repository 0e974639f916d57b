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
import warnings
from pathlib import Path

import numpy as np

from assistant.artifacts import artifact_dir, content_hash, is_current, write_stamp
from skills.embeddings import (
    ENCODER_ARTIFACT,
    MAX_TOKENS,
    ONNX_FILE,
    OnnxEncoder,
    TorchEncoder,
    base_model_path,
)

OPSET = 17
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

    versions = f"torch={torch.__version__}|onnx={onnx.__version__}|opset={OPSET}|{MAX_TOKENS}"
    return content_hash([Path(__file__), base_model_path() / "model.safetensors"], extra=versions)


def _pooled_network(encoder: TorchEncoder) -> object:
    import torch

    class PooledEncoder(torch.nn.Module):
        """The encoder with the pooling ``TorchEncoder.embed`` does, as one network."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    return PooledEncoder(encoder.model).eval()


def ensure_exported(force: bool = False) -> str:
    """Export the encoder unless its stamp is current; a one-line summary."""
    want = current_hash()
    folder = artifact_dir(ENCODER_ARTIFACT)
    if not force and is_current(ENCODER_ARTIFACT, want) and (folder / ONNX_FILE).is_file():
        return "sentence encoder up to date"
    import torch

    started = time.perf_counter()
    reference = TorchEncoder()
    sample = reference.tokenizer(CHECK_TEXTS[:2], padding=True, return_tensors="pt")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stamp.json").unlink(missing_ok=True)  # stale until the checked file is in place
    tmp = folder / (ONNX_FILE + ".tmp")
    free = {0: "batch", 1: "tokens"}
    # The tracer warns about the encoder's Python-side shape checks, constant for this network;
    # the comparison below is what says the file is right.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", module=r"torch\.onnx")
        torch.onnx.export(
            _pooled_network(reference),
            (sample["input_ids"], sample["attention_mask"]),
            str(tmp),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": free, "attention_mask": free, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed
        )
    tmp.replace(folder / ONNX_FILE)
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
