"""Weather: real daily observations offline, Open-Meteo live when the user switches it on.

``load_skill()`` builds the skill the registry serves; ``vocabulary()`` lists the canonical
place names the NLU normalises the ``place`` slot to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from skills.weather.live import OpenMeteoProvider
from skills.weather.observations import KNOWN_CITIES
from skills.weather.skill import WeatherSkill

__all__ = ["WeatherSkill", "load_skill", "vocabulary"]


def _live_enabled() -> bool:
    # Read from the user's config.toml ([weather] live = true); the default is offline.
    from assistant.config import load_settings

    return load_settings().weather_live


def load_skill(live: bool | None = None, clock: Callable[[], dt.date] = dt.date.today) -> WeatherSkill:
    """The weather skill; ``live=None`` follows the ``[weather] live`` setting (off by default)."""
    use_live = _live_enabled() if live is None else live
    return WeatherSkill(live=OpenMeteoProvider() if use_live else None, clock=clock)


def vocabulary() -> dict[str, list[str]]:
    return {"place": list(KNOWN_CITIES)}
