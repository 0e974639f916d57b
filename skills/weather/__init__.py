"""Weather: real daily observations offline, Open-Meteo live when the user switches it on.

``load_skill()`` builds the skill the registry serves; ``vocabulary()`` lists the canonical
place names the NLU normalises the ``place`` slot to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from assistant.skill_api import HistoryPhrasing, SkillSpec
from skills.weather.live import OpenMeteoProvider
from skills.weather.observations import KNOWN_CITIES
from skills.weather.skill import WeatherSkill

__all__ = ["SPEC", "WeatherSkill", "load_skill", "vocabulary"]


def load_skill(
    settings: Mapping[str, Any] | None = None,
    *,
    live: bool | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
) -> WeatherSkill:
    """The weather skill with its settings section (``[skills.weather]``, or the older ``[weather]``).

    ``live = true`` there switches Open-Meteo on (the only network code; off by default); the
    ``live`` argument overrides it. The assistant always passes the section it was configured
    with; called on its own with no settings, the skill reads its section of the data
    directory's config.toml, as a standalone tool would.
    """
    if settings is None:
        from assistant.config import load_settings

        settings = load_settings().skill_settings("weather")
    use_live = bool((settings or {}).get("live", False)) if live is None else live
    return WeatherSkill(live=OpenMeteoProvider() if use_live else None, clock=clock)


def vocabulary() -> dict[str, list[str]]:
    return {"place": list(KNOWN_CITIES)}


SPEC = SkillSpec(
    name="weather",
    load=load_skill,
    offer_intent="weather_query",
    slots=frozenset({"place", "date", "timeofday", "weather_descriptor"}),
    fresh_slots=frozenset(),  # always merge: "what about Chicago" keeps the date
    offers_another=False,
    takes_feedback=False,
    says_reason=False,
    # "I live in Seattle": the skill stores the home city.
    routes=((r"\b(i live in|i'm from|i am from|my home (town|city) is|i moved to)\b", "place"),),
    examples=("what's the weather tomorrow", "will I need an umbrella tomorrow in Chicago"),
    description="tell you the weather",
    topic="weather",
    what="the weather",
    history=HistoryPhrasing(words=("weather", "forecast"), kind="weather", noun="forecasts"),
    preference_phrases={"home_city": "Your home city is {value}."},
    vocabulary=vocabulary,
    rank=30,
)
