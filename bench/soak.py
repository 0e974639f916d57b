"""Soak: one ``assistant serve`` process for many turns, and what grows.

Starts ``assistant serve`` (real NLU and skills, no speech) on a loopback port and drives it
with four Home Assistant-style satellites (one connection per request, the conversation in its
context, each its own user) and a typed-text client (one connection per conversation), over the
``wyoming`` library's own client: mixed skills, follow-ups, likes. Every 1,000 turns it reads
the server's resident memory, open descriptors and threads from /proc, the history database's
size and the log volume (session logs and assistant.log), and prints each against the first
1,000 turns.

Targets (issue 33): resident memory growth <= 5 %, descriptors and threads flat, p50/p95 turn
latency within 10 % of the first 1,000 turns'. Offline (no feeds or weather from the network)
and, unless ``--llm``, without the language model: this measures what the server keeps.

    .venv/bin/python bench/soak.py [--turns 20000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.satellites import (  # noqa: E402
    Answered,
    Client,
    ProcessStats,
    free_port,
    satellite,
    start_serve,
    text_client,
    write_satellites,
)

WINDOW = 1000
SATELLITES = ["kitchen", "bedroom", "office", "hall"]


@dataclass
class Checkpoint:
    turns: int
    stats: ProcessStats
    db_bytes: int
    log_bytes: int
    latencies: list[float]


def folder_bytes(home: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in home.glob(pattern) if p.is_file())


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def drive(home: Path, port: int, pid: int, turns: int) -> list[Checkpoint]:
    clients = [Client(n, f"{n}-user") for n in SATELLITES] + [Client("text", "default")]
    stop = asyncio.Event()
    share = turns // len(clients)
    tasks = [
        asyncio.create_task(satellite(c, stop, port, share, offset=i)) for i, c in enumerate(clients[:-1])
    ]
    tasks.append(
        asyncio.create_task(text_client(clients[-1], stop, port, turns - share * (len(clients) - 1)))
    )
    done: list[Answered] = []
    seen = [0] * len(clients)
    checkpoints: list[Checkpoint] = []
    started = time.monotonic()
    while len(checkpoints) < turns // WINDOW:
        await asyncio.sleep(0.05)
        for i, c in enumerate(clients):  # in the order they were answered, near enough
            done.extend(c.answered[seen[i] :])
            seen[i] = len(c.answered)
        if len(done) >= (len(checkpoints) + 1) * WINDOW:
            n = (len(checkpoints) + 1) * WINDOW
            checkpoints.append(
                Checkpoint(
                    n,
                    ProcessStats.of(pid),
                    folder_bytes(home, "history.db*"),
                    folder_bytes(home, "sessions/**/*.jsonl") + folder_bytes(home, "assistant.log*"),
                    [a.seconds for a in done[n - WINDOW : n]],
                )
            )
            rate = n / (time.monotonic() - started)
            print(f"  {n:6d} turns  ({rate:.1f} turns/s)", file=sys.stderr, flush=True)
        if all(t.done() for t in tasks) and len(done) < (len(checkpoints) + 1) * WINDOW:
            break
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    failures = sum(c.failures for c in clients)
    if failures:
        print(f"warning: {failures} refused or broken connections", file=sys.stderr)
    return checkpoints


def report(checkpoints: list[Checkpoint]) -> bool:
    first, last = checkpoints[0], checkpoints[-1]
    print(
        f"{'turns':>7} {'rss MB':>8} {'fds':>5} {'thr':>4} {'p50 ms':>7} {'p95 ms':>7} {'db MB':>7} {'logs MB':>8}"
    )
    for c in checkpoints:
        print(
            f"{c.turns:7d} {c.stats.rss_kb / 1024:8.1f} {c.stats.fds:5d} {c.stats.threads:4d} "
            f"{percentile(c.latencies, 50) * 1000:7.1f} {percentile(c.latencies, 95) * 1000:7.1f} "
            f"{c.db_bytes / 1e6:7.2f} {c.log_bytes / 1e6:8.2f}"
        )
    span = (last.turns - first.turns) / 1000 or 1
    rss = (last.stats.rss_kb - first.stats.rss_kb) / first.stats.rss_kb * 100
    p50 = (percentile(last.latencies, 50) / percentile(first.latencies, 50) - 1) * 100
    p95 = (percentile(last.latencies, 95) / percentile(first.latencies, 95) - 1) * 100
    checks = [
        ("resident memory growth", f"{rss:+.1f} %", rss <= 5.0),
        ("open descriptors", f"{first.stats.fds} -> {last.stats.fds}", last.stats.fds <= first.stats.fds + 2),
        (
            "threads",
            f"{first.stats.threads} -> {last.stats.threads}",
            last.stats.threads <= first.stats.threads,
        ),
        ("p50 latency", f"{p50:+.1f} %", p50 <= 10.0),
        ("p95 latency", f"{p95:+.1f} %", p95 <= 10.0),
        ("history db per 1,000 turns", f"{(last.db_bytes - first.db_bytes) / span / 1e6:.2f} MB", True),
        ("log volume per 1,000 turns", f"{(last.log_bytes - first.log_bytes) / span / 1e6:.2f} MB", True),
    ]
    print(f"\nagainst the first {WINDOW:,} turns, after {last.turns:,}:")
    for name, value, ok in checks:
        print(f"  {name:28s} {value:>16s}  {'ok' if ok else 'MISSED'}")
    return all(ok for _, _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=20_000, help="turns in all (default 20,000)")
    parser.add_argument("--keep", type=Path, help="data directory to use and keep (default: a temporary one)")
    parser.add_argument(
        "--llm",
        action="store_true",
        help="with the language model (off by default: on two cores its 4 s timeouts dominate)",
    )
    args = parser.parse_args()
    if args.turns < 2 * WINDOW:
        parser.error(f"--turns must be at least {2 * WINDOW}")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp) / "home"
        write_satellites(home, SATELLITES)
        port = free_port()
        print(f"starting assistant serve on port {port} ...", file=sys.stderr, flush=True)
        serve = start_serve(
            home, port, env={"ASSISTANT_LLM": "on" if args.llm else "off", "ASSISTANT_OFFLINE": "1"}
        )
        try:
            checkpoints = asyncio.run(drive(home, port, serve.pid, args.turns))
        finally:
            serve.terminate()
            serve.wait(60)
        if len(checkpoints) < 2:
            print("error: too few turns were answered", file=sys.stderr)
            return 2
        return 0 if report(checkpoints) else 1


if __name__ == "__main__":
    sys.exit(main())
