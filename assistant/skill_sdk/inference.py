"""Running a small exported network (ONNX) on the CPU, for the classifier and for skills.

Torch and transformers take seconds to import and their first forward pass is slow; a network
exported to ONNX at build time runs on onnxruntime, which imports in tenths of a second
(docs/nlu.md, "Start-up"). Sessions share what matters on a two-core machine shared with the
language model and the speech recogniser: a bounded thread count and no spinning threads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def cpu_session(path: Path, threads: int = 2) -> Any:
    """An onnxruntime session for the ONNX file at ``path`` on the CPU with at most ``threads``
    threads; raises ``onnxruntime``'s own errors for a missing or damaged file."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    # Idle worker threads would otherwise spin after each call, taking a core the language
    # model's process or the speech recogniser is using at that moment.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: the chat output stays clean
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def padded_tokenizer(folder: Path, max_tokens: int) -> Any:
    """The fast tokenizer saved in ``folder`` (its ``tokenizer.json``, read by ``tokenizers``
    alone, as ``transformers`` would read it) cutting texts to ``max_tokens`` and padding a
    batch to its longest text with the padding token the folder names."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    pad_token = _pad_token(folder)
    pad_id = tokenizer.token_to_id(pad_token)
    if pad_id is None:
        raise ValueError(f"the tokenizer in {folder} has no padding token {pad_token!r}")
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    return tokenizer


def token_arrays(encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask (batch x tokens, int64) of a ``padded_tokenizer``'s
    ``encode_batch``, as the exported networks take them."""
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


def _pad_token(folder: Path) -> str:
    """The padding token of the tokenizer's config (BERT's "[PAD]" when not written down)."""
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "[PAD]"
    token = config.get("pad_token", "[PAD]")
    return token if isinstance(token, str) else str(token.get("content", "[PAD]"))
