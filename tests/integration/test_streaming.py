"""Online by default, against local servers only: ``[music] stream = "auto"`` plays the catalog's
archive.org recordings when the archive (here a local stand-in, ``archive_url``) answers, and
says why not when it does not; the news reads a local feed and names the archive when the feed
is down; with the network switched off nothing is asked and the replies stay as they were."""

from __future__ import annotations

import http.server
import random
import time

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
        f"These are from the HuffPost archive (2018 to 2022): I couldn't fetch your news feeds ({down}/world.rss "
        "could not be reached"
    ), result.text
