"""Temperature scaling and the out-of-scope threshold, both fitted on the held-out split.

Temperature scaling divides the intent logits by one scalar T chosen to minimise the held-out
negative log-likelihood, so a confidence of 0.9 means "right about 9 times in 10". The threshold
then trades in-scope accuracy (requests wrongly rejected) against out-of-scope recall (off-topic
requests wrongly accepted); ``choose_threshold`` takes the middle of the region where both meet
their targets, so the operating point does not sit on the edge of what the held-out data allows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from assistant.nlu.metrics import apply_threshold, intent_metrics

TARGET_IN_SCOPE_ACCURACY = 0.95
TARGET_OOS_RECALL = 0.95
THRESHOLD_GRID = np.round(np.arange(0.0, 1.0001, 0.01), 4)


def fit_temperature(logits: np.ndarray, gold_ids: np.ndarray) -> float:
    """Scalar T > 0 minimising NLL of softmax(logits / T); LBFGS on log T."""
    logits_t = torch.as_tensor(logits, dtype=torch.float64)
    gold_t = torch.as_tensor(gold_ids, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits_t / log_t.exp(), gold_t)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp().clamp(0.05, 20.0).item())


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits`` divided by ``temperature``."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def tradeoff_curve(probs: np.ndarray, labels: Sequence[str], gold: Sequence[str]) -> list[dict[str, float]]:
    """Intent metrics at every threshold of the grid."""
    rows = []
    for t in THRESHOLD_GRID:
        m = intent_metrics(gold, apply_threshold(probs, labels, float(t)))
        rows.append({"threshold": float(t), **m})
    return rows


def choose_threshold(curve: Sequence[dict[str, float]]) -> float:
    """Middle of the feasible region (both targets met); else the best worst-of-the-two."""
    feasible = [
        r
        for r in curve
        if r["in_scope_accuracy"] >= TARGET_IN_SCOPE_ACCURACY and r["oos_recall"] >= TARGET_OOS_RECALL
    ]
    if feasible:
        lo, hi = feasible[0]["threshold"], feasible[-1]["threshold"]
        middle = (lo + hi) / 2
        return float(min(feasible, key=lambda r: abs(r["threshold"] - middle))["threshold"])
    best = max(curve, key=lambda r: (min(r["in_scope_accuracy"], r["oos_recall"]), -r["threshold"]))
    return float(best["threshold"])


def operating_score(curve: Sequence[dict[str, float]]) -> float:
    """One number for model selection: the best worst-of(in-scope accuracy, OOS recall)."""
    return max(min(r["in_scope_accuracy"], r["oos_recall"]) for r in curve)
