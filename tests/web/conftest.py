"""The web page's fixtures: the page served by uvicorn on a free loopback port, over the real
pipeline, dialogue and SQLite store with the fast tier's fake NLU and skills (no artifacts), or
over the real models where a test asks for ``real_web``."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.app import open_store
from assistant.config import Settings
from assistant.pipeline.runner import Pipeline
from assistant.playback.player import NowPlaying, PlayableTrack
from assistant.web.household import Household
from assistant.web.server import WebServer
from assistant.web.shelves import Finder
from tests.support.fakes import KeywordNLU, fake_skills


@dataclass
class FakePlayer:
    """A player that plays nothing aloud: it remembers what it was asked."""

    track: PlayableTrack | None = None
    paused: bool = False
    volume: float = 0.5
    calls: list[str] = field(default_factory=list)

    def now_playing(self) -> NowPlaying | None:
        return None if self.track is None else NowPlaying(self.track, 42.0, self.paused)

    def pause(self) -> bool:
        self.calls.append("pause")
        self.paused = True
        return True

    def resume(self) -> bool:
        self.calls.append("resume")
        self.paused = False
        return True

    def stop(self) -> bool:
        self.calls.append("stop")
        self.track = None
        return True

    def next(self) -> None:
        self.calls.append("next")

    def previous(self) -> None:
        self.calls.append("previous")

    def set_volume(self, level: float) -> None:
        self.calls.append(f"volume {level}")
        self.volume = level


class Client:
    """A browser without a screen: cookies kept, redirects followed, the CSRF token read from
    the last page, real HTTP to the server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def request(self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.url + path, data=body, headers=headers or {})
        try:
            response = self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        text = response.read().decode()
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, text, response.headers

    def get(self, path: str):
        return self.request(path)

    def post(self, path: str, data: dict[str, str], csrf: bool = True):
        return self.request(path, {**data, "csrf": self.csrf} if csrf else data)


@dataclass
class Served:
    server: WebServer
    pipeline: Pipeline
    household: Household
    player: FakePlayer
    home: Path
    owner: ThreadPoolExecutor

    def run(self, fn: Callable[[Pipeline], Any]) -> Any:
        """``fn(pipeline)`` on the thread that owns the pipeline."""
        return self.owner.submit(fn, self.pipeline).result()

    def client(self) -> Client:
        client = Client(self.server.url)
        client.get("/now")
        return client


def serve(
    build: Callable[[], Pipeline],
    home: Path,
    host: str = "127.0.0.1",
    password: str | None = None,
    libraries: Finder | None = None,
) -> Iterator[Served]:
    """The page on the pipeline ``build`` makes, on the one thread that then owns it (as under
    ``assistant web``: the store's SQLite connection is used on no other)."""
    owner_pool = ThreadPoolExecutor(1)
    pipeline = owner_pool.submit(build).result()
    player = FakePlayer()
    household = Household(
        lambda: pipeline, owner_pool.submit, home, player=lambda: player, libraries=libraries
    )
    server = WebServer(household, host, 0, password)
    server.start()
    try:
        yield Served(server, pipeline, household, player, home, owner_pool)
    finally:
        server.stop()
        owner_pool.submit(household.close_sessions, pipeline).result()
        owner_pool.submit(pipeline.store.close).result()
        owner_pool.shutdown()


def fake_pipeline_in(home: Path) -> Pipeline:
    home.mkdir(parents=True, exist_ok=True)
    return Pipeline(KeywordNLU(), open_store(home), home, fake_skills(), Settings())


@pytest.fixture
def web(assistant_home: Path) -> Iterator[Served]:
    """The page over the fake pipeline (fast tier)."""
    yield from serve(lambda: fake_pipeline_in(assistant_home), assistant_home)
