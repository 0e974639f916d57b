"""The page's way to the assistant's one state: the pipeline, the player and the history store.

The pipeline's NLU, skills and SQLite connection are single-thread objects, so every call that
touches them runs on the thread that owns the pipeline (``owner``): the Wyoming server's dialogue
worker under ``assistant serve``, or a worker of the page's own under ``assistant web``. The page
never opens a second pipeline or store: what it shows and changes is what voice and chat use.

The player is thread-safe (it has its own lock) and is asked directly. ``Watcher`` notices
changes made by anyone (a voice turn, a chat turn in another process, the page itself) by polling
SQLite's ``data_version`` on a read-only connection of its own and the player's state; the
page's event stream tells browsers to refresh when its count moves.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from assistant.app import export_user_data
from assistant.pipeline.runner import Pipeline, Session
from assistant.playback.artwork import embedded_picture
from assistant.playback.player import Player, current_player
from assistant.skill_sdk.library import FileLibrary
from assistant.storage import people
from assistant.storage.connection import HISTORY_FILE
from assistant.web.shelves import Finder, Shelves

T = TypeVar("T")
Owner = Callable[[Callable[[], Any]], "Future[Any]"]  # runs a call on the pipeline's thread
log = logging.getLogger(__name__)

MAX_PENDING = 8  # the page's own calls waiting for the pipeline; one more is refused, not queued
# Room kept for typed turns above the reads' limit: with 20 clients browsing
# (bench/web_load.py) page reads alone filled the 8 places and refused about 0.5 % of
# requests, a typed turn among them; a turn is what a person waits for.
TURN_HEADROOM = 4
TALK_KEPT = 20  # turns shown on a browser's Talk page
SESSION_IDLE_S = 30 * 60.0  # a page conversation idle this long is ended (its log closed)
WATCH_EVERY_S = 0.5


class BusyError(Exception):
    """Too many of the page's requests are waiting for the pipeline."""


@dataclass
class Conversation:
    """One browser's conversation with one person on the Talk page."""

    person: str
    session: Session | None = None
    shown: list[dict[str, Any]] = field(default_factory=list)
    used: float = field(default_factory=time.monotonic)


class Household:
    """The one pipeline, player and store, reached from the page's event loop."""

    def __init__(
        self,
        pipeline: Callable[[], Pipeline],
        owner: Owner,
        home: Path,
        player: Callable[[], Player | None] = current_player,
        libraries: Finder | None = None,
    ) -> None:
        """``libraries``: the skills' libraries of the user's files (tests give their own); by
        default those the pipeline's skills declare (``SkillSpec.library``)."""
        self._pipeline, self._owner, self.home, self._player = pipeline, owner, home, player
        self.shelves = Shelves(libraries or self._skill_libraries)
        self._pending = 0
        self._lock = threading.Lock()
        self._conversations: dict[str, Conversation] = {}  # browser id -> its Talk conversation
        self.watcher = Watcher(home / HISTORY_FILE, self.player)

    # --- running on the owner thread ---------------------------------------------------------
    async def call(self, fn: Callable[..., T], *args: Any, turn: bool = False) -> T:
        """``fn(pipeline, *args)`` on the pipeline's thread; ``BusyError`` when too many wait
        (a ``turn`` may use ``TURN_HEADROOM`` places more than a read).

        Cancelling the request does not cancel the call: a turn, once started, is recorded."""
        with self._lock:
            if self._pending >= MAX_PENDING + (TURN_HEADROOM if turn else 0):
                raise BusyError("too many requests are waiting; try again shortly")
            self._pending += 1
        try:
            future = self._owner(lambda: fn(self._pipeline(), *args))
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())
        return await asyncio.shield(asyncio.wrap_future(future))

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    def player(self) -> Player | None:
        """The process's player, if anything has played yet."""
        return self._player()

    def _skill_libraries(self) -> list[tuple[str, FileLibrary]]:
        # The registry's specs and the settings are plain data, safe to read on any thread; a
        # library opens its own database connection, never the pipeline's.
        pipeline = self._pipeline()
        return [
            (spec.name, spec.library(pipeline.settings.skill_settings(spec.name)))
            for spec in pipeline.skills.specs
            if spec.library is not None
        ]

    # --- reads ------------------------------------------------------------------------------
    async def activity(self, since: float) -> dict[str, dict[str, dict[str, int]]]:
        """Per person, per local day since ``since``: turns said and feedback by kind."""

        def read(p: Pipeline) -> dict[str, dict[str, dict[str, int]]]:
            return {name: p.store.daily_activity(name, since) for name in people.people(p.store)}

        return await self.call(read)

    async def recent(self, limit: int = 5) -> list[dict[str, Any]]:
        """The last turns of anyone, with the reason for each offer."""
        return await self.call(lambda p: people.recent_turns(p.store, limit=limit))

    async def people_view(self) -> list[dict[str, Any]]:
        """Every person with what is known of them, for the People page."""
        return await self.call(_people_view)

    async def export(self, person: str) -> dict[str, Any]:
        """Everything stored about ``person``, as ``assistant export`` writes it."""
        return await self.call(lambda p: export_user_data(p.data_dir, p.store, person))

    async def default_person(self) -> str:
        return await self.call(lambda p: p.settings.default_user)

    # --- changes ----------------------------------------------------------------------------
    async def talk(self, browser: str, person: str, text: str) -> dict[str, Any]:
        """One turn said by ``person`` on this browser's Talk page, through ``Pipeline.run_turn``
        like any voice or chat turn (and recorded like one)."""
        return await self.call(self._talk, browser, person, text, turn=True)

    def _talk(self, pipeline: Pipeline, browser: str, person: str, text: str) -> dict[str, Any]:
        self._end_idle(pipeline)
        person = person.strip().lower() or pipeline.settings.default_user
        talk = self._conversations.get(browser)
        if talk is None or talk.person != person or talk.session is None:
            if talk is not None and talk.session is not None:
                pipeline.end_session(talk.session)
            talk = self._conversations[browser] = Conversation(person, shown=talk.shown if talk else [])
            talk.session = pipeline.start_session(person, mode="web")
        talk.used = time.monotonic()
        result = pipeline.run_turn(talk.session, text=text)
        shown = {
            "person": person,
            "said": result.text,
            "response": result.response,
            "items": [{"title": i.title, "reason": i.reason, "domain": i.domain} for i in result.items],
        }
        talk.person = talk.session.user  # "this is Alice" switches the conversation's person
        talk.shown = [shown, *talk.shown][:TALK_KEPT]
        return shown

    def shown(self, browser: str) -> tuple[str | None, list[dict[str, Any]]]:
        """The person and turns of this browser's Talk page (plain data: safe on any thread)."""
        talk = self._conversations.get(browser)
        return (talk.person, list(talk.shown)) if talk else (None, [])

    def _end_idle(self, pipeline: Pipeline) -> None:
        now = time.monotonic()
        for browser, talk in list(self._conversations.items()):
            if talk.session is not None and now - talk.used > SESSION_IDLE_S:
                pipeline.end_session(talk.session)
                talk.session = None
                del self._conversations[browser]

    async def forget(self, person: str) -> dict[str, int]:
        """Delete everything stored about ``person``: ``Pipeline.forget``, what voice "forget
        me" runs. The page's open conversations with them end first, so no log reopens."""
        return await self.call(self._forget, person)

    def _forget(self, pipeline: Pipeline, person: str) -> dict[str, int]:
        for browser, talk in list(self._conversations.items()):
            if talk.person == person:
                if talk.session is not None and talk.session.log is not None:
                    talk.session.log.close()
                    talk.session.log = None
                del self._conversations[browser]
        return pipeline.forget(person)

    async def remove_feedback(self, person: str, feedback_id: int) -> bool:
        return await self.call(lambda p: people.remove_feedback(p.store, person, feedback_id))

    async def remove_preference(self, person: str, key: str) -> bool:
        return await self.call(lambda p: people.remove_preference(p.store, person, key))

    async def set_preference(self, person: str, key: str, value: str) -> None:
        await self.call(lambda p: p.store.set_preference(person.strip().lower(), key, value))

    def close_sessions(self, pipeline: Pipeline) -> None:
        """End every page conversation (on the owner thread, when the server stops)."""
        for talk in self._conversations.values():
            if talk.session is not None:
                pipeline.end_session(talk.session)
        self._conversations.clear()


