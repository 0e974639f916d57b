"""The Library, Insights and cover-art routes over real HTTP, with the fast tier's fake pipeline:
the music skill's own library (its real scanner, through ``SkillSpec.library``) on real tagged
files, a library whose scan the test holds open to see its progress, the history store's counts
per day, and pictures embedded in real FLAC and WAV tags."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.playback.player import PlayableTrack
from assistant.skill_sdk.library import (
    FileLibrary,
    LibraryOverview,
    LibraryProblem,
    LibraryScanResult,
    Progress,
)
from testkit.music_files import make_track
from tests.web.conftest import Served, fake_pipeline_in, serve

pytestmark = pytest.mark.timeout(60)
# A 1x1 PNG: what a tagger embeds, only smaller.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class HeldLibrary:
    """A library whose scan reports progress, then waits until the test lets it finish."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def overview(self) -> LibraryOverview:
        return LibraryOverview("Held library", (), 0, ())

    def scan(self, progress: Progress) -> LibraryScanResult:
        progress(3, 10, "reading <b>three</b>.flac")
        self.reached.set()
        self.release.wait(20)
        progress(10, 10, "storing")
        return LibraryScanResult(10, 10, 0, 0, 0.5, (LibraryProblem("/x/<b>bad</b>.mp3", "no tags <i>"),))


@pytest.fixture
def music_folder(tmp_path: Path) -> Path:
    root = tmp_path / "Music"
    make_track(root / "good.flac", 0.3, title="<script>alert(1)</script>", artist="Band & Co")
    (root / "empty.mp3").write_bytes(b"")
    (root / "<i>corrupt.flac").write_bytes(b"fLaC" + b"\x00garbage" * 50)
    return root


@pytest.fixture
def shelved(assistant_home: Path, music_folder: Path) -> Iterator[tuple[Served, HeldLibrary]]:
    from skills.music import SPEC as MUSIC

    held = HeldLibrary()
    assert MUSIC.library is not None
    music = MUSIC.library({"library": [str(music_folder), str(music_folder.parent / "gone")]})
    assert isinstance(music, FileLibrary)

    def libraries() -> list[tuple[str, FileLibrary]]:
        return [("music", music), ("held", held)]

    yield from (
        (served, held)
        for served in serve(lambda: fake_pipeline_in(assistant_home), assistant_home, libraries=libraries)
    )
    held.release.set()


