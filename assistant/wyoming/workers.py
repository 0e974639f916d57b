"""The worker threads that run the blocking, CPU-bound calls off the event loop.

Three lanes, one thread each:

- ``dialogue`` owns the ``Pipeline``: it builds it, runs every turn, opens and ends every
  session and finally closes the history store. The NLU's tokenizer, the skills and the
  store's SQLite connection are single-thread objects (sqlite3 refuses a connection from
  another thread), so this lane is what makes a ``Session`` never used by two threads at once
  and keeps one transaction per turn on one connection. A text turn takes tens of
  milliseconds, and NLU inference already uses both cores, so a second dialogue thread would
  add contention, not speed, on the two-core target;
- ``stt`` runs Whisper (which decodes one request at a time anyway), so a transcription never
  holds up a text turn;
- ``tts`` runs espeak-ng (one worker process, one request at a time).

At most ``max_queued`` jobs wait or run in all lanes together; one more is refused with
``BusyError`` at once rather than queued without bound. A submitted job always runs to the
end, even when its client goes away: a turn is recorded exactly once, never half.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)
LANES = ("dialogue", "stt", "tts")


class BusyError(Exception):
    """Too many jobs are waiting; the request is refused, not queued."""


class Workers:
    """One worker thread per lane (dialogue, stt, tts) with a shared bound on waiting jobs."""

    def __init__(self, max_queued: int) -> None:
        self._lanes = {name: ThreadPoolExecutor(1, thread_name_prefix=f"wyoming-{name}") for name in LANES}
        self._slots = threading.BoundedSemaphore(max_queued)
        self._closed = False

    def submit(self, lane: str, fn: Callable[..., T], *args: object, bounded: bool = True) -> Future[T]:
        """Queue ``fn(*args)`` on a lane; ``BusyError`` when ``max_queued`` jobs are pending.

        ``bounded=False`` is for the server's own bookkeeping (start-up, ending a session,
        shutdown), which must run even when clients have filled the queue.
        """
        if not bounded:
            return self._lanes[lane].submit(fn, *args)
        if self._closed:
            raise BusyError("the server is stopping")
        if not self._slots.acquire(blocking=False):
            raise BusyError("too many requests are waiting")
        try:
            future = self._lanes[lane].submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    async def run(self, lane: str, fn: Callable[..., T], *args: object, bounded: bool = True) -> T:
        """Run ``fn(*args)`` on a lane and wait for it. Cancelling the caller does not cancel
        the job: it finishes (and records what it records) and its result is dropped."""
        future = asyncio.wrap_future(self.submit(lane, fn, *args, bounded=bounded))
        future.add_done_callback(_retrieve)
        return await asyncio.shield(future)

    def shutdown(self) -> None:
        """Finish every queued job, then stop the threads."""
        self._closed = True
        for executor in self._lanes.values():
            executor.shutdown(wait=True)


def _retrieve(future: asyncio.Future[object]) -> None:
    """Mark a job's exception as seen: when its caller went away nobody else will."""
    if not future.cancelled() and future.exception() is not None:
        log.debug("worker job failed", exc_info=future.exception())
