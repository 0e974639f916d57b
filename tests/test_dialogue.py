"""The dialogue stage on real skills and a real store, fed the parses the NLU would give."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.app import skill_for
from assistant.dialogue import DialogueManager, DialogueState, TurnContext
from assistant.history import HistoryStore
from assistant.stages import Parse

pytestmark = pytest.mark.artifacts  # the real skills and their built catalogs
WALL = 1_795_435_200.0  # 2026-11-23 12:00 UTC: the turns' clock, so no answer depends on today


@pytest.fixture
def talk(tmp_path: Path):
    manager = DialogueManager(skill_for, HistoryStore(tmp_path / "history.db"))
    state = DialogueState(user="dana")

    def turn(intent: str, confidence: float, text: str, slots: dict[str, str] | None = None):
        ctx = TurnContext(user="dana", text=text, rng=random.Random(3), now=WALL)
        return manager.respond(Parse(intent, confidence, slots or {}, text), state, ctx)

    return turn


def years(outcome) -> set[int]:
    return {item.meta["year"] for item in outcome.items}


def test_an_unsure_request_out_of_the_blue_is_confirmed_first(talk):
    asked = talk("recommend_video", 0.31, "one from the 80s")
    assert asked.act == "confirm" and asked.expects_reply and not asked.items
    answered = talk("affirm", 0.99, "yes")
    assert answered.domain == "video" and answered.items
    assert all(1980 <= y <= 1989 for y in years(answered)), years(answered)


def test_an_unsure_request_in_the_domain_being_offered_is_not_questioned(talk):
    first = talk("recommend_video", 0.99, "suggest a comedy movie", {"movie_genre": "comedy"})
    assert first.items
    more = talk("recommend_video", 0.46, "something from the 90s")
    assert more.act != "confirm" and more.items
    assert all(1990 <= y <= 1999 for y in years(more)), years(more)
    assert {i.id for i in more.items}.isdisjoint(i.id for i in first.items)


def test_liking_a_named_film_records_that_film_not_the_one_offered(talk):
    offered = talk("recommend_video", 0.99, "suggest a movie")
    loved = talk("like", 0.98, "i love alien", {"title": "Alien"})
    assert loved.values["title"] == "Alien"
    assert [(f.domain, f.item_id, f.kind) for f in loved.feedback] == [
        ("video", loved.feedback[0].item_id, "like")
    ]
    assert loved.feedback[0].item_id not in {i.id for i in offered.items}
    unknown = talk("like", 0.98, "i love zorblatt returns", {"title": "Zorblatt Returns"})
    assert unknown.response_key == "like_unknown" and not unknown.feedback


def test_something_like_a_named_film_beats_a_fresh_like_of_another(pipeline):
    """Through the real pipeline, so the like is in the store when the next request is made."""
    session = pipeline.start_session("gail", seed=2)
    offered = pipeline.run_turn(session, text="suggest a movie").items
    pipeline.run_turn(session, text="i like that")
    assert [f["item_id"] for f in pipeline.store.feedback("gail")] == [offered[0].id]
    similar = pipeline.run_turn(session, text="something like alien").items
    assert similar and all("Alien" in item.reason for item in similar), similar
    pipeline.run_turn(session, text="i love alien")
    liked = {f["item_id"] for f in pipeline.store.feedback("gail") if f["kind"] == "like"}
    assert len(liked) == 2 and offered[0].id in liked


def test_a_note_about_an_unknown_artist_is_said_once_not_on_every_skip(talk):
    first = talk("play_music", 0.99, "play songs by the zorblatt quintet", {"artist": "zorblatt quintet"})
    assert first.skill_text.startswith("I don't have anything by zorblatt quintet"), first.skill_text
    skipped = talk("skip", 0.99, "skip")
    assert skipped.items and skipped.items[0].id != first.items[0].id
    assert "zorblatt" not in skipped.skill_text


def test_liking_a_named_song_records_that_song_not_the_one_offered(talk):
    offered = talk("play_music", 0.99, "play some jazz", {"genre": "jazz"})
    loved = talk("like", 0.98, "i like candle in the wind", {"song": "candle in the wind"})
    assert loved.values["title"].startswith("Candle In The Wind")
    assert loved.domain == "music" and [f.kind for f in loved.feedback] == ["like"]
    assert loved.feedback[0].item_id not in {i.id for i in offered.items}
    unknown = talk("like", 0.98, "i like the zorblatt anthem", {"song": "the zorblatt anthem"})
    assert unknown.response_key == "like_unknown_song" and not unknown.feedback
    # The offered song named by its own title is that song.
    same = talk("like", 0.98, f"i like {offered.items[0].title}", {"song": offered.items[0].title.lower()})
    assert [f.item_id for f in same.feedback] == [offered.items[0].id]


def test_asking_who_sings_a_named_song_answers_about_that_song(talk):
    talk("play_music", 0.99, "play some jazz", {"genre": "jazz"})
    named = talk("music_query", 0.97, "who sings shape of you", {"song": "Shape Of You"})
    assert named.response_key == "music_query_named"
    assert (named.values["item"].title, named.values["item"].subtitle) == ("Shape Of You", "Ed Sheeran")
    unknown = talk("music_query", 0.97, "who sings the zorblatt anthem", {"song": "the zorblatt anthem"})
    assert unknown.response_key == "music_query_unknown" and unknown.values["title"] == "the zorblatt anthem"
    playing = talk("music_query", 0.97, "who sings this song")
    assert playing.response_key == "music_query"


def test_a_chart_song_asked_by_name_plays_once_then_steers(pipeline):
    """The real NLU finds the title in the catalog even though the tagger has not learned it."""
    session = pipeline.start_session("hana", seed=4)
    asked = pipeline.run_turn(session, text="play shape of you")
    assert [(i.title, i.subtitle) for i in asked.items] == [("Shape Of You", "Ed Sheeran")]
    again = pipeline.run_turn(session, text="another one")
    assert again.items and again.items[0].id != asked.items[0].id
    who = pipeline.run_turn(session, text="who sings thinking out loud")
    assert "Thinking Out Loud by Ed Sheeran" in who.response, who.response


def test_a_note_about_an_unknown_film_or_genre_is_said_once_not_on_every_skip(talk):
    first = talk(
        "recommend_video",
        0.99,
        "a zorbleflix film",
        {"movie_genre": "zorbleflix", "title": "zorblatt returns"},
    )
    assert "I don't know the genre 'zorbleflix'" in first.skill_text, first.skill_text
    assert "I don't know a film called zorblatt returns" in first.skill_text
    skipped = talk("skip", 0.99, "skip")
    assert skipped.items and skipped.items[0].id != first.items[0].id
    assert "zorble" not in skipped.skill_text and "zorblatt" not in skipped.skill_text
