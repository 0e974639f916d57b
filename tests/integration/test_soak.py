"""A short soak (bench/soak.py's, a few hundred turns): ``assistant serve`` under four
satellites and a text client holds its descriptors and threads flat.

Each new conversation once kept its session log's descriptor open until it went idle (up to
256 of them), and each session log began with the person's whole profile, so the logs grew as
the conversations times the history; the long bench measures memory, latency and volumes
(bench/soak.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from testkit.satellites import (
    Client,
    ProcessStats,
    free_port,
    satellite,
    start_serve,
    text_client,
    write_satellites,
)

pytestmark = [pytest.mark.artifacts, pytest.mark.slow, pytest.mark.timeout(600)]

SATELLITES = ["kitchen", "bedroom", "office", "hall"]
TURNS_EACH = 60  # 300 turns in all; twelve conversations per satellite


def test_a_few_hundred_turns_leave_descriptors_and_threads_flat(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    write_satellites(home, SATELLITES)
    serve = start_serve(home, port)
    clients = [Client(n, f"{n}-user") for n in SATELLITES] + [Client("text", "default")]

    async def drive(turns: int) -> None:
        stop = asyncio.Event()
        await asyncio.gather(
            *(satellite(c, stop, port, turns, offset=i) for i, c in enumerate(clients[:-1])),
            text_client(clients[-1], stop, port, turns),
        )

    try:
        asyncio.run(drive(TURNS_EACH // 5))  # warm: every skill loaded, every user known
        first = ProcessStats.of(serve.pid)
        for c in clients:
            c.answered.clear()
        asyncio.run(drive(TURNS_EACH))
        # What persists, not what a background task holds for a moment (a feed refresh's own
        # database connection is three descriptors: the file, -wal and -shm): the fewest seen
        # over two seconds.
        samples = []
        for _ in range(10):
            samples.append(ProcessStats.of(serve.pid))
            time.sleep(0.2)
        last = min(samples, key=lambda s: s.fds)
    finally:
        serve.terminate()
        serve.wait(60)
    assert all(len(c.answered) == TURNS_EACH for c in clients)
    assert last.fds <= first.fds + 2, (first, last)
    assert last.threads <= first.threads, (first, last)
    assert last.rss_kb <= first.rss_kb * 1.05, (first, last)
    # A session log starts with a few hundred bytes (ids, seed, settings: about 900 measured),
    # not the person's profile, which is written once a day (history/<day>.jsonl) and then
    # only what each conversation added: about 2 kB of logs per turn in all, measured.
    logs = [p for p in (home / "sessions").rglob("*.jsonl") if p.parent.name != "history"]
    assert max(len(p.read_bytes().split(b"\n", 1)[0]) for p in logs) < 4000
    for day in (home / "sessions").glob("*/history/*.jsonl"):
        lines = [json.loads(line) for line in day.read_text().splitlines()]
        assert "history" in lines[0] and all("since" in line for line in lines[1:]), day
    volume = sum(p.stat().st_size for p in (home / "sessions").rglob("*.jsonl"))
    assert volume < 4000 * (TURNS_EACH + TURNS_EACH // 5) * len(clients), volume
