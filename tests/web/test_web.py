"""The household web page over real HTTP: uvicorn on a free loopback port, the real pipeline,
dialogue and SQLite store, with the fast tier's fake NLU and tea skill (no artifacts)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from assistant.pipeline.runner import Pipeline
from assistant.playback.player import PlayableTrack
from assistant.web.security import PasswordRequiredError, hash_password
from assistant.web.server import WebServer
from tests.web.conftest import Client, Served, fake_pipeline_in, serve

pytestmark = pytest.mark.timeout(60)
CORE_TABLES = ("users", "sessions", "turns", "offers", "feedback", "preferences", "voiceprints")


def test_now_shows_the_player_and_turns_as_text_never_markup(web: Served) -> None:
    web.player.track = PlayableTrack("t1", "<script>alert(1)</script>", "/x.mp3", subtitle="Band & Co")
    client = web.client()
    client.post("/talk", {"text": "suggest a tea", "person": "alice"})
    status, text, headers = client.get("/now")
    assert status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert "Band &amp; Co" in text and "0:42" in text
    assert "suggest a tea" in text and "a green tea" in text  # the turn and the pick's reason
    assert headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_player_buttons_steer_the_player(web: Served) -> None:
    web.player.track = PlayableTrack("t1", "Blue in Green", "/x.mp3")
    client = web.client()
    for action in ("pause", "resume", "next", "previous"):
        assert client.post("/player", {"action": action})[0] == 200  # 303 to /now, followed
    client.post("/player", {"action": "volume", "level": "7"})
    assert web.player.calls == ["pause", "resume", "next", "previous", "volume 0.7"]


def test_talk_is_a_turn_recorded_like_any_other(web: Served) -> None:
    client = web.client()
    status, text, _ = client.post("/talk", {"text": "suggest a tea", "person": "Alice"})
    assert status == 200 and ("How about" in text or "Try" in text)
    client.post("/talk", {"quick": "like", "person": "alice"})
    client.post("/talk", {"quick": "why", "person": "alice"})
    turns = web.run(lambda p: p.store.turns(user="alice"))
    assert [t["text"] for t in turns] == ["suggest a tea", "I like this one", "why did you pick that?"]
    sessions = web.run(lambda p: p.store.recent_sessions())
    assert {s["mode"] for s in sessions} == {"web"}
    assert web.run(lambda p: [f["kind"] for f in p.store.feedback("alice")]) == ["like"]
    _, people, _ = client.get("/people")
    assert "alice" in people and "likes" in people and "Sencha" in people


def test_every_post_without_the_csrf_token_is_refused(web: Served) -> None:
    client = web.client()
    posts = sorted(
        {r.path for r in web.server.web.app.routes if "POST" in (getattr(r, "methods", None) or ())}
    )
    assert "/people/forget" in posts and "/talk" in posts
    for path in posts:
        assert client.post(path, {"text": "suggest a tea", "person": "alice"}, csrf=False)[0] == 403, path
        wrong = {"text": "suggest a tea", "person": "alice", "csrf": "0" * 64}
        assert client.request(path, wrong)[0] == 403, path
    other = web.client()  # another browser's token is not this one's
    assert client.post("/talk", {"text": "hi", "csrf": other.csrf}, csrf=False)[0] == 403
    assert web.run(lambda p: p.store.turns()) == []


def test_a_foreign_host_name_is_refused_on_loopback(web: Served) -> None:
    status, _, _ = web.client().request("/now", headers={"Host": "evil.example:8700"})
    assert status == 400


def test_removing_one_like_and_only_ones_own(web: Served) -> None:
    client = web.client()
    client.post("/talk", {"text": "I love sencha tea", "person": "alice"})
    [like] = web.run(lambda p: p.store.feedback("alice"))
    client.post("/people/remove", {"person": "bob", "feedback": str(like["id"])})
    assert len(web.run(lambda p: p.store.feedback("alice"))) == 1
    client.post("/people/remove", {"person": "alice", "feedback": str(like["id"])})
    assert web.run(lambda p: p.store.feedback("alice")) == []


def test_export_is_what_assistant_export_writes(web: Served) -> None:
    from assistant.app import export_user_data

    client = web.client()
    client.post("/talk", {"text": "suggest a tea", "person": "alice"})
    body = urllib.parse.urlencode({"person": "alice", "csrf": client.csrf}).encode()
    response = client.opener.open(urllib.request.Request(web.server.url + "/people/export", body), timeout=10)
    assert "attachment" in response.headers["Content-Disposition"]
    exported = json.loads(response.read())
    expected = web.run(lambda p: export_user_data(p.data_dir, p.store, "alice"))
    assert exported == json.loads(json.dumps(expected, default=str))
    assert exported["turns"][0]["text"] == "suggest a tea" and exported["files"]


def _script(pipeline: Pipeline) -> None:
    """Alice and Bob each teach the assistant something; Alice has a voiceprint and a home city."""
    for user in ("alice", "bob"):
        session = pipeline.start_session(user, seed=1)
        for text in ("suggest a tea", "I love sencha tea", "skip"):
            pipeline.run_turn(session, text=text)
        pipeline.end_session(session)
    pipeline.store.set_preference("alice", "home_city", "Seattle")
    pipeline.store.save_voiceprint("alice", b"\0" * 16, 3, "test")


def _rows(home: Path) -> dict[str, set[tuple]]:
    with sqlite3.connect(home / "history.db") as conn:
        return {t: set(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in CORE_TABLES}


def _deleted(before: dict[str, set[tuple]], after: dict[str, set[tuple]], home: Path) -> dict[str, Counter]:
    """Per table, whose rows went (the user is the row's first text column that names one)."""
    names = {"alice", "bob"}
    return {
        t: Counter(next(v for v in row if v in names) for row in before[t] - after[t]) for t in CORE_TABLES
    }


def test_forget_deletes_what_voice_forget_me_deletes(web: Served, tmp_path: Path) -> None:
    # by voice: Alice says "forget me" and confirms, in a pipeline of its own with the same history
    voice_home = tmp_path / "voice"
    voice = fake_pipeline_in(voice_home)
    _script(voice)
    before, files_before = _rows(voice_home), set(voice_home.rglob("*.jsonl"))
    session = voice.start_session("alice")
    voice.run_turn(session, text="forget me")
    assert voice.run_turn(session, text="yes").response.startswith("Done.")
    voice.end_session(session)
    by_voice = _deleted(before, _rows(voice_home), voice_home)
    files_by_voice = {p.relative_to(voice_home) for p in files_before - set(voice_home.rglob("*.jsonl"))}
    voice.store.close()

    # on the page: the same history, then "Forget alice" confirmed by typing the name
    web.run(_script)
    before, files_before = _rows(web.home), set(web.home.rglob("*.jsonl"))
    client = web.client()
    status, text, _ = client.post("/people/forget", {"person": "alice", "confirm": "bob"})
    assert status == 400 and _rows(web.home) == before  # a wrong confirmation deletes nothing
    status, text, _ = client.post("/people/forget", {"person": "alice", "confirm": "Alice"})
    assert status == 200 and "Forgot alice" in text
    by_page = _deleted(before, _rows(web.home), web.home)
    files_by_page = {p.relative_to(web.home) for p in files_before - set(web.home.rglob("*.jsonl"))}

    assert by_page == by_voice
    assert all(set(c) <= {"alice"} for c in by_page.values()) and by_page["feedback"]["alice"] >= 2
    assert by_page["voiceprints"]["alice"] == 1 and by_page["preferences"]["alice"] == 1
    assert len(files_by_page) == len(files_by_voice) == 1 and files_by_page.pop().parts[:2] == (
        "sessions",
        "alice",
    )
    assert "alice" not in web.run(lambda p: [r[0] for r in p.store.db.execute("SELECT name FROM users")])


def test_a_network_bind_without_a_password_refuses_to_start(web: Served, capsys) -> None:
    with pytest.raises(PasswordRequiredError, match="--set-password"):
        WebServer(web.household, "0.0.0.0", 0, None)
    from assistant.cli import main

    assert main(["web", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "household password" in capsys.readouterr().err


def test_login_over_a_network_bind(assistant_home: Path) -> None:
    password = "correct horse battery"
    for served in serve(
        lambda: fake_pipeline_in(assistant_home), assistant_home, "0.0.0.0", hash_password(password)
    ):
        client = Client(served.server.url.replace("0.0.0.0", "127.0.0.1"))
        status, text, _ = client.get("/now")
        assert status == 200 and "Household password" in text  # redirected to the login page
        assert client.post("/talk", {"text": "suggest a tea"})[0] == 403
        assert client.post("/login", {"password": password}, csrf=False)[0] == 403  # no token
        assert client.post("/login", {"password": "wrong"})[0] == 403
        assert client.post("/login", {"password": password})[1].count("Nothing said yet") == 1
        assert "Log out" in client.get("/now")[1]

        attacker = Client(client.url)
        attacker.get("/login")
        for _ in range(4):  # one failure from this address already counted above: five in all
            assert attacker.post("/login", {"password": "guess"})[0] == 403
        status, text, _ = attacker.post("/login", {"password": password})
        assert status == 429 and "Too many" in text  # even the right password, for now


def test_settings_are_written_back_keeping_comments_and_unknown_keys(web: Served) -> None:
    from assistant.config import load_settings

    config = web.home / "config.toml"
    config.write_text(
        '# my speaker\n[wake]\nword = "alexa"  # the kids chose it\n\n'
        '[skills.music]\nlibrary = ["~/Music"]  # the NAS too, some day\n',
        encoding="utf-8",
    )
    client = web.client()
    form = {
        "default_user": "Alice",
        "wake_word": "hey_jarvis",
        "speak": "on",
        "network": "on",
        "skill.weather.live": "false",
        "skill.music.stream": "auto",
        "skill.news.feeds": "https://example.org/a.xml\nhttps://example.org/b.xml",
    }
    status, text, _ = client.post("/settings", form)
    assert status == 200 and "Saved" in text
    written = config.read_text(encoding="utf-8")
    assert "# my speaker" in written and "# the kids chose it" in written and "# the NAS too" in written
    settings = load_settings(config)
    assert settings.warnings == []
    assert (settings.wake_word, settings.default_user, settings.speaker_id) == ("hey_jarvis", "alice", False)
    assert settings.skill_settings("weather")["live"] is False
    assert settings.skill_settings("news")["feeds"] == [
        "https://example.org/a.xml",
        "https://example.org/b.xml",
    ]
    assert settings.skill_settings("music")["library"] == ["~/Music"]

    assert "stream" not in written and "[network]" not in written  # unchanged values are not copied in
    status, text, _ = client.post("/settings", {**form, "skill.weather.live": "sometimes"})
    assert status == 400 and "Not saved" in text and config.read_text(encoding="utf-8") == written

    client.post("/settings/home-city", {"person": "alice", "city": "Seattle"})
    assert web.run(lambda p: p.store.preferences("alice")) == {"home_city": "Seattle"}


def test_the_event_stream_says_when_a_turn_changed_something(web: Served) -> None:
    client = web.client()
    stream = client.opener.open(web.server.url + "/events", timeout=10)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert stream.readline() == b"retry: 2000\n"
    time.sleep(1.2)  # the watcher's first look, before the turn
    changed = threading.Event()

    def read() -> None:
        for line in stream:
            if line.startswith(b"event: change"):
                changed.set()
                return

    threading.Thread(target=read, daemon=True).start()
    web.run(lambda p: p.run_turn(p.start_session("bob"), text="suggest a tea"))  # as a voice turn would
    assert changed.wait(10)
    stream.close()


def test_assistant_help_lists_the_web_command(capsys) -> None:
    from assistant.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "web" in capsys.readouterr().out
