"""Text turn latency: utterance in -> response text, over 200 turns through the real pipeline.

Target (2-core CPU): p50 <= 30 ms, p95 <= 80 ms. The baseline, measured in the same process, is
NLU parsing alone: the ratio shows what dialogue, skills, NLG and the history write add.

    .venv/bin/python bench/turn_latency.py [--turns 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONVERSATION = [
    "play some jazz",
    "another one",
    "i like that",
    "why",
    "what's the news",
    "news about climate",
    "something else",
    "what's the weather in chicago",
    "what about tomorrow",
    "suggest a movie",
    "something like alien",
    "not this one",
    "recommend a comedy",
    "thanks",
    "play something upbeat",
    "stop",
    "what did i listen to today",
    "volume up",
    "tell me a joke",
    "repeat that",
    # issue 14: moods, follow-ups that refine, names, good news, out-of-scope requests
    "put on something i can dance to",
    "too busy, something more chilled",
    "something from the eighties",
    "i wanna hear blinding lights",
    "cheer me up with some good news",
    "more about that",
    "rate this book five stars",
]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--turns", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASSISTANT_HOME"] = tmp
        # Classifier turns: with the language model on, a few of these lines are model turns
        # (4 s limit) and its background warm-up shares the CPU; bench/llm_turns.py times those.
        os.environ.setdefault("ASSISTANT_LLM", "off")
        from assistant.app import build_pipeline

        pipeline = build_pipeline(Path(tmp))
        session = pipeline.start_session("bench", seed=1)
        for text in CONVERSATION:  # warm-up: loads every skill and fills caches
            pipeline.run_turn(session, text=text)

        utterances = [CONVERSATION[i % len(CONVERSATION)] for i in range(args.turns)]
        nlu_ms = []
        for text in utterances:
            t0 = time.perf_counter()
            pipeline.nlu.parse(text)
            nlu_ms.append((time.perf_counter() - t0) * 1000)
        turn_ms = []
        for text in utterances:
            t0 = time.perf_counter()
            pipeline.run_turn(session, text=text)
            turn_ms.append((time.perf_counter() - t0) * 1000)
        pipeline.end_session(session)

    p50, p95 = percentile(turn_ms, 50), percentile(turn_ms, 95)
    b50, b95 = percentile(nlu_ms, 50), percentile(nlu_ms, 95)
    print(f"text turns: {len(turn_ms)}")
    print(f"turn latency   p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (target p50 <= 30, p95 <= 80)")
    print(f"baseline (NLU) p50 {b50:7.2f} ms   p95 {b95:7.2f} ms")
    print(f"ratio turn/NLU p50 {p50 / b50:7.2f} x    p95 {p95 / b95:7.2f} x")
    ok = p50 <= 30 and p95 <= 80
    print("target met" if ok else "target NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
