"""Fine-tune the joint intent + slot NLU from all-MiniLM-L6-v2 and calibrate it.

``python -m models.build --only nlu [--force]`` runs ``build``. It trains on the training part of
our split (HWU64 training fold + data/nlu), keeps the epoch that does best on the held-out part,
fits the temperature and the out-of-scope threshold there, and writes everything the parser needs
to ``artifact_dir("nlu")``. The content hash covers the data and this code, so an unchanged
setup skips the work; ``--force`` retrains.

Budget: 2 CPU cores, about 10 minutes. What keeps it there: the word-embedding matrix is frozen
(most of the model's parameters; also keeps words the data never shows where pre-training left
them), batches group texts of similar length and are padded only to their longest text, and each epoch sees every in-scope example
but a rotating part of the out-of-scope ones, which are two thirds of the data.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm
from transformers import get_linear_schedule_with_warmup

from assistant.nlu import calibration
from assistant.nlu.data import OWN_DATA_DIR, REPO_ROOT, Example, label_counts, load_split
from assistant.nlu.labels import BIO_TAGS, INTENT_LABELS, OUT_OF_SCOPE
from assistant.nlu.metrics import apply_threshold, intent_metrics, slot_f1
from assistant.nlu.model import (
    IGNORE_INDEX,
    MAX_TOKENS,
    JointIntentSlotModel,
    base_model_path,
    encode,
    load_tokenizer,
    predict,
)
from models.artifacts import artifact_dir, content_hash, is_current, write_stamp

NAME = "nlu"
SEED = 13
EPOCHS = 6
BATCH_SIZE = 32
ENCODER_LR = 8e-5
HEAD_LR = 2e-3
OOS_PER_EPOCH = 0.6  # share of out-of-scope training examples each epoch sees
SLOT_LOSS_WEIGHT = 2.0
THREADS = 2

# Everything the trained weights depend on; a change to any of these retrains.
SOURCES = [
    REPO_ROOT / "data" / "hwu64" / "train",
    OWN_DATA_DIR,
    Path(__file__),
    *(REPO_ROOT / "assistant" / "nlu" / f for f in ("data.py", "labels.py", "model.py", "calibration.py")),
]


def source_hash() -> str:
    settings = f"{EPOCHS}/{BATCH_SIZE}/{ENCODER_LR}/{HEAD_LR}/{OOS_PER_EPOCH}/{SEED}/{MAX_TOKENS}"
    return content_hash(SOURCES, extra=f"nlu-v1|{settings}|torch={torch.__version__}")


def _epoch_examples(train: list[Example], epoch: int, rng: random.Random) -> list[Example]:
    in_scope = [ex for ex in train if ex.label != OUT_OF_SCOPE]
    oos = [ex for ex in train if ex.label == OUT_OF_SCOPE]
    # Rotate through the out-of-scope examples so every one is seen once per 1/OOS_PER_EPOCH epochs.
    order = random.Random(SEED).sample(oos, len(oos))
    n = int(len(oos) * OOS_PER_EPOCH)
    start = (epoch * n) % max(1, len(oos))
    chosen = (order + order)[start : start + n]
    batch = in_scope + chosen
    rng.shuffle(batch)
    return batch


def _length_bucketed_batches(examples: list[Example], rng: random.Random) -> list[list[Example]]:
    """Batches of similar length (less padding, less compute), in random order."""
    batches = []
    chunk = BATCH_SIZE * 16
    for i in range(0, len(examples), chunk):
        group = sorted(examples[i : i + chunk], key=lambda ex: len(ex.text))
        batches += [group[j : j + BATCH_SIZE] for j in range(0, len(group), BATCH_SIZE)]
    rng.shuffle(batches)
    return batches


def evaluate_held_out(
    model: JointIntentSlotModel, tokenizer, held_out: list[Example], temperature: float = 1.0
) -> dict:
    logits, spans = predict(model, tokenizer, [ex.text for ex in held_out])
    probs = calibration.softmax(logits.numpy(), temperature)
    gold = [ex.label for ex in held_out]
    curve = calibration.tradeoff_curve(probs, INTENT_LABELS, gold)
    return {
        "logits": logits.numpy(),
        "curve": curve,
        "score": calibration.operating_score(curve),
        "slots": slot_f1([ex.spans for ex in held_out], spans),
    }


def train(train_set: list[Example], held_out: list[Example], epochs: int = EPOCHS) -> tuple:
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    path = base_model_path()
    tokenizer = load_tokenizer(path)
    model = JointIntentSlotModel.from_base(path, len(INTENT_LABELS))
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = list(model.intent_head.parameters()) + list(model.slot_head.parameters())
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": ENCODER_LR}, {"params": head_params, "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    steps_per_epoch = len(_length_bucketed_batches(_epoch_examples(train_set, 0, random.Random(0)), rng))
    total = steps_per_epoch * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * total), total)
    label_index = {label: i for i, label in enumerate(INTENT_LABELS)}

    best: tuple[float, int, dict] | None = None
    history = []
    with tqdm(total=total, desc="nlu: fine-tuning MiniLM", unit="batch") as bar:
        for epoch in range(epochs):
            model.train()
            for batch in _length_bucketed_batches(_epoch_examples(train_set, epoch, rng), rng):
                enc = encode(tokenizer, [ex.text for ex in batch], [ex.spans for ex in batch])
                intent_logits, tag_logits = model(enc["input_ids"], enc["attention_mask"])
                gold = torch.tensor([label_index[ex.label] for ex in batch])
                loss = torch.nn.functional.cross_entropy(intent_logits, gold)
                loss = loss + SLOT_LOSS_WEIGHT * torch.nn.functional.cross_entropy(
                    tag_logits.reshape(-1, len(BIO_TAGS)), enc["tags"].reshape(-1), ignore_index=IGNORE_INDEX
                )
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
            result = evaluate_held_out(model, tokenizer, held_out)
            # Intent operating point first; slot F1 breaks near-ties.
            score = result["score"] + 0.1 * result["slots"]["slot_f1"]
            history.append({"epoch": epoch + 1, "score": result["score"], **result["slots"]})
            bar.write(
                f"  epoch {epoch + 1}: held-out min(in-scope acc, OOS recall) = {result['score']:.4f}, "
                f"slot F1 = {result['slots']['slot_f1']:.4f}"
            )
            if best is None or score >= best[0]:
                best = (score, epoch + 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
    assert best is not None
    model.load_state_dict(best[2])
    return model, tokenizer, best[1], history


def build(force: bool = False) -> str:
    want = source_hash()
    if not force and is_current(NAME, want):
        return f"up to date ({artifact_dir(NAME)})"
    torch.set_num_threads(int(os.environ.get("NLU_TRAIN_THREADS", THREADS)))
    started = time.perf_counter()
    train_set, held_out = load_split()
    model, tokenizer, best_epoch, history = train(train_set, held_out)
    train_seconds = time.perf_counter() - started

    # Calibrate on the held-out split, then pick the threshold on the calibrated confidences.
    result = evaluate_held_out(model, tokenizer, held_out)
    gold = [ex.label for ex in held_out]
    temperature = calibration.fit_temperature(
        result["logits"], np.array([INTENT_LABELS.index(g) for g in gold])
    )
    probs = calibration.softmax(result["logits"], temperature)
    curve = calibration.tradeoff_curve(probs, INTENT_LABELS, gold)
    threshold = calibration.choose_threshold(curve)
    metrics = intent_metrics(gold, apply_threshold(probs, INTENT_LABELS, threshold))
    metrics.update(result["slots"])

    out = artifact_dir(NAME)
    out.mkdir(parents=True, exist_ok=True)
    (out / "stamp.json").unlink(missing_ok=True)  # stale until every file below is written
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / "model.safetensors"))
    model.encoder.config.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    info = {
        "intents": list(INTENT_LABELS),
        "tags": list(BIO_TAGS),
        "temperature": temperature,
        "threshold": threshold,
        "max_tokens": MAX_TOKENS,
    }
    (out / "nlu.json").write_text(json.dumps(info, indent=2))
    report = {
        "held_out": metrics,
        "temperature": temperature,
        "threshold": threshold,
        "best_epoch": best_epoch,
        "epochs": history,
        "train_seconds": round(train_seconds, 1),
        "threads": torch.get_num_threads(),
        "n_train": len(train_set),
        "n_held_out": len(held_out),
        "train_labels": dict(label_counts(train_set)),
        "held_out_labels": dict(label_counts(held_out)),
        "curve": curve,
    }
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    write_stamp(NAME, want, train_seconds=round(train_seconds, 1))
    return (
        f"trained in {train_seconds:.0f}s (best epoch {best_epoch}); held-out in-scope acc "
        f"{metrics['in_scope_accuracy']:.3f}, OOS recall {metrics['oos_recall']:.3f}, "
        f"slot F1 {metrics['slot_f1']:.3f}, T={temperature:.2f}, threshold={threshold:.2f}"
    )


if __name__ == "__main__":
    import sys

    print(build(force="--force" in sys.argv))
