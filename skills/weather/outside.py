"""What it is like outside in the user's home city today, for other skills' offers.

A music or film offer that leaves room is shaped by the situation (``skills/situations.py``):
a rainy afternoon asks for something cosy. Only the live service knows today's sky, so with it
off (offline, the default in tests) this says nothing rather than guessing from the archive's
climatology. Answers, failures included, are kept for half an hour so that offers do not wait
on the service turn after turn.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from skills.weather.live import LiveWeatherError
from skills.weather.observations import DayWeather

log = logging.getLogger(__name__)

KEEP_S = 1800.0  # a forecast's sky is good for half an hour of offers


def sky_of(day: DayWeather) -> str:
    """ "rain" | "snow" | "storm" | "cloud" | "cold" | "sun" | "" from a day's conditions."""
    conditions = day.conditions.lower()
    if day.snowy:
        return "snow"
    if "thunder" in conditions or "storm" in conditions:
        return "storm"
    if any(word in conditions for word in ("rain", "drizzle", "shower")):
        return "rain"
    if day.high_c <= 3:
        return "cold"
    if any(word in conditions for word in ("cloud", "overcast", "fog")):
        return "cloud"
    if any(word in conditions for word in ("sun", "clear")):
        return "sun"
    return ""


class OutsideNow:
    """Today's sky for a city from the live service, kept for ``KEEP_S``."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[tuple[str, dt.date], tuple[float, tuple[str, str]]] = {}

    def sky(self, skill: Any, city: str, now: float | None) -> tuple[str, str]:
        """(sky, where it came from) for ``city`` on the day of ``now``; ("", "") when unknown."""
        if not city or skill.live is None:
            return "", ""
        today = dt.date.fromtimestamp(now) if now is not None else dt.date.today()
        key = (city, today)
        kept = self._kept.get(key)
        if kept is not None and self._clock() - kept[0] < KEEP_S:
            return kept[1]
        answer = ("", "")
        place = skill.geocode(city)
        if place is not None:
            try:
                days = skill.live.forecast(place, (today,), today)
            except LiveWeatherError as exc:
                log.warning("no sky for %s: %s", city, exc)
            else:
                sky = sky_of(days[0]) if days else ""
                answer = (sky, f"today's forecast for {city}") if sky else answer
        self._kept[key] = (self._clock(), answer)
        return answer
