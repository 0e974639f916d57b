"""Figures the NLU is judged by: in-scope accuracy, out-of-scope recall/precision, macro-F1, slot F1.

In-scope accuracy counts an in-scope utterance as right only when the final answer (after the
out-of-scope threshold) is its label, so rejecting a real request costs accuracy. Slot F1 is
exact-span, seqeval style: a predicted span counts only when its type, start and end all match.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.nlu.labels import OUT_OF_SCOPE


def apply_threshold(probs: np.ndarray, labels: Sequence[str], threshold: float) -> list[str]:
    """The most likely in-scope label, or out_of_scope when its probability is under ``threshold``.

    The out_of_scope class takes part through the softmax (its mass lowers every in-scope
    probability); the threshold alone decides, so it can move the operating point both ways.
    """
    in_scope = np.array([label != OUT_OF_SCOPE for label in labels])
    masked = np.where(in_scope[None, :], probs, -1.0)
    top = masked.argmax(1)
    return [OUT_OF_SCOPE if probs[i, j] < threshold else labels[j] for i, j in enumerate(top)]


def argmax_labels(probs: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Plain argmax over every class, out_of_scope included (no threshold)."""
    return [labels[j] for j in probs.argmax(1)]


def intent_metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """In-scope accuracy, out-of-scope recall and precision, overall accuracy and macro F1."""
    gold_a, pred_a = np.asarray(gold), np.asarray(pred)
    in_scope = gold_a != OUT_OF_SCOPE
    oos_gold, oos_pred = ~in_scope, pred_a == OUT_OF_SCOPE
    n_pred_oos = int(oos_pred.sum())
    return {
        "in_scope_accuracy": float((pred_a[in_scope] == gold_a[in_scope]).mean()) if in_scope.any() else 0.0,
        "oos_recall": float(oos_pred[oos_gold].mean()) if oos_gold.any() else 0.0,
        "oos_precision": float(oos_gold[oos_pred].mean()) if n_pred_oos else 0.0,
        "accuracy": float((pred_a == gold_a).mean()),
        "macro_f1": macro_f1(gold, pred),
        "n_in_scope": int(in_scope.sum()),
        "n_oos": int(oos_gold.sum()),
    }


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Unweighted mean F1 over every label present in ``gold`` (out_of_scope included)."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def slot_f1(
    gold: Sequence[Sequence[tuple[int, int, str]]], pred: Sequence[Sequence[tuple[int, int, str]]]
) -> dict[str, float]:
    """Micro precision, recall and F1 over exact (start, end, type) spans."""
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred, strict=True):
        g_set, p_set = set(map(tuple, g)), set(map(tuple, p))
        tp += len(g_set & p_set)
        n_gold += len(g_set)
        n_pred += len(p_set)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"slot_precision": precision, "slot_recall": recall, "slot_f1": f1, "n_gold_spans": n_gold}


def per_slot_f1(
    gold: Sequence[Sequence[tuple[int, int, str]]], pred: Sequence[Sequence[tuple[int, int, str]]]
) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 of exact slot spans, per slot type."""
    types = sorted({s[2] for row in gold for s in row} | {s[2] for row in pred for s in row})
    out = {}
    for t in types:
        g = [[s for s in row if s[2] == t] for row in gold]
        p = [[s for s in row if s[2] == t] for row in pred]
        out[t] = slot_f1(g, p)
    return out
