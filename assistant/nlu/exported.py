"""The trained joint network as the assistant runs it: ONNX on onnxruntime, tokenised by the
tokenizer's own file.

The ``nlu-onnx`` build step (``models/nlu_export.py``) exports the fine-tuned network to
``model.onnx`` in its own artifact and checks it against torch. Running that file needs neither
torch nor transformers: on a second start of ``assistant --text`` (py-spy, 2026-12-07, two
cores) importing them took 3.0 s, transformers' model mapping another 1.9 s and torch's first
forward pass 1.7 s, most of the time to the first answer; onnxruntime and tokenizers import in
about 0.3 s and the session opens in 0.2 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.nlu.tagging import MAX_TOKENS
from assistant.skill_sdk.inference import cpu_session, padded_tokenizer, token_arrays

ONNX_FILE = "model.onnx"
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAMES = ("intent_logits", "tag_logits", "mood_logits")


@dataclass(frozen=True)
class EncodedBatch:
    """Token ids and mask (batch x tokens, padded to the longest text) and each text's character
    offsets per token ((0, 0) for special and padding tokens)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    offsets: list[list[tuple[int, int]]]


class ExportedJointModel:
    """The network's three heads for a batch of clean texts, on onnxruntime's CPU provider."""

    def __init__(
        self, model_folder: Path, tokenizer_folder: Path, max_tokens: int = MAX_TOKENS, threads: int = 2
    ) -> None:
        self.session = cpu_session(model_folder / ONNX_FILE, threads)
        self.tokenizer = padded_tokenizer(tokenizer_folder, max_tokens)

    def encode(self, texts: list[str]) -> EncodedBatch:
        """Tokenise ``texts`` as the training's ``transformers`` tokenizer did (same file)."""
        encodings = self.tokenizer.encode_batch(texts)
        input_ids, attention_mask = token_arrays(encodings)
        return EncodedBatch(input_ids, attention_mask, offsets=[list(e.offsets) for e in encodings])

    def run(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Intent logits (batch x intents), tag logits (batch x tokens x tags), mood logits."""
        intent, tags, moods = self.session.run(
            list(OUTPUT_NAMES),
            {INPUT_NAMES[0]: batch.input_ids, INPUT_NAMES[1]: batch.attention_mask},
        )
        return intent, tags, moods
