"""Situations: when and in what a request is made shapes an offer that leaves room, and the reason says so."""

from __future__ import annotations

import time

import pytest

from assistant.skill_sdk.situation import Situation, part_of_day, read_situation, sky_in_words
from skills.situations import situation_mood


def local(year: int, month: int, day: int, hour: int) -> float:
    """Unix time of a local wall-clock hour: situations read the machine's local time."""
    return time.mktime((year, month, day, hour, 0, 0, 0, 0, -1))


FRIDAY_9PM = local(2025, 11, 21, 21)
SUNDAY_3PM = local(2025, 11, 23, 15)
TUESDAY_8AM = local(2025, 11, 25, 8)
TUESDAY_3PM = local(2025, 11, 25, 15)


@pytest.mark.parametrize(
    ("hour", "part"),
    [(4, "night"), (5, "morning"), (11, "morning"), (12, "afternoon"), (17, "evening"), (22, "night")],
)
def test_parts_of_the_day(hour: int, part: str) -> None:
    assert part_of_day(hour) == part


@pytest.mark.parametrize(
    ("text", "now", "described", "said"),
    [
        ("what should i watch", SUNDAY_3PM, "a Sunday afternoon", set()),
        (
            "it's a rainy sunday, what should i watch",
            TUESDAY_8AM,
            "a rainy Sunday morning",
            {"sky", "weekday"},
        ),
        ("music for a rainy afternoon", FRIDAY_9PM, "a rainy Friday afternoon", {"sky", "part_of_day"}),
        ("something for saturday night", TUESDAY_3PM, "a Saturday night", {"weekday", "part_of_day"}),
        ("tunes for a snowy weekend", TUESDAY_3PM, "a snowy weekend afternoon", {"sky", "weekday"}),
        ("play some coldplay", TUESDAY_8AM, "a Tuesday morning", set()),  # a name, not the cold
    ],
)
def test_the_words_win_over_the_clock(text: str, now: float, described: str, said: set[str]) -> None:
    situation = read_situation(text, now)
    assert situation.describe() == described
    assert situation.said == frozenset(said)


def test_a_sky_from_a_skill_is_kept_unless_the_words_say_otherwise() -> None:
    assert read_situation("play some music", SUNDAY_3PM, "sun", "today's forecast").sky == "sun"
    said = read_situation("it's pouring, play some music", SUNDAY_3PM, "sun", "today's forecast")
    assert (said.sky, said.sky_from) == ("rain", "your words")
    assert sky_in_words("a sunny sunday") == "sun" and sky_in_words("sunday") == ""


@pytest.mark.parametrize(
    ("situation", "music", "film"),
    [
        (Situation("evening", "Friday", False), "party", "party"),
        (Situation("afternoon", "Sunday", True, sky="rain"), "cosy", "cosy"),
        (Situation("morning", "Tuesday", False), "happy", ""),
        (Situation("afternoon", "Tuesday", False), "", ""),
        (Situation("afternoon", "Saturday", True, sky="sun"), "happy", ""),
    ],
)
def test_what_a_situation_suggests_per_kind_of_offer(situation: Situation, music: str, film: str) -> None:
    assert (situation_mood(situation, "music"), situation_mood(situation, "film")) == (music, film)
    assert situation_mood(None, "music") == ""


# --- through the real pipeline --------------------------------------------------------------
def ask(pipeline, *lines: str, at: float, user: str = "sam"):
    session = pipeline.start_session(user, seed=3)
    return [pipeline.run_turn(session, text=line, wall_time=at + i) for i, line in enumerate(lines)]


@pytest.mark.timeout(120)
def test_an_open_music_request_on_a_friday_evening_is_for_dancing(pipeline) -> None:
    (result,) = ask(pipeline, "play some music", at=FRIDAY_9PM)
    reason = result.items[0].reason
    assert reason.startswith("something to dance to for a Friday evening"), reason
    (named,) = ask(pipeline, "play some jazz", at=FRIDAY_9PM)
    assert "Friday" not in named.items[0].reason and "dance" not in named.items[0].reason


@pytest.mark.timeout(120)
def test_a_rainy_sunday_film_is_cosy_and_never_contradicts_it(pipeline) -> None:
    (result,) = ask(pipeline, "it's a rainy sunday, what should i watch", at=TUESDAY_3PM)
    item = result.items[0]
    assert item.reason.lower().startswith("something cosy for a rainy sunday afternoon"), item.reason
    assert not {"Horror", "War", "Thriller", "Crime", "Action"} & set(item.meta.get("genres", []))


@pytest.mark.timeout(120)
def test_a_morning_news_request_is_a_short_briefing(pipeline) -> None:
    (morning,) = ask(pipeline, "what's the news", at=TUESDAY_8AM)
    assert "morning briefing, one story from each of 3 sections" in morning.response
    assert len({item.meta["category"] for item in morning.items}) == 3
    (afternoon,) = ask(pipeline, "what's the news", at=TUESDAY_3PM)
    assert "briefing" not in afternoon.response
    (topic,) = ask(pipeline, "what's new in science", at=TUESDAY_8AM)
    assert "briefing" not in topic.response


@pytest.mark.timeout(120)
def test_rain_at_home_from_the_live_service_makes_an_open_music_offer_cosy(pipeline) -> None:
    from skills.weather.live import OpenMeteoProvider
    from tests.unit.test_weather import RecordedTransport

    weather = pipeline.dialogue.skills.skill("weather")
    saved = weather.live
    saturday_noon = local(2025, 11, 22, 12)  # the recorded Chicago forecast: rain
    try:
        ask(pipeline, "what's the weather in chicago", at=saturday_noon - 600)  # Chicago becomes home
        weather.live = OpenMeteoProvider(RecordedTransport(), timeout=3.0)
        (result,) = ask(pipeline, "play some music", at=saturday_noon)
    finally:
        weather.live = saved
    reason = result.items[0].reason
    assert reason.startswith("something cosy for a rainy Saturday afternoon"), reason
