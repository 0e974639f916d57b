"""News feeds over a real HTTP stack: recorded RSS and Atom served from 127.0.0.1, stored in the
history database with their dates, deduplicated, embedded once; broken feeds reported, nothing
stored lost; the archive named as an archive."""

from __future__ import annotations

import hashlib
import http.server
import time
from pathlib import Path

import numpy as np
import pytest

from skills.news.feeds import TABLE, embed_new, feed_db, refresh, stored_stories
from testkit.local_http import local_server

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "feeds"
pytestmark = pytest.mark.timeout(60)


class _Feeds(http.server.BaseHTTPRequestHandler):
    """/world.rss and /tech.atom as recorded; /page.html as a web page; /broken answers 500;
    /silent accepts and never answers within the client's timeout."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        name = self.path.strip("/")
        if name == "broken":
            self.send_error(500, "Internal Server Error")
            return
        if name == "silent":
            time.sleep(3)
            return
        if not (FIXTURES / name).is_file():
            self.send_error(404, "Not Found")
            return
        kinds = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".html": "text/html"}
        body = (FIXTURES / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", kinds[Path(name).suffix] + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    with local_server(_Feeds) as base:
        yield base


def hashed_encode(texts: list[str]) -> np.ndarray:
    """A stand-in encoder for the fast tier: a unit vector per text, the same for the same text."""
    rows = [np.frombuffer(hashlib.sha256(t.encode()).digest() * 48, dtype=np.uint8)[:384] for t in texts]
    matrix = np.array(rows, dtype=np.float32) - 127.5
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_rss_and_atom_are_stored_with_dates_and_deduplicated(server, tmp_path):
    db = feed_db(tmp_path / "history.db")
    report = refresh([f"{server}/world.rss", f"{server}/tech.atom"], db, encode=hashed_encode, timeout=2)
    assert report.problems == () and report.seen == 7
    assert report.stored == 6  # the comet story came from both feeds: stored once
    stories, vectors = stored_stories(db)
    assert vectors.shape == (6, 384)
    by_title = {s.headline: s for s in stories}
    flood = by_title["Flood defences hold as river peaks in the valley towns"]
    assert flood.date == "2025-11-21" and flood.category == "WORLD" and flood.authors == "Mara Lind"
    assert flood.description == "Engineers said the new barriers kept three towns dry overnight."
    assert flood.id.startswith("feed:") and flood.link.endswith("flood-defences-hold")
    wifi = by_title["City rolls out free public wifi on buses"]
    assert wifi.date == "2025-11-18" and wifi.category == "EXAMPLE TECH FEED"  # no tag: the feed's name
    # A second fetch stores nothing new and embeds nothing again.
    again = refresh([f"{server}/world.rss", f"{server}/tech.atom"], db, encode=hashed_encode, timeout=2)
    assert again.stored == 0 and embed_new(db, hashed_encode) == 0


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("page.html", "sent a web page, not an RSS or Atom feed"),
        ("broken", "answered with an error (500)"),
        ("silent", "did not answer within 1 s"),
        ("missing.rss", "answered with an error (404)"),
    ],
)
def test_a_bad_feed_is_reported_and_nothing_stored_is_lost(server, tmp_path, path, said):
    db = feed_db(tmp_path / "history.db")
    refresh([f"{server}/world.rss"], db, encode=hashed_encode, timeout=2)
    before = db.query(f"SELECT id, vector FROM {TABLE} ORDER BY id")
    started = time.monotonic()
    report = refresh([f"{server}/{path}", f"{server}/tech.atom"], db, encode=hashed_encode, timeout=1)
    assert time.monotonic() - started < 10
    assert len(report.problems) == 1 and said in report.problems[0] and path in report.problems[0]
    after = dict(db.query(f"SELECT id, vector FROM {TABLE}"))
    assert all(after[i] == v for i, v in before)  # the other feed still came in, nothing lost
    assert report.stored == 2


def test_an_unreachable_feed_is_named(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = refresh([f"http://127.0.0.1:{port}/feed.rss"], feed_db(tmp_path / "h.db"), encode=hashed_encode)
    assert report.problems and "could not be reached" in report.problems[0]


@pytest.mark.artifacts
def test_the_news_skill_serves_feed_stories_and_names_the_archive(server, assistant_home, monkeypatch):
    """The real skill and encoder: feeds fetched (no ASSISTANT_OFFLINE), stories recommended and
    found by topic and said with their days; with no feeds the archive is named with its years."""
    import random

    from assistant.skill_sdk.api import SkillRequest, UserProfile
    from skills.news import load_skill

    archive_only = load_skill({})
    profile = UserProfile("ada", "news")
    result = archive_only.handle(SkillRequest("news_query", {}, profile, k=3, rng=random.Random(0)))
    assert result.text.startswith("These are from the HuffPost archive (2018 to 2022), not today's news")

    monkeypatch.delenv("ASSISTANT_OFFLINE")
    skill = load_skill({"feeds": [f"{server}/world.rss", f"{server}/broken"]})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(skill.recommender.index) == len(skill.archive):
        time.sleep(0.1)
    latest = skill.handle(SkillRequest("news_query", {}, profile, k=3, rng=random.Random(0)))
    assert all(it.id.startswith("feed:") for it in latest.items)
    # Said with their days, the archive not named (the recorded feed's stories are from 2025).
    assert latest.text.startswith("These are from your news feeds, dated "), latest.text
    assert "archive" not in latest.text.lower()
    topic = skill.handle(SkillRequest("news_query", {"topic": "climate"}, profile, k=3, rng=random.Random(0)))
    assert "Climate talks agree on a fund for coastal cities" in [it.title for it in topic.items]


def test_feed_stories_are_said_with_their_days():
    import datetime as dt

    from assistant.skill_sdk.api import Item
    from skills.news import feed_note

    today = dt.date(2026, 12, 7)

    def items(*days: str) -> list[Item]:
        return [Item(f"feed:{n}", "t", "news", "", meta={"date": d}) for n, d in enumerate(days)]

    assert feed_note(items("2026-12-07"), today) == "These are from your news feeds, dated today."
    assert (
        feed_note(items("2026-12-06", "2026-12-07", "2026-12-07"), today)
        == "These are from your news feeds, dated today and yesterday."
    )
    assert (
        feed_note(items("2026-12-01", "2026-12-06", "2025-11-30"), today)
        == "These are from your news feeds, dated 30 November 2025 to yesterday."
    )
