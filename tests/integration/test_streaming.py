"""Online by default, against local servers only: ``[music] stream = "auto"`` plays the catalog's
archive.org recordings when the archive (here a local stand-in, ``archive_url``) answers, and
says why not when it does not; the news reads a local feed and names the archive when the feed
is down; with the network switched off nothing is asked and the replies stay as they were."""

from __future__ import annotations

import datetime as dt
import email.utils
import http.server
import random
import time

import numpy as np
import pytest

from assistant.playback.player import PlayableTrack
from assistant.skill_sdk.api import SkillRequest, UserProfile
from testkit.local_http import closed_port, local_server

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(180)]


class _Archive(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def archive():
    with local_server(_Archive) as base:
        yield base


class RecordingPlayer:
    """A player that starts whatever it is given (the stream itself is test_player.py's)."""

    def __init__(self) -> None:
        self.played: list[PlayableTrack] = []

    def play(self, track: PlayableTrack, next_track=None) -> None:
        self.played.append(track)

    def now_playing(self):
        return None

    def stop(self) -> bool:
        return False


def music_skill(settings: dict):
    from skills.music import load_skill

    skill = load_skill({"playback": True, **settings})
    player = RecordingPlayer()
    skill.playback._player_factory = lambda: player
    return skill, player


def jazz(skill):
    profile = UserProfile("ana", "music")
    request = SkillRequest(
        "play_music", {"genre": "jazz"}, profile, rng=random.Random(1), text="play some jazz"
    )
    return skill.handle(request)


def test_stream_auto_plays_from_the_archive_when_it_answers(archive, monkeypatch, assistant_home):
    monkeypatch.delenv("ASSISTANT_OFFLINE")
    skill, player = music_skill({"archive_url": archive})
    result = jazz(skill)  # the first offer waits for the archive's answer
    assert result.text == "Playing", result.text
    assert result.items
    [track] = player.played
    assert track.location.startswith(f"{archive}/download/"), track.location
    assert track.id == result.items[0].id


def test_stream_auto_says_why_when_the_archive_does_not_answer(monkeypatch, assistant_home):
    monkeypatch.delenv("ASSISTANT_OFFLINE")
    down = closed_port()
    skill, player = music_skill({"archive_url": down})
    result = jazz(skill)
    assert result.items and player.played == []
    assert result.text == (
        f"I can't play this one here: the archive at {down}, where it streams from, "
        "can't be reached right now, but here's"
    ), result.text


def test_offline_stream_auto_asks_nothing_and_answers_as_before(archive, assistant_home):
    skill, player = music_skill({"archive_url": archive})  # ASSISTANT_OFFLINE=1: every test's default
    result = jazz(skill)
    assert player.played == [] and not skill.playback.stream
    assert result.text in (
        "I can't play this one here (it's a free download from archive.org), but here's",
        "I can't play this one here (it's on the Free Music Archive website), but here's",
        "I have no recording of it to play, but here's",
    )


def test_default_feeds_only_while_online():
    from skills.news import DEFAULT_FEEDS, NewsSettings, effective_feeds

    unset = NewsSettings.model_validate({})
    assert effective_feeds(unset, online=True) == DEFAULT_FEEDS
    assert effective_feeds(unset, online=False) == ()  # offline: the archive, said to be one
    assert effective_feeds(NewsSettings.model_validate({"feeds": []}), online=True) == ()
    mine = NewsSettings.model_validate({"feeds": ["http://a/rss"]})
    assert effective_feeds(mine, online=False) == ("http://a/rss",)


def _rss(stories: list[tuple[str, dt.date, str]]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.org/{n}</link>"
        f"<pubDate>{email.utils.format_datetime(dt.datetime.combine(day, dt.time(9), dt.UTC))}</pubDate>"
        f"<category>{category}</category></item>"
        for n, (title, day, category) in enumerate(stories)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>{items}</channel></rss>'.encode()


def test_the_news_reads_the_local_feed_dated_and_never_names_the_archive(monkeypatch, assistant_home):
    from skills.news import load_skill

    today = dt.date.today()
    feed = _rss(
        [
            # A section each: "what's the news" reads one story from each section.
            ("Harbour bridge reopens after a year of repairs", today, "Local"),
            ("Council approves new cycle lanes", today, "Politics"),
            ("Orchestra announces free concerts in the park", today - dt.timedelta(days=1), "Arts"),
        ]
    )

    class Feeds(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(feed)))
            self.end_headers()
            self.wfile.write(feed)

        def log_message(self, *args: object) -> None:
            pass

    monkeypatch.delenv("ASSISTANT_OFFLINE")
    with local_server(Feeds) as base:
        skill = load_skill({"feeds": [f"{base}/world.rss"]})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and skill.feed_problem:
            time.sleep(0.1)
    assert skill.feed_problem == ""
    profile = UserProfile("ada", "news")
    result = skill.handle(SkillRequest("news_query", {}, profile, k=3, rng=random.Random(0)))
    assert [it.id.startswith("feed:") for it in result.items] == [True] * 3
    assert {it.meta["date"] for it in result.items} == {str(today), str(today - dt.timedelta(days=1))}
    assert result.text.startswith("These are from your news feeds, dated today and yesterday."), result.text
    assert "archive" not in result.text.lower()


def test_a_feed_that_is_down_leaves_the_archive_named_as_the_archive(monkeypatch, assistant_home):
    from skills.news import load_skill

    monkeypatch.delenv("ASSISTANT_OFFLINE")
    down = closed_port()
    skill = load_skill({"feeds": [f"{down}/world.rss"]})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not skill.feed_problem.startswith("I couldn't"):
        time.sleep(0.1)
    profile = UserProfile("ada", "news")
    result = skill.handle(SkillRequest("news_query", {}, profile, k=3, rng=random.Random(0)))
    assert result.items and not any(it.id.startswith("feed:") for it in result.items)
    assert result.text.startswith(
        "These are from the HuffPost archive (2018 to 2022): I couldn't fetch your news feeds just now."
    ), result.text
    assert down not in result.text and "Errno" not in result.text


@pytest.mark.audio
def test_a_new_users_play_some_jazz_streams_to_the_null_sink(nlu, tmp_path, monkeypatch, assistant_home):
    """The real NLU, dialogue, music skill and player: "play some jazz" from a fresh data
    directory with no library streams a real MP3 from the local archive onto the null sink, and
    the reply says "Playing" (bench/stream_latency.py times it)."""
    from urllib.parse import urlsplit

    from assistant.app import open_store
    from assistant.config import Settings
    from assistant.pipeline.runner import Pipeline
    from assistant.playback.player import current_player
    from assistant.skill_sdk.plugins import SkillRegistry
    from assistant.voice.audio import refresh_devices
    from testkit.audio_stack import VirtualAudio, missing_tools
    from testkit.music_files import write_audio

    if missing_tools():
        pytest.skip(f"missing {missing_tools()}")
    mp3 = write_audio(tmp_path / "jazz.mp3", 6.0, 440.0, rate=44100).read_bytes()
    asked: list[str] = []

    class Mirror(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked.append(self.path)
            body = mp3 if self.path.startswith("/download/") else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    monkeypatch.delenv("ASSISTANT_OFFLINE")
    assistant_home.mkdir(parents=True, exist_ok=True)
    with VirtualAudio() as sound, local_server(Mirror) as mirror:
        settings = Settings(
            skills={
                "music": {"archive_url": mirror},
                "news": {"feeds": []},
                "weather": {"live": False},  # nothing here asks the real internet
            }
        )
        refresh_devices()
        pipeline = Pipeline(
            nlu, open_store(assistant_home), assistant_home, SkillRegistry.discover(settings.skills), settings
        )
        recording = sound.record_speaker()
        try:
            for n in range(2):  # two new users
                session = pipeline.start_session(f"new-user-{n}", seed=n)
                started = time.perf_counter()
                played = pipeline.run_turn(session, text="play some jazz")
                assert played.response.startswith("Playing"), played.response
                player = current_player()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and (player.first_sample_at() or 0) < started:
                    time.sleep(0.01)
                assert (player.first_sample_at() or 0) >= started, "no sample reached the sink"
                now = player.now_playing()
                [item] = played.items[:1]
                catalog_path = urlsplit(str(item.meta["url"])).path
                assert now is not None and now.track.location == f"{mirror}{catalog_path}"
                assert catalog_path in asked
                time.sleep(0.5)
                player.stop()
                pipeline.end_session(session)
            assert np.abs(recording.stop()).max() > 0.05  # the tone itself, not silence
        finally:
            if current_player() is not None:
                current_player().stop()
            pipeline.store.close()
            refresh_devices()