def _people_view(pipeline: Pipeline) -> list[dict[str, Any]]:
    store = pipeline.store
    return [
        {
            "name": name,
            "voiceprint": store.has_voiceprint(name),
            "taught": people.taught(store, name),
            "preferences": store.preferences(name),
            "recent": people.recent_turns(store, name, limit=5),
        }
        for name in people.people(store)
    ]


def player_state(player: Player | None) -> dict[str, Any] | None:
    """What the player plays, as the Now page shows it; None when nothing does."""
    if player is None:
        return None
    now = player.now_playing()
    volume = getattr(player, "volume", None)
    if now is None:
        return {"track": None, "volume": volume}
    track = now.track
    shown = {"title": track.title, "subtitle": track.subtitle, "duration_s": track.duration_s}
    return {
        "track": shown | {"id": track.id, "art": cover_art(player) is not None},
        "position_s": now.position_s,
        "paused": now.paused,
        "volume": volume,
    }


def cover_art(player: Player | None, item_id: str | None = None) -> tuple[bytes, str] | None:
    """(bytes, content type) of the picture in the playing file's tags (None: no picture, not a
    local file, or ``item_id`` is not what plays). Only the playing file's: an id is never a path,
    so the route cannot be made to read any other file."""
    now = player.now_playing() if player is not None else None
    if now is None or (item_id is not None and now.track.id != item_id):
        return None
    location = now.track.location
    if "://" in location or not location:
        return None  # a stream: nothing local to read
    return embedded_picture(location)


class Watcher:
    """A count that moves whenever the history database or the player changes."""

    def __init__(self, db_path: Path, player: Callable[[], Player | None]) -> None:
        self.db_path, self._player = db_path, player
        self.version = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="web-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _signature(self) -> tuple[Any, ...]:
        state = player_state(self._player())
        if state is None or state["track"] is None:
            return (None, state and state["volume"])
        return (state["track"]["title"], state["paused"], state["volume"])

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        last: tuple[Any, ...] | None = None
        try:
            while not self._stop.wait(WATCH_EVERY_S):
                try:
                    if conn is None and self.db_path.exists():
                        # read-only, its own: data_version moves when another connection commits
                        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
                    db = conn.execute("PRAGMA data_version").fetchone()[0] if conn is not None else None
                    now = (db, *self._signature())
                except Exception:  # a watcher must never take the page down
                    log.exception("watching for changes failed")
                    continue
                if last is not None and now != last:
                    self.version += 1
                last = now
        finally:
            if conn is not None:
                conn.close()
