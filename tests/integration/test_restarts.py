"""Restarts under load: ``assistant serve`` stopped and killed while satellites are mid-turn.

The real server process (real NLU and skills, no speech) on a loopback port, three Home
Assistant-style satellites (one connection per request, each its own user) and a typed-text
client, all retrying a refused connection as Home Assistant does. SIGTERM (``systemctl stop``)
mid-turn: the process exits cleanly within the unit's ``TimeoutStopSec`` and every answered turn
is in the history; after the restart the clients go on. SIGKILL mid-turn: no answered turn is
lost and the database opens clean.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from assistant.storage.history import HistoryStore
from testkit.satellites import Client, free_port, satellite, start_serve, text_client, write_satellites
from tests.integration.test_faults import check_consistent

pytestmark = [pytest.mark.artifacts, pytest.mark.slow, pytest.mark.timeout(600)]

TIMEOUT_STOP_S = 30.0  # TimeoutStopSec of the systemd unit in the README
SATELLITES = ["kitchen", "bedroom", "office"]


def assert_answered_turns_recorded(home: Path, clients: list[Client]) -> None:
    """Each client's answered requests, in order, are among its user's recorded turns (a turn
    recorded whose answer never arrived is retried, so the history may hold it twice)."""
    store = HistoryStore(home / "history.db")
    try:
        assert store.integrity_ok()
        for client in clients:
            recorded = iter(t["text"] for t in store.turns(user=client.user))
            missing = [a.text for a in client.answered if not any(a.text == r for r in recorded)]
            assert not missing, f"{client.name}: answered but not recorded: {missing}"
    finally:
        store.close()


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_sigterm_and_sigkill_under_load_lose_no_answered_turn(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    write_satellites(home, SATELLITES)
    clients = [Client(name, f"{name}-user") for name in SATELLITES] + [Client("text", "default")]

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        serve = await loop.run_in_executor(None, start_serve, home, port)
        tasks = [
            asyncio.create_task(satellite(c, stop, port, offset=i)) for i, c in enumerate(clients[:-1])
        ] + [asyncio.create_task(text_client(clients[-1], stop, port))]

        async def more_answers(n: int, what: str) -> None:
            goal = [len(c.answered) + n for c in clients]
            await until(
                lambda: all(len(c.answered) >= g for c, g in zip(clients, goal, strict=True)), 120, what
            )

        async def mid_turn(sig: signal.Signals, busy: bool = True) -> float:
            if busy:
                await until(lambda: any(c.in_flight for c in clients), 30, "a turn in flight")
            serve.send_signal(sig)
            started = time.monotonic()
            await loop.run_in_executor(None, serve.wait, TIMEOUT_STOP_S + 10)
            return time.monotonic() - started

        try:
            await more_answers(3, "the first answers")
            took = await mid_turn(signal.SIGTERM)
            assert serve.returncode == 0, (home / "serve.out").read_text()[-2000:]
            assert took < TIMEOUT_STOP_S, f"stopping took {took:.1f} s"
            assert_answered_turns_recorded(home, clients)

            serve = await loop.run_in_executor(None, start_serve, home, port)
            await more_answers(3, "answers after the restart")  # the clients reconnected
            await mid_turn(signal.SIGKILL)
            assert serve.returncode == -signal.SIGKILL
            assert_answered_turns_recorded(home, clients)

            serve = await loop.run_in_executor(None, start_serve, home, port)
            await more_answers(3, "answers after the kill")
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 60)
            await mid_turn(signal.SIGTERM, busy=False)
            assert serve.returncode == 0
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            if serve.poll() is None:
                serve.kill()
                serve.wait()

    asyncio.run(scenario())
    assert_answered_turns_recorded(home, clients)
    assert all(c.failures > 0 for c in clients), "the restarts were not under load"
    assert check_consistent(home) >= sum(len(c.answered) for c in clients)
