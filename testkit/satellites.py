"""``assistant serve`` in its own process, and satellites that talk to it as Home Assistant does.

For the restart tests (tests/integration/test_restarts.py) and the soak bench (bench/soak.py):
start the server on a loopback port, drive it with the ``wyoming`` library's own client, and
read the process's resident memory, open descriptors and threads from ``/proc``.

A ``Satellite`` sends one request per connection with the conversation in
``context.conversation_id`` and its name in ``satellite_id`` (as Home Assistant does); a
``TextClient`` keeps one connection for a whole conversation, without an id. Both retry a
refused or broken connection after a short pause (Home Assistant does) and keep what they were
answered, so a test can check every answered turn against the history.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe

from testkit.local_http import free_port  # noqa: F401  (the soak and restart tests take it from here)

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
RETRY_S = 0.2  # a refused connection is tried again this much later
# Conversations a household holds, mixed skills with follow-ups and likes.
CONVERSATIONS: list[list[str]] = [
    ["play some jazz", "another one", "i like that", "why", "thanks"],
    ["what's the news", "news about science", "something else", "why", "stop"],
    ["suggest a movie", "something like alien", "not this one", "i like that", "thanks"],
    ["what's the weather in chicago", "what about tomorrow", "play something upbeat", "another one", "why"],
    ["play some relaxing music", "i don't like that one", "another one", "i love this song", "turn it up"],
]


def start_serve(
    home: Path, port: int, timeout: float = 180.0, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """``assistant serve`` (no speech in or out) on ``port`` with data in ``home``; returns once
    it says it listens. Its standard output and error go to ``home/serve.out``."""
    home.mkdir(parents=True, exist_ok=True)
    out = (home / "serve.out").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run_assistant.py"),
            "serve",
            "--uri",
            f"tcp://{HOST}:{port}",
            "--no-asr",
            "--no-tts",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "ASSISTANT_HOME": str(home)},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"assistant serve exited with {proc.returncode}: {(home / 'serve.out').read_text()[-2000:]}"
            )
        if re.search(
            rf"listening on tcp://{HOST}:{port}\b", (home / "serve.out").read_text(errors="replace")
        ):
            return proc
        time.sleep(0.2)
    proc.kill()
    raise TimeoutError(f"assistant serve did not start in {timeout:g} s")


def write_satellites(home: Path, names: Sequence[str]) -> None:
    """A config.toml mapping each satellite to a user of its own (``<name>-user``)."""
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[satellites]"] + [f'"{n}" = "{n}-user"' for n in names]
    (home / "config.toml").write_text("\n".join(lines) + "\n")


@dataclass
class Answered:
    """One request the server answered: who, what was said, the reply, and how long it took."""

    user: str
    text: str
    reply: str
    handled: bool
    seconds: float


@dataclass
class Client:
    """What one simulated client has done so far."""

    name: str
    user: str
    answered: list[Answered] = field(default_factory=list)
    failures: int = 0  # refused or broken connections (retried)
    in_flight: bool = False


async def _reply(client: AsyncTcpClient) -> tuple[str, bool]:
    while True:
        event = await client.read_event()
        if event is None:
            raise ConnectionResetError("the server closed the connection")
        if Handled.is_type(event.type):
            return Handled.from_event(event).text or "", True
        if NotHandled.is_type(event.type):
            return NotHandled.from_event(event).text or "", False
        if event.type == "error":
            raise ConnectionResetError(f"error event: {event.data}")


async def _ask(conn: AsyncTcpClient, text: str, context: dict | None) -> tuple[str, bool]:
    await conn.write_event(Transcript(text=text, context=context).event())
    return await _reply(conn)


async def satellite(
    state: Client, stop: asyncio.Event, port: int, turns: int | None = None, offset: int = 0
) -> None:
    """Home Assistant's way: one connection per request, the conversation in its context."""
    n = 0
    while not stop.is_set() and (turns is None or n < turns):
        conversation = CONVERSATIONS[(offset + n // 5) % len(CONVERSATIONS)]
        text = conversation[n % 5]
        context = {"conversation_id": f"{state.name}-{offset}-{n // 5}", "satellite_id": state.name}
        started = time.perf_counter()
        state.in_flight = True
        try:
            async with AsyncTcpClient(HOST, port, connect_timeout=5.0, read_timeout=60.0) as conn:
                reply, handled = await _ask(conn, text, context)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            state.failures += 1
            state.in_flight = False
            await asyncio.sleep(RETRY_S)
            continue  # the same request again, as Home Assistant retries
        state.in_flight = False
        state.answered.append(Answered(state.user, text, reply, handled, time.perf_counter() - started))
        n += 1


async def text_client(state: Client, stop: asyncio.Event, port: int, turns: int | None = None) -> None:
    """A typed-text client: one connection for each five-turn conversation, no id."""
    n = 0
    while not stop.is_set() and (turns is None or n < turns):
        try:
            async with AsyncTcpClient(HOST, port, connect_timeout=5.0, read_timeout=60.0) as conn:
                for text in CONVERSATIONS[(n // 5) % len(CONVERSATIONS)][n % 5 :]:
                    if stop.is_set() or (turns is not None and n >= turns):
                        return
                    started = time.perf_counter()
                    state.in_flight = True
                    reply, handled = await _ask(conn, text, None)
                    state.in_flight = False
                    state.answered.append(
                        Answered(state.user, text, reply, handled, time.perf_counter() - started)
                    )
                    n += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            state.failures += 1
            state.in_flight = False
            await asyncio.sleep(RETRY_S)


async def describe(port: int) -> bool:
    """Whether the server answers ``describe``."""
    try:
        async with AsyncTcpClient(HOST, port, connect_timeout=2.0, read_timeout=10.0) as conn:
            await conn.write_event(Describe().event())
            return (await conn.read_event()) is not None
    except OSError:
        return False


@dataclass
class ProcessStats:
    """A process's resident memory (kB), open file descriptors and threads, from /proc."""

    rss_kb: int
    fds: int
    threads: int

    @classmethod
    def of(cls, pid: int) -> ProcessStats:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return cls(rss, len(os.listdir(f"/proc/{pid}/fd")), threads)


class Sampler:
    """Samples a process's ``ProcessStats`` every ``every_s`` in a thread of its own."""

    def __init__(self, pid: int, every_s: float = 1.0) -> None:
        self.pid, self.every_s = pid, every_s
        self.samples: list[tuple[float, ProcessStats]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.samples.append((time.monotonic(), ProcessStats.of(self.pid)))
            except (OSError, AttributeError):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