def _wait_for(client, path: str, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get(path)[1]
        if text in page:
            return page
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on {path}")


def test_library_scans_with_progress_and_lists_problem_files_as_text(shelved) -> None:
    web, held = shelved
    client = web.client()
    status, page, _ = client.get("/library")
    assert status == 200 and "Music library" in page and "Held library" in page
    assert 'gone</code> — <span class="bad">not found' in page
    assert "0 files ready" in page and "hx-trigger" not in page  # nothing scanned, nothing polled

    assert client.post("/library/scan", {"library": "music"})[0] == 200
    page = _wait_for(client, "/library/panel", "Scanned 3 files")
    assert "1 file ready, 2 that cannot be used" in page
    assert "empty.mp3</code></td><td>empty file (zero bytes)" in page
    assert "&lt;i&gt;corrupt.flac" in page and "<i>corrupt" not in page  # a name is text
    assert "hx-trigger" not in page  # done: the panel stops asking for itself

    # a running scan: its progress and a panel that asks again; a second press starts nothing
    client.post("/library/scan", {"library": "held"})
    assert held.reached.wait(10)
    status, panel, _ = client.get("/library/panel")
    assert 'hx-trigger="every 1s"' in panel and 'max="10" value="3"' in panel
    assert "reading &lt;b&gt;three&lt;/b&gt;.flac" in panel
    assert not web.household.shelves.start("held") and not web.household.shelves.start("nobody")
    held.release.set()
    page = _wait_for(client, "/library/panel", "Scanned 10 files")
    assert "/x/&lt;b&gt;bad&lt;/b&gt;.mp3" in page and "no tags &lt;i&gt;" in page


def test_library_scan_is_a_post_with_the_token(shelved) -> None:
    web, held = shelved
    client = web.client()
    assert client.post("/library/scan", {"library": "held"}, csrf=False)[0] == 403
    assert client.request("/library/scan", {"library": "held", "csrf": "0" * 64})[0] == 403
    assert client.request("/library/scan")[0] in (404, 405)  # a GET scans nothing
    time.sleep(0.2)
    assert web.household.shelves.state("held") is None and not held.reached.is_set()


class FinishingLibrary:
    """A library whose overview, once armed, lets ``held``'s scan end and waits until it has:
    the scan ends while the page is being made, after ``held``'s row was read."""

    def __init__(self, held: HeldLibrary, shelves) -> None:
        self.held, self.shelves, self.armed = held, shelves, False

    def overview(self) -> LibraryOverview:
        if self.armed:
            self.held.release.set()
            deadline = time.monotonic() + 10
            while self.shelves.state("held").running and time.monotonic() < deadline:
                time.sleep(0.01)
        return LibraryOverview("Finishing library", (), 0, ())

    def scan(self, progress: Progress) -> LibraryScanResult:
        return LibraryScanResult(0, 0, 0, 0, 0.0, ())


def test_a_panel_showing_a_running_scan_asks_for_itself_again(assistant_home: Path) -> None:
    """A scan that ended while the panel was being made: the panel still shows it running (its
    row was read first), so it must keep asking, or the page would show "Scanning" for ever."""
    held, found = HeldLibrary(), []
    for web in serve(lambda: fake_pipeline_in(assistant_home), assistant_home, libraries=lambda: found):
        finishing = FinishingLibrary(held, web.household.shelves)
        found.extend([("held", held), ("finishing", finishing)])
        client = web.client()
        client.post("/library/scan", {"library": "held"})
        assert held.reached.wait(10)
        finishing.armed = True
        panel = client.get("/library/panel")[1]
        assert "Scanning:" in panel and 'hx-trigger="every 1s"' in panel
        finishing.armed = False
        page = _wait_for(client, "/library/panel", "Scanned 10 files")
        assert "hx-trigger" not in page


def test_the_default_libraries_are_those_the_skills_declare(assistant_home: Path, music_folder) -> None:
    from assistant.app import open_store
    from assistant.config import Settings
    from assistant.pipeline.runner import Pipeline
    from assistant.skill_sdk.plugins import SkillRegistry
    from assistant.web.household import Household
    from skills.music import SPEC as MUSIC
    from tests.support.fakes import SPEC as TEA

    assistant_home.mkdir(parents=True)
    settings = Settings.model_validate({"skills": {"music": {"library": [str(music_folder)]}}})
    pipeline = Pipeline(
        None, open_store(assistant_home), assistant_home, SkillRegistry([TEA, MUSIC]), settings
    )
    try:
        household = Household(lambda: pipeline, lambda fn: None, assistant_home)  # type: ignore[arg-type,return-value]
        [(name, library)] = household.shelves.libraries()
        assert name == "music" and [f.path for f in library.overview().folders] == [str(music_folder)]
    finally:
        pipeline.store.close()


def test_insights_chart_each_person_as_svg_with_names_as_text(web: Served) -> None:
    client = web.client()
    for person in ("alice", "<b>eve</b>"):
        client.post("/talk", {"text": "suggest a tea", "person": person})
        client.post("/talk", {"text": "I love sencha tea", "person": person})
    status, page, headers = client.get("/insights")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert page.count('<svg class="chart"') == 2
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve</b>" not in page
    assert re.search(r"<title>week of \d+ \w+: 2 turns</title>", page)
    assert re.search(r"<title>week of \d+ \w+: 1 like</title>", page)
    assert "<script" not in page.split("</head>")[1] and "style=" not in page  # no inline script or style
    status, page, _ = client.get("/insights?by=day")
    assert status == 200 and re.search(r"<title>\d+ \w+: 2 turns</title>", page)
    assert client.get("/insights?by=<script>")[0] == 200  # an unknown span is the default


def _tagged_with_picture(path: Path, picture: bytes) -> Path:
    from mutagen.flac import FLAC, Picture
    from mutagen.id3 import APIC
    from mutagen.wave import WAVE

    make_track(path, 0.3, title="Covered")
    if path.suffix == ".flac":
        audio, pic = FLAC(str(path)), Picture()
        pic.type, pic.mime, pic.data = 3, "image/png", picture
        audio.add_picture(pic)
    else:
        audio = WAVE(str(path))
        audio.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=picture))
    audio.save()
    return path


@pytest.mark.parametrize("suffix", [".flac", ".wav"])
def test_cover_art_of_the_playing_file(web: Served, tmp_path: Path, suffix: str) -> None:
    path = _tagged_with_picture(tmp_path / f"covered{suffix}", PNG)
    web.player.track = PlayableTrack("lib:abc123", "Covered", str(path))
    client = web.client()
    assert '<img class="cover" src="/art/lib%3Aabc123"' in client.get("/now")[1]
    response = client.opener.open(web.server.url + "/art/lib%3Aabc123", timeout=10)
    assert response.headers["Content-Type"] == "image/png" and response.read() == PNG
    assert client.get("/art/lib:other")[0] == 404  # only what plays, by its id


def test_no_picture_no_image_and_never_a_disguised_one(web: Served, tmp_path: Path) -> None:
    plain = make_track(tmp_path / "plain.flac", 0.3, title="Plain")
    web.player.track = PlayableTrack("t1", "Plain", str(plain))
    client = web.client()
    assert "<img" not in client.get("/now")[1] and client.get("/art/t1")[0] == 404
    disguised = _tagged_with_picture(tmp_path / "html.flac", b"<html><script>alert(1)</script></html>")
    web.player.track = PlayableTrack("t2", "Disguised", str(disguised))
    assert "<img" not in client.get("/now")[1] and client.get("/art/t2")[0] == 404
    web.player.track = PlayableTrack("t3", "Stream", "https://example.org/a.mp3")
    assert client.get("/art/t3")[0] == 404
