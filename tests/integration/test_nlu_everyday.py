"""Issue 14's table, through the real pipeline (trained NLU, real skills, real store): requests
as people say them, follow-ups that refine an offer, out-of-scope requests, bad input."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.artifacts
WALL = 1_795_435_200.0  # 2026-11-23 12:00 UTC: the turns' clock, so no answer depends on today


def say(pipeline, *texts: str, user: str = "nora"):
    session = pipeline.start_session(user, seed=5)
    return [pipeline.run_turn(session, text=t, wall_time=WALL + 10 * i) for i, t in enumerate(texts)]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("text", "mood", "reason_start"),
    [
        ("put on something i can dance to", "party", "something to dance to"),
        ("i'm in a bad mood, play something happy", "happy", "something happy and uplifting"),
    ],
)
def test_a_mood_is_understood_and_said_back(pipeline, text: str, mood: str, reason_start: str) -> None:
    (turn,) = say(pipeline, text)
    assert turn.intent == "play_music" and turn.parse.slots.get("mood") == mood, turn.parse
    assert turn.items and turn.items[0].reason.startswith(reason_start), turn.items[0].reason


@pytest.mark.timeout(120)
def test_why_a_mood_was_chosen_reads_as_a_sentence(pipeline) -> None:
    offer, why = say(pipeline, "i'm in a bad mood, play something happy", "why?")
    assert offer.items[0].title in why.response
    assert "because it's something happy and uplifting" in why.response, why.response


@pytest.mark.timeout(120)
def test_too_busy_after_jazz_is_a_calmer_request_in_music(pipeline) -> None:
    _, calmer = say(pipeline, "play some jazz", "too busy, something more chilled")
    assert calmer.intent == "play_music" and calmer.parse.slots.get("mood") == "calm", calmer.parse
    assert calmer.items and calmer.items[0].domain == "music"
    assert "calm" in calmer.items[0].reason


@pytest.mark.timeout(120)
def test_a_decade_after_rock_stays_in_music(pipeline) -> None:
    _, eighties = say(pipeline, "play some rock", "something from the eighties")
    assert eighties.intent == "play_music" and eighties.items and eighties.items[0].domain == "music"


@pytest.mark.timeout(120)
def test_a_named_song_is_played_however_it_is_asked_for(pipeline) -> None:
    (turn,) = say(pipeline, "i wanna hear blinding lights")
    assert turn.items and (turn.items[0].title, turn.items[0].subtitle) == ("Blinding Lights", "The Weeknd")


@pytest.mark.timeout(120)
def test_news_on_a_topic_and_good_news(pipeline) -> None:
    science, good = say(pipeline, "what's new in science", "cheer me up with some good news")
    assert science.intent == "news_query" and science.parse.slots.get("topic", "").startswith("scien")
    assert good.intent == "news_query" and good.items
    assert all(item.reason.startswith("good news") for item in good.items)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("text", ["tell me something good in the news", "any positive news today"])
def test_good_news_asked_for_in_other_words_is_good_news(pipeline, text: str) -> None:
    (good,) = say(pipeline, text)
    assert good.intent == "news_query" and good.items, good.response
    assert all(item.reason.startswith("good news") for item in good.items), [i.reason for i in good.items]


@pytest.mark.timeout(120)
def test_more_about_that_after_economy_news_is_more_economy_news(pipeline) -> None:
    first, more = say(pipeline, "news about the economy", "more about that")
    assert more.intent == "news_query" and more.items
    assert not {i.id for i in more.items} & {i.id for i in first.items}
    assert not pipeline.store.feedback("nora")  # no like was recorded


@pytest.mark.timeout(120)
@pytest.mark.parametrize("text", ["rate this book five stars", "book a table for two at eight"])
def test_bookings_and_ratings_stay_out_of_scope(pipeline, text: str) -> None:
    (turn,) = say(pipeline, text)
    assert turn.intent == "out_of_scope" and not turn.items, (turn.parse, turn.response)
    assert not pipeline.store.feedback("nora")


@pytest.mark.timeout(120)
def test_turn_it_down_is_volume_not_a_mood(pipeline) -> None:
    _, down = say(pipeline, "play some rock", "turn it down")
    assert down.intent == "volume_down" and not down.items


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "text",
    ["play the song glorbish flummox", "🎵🎶🎵", "x" * 100_000, "joue une chanson triste bitte"],
)
def test_bad_input_never_presents_a_wrong_item_as_the_one_asked_for(pipeline, text: str) -> None:
    (turn,) = say(pipeline, text)
    assert turn.error is None and turn.response
    for item in turn.items:
        assert item.reason != "the song you asked for, by " + item.subtitle, item
    if "glorbish" in text:
        assert "I don't have the song glorbish flummox" in turn.response, turn.response
