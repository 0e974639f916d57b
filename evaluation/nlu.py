"""Evaluate the built NLU on the held-out split and write a report.

``python -m evaluation.nlu [--no-baseline] [--no-everyday] [--out reports/nlu]`` prints
in-scope accuracy, macro-F1, out-of-scope recall and precision and exact-span slot F1, then the
accuracy on our held-out everyday requests (``everyday.py``: moods, names, out-of-scope
requests, follow-ups, through the real pipeline), and writes
``report.md`` with a confusion matrix and the threshold trade-off curve (PNG). For comparison it
also fits the frozen-MiniLM + logistic-regression baseline on the same training part and scores
it on the same held-out part, with its own threshold picked the same way.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from assistant.nlu import calibration  # noqa: E402
from assistant.nlu.data import REPO_ROOT, Example, load_split  # noqa: E402
from assistant.nlu.labels import INTENT_LABELS  # noqa: E402
from assistant.nlu.metrics import (  # noqa: E402
    apply_threshold,
    argmax_labels,
    intent_metrics,
    per_slot_f1,
    slot_f1,
)
from assistant.nlu.model import base_model_path, encode, load_tokenizer  # noqa: E402
from assistant.nlu.moods import MOOD_LABELS  # noqa: E402
from assistant.nlu.names import CatalogNameSpotter  # noqa: E402
from assistant.nlu.parser import load_nlu, load_vocabulary  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "reports" / "nlu"


def _figures(gold: list[str], pred: list[str], spans_gold: list, spans_pred: list) -> dict[str, float]:
    return {**intent_metrics(gold, pred), **slot_f1(spans_gold, spans_pred)}


def evaluate_model(held_out: list[Example]) -> dict:
    nlu = load_nlu(vocabulary={})  # raw spans: slot F1 compares against the annotated text
    logits, tagged, mood_logits = nlu.predict([ex.text for ex in held_out])
    probs = calibration.softmax(logits, nlu.temperature)
    gold = [ex.label for ex in held_out]
    pred = apply_threshold(probs, INTENT_LABELS, nlu.threshold)
    gold_spans = [ex.spans for ex in held_out]
    # The spans parse() returns: the tagger's plus catalog names it missed, when the catalog
    # vocabulary has been built.
    spotter = CatalogNameSpotter(load_vocabulary() or {})
    spans = [spotter.add_names(ex.text, p, s) for ex, p, s in zip(held_out, pred, tagged, strict=True)]
    hwu = [i for i, ex in enumerate(held_out) if ex.source.startswith("hwu64")]
    return {
        "gold": gold,
        "pred": pred,
        "probs": probs,
        "threshold": nlu.threshold,
        "temperature": nlu.temperature,
        "all": _figures(gold, pred, gold_spans, spans),
        "hwu64_only": _figures(
            [gold[i] for i in hwu],
            [pred[i] for i in hwu],
            [gold_spans[i] for i in hwu],
            [spans[i] for i in hwu],
        ),
        "tagger_only": slot_f1(gold_spans, tagged),
        "catalog_names": bool(spotter),
        "argmax": intent_metrics(gold, argmax_labels(probs, INTENT_LABELS)),
        "per_slot": per_slot_f1(gold_spans, spans),
        "curve": calibration.tradeoff_curve(probs, INTENT_LABELS, gold),
        "moods": _mood_figures(held_out, mood_logits, nlu.mood_threshold),
    }


def _mood_figures(held_out: list[Example], mood_logits: np.ndarray, threshold: float) -> dict[str, float]:
    """Mood accuracy on the held-out requests whose mood is labelled: all, and those with a mood."""
    probs = calibration.softmax(mood_logits)
    best = probs[:, 1:].argmax(1) + 1
    said = np.where(probs[:, 1:].max(1) >= threshold, best, 0)
    rows = [i for i, ex in enumerate(held_out) if ex.mood is not None]
    moody = [i for i in rows if held_out[i].mood != MOOD_LABELS[0]]
    right = {i: MOOD_LABELS[said[i]] == held_out[i].mood for i in rows}
    return {
        "all": sum(right.values()) / max(1, len(rows)),
        "with_mood": sum(right[i] for i in moody) / max(1, len(moody)),
        "n_with_mood": len(moody),
    }


@torch.inference_mode()
def _embed(texts: list[str]) -> np.ndarray:
    """Sentence embeddings the way all-MiniLM-L6-v2 is meant to be used: mean pooled, unit length."""
    from transformers import AutoModel

    path = base_model_path()
    tokenizer, model = load_tokenizer(path), AutoModel.from_pretrained(path).eval()
    out = []
    for i in range(0, len(texts), 128):
        enc = encode(tokenizer, texts[i : i + 128])
        hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out)


def evaluate_baseline(train: list[Example], held_out: list[Example]) -> dict:
    from sklearn.linear_model import LogisticRegression

    x_train, x_held = _embed([ex.text for ex in train]), _embed([ex.text for ex in held_out])
    y_train = [INTENT_LABELS.index(ex.label) for ex in train]
    clf = LogisticRegression(C=10.0, max_iter=3000).fit(x_train, y_train)
    probs = np.zeros((len(held_out), len(INTENT_LABELS)))
    probs[:, clf.classes_] = clf.predict_proba(x_held)
    gold = [ex.label for ex in held_out]
    curve = calibration.tradeoff_curve(probs, INTENT_LABELS, gold)
    threshold = calibration.choose_threshold(curve)
    return {
        "threshold": threshold,
        "at_threshold": intent_metrics(gold, apply_threshold(probs, INTENT_LABELS, threshold)),
        "argmax": intent_metrics(gold, argmax_labels(probs, INTENT_LABELS)),
    }


def plot_confusion(gold: list[str], pred: list[str], path: Path) -> None:
    index = {label: i for i, label in enumerate(INTENT_LABELS)}
    matrix = np.zeros((len(INTENT_LABELS), len(INTENT_LABELS)))
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g], index[p]] += 1
    rows = matrix.sum(1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    fig, ax = plt.subplots(figsize=(11, 9.5))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(INTENT_LABELS)), INTENT_LABELS, rotation=70, ha="right", fontsize=8)
    ax.set_yticks(range(len(INTENT_LABELS)), INTENT_LABELS, fontsize=8)
    for i in range(len(INTENT_LABELS)):
        for j in range(len(INTENT_LABELS)):
            if matrix[i, j]:
                color = "white" if share[i, j] > 0.6 else "black"
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=6, color=color)
    ax.set_xlabel("predicted (after the out-of-scope threshold)")
    ax.set_ylabel("true label")
    ax.set_title("NLU confusion matrix, held-out split (counts; colour = share of the row)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tradeoff(curve: list[dict], threshold: float, path: Path) -> None:
    t = [r["threshold"] for r in curve]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(t, [r["in_scope_accuracy"] for r in curve], label="in-scope accuracy")
    ax.plot(t, [r["oos_recall"] for r in curve], label="out-of-scope recall")
    ax.plot(t, [r["oos_precision"] for r in curve], label="out-of-scope precision", linestyle=":")
    ax.axvline(threshold, color="grey", linestyle="--", label=f"chosen threshold {threshold:.2f}")
    ax.axhline(0.95, color="red", linewidth=0.6)
    ax.set_ylim(0.7, 1.005)
    ax.set_xlabel("threshold on calibrated top probability")
    ax.legend(loc="lower left")
    ax.set_title("Out-of-scope threshold trade-off (held-out split)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def write_report(result: dict, baseline: dict | None, out: Path, n_train: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    plot_confusion(result["gold"], result["pred"], out / "confusion_matrix.png")
    plot_tradeoff(result["curve"], result["threshold"], out / "tradeoff.png")
    a, h = result["all"], result["hwu64_only"]
    lines = [
        "# NLU evaluation (held-out split)",
        "",
        f"Joint MiniLM intent + slot model; {n_train} training and {len(result['gold'])} held-out "
        f"utterances (stratified 85/15, fixed seed). Temperature {result['temperature']:.3f}, "
        f"out-of-scope threshold {result['threshold']:.2f} (both fitted on this split).",
        "",
        "| figure | all held-out | HWU64 part only |",
        "|---|---|---|",
    ]
    for key, name in [
        ("in_scope_accuracy", "in-scope accuracy"),
        ("macro_f1", "macro-F1 (all labels)"),
        ("oos_recall", "out-of-scope recall"),
        ("oos_precision", "out-of-scope precision"),
        ("slot_f1", "slot F1 (exact span)"),
    ]:
        lines.append(f"| {name} | {_pct(a[key])} | {_pct(h[key])} |")
    lines.append(f"| slot F1, tagger alone (no catalog names) | {_pct(result['tagger_only']['slot_f1'])} | |")
    lines += [
        f"| utterances (in-scope / out-of-scope) | {a['n_in_scope']} / {a['n_oos']} | {h['n_in_scope']} / {h['n_oos']} |",
        "",
    ]
    if baseline:
        b, ba = baseline["at_threshold"], baseline["argmax"]
        lines += [
            "## Baseline: frozen MiniLM embeddings + logistic regression (same split)",
            "",
            "| figure | fine-tuned (threshold) | baseline (its threshold "
            f"{baseline['threshold']:.2f}) | fine-tuned (argmax) | baseline (argmax) |",
            "|---|---|---|---|---|",
        ]
        for key in ("in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1"):
            lines.append(
                f"| {key} | {_pct(a[key])} | {_pct(b[key])} | {_pct(result['argmax'][key])} | {_pct(ba[key])} |"
            )
        lines.append("")
    lines += [
        "## Slot F1 per type",
        "",
        "| slot | precision | recall | F1 | gold spans |",
        "|---|---|---|---|---|",
    ]
    for slot, m in result["per_slot"].items():
        lines.append(
            f"| {slot} | {_pct(m['slot_precision'])} | {_pct(m['slot_recall'])} | {_pct(m['slot_f1'])} | {m['n_gold_spans']} |"
        )
    lines += [
        "",
        "## Threshold trade-off",
        "",
        "![trade-off](tradeoff.png)",
        "",
        "| threshold | in-scope accuracy | OOS recall | OOS precision |",
        "|---|---|---|---|",
    ]
    for r in result["curve"]:
        if round(r["threshold"] * 100) % 5 == 0 or abs(r["threshold"] - result["threshold"]) < 1e-9:
            mark = " **(chosen)**" if abs(r["threshold"] - result["threshold"]) < 1e-9 else ""
            lines.append(
                f"| {r['threshold']:.2f}{mark} | {_pct(r['in_scope_accuracy'])} | {_pct(r['oos_recall'])} | {_pct(r['oos_precision'])} |"
            )
    lines += ["", "## Confusion matrix", "", "![confusion matrix](confusion_matrix.png)", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the frozen-embedding baseline")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.add_argument("--no-everyday", action="store_true", help="skip the everyday held-out requests")
    parser.add_argument("--misses", action="store_true", help="list the everyday requests handled wrong")
    args = parser.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    train, held_out = load_split()
    started = time.perf_counter()
    result = evaluate_model(held_out)
    a = result["all"]
    print(f"held-out split: {a['n_in_scope']} in-scope, {a['n_oos']} out-of-scope utterances")
    print(f"in-scope accuracy      {_pct(a['in_scope_accuracy'])}")
    print(f"macro-F1               {_pct(a['macro_f1'])}")
    print(f"out-of-scope recall    {_pct(a['oos_recall'])}")
    print(f"out-of-scope precision {_pct(a['oos_precision'])}")
    names = "with catalog names" if result["catalog_names"] else "no catalog vocabulary built"
    print(
        f"slot F1 (exact span)   {_pct(a['slot_f1'])} ({names}; tagger alone {_pct(result['tagger_only']['slot_f1'])})"
    )
    m = result["moods"]
    print(
        f"mood (labelled held-out requests) {_pct(m['all'])}; of the {m['n_with_mood']} with a mood "
        f"{_pct(m['with_mood'])}"
    )
    h = result["hwu64_only"]
    print(
        f"HWU64 part only: in-scope acc {_pct(h['in_scope_accuracy'])}, OOS recall {_pct(h['oos_recall'])}, "
        f"slot F1 {_pct(h['slot_f1'])}"
    )
    baseline = None
    if not args.no_baseline:
        baseline = evaluate_baseline(train, held_out)
        b = baseline["at_threshold"]
        print(
            f"baseline (frozen MiniLM + logistic regression): in-scope acc {_pct(b['in_scope_accuracy'])}, "
            f"OOS recall {_pct(b['oos_recall'])} at threshold {baseline['threshold']:.2f}; "
            f"argmax in-scope acc {_pct(baseline['argmax']['in_scope_accuracy'])}"
        )
    if not args.no_everyday:
        from evaluation.nlu_everyday import evaluate_everyday, summarise

        everyday = evaluate_everyday(load_nlu())
        print("everyday requests held out (data/nlu/heldout, through the real pipeline):")
        print("\n".join(summarise(everyday)))
        if args.misses:
            for kinds in everyday.values():
                for tally in kinds.values():
                    for miss in tally.misses:
                        print(f"    miss: {miss}")
    path = write_report(result, baseline, args.out, len(train))
    print(f"report: {path} ({time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
