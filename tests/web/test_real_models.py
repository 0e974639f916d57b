"""The page over the real NLU and skills (built model artifacts): a typed request gets the same
reply, picks and reasons as chat, and "like" lands under the person on People."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from assistant.app import open_store
from assistant.config import Settings
from assistant.pipeline.runner import Pipeline
from assistant.skill_sdk.plugins import SkillRegistry
from tests.web.conftest import serve

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(300)]


def test_play_some_jazz_on_talk_then_like_it(nlu, assistant_home: Path) -> None:
    settings = Settings()
    settings.skills = {"music": {"playback": False, "stream": False}}  # name tracks, play nothing

    def build() -> Pipeline:
        assistant_home.mkdir(parents=True, exist_ok=True)
        skills = SkillRegistry.discover(settings.skills)
        return Pipeline(nlu, open_store(assistant_home), assistant_home, skills, settings)

    for web in serve(build, assistant_home):
        client = web.client()
        status, text, _ = client.post("/talk", {"text": "play some jazz", "person": "alice"})
        assert status == 200
        [turn] = web.run(lambda p: p.store.turns(user="alice"))
        assert turn["domain"] == "music" and turn["response"]
        offers = web.run(lambda p: p.store.offers("alice"))
        assert offers and all(o["reason"] for o in offers)
        assert str(escape(offers[0]["title"])) in text  # as Jinja2 escapes it
        client.post("/talk", {"quick": "like", "person": "alice"})
        likes = [f for f in web.run(lambda p: p.store.feedback("alice")) if f["kind"] == "like"]
        assert likes and likes[0]["domain"] == "music"
        _, people, _ = client.get("/people")
        assert re.search(r"<h3>music</h3>\s*<ul class=\"taught\">\s*<li>👍 likes", people)
