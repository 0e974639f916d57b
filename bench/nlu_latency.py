"""Single-utterance NLU parse latency (batch of one), p50 and p95 over held-out utterances.

``.venv/bin/python bench/nlu_latency.py [--n 300] [--threads 2]``. Target on the 2-core
machines: p50 <= 10 ms, p95 <= 25 ms. Figures taken while other jobs share the CPU are
pessimistic; the script prints the load average so a reader can tell. The utterances are the
held-out split's plus our everyday held-out requests (moods, names: the catalog-name paths). The
baseline, timed in the same run on the same utterances, is the model's forward pass alone
(tokenise + encoder + heads): the difference is what decoding, catalog names, normalisation and
the mood add.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from assistant.nlu import load_nlu  # noqa: E402
from assistant.nlu.data import clean_text, load_split  # noqa: E402
from evaluation.nlu_everyday import read_rows  # noqa: E402


def _timed(fn, texts: list[str]) -> list[float]:
    times_ms = []
    for text in texts:
        start = time.perf_counter()
        fn(text)
        times_ms.append((time.perf_counter() - start) * 1000)
    return sorted(times_ms)


def _p(times_ms: list[float], q: float) -> float:
    return times_ms[min(len(times_ms) - 1, int(q * len(times_ms)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="utterances to time")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-vocabulary", action="store_true", help="time without slot normalisation")
    args = parser.parse_args()
    nlu = load_nlu(vocabulary={} if args.no_vocabulary else None, threads=args.threads)
    _, held_out = load_split()
    everyday = [row[-1] for name in ("moods.csv", "names.csv") for row in read_rows(name)]
    pool = [ex.text for ex in held_out]
    texts = random.Random(0).sample(pool, min(args.n, len(pool))) + everyday
    timed = set(texts)
    # Warm-up (first calls allocate) on utterances that are not timed: the parser keeps its last
    # few parses, and a timed utterance seen in the warm-up would not be parsed again.
    for text in [t for t in pool if t not in timed][:20]:
        nlu.parse(text)

    def forward_only(text: str) -> None:
        nlu.model.run(nlu.model.encode([clean_text(text)]))

    baseline = _timed(forward_only, texts)
    times_ms = _timed(nlu.parse, texts)
    p50 = statistics.median(times_ms)
    p95 = _p(times_ms, 0.95)
    print(
        f"NLU parse latency over {len(times_ms)} utterances ({len(texts) - len(everyday)} held-out split, "
        f"{len(everyday)} everyday), batch of 1, {args.threads} thread(s)"
    )
    print(f"normalisation: {'on' if nlu.normalizer else 'off'}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"baseline (forward pass alone): p50 {statistics.median(baseline):.2f} ms   "
        f"p95 {_p(baseline, 0.95):.2f} ms"
    )
    print(f"parse:                         p50 {p50:.2f} ms   p95 {p95:.2f} ms   max {times_ms[-1]:.2f} ms")
    print(f"target p50 <= 10 ms, p95 <= 25 ms: {'met' if p50 <= 10 and p95 <= 25 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
