"""Two processes write turns through the real pipeline into one history store at once.

Prints turns per second and checks that no turn is lost and no "database is locked" error
escapes. Used by tests/integration/test_faults.py with fewer turns.

    .venv/bin/python bench/two_writers.py [--turns 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

UTTERANCES = [
    "play some jazz",
    "i like that",
    "another one",
    "what's the news",
    "thanks",
    "what's the weather in chicago",
    "suggest a movie",
    "why",
    "volume up",
    "stop",
]


def _writer(home: str, user: str, turns: int, queue: mp.Queue) -> None:
    try:
        queue.put(_write_turns(home, user, turns))
    except BaseException as exc:  # reported, so the parent never waits for a result that won't come
        queue.put((user, 0, turns, 0.0, f"{type(exc).__name__}: {exc}"))
        raise


def _write_turns(home: str, user: str, turns: int) -> tuple[str, int, int, float, str]:
    import os

    import torch

    # Two processes each running torch's default thread count oversubscribe the cores and
    # spin-wait on each other (measured: 4x slower than one writer); share the cores instead.
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    from assistant.app import build_pipeline

    pipeline = build_pipeline(Path(home))
    session = pipeline.start_session(user, seed=1)
    errors = 0
    start = time.perf_counter()
    for i in range(turns):
        result = pipeline.run_turn(session, text=UTTERANCES[i % len(UTTERANCES)])
        errors += any(e.type == "error" for e in result.events)
    pipeline.end_session(session)
    return user, turns, errors, time.perf_counter() - start, ""


def _collect(procs: list, queue: mp.Queue) -> list[tuple]:
    """One result per writer; a writer that died without one is an error, not a hang."""
    results: list[tuple] = []
    while len(results) < len(procs):
        try:
            results.append(queue.get(timeout=5))
        except Empty:
            if not any(p.is_alive() for p in procs) and queue.empty():
                codes = [p.exitcode for p in procs]
                raise RuntimeError(f"a writer exited without a result (exit codes {codes})") from None
    for p in procs:
        p.join()
    failed = [r[4] for r in results if r[4]]
    if failed:
        raise RuntimeError("writer failed: " + "; ".join(failed))
    return results


def run_writers(home: Path, turns: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(home), f"writer{i}", turns, queue)) for i in range(2)]
    for p in procs:
        p.start()
    results = _collect(procs, queue)
    from assistant.storage.history import HistoryStore

    store = HistoryStore(home / "history.db")
    stored = {user: len(store.turns(user=user)) for user, *_ in results}
    integrity = store.integrity_ok()
    store.close()
    return {
        "turns_written": sum(stored.values()),
        "turns_sent": sum(r[1] for r in results),
        "errors": sum(r[2] for r in results),
        "turns_per_second": sum(r[1] for r in results) / max(r[3] for r in results),
        "exit_codes_ok": all(p.exitcode == 0 for p in procs),
        "integrity_ok": integrity,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--turns", type=int, default=1000, help="turns per writer")
    ap.add_argument("--no-baseline", action="store_true", help="skip the single-writer run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Single-writer baseline in the same run, for the ratio.
        base = None if args.no_baseline else run_single(Path(tmp) / "single", args.turns)
        stats = run_writers(Path(tmp) / "shared", args.turns)
    print(
        f"two writers x {args.turns} turns: {stats['turns_written']} of {stats['turns_sent']} stored, "
        f"{stats['errors']} turn errors, integrity {'ok' if stats['integrity_ok'] else 'BROKEN'}"
    )
    line = f"throughput: {stats['turns_per_second']:.1f} turns/s with two writers"
    if base is not None:
        line += f"; {base:.1f} turns/s with one (ratio {stats['turns_per_second'] / base:.2f})"
    print(line)
    lost = stats["turns_sent"] - stats["turns_written"]
    print(f"turns lost: {lost}")
    return 0 if lost == 0 and stats["errors"] == 0 and stats["integrity_ok"] else 1


def run_single(home: Path, turns: int) -> float:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_writer, args=(str(home), "solo", turns, queue))
    p.start()
    ((_, n, _, seconds, _),) = _collect([p], queue)
    return n / seconds


if __name__ == "__main__":
    sys.exit(main())
