"""Weather: real daily observations offline, Open-Meteo live when the user switches it on.

``load_skill()`` builds the skill the registry serves; ``vocabulary()`` lists the canonical
place names the NLU normalises the ``place`` slot to.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Literal

from assistant.config import network_allowed
from assistant.skill_sdk.api import (
    Answers,
    HistoryPhrasing,
    ModelHints,
    OfferPolicy,
    SkillPhrasing,
    SkillSettings,
    SkillSpec,
    SkillWords,
    SlotDoc,
)
from assistant.skill_sdk.status import OnlineFeature, SkillStatus
from skills.weather.live import FORECAST_URL, GEOCODING_URL, OpenMeteoProvider
from skills.weather.observations import KNOWN_CITIES
from skills.weather.skill import WeatherSkill
from skills.weather.words import constraint_words

__all__ = ["SPEC", "WeatherSettings", "WeatherSkill", "load_skill", "vocabulary"]
DESCRIPTOR_WORDS = (
    *("sunny", "sunshine", "sun", "cloudy", "clouds", "overcast", "foggy", "fog", "windy", "wind"),
    *("rain", "rains", "raining", "rainy", "snow", "snows", "snowing", "snowy", "storm", "stormy"),
    *("thunderstorm", "thunderstorms", "hail", "sleet", "frost", "frosty", "icy", "humid", "hot"),
    *("cold", "warm", "warmer", "colder", "chilly", "freezing", "temperature", "umbrella"),
    *("raincoat", "rain coat", "coat", "jacket", "sweater", "scarf", "hat", "gloves", "boots"),
    *("sunscreen", "sunblock", "sunglasses", "shorts"),
)
PROBE_TIMEOUT_S = 1.0  # a connection to Open-Meteo takes ~100 ms when online


class WeatherSettings(SkillSettings):
    """``[skills.weather]`` (or the older ``[weather]``) in config.toml."""

    # Open-Meteo: "auto" once a quick connection to it succeeds, true always, false never.
    live: bool | Literal["auto"] = "auto"
    forecast_url: str = ""  # a self-hosted Open-Meteo's forecast endpoint ("": the public one)
    geocoding_url: str = ""  # and its geocoding endpoint


def load_skill(
    settings: Mapping[str, Any] | None = None,
    *,
    live: bool | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
) -> WeatherSkill:
    """The weather skill with its settings section (``[skills.weather]``, or the older ``[weather]``).

    ``live``: true uses Open-Meteo (the only network code), false never does, and "auto" (the
    default) switches it on once a quick connection to the service succeeds, checked in the
    background so start-up never waits; ``ASSISTANT_OFFLINE=1`` keeps "auto" off (replay and
    tests). ``forecast_url`` / ``geocoding_url`` point at a self-hosted Open-Meteo. The
    ``live`` argument overrides the setting. Called on its own with no settings, the skill
    reads its section of the data directory's config.toml, as a standalone tool would.
    """
    if settings is None:
        from assistant.config import load_settings

        settings = load_settings().skill_settings("weather")
    options = WeatherSettings.model_validate(dict(settings or {}))
    mode = options.live if live is None else live
    urls = {k: getattr(options, k) for k in ("forecast_url", "geocoding_url") if getattr(options, k)}
    skill = WeatherSkill(live=OpenMeteoProvider(**urls) if mode is True else None, clock=clock)
    if mode == "auto" and network_allowed():
        threading.Thread(
            target=_go_live_when_online, args=(skill, urls), name="weather-probe", daemon=True
        ).start()
    return skill


def _go_live_when_online(skill: WeatherSkill, urls: dict[str, str]) -> None:
    """Switch the live forecasts on if the service answers a TCP connection within a second."""
    url = urllib.parse.urlparse(urls.get("forecast_url", FORECAST_URL))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError:
        return  # offline: the records answer, and say that a live forecast needs a network
    skill.live = OpenMeteoProvider(**urls)


def vocabulary() -> dict[str, list[str]]:
    return {"place": list(KNOWN_CITIES)}


def status(settings: Mapping[str, Any]) -> SkillStatus:
    """For ``assistant status``: live weather as set, and the Open-Meteo endpoints it reaches."""
    options = WeatherSettings.model_validate(dict(settings or {}))
    urls = (options.forecast_url or FORECAST_URL, options.geocoding_url or GEOCODING_URL)
    live = OnlineFeature(
        "live weather", f"live = {json.dumps(options.live)}", options.live is not False, urls
    )
    return SkillStatus(online=(live,))


SPEC = SkillSpec(
    name="weather",
    load=load_skill,
    answers=Answers(
        offer_intent="weather_query",
        slots=frozenset({"place", "date", "timeofday", "weather_descriptor"}),
        fresh_slots=frozenset(),  # always merge: "what about Chicago" keeps the date
    ),
    words=SkillWords(
        routes=(
            # "I live in Seattle": the skill stores the home city.
            (r"\b(i live in|i'm from|i am from|my home (town|city) is|i moved to)\b", "place"),
            # What to wear is a question about the weather, whatever the classifier made of it.
            (
                r"\bwhat (?:should|shall|do) i wear\b|\bdo i need (?:a |an )?(?:coat|jacket|umbrella|sunscreen|scarf)\b",
                "",
            ),
        ),
        domain_words=("weather", "forecast", "rain", "umbrella", "temperature", "snow", "sunny", "degrees"),
        # "and thursday", "what about paris": a day or a city refines the forecast being discussed.
        constraint_words=constraint_words(),
        # The conditions and the things to wear or take that people ask about, as the tagger's
        # training requests mark them (data/hwu64/train/weather_query.csv).
        slot_words={"weather_descriptor": DESCRIPTOR_WORDS},
        trailing_slots=frozenset({"date", "timeofday"}),  # "should I wear a coat ... tomorrow"
        vocabulary=vocabulary,
    ),
    phrasing=SkillPhrasing(
        examples=("what's the weather tomorrow", "will I need an umbrella tomorrow in Chicago"),
        description="tell you the weather",
        topic="weather",
        what="the weather",
        history=HistoryPhrasing(words=("weather", "forecast"), kind="weather", noun="forecasts"),
        preference_phrases={"home_city": "Your home city is {value}."},
    ),
    offers=OfferPolicy(offers_another=False, takes_feedback=False, says_reason=False),
    # For the language model's reading of open requests (assistant/llm).
    llm=ModelHints(
        slot_docs={
            "place": SlotDoc("the town or city asked about"),
            "date": SlotDoc("the day asked about, in the request's words: 'today', 'friday', 'this weekend'"),
        },
        examples=(("should i pack sunglasses for madrid on friday", {"date": "friday", "place": "Madrid"}),),
    ),
    rank=30,
    senses_outside=True,
    settings_model=WeatherSettings,
    status=status,
)
