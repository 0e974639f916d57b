"""Single-utterance NLU parse latency (batch of one), p50 and p95 over held-out utterances.

``.venv/bin/python bench/nlu_latency.py [--n 300] [--threads 2]``. Target on the 2-core
machines: p50 <= 10 ms, p95 <= 25 ms. Figures taken while other jobs share the CPU are
pessimistic; the script prints the load average so a reader can tell.
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

import torch  # noqa: E402

from assistant.nlu import load_nlu  # noqa: E402
from assistant.nlu.data import load_split  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="utterances to time")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-vocabulary", action="store_true", help="time without slot normalisation")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    nlu = load_nlu(vocabulary={} if args.no_vocabulary else None, threads=args.threads)
    _, held_out = load_split()
    texts = [ex.text for ex in random.Random(0).sample(held_out, min(args.n, len(held_out)))]
    for text in texts[:20]:  # warm-up: first calls allocate
        nlu.parse(text)
    times_ms = []
    for text in texts:
        start = time.perf_counter()
        nlu.parse(text)
        times_ms.append((time.perf_counter() - start) * 1000)
    times_ms.sort()
    p50 = statistics.median(times_ms)
    p95 = times_ms[min(len(times_ms) - 1, int(0.95 * len(times_ms)))]
    print(f"NLU parse latency over {len(times_ms)} held-out utterances, batch of 1, {args.threads} thread(s)")
    print(f"normalisation: {'on' if nlu.normalizer else 'off'}; load average {os.getloadavg()[0]:.2f}")
    print(f"p50 {p50:.2f} ms   p95 {p95:.2f} ms   max {times_ms[-1]:.2f} ms")
    print(f"target p50 <= 10 ms, p95 <= 25 ms: {'met' if p50 <= 10 and p95 <= 25 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
