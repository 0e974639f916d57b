"""Live forecasts from Open-Meteo (no API key), for users who are online.

Two endpoints: geocoding (place name -> coordinates) and the daily forecast. Only the standard
library is used. The HTTP call itself is a ``Transport`` (url, timeout -> body bytes) so tests
replay recorded responses at that boundary; any failure (offline, timeout, HTTP error, a
malformed body) surfaces as ``LiveWeatherError`` and the skill falls back to the records.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skills.weather.observations import DayWeather

GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
FORECAST_HORIZON_DAYS = 16  # the forecast endpoint's maximum
DEFAULT_TIMEOUT_S = 3.0
# After a failure, skip the service this long: an offline speaker must not wait out the
# timeout on every question.
RETRY_AFTER_S = 60.0
DAILY_FIELDS = (
    "weather_code",
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_sum",
    "precipitation_probability_max",
    "wind_speed_10m_max",
)
# WMO weather interpretation codes, as the forecast's ``weather_code`` uses them.
WMO_CODES = {
    0: "clear skies",
    1: "mainly clear",
    2: "partly cloudy",
    3: "overcast",
    45: "foggy",
    48: "foggy with rime",
    51: "light drizzle",
    53: "drizzle",
    55: "heavy drizzle",
    56: "freezing drizzle",
    57: "heavy freezing drizzle",
    61: "light rain",
    63: "rain",
    65: "heavy rain",
    66: "freezing rain",
    67: "heavy freezing rain",
    71: "light snow",
    73: "snow",
    75: "heavy snow",
    77: "snow grains",
    80: "light rain showers",
    81: "rain showers",
    82: "violent rain showers",
    85: "snow showers",
    86: "heavy snow showers",
    95: "thunderstorms",
    96: "thunderstorms with hail",
    99: "thunderstorms with heavy hail",
}

Transport = Callable[[str, float], bytes]


class LiveWeatherError(Exception):
    """The live forecast could not be had; the message says why, in words a user understands."""


def urllib_transport(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "offline-assistant/0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URLs)
            return response.read()
    except urllib.error.HTTPError as exc:
        # A 400 carries {"error": true, "reason": ...}; hand that body on so its reason is told.
        body = exc.read() if exc.code == 400 else b""
        if body.lstrip().startswith(b"{"):
            return body
        raise


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    country: str = ""
    admin1: str = ""
    timezone: str = ""


class OpenMeteoProvider:
    def __init__(
        self,
        transport: Transport = urllib_transport,
        timeout: float = DEFAULT_TIMEOUT_S,
        retry_after_s: float = RETRY_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
        forecast_url: str = FORECAST_URL,
        geocoding_url: str = GEOCODING_URL,
    ) -> None:
        # The URLs are settings: Open-Meteo is open source and can be self-hosted (tests serve
        # recorded answers from 127.0.0.1).
        self.forecast_url, self.geocoding_url = forecast_url, geocoding_url
        self.transport = transport
        self.timeout = timeout
        self.retry_after_s = retry_after_s
        self.monotonic = monotonic
        self._places: dict[str, Place | None] = {}
        self._down: tuple[float, str] | None = None  # (until, why) after a failure

    def _get_json(self, base: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._down is not None:
            until, why = self._down
            if self.monotonic() < until:
                raise LiveWeatherError(why)
            self._down = None
        try:
            body = self._fetch(f"{base}?{urllib.parse.urlencode(params)}")
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except LiveWeatherError as exc:
            self._down = (self.monotonic() + self.retry_after_s, str(exc))
            raise
        except (ValueError, UnicodeDecodeError) as exc:  # a captive portal or a proxy's error page
            why = "the live weather service sent an answer I couldn't read"
            self._down = (self.monotonic() + self.retry_after_s, why)
            raise LiveWeatherError(why) from exc
        if data.get("error"):  # the service is up but rejects this request: no back-off
            raise LiveWeatherError(f"the live weather service refused the request ({data.get('reason', '')})")
        return data

    def _fetch(self, url: str) -> bytes:
        too_slow = f"the live weather service did not answer within {self.timeout:g} s"
        try:
            return self.transport(url, self.timeout)
        except TimeoutError as exc:
            raise LiveWeatherError(too_slow) from exc
        except urllib.error.HTTPError as exc:
            raise LiveWeatherError(f"the live weather service answered with an error ({exc.code})") from exc
        except (urllib.error.URLError, OSError) as exc:
            if isinstance(getattr(exc, "reason", None), TimeoutError):
                raise LiveWeatherError(too_slow) from exc
            raise LiveWeatherError("I couldn't reach the live weather service (are we offline?)") from exc

    def geocode(self, name: str) -> Place | None:
        """The best match for a place name, or None when the service knows no such place."""
        key = name.strip().lower()
        if key in self._places:
            return self._places[key]
        data = self._get_json(
            self.geocoding_url, {"name": name.strip(), "count": 1, "language": "en", "format": "json"}
        )
        results = data.get("results") or []  # no match: the body has no "results" at all
        place = None
        if results:
            top = results[0]
            try:
                place = Place(
                    name=str(top["name"]),
                    latitude=float(top["latitude"]),
                    longitude=float(top["longitude"]),
                    country=str(top.get("country", "")),
                    admin1=str(top.get("admin1", "")),
                    timezone=str(top.get("timezone", "")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise LiveWeatherError("the live weather service sent a place I couldn't read") from exc
        self._places[key] = place
        return place

    def forecast(self, place: Place, days: tuple[dt.date, ...], today: dt.date) -> list[DayWeather]:
        """Daily forecasts for ``days`` (metric units), all within the forecast horizon."""
        first, last = min(days), max(days)
        if first < today or (last - today).days >= FORECAST_HORIZON_DAYS:
            raise LiveWeatherError(f"the live forecast only covers the next {FORECAST_HORIZON_DAYS} days")
        data = self._get_json(
            self.forecast_url,
            {
                "latitude": f"{place.latitude:.4f}",
                "longitude": f"{place.longitude:.4f}",
                "daily": ",".join(DAILY_FIELDS),
                "timezone": "auto",
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "temperature_unit": "celsius",
                "wind_speed_unit": "kmh",
                "precipitation_unit": "mm",
            },
        )
        return parse_daily(data, days)


def parse_daily(data: dict[str, Any], days: tuple[dt.date, ...]) -> list[DayWeather]:
    """The requested days from a forecast body's column-wise ``daily`` block."""
    try:
        daily = data["daily"]
        index = {dt.date.fromisoformat(t): i for i, t in enumerate(daily["time"])}
        out = []
        for day in days:
            i = index[day]
            high, low = daily["temperature_2m_max"][i], daily["temperature_2m_min"][i]
            if high is None or low is None:
                raise LiveWeatherError("the live forecast has no temperatures for that day yet")
            code = daily.get("weather_code", [None] * len(index))[i]
            precip = daily.get("precipitation_sum", [None] * len(index))[i]
            probability = daily.get("precipitation_probability_max", [None] * len(index))[i]
            wind = daily.get("wind_speed_10m_max", [None] * len(index))[i]
            out.append(
                DayWeather(
                    day=day,
                    high_c=float(high),
                    low_c=float(low),
                    precip_mm=float(precip or 0.0),
                    conditions=WMO_CODES.get(int(code), "mixed weather")
                    if code is not None
                    else "mixed weather",
                    wind_max_kmh=None if wind is None else float(wind),
                    precip_probability=None if probability is None else float(probability),
                )
            )
        return out
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise LiveWeatherError("the live forecast was missing the days I asked for") from exc
