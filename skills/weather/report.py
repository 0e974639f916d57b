"""Words for the weather: units, the day summary, umbrella and clothing advice."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.skill_sdk.phrasing import join_words
from skills.weather.observations import TRACE_MM, DayWeather

# What a weather question is about, from the descriptor slots or the utterance.
QUESTION_WORDS = {
    "rain": ("umbrella", "rain", "raining", "rainy", "wet", "drizzle", "shower", "showers", "storm", "pour"),
    "wear": ("wear", "jacket", "coat", "clothes", "dress", "sweater", "jumper", "shorts", "layers", "scarf"),
    "snow": ("snow", "snowing", "snowy", "sleet", "blizzard"),
    "hot": ("hot", "warm", "heat", "sunscreen", "scorching"),
    "cold": ("cold", "chilly", "freezing", "frost", "icy"),
    "wind": ("wind", "windy", "breezy", "gusty"),
    "sun": ("sun", "sunny", "sunshine", "clear"),
}


@dataclass(frozen=True)
class Units:
    fahrenheit: bool = False

    def temp(self, celsius: float) -> str:
        if self.fahrenheit:
            return f"{round(celsius * 9 / 5 + 32)}°F"
        return f"{round(celsius)}°C"

    def precip(self, mm: float) -> str:
        if self.fahrenheit:
            return f"{mm / 25.4:.2f} inches"
        return f"{mm:.1f} mm" if mm < 10 else f"{round(mm)} mm"

    def wind(self, kmh: float) -> str:
        return f"{round(kmh / 1.609344)} mph" if self.fahrenheit else f"{round(kmh)} km/h"


def units_for(preferences: dict[str, str]) -> Units:
    return Units(fahrenheit=preferences.get("units", "").strip().lower() == "fahrenheit")


def question_kind(*texts: str) -> str:
    """'rain' | 'wear' | 'snow' | 'hot' | 'cold' | 'wind' | 'sun' | '' (a plain report)."""
    words = set(re.findall(r"[a-z]+", " ".join(texts).lower()))
    for kind, cues in QUESTION_WORDS.items():
        if words & set(cues):
            return kind
    return ""


def rain_verdict(day: DayWeather) -> str:
    """'yes' | 'maybe' | 'no': would an umbrella have been (or be) needed that day."""
    if day.precip_mm is None:  # no gauge: the reported conditions are all we have
        return "yes" if day.mentions_precipitation else "no"
    if day.precip_mm >= 1.0 or (day.precip_probability or 0.0) >= 50.0:
        return "yes"
    if day.precip_mm > 0.0 or (day.precip_probability or 0.0) >= 25.0 or day.mentions_precipitation:
        return "maybe"
    return "no"


def describe_day(day: DayWeather, units: Units) -> str:
    """'rainy, with a high of 9°C and a low of 3°C, and 4.1 mm of rain'."""
    parts = [
        f"{day.conditions}, with a high of {units.temp(day.high_c)} and a low of {units.temp(day.low_c)}"
    ]
    chance = day.precip_probability
    chance_said = f" ({round(chance)}% chance)" if chance is not None and chance >= 20 else ""
    if day.precip_mm is None:
        pass  # not measured: the conditions already say whether it rained
    elif day.precip_mm >= 1.0:
        kind = "snow and rain" if day.snowy else "rain"
        parts.append(f"{units.precip(day.precip_mm)} of {kind}{chance_said}")
        chance_said = ""
    elif 0 < day.precip_mm <= TRACE_MM:
        parts.append("a trace of rain")
    elif day.precip_mm > 0:
        parts.append("a little rain")
    if chance_said:
        parts.append(f"a {round(chance or 0)}% chance of rain")
    if day.windy:
        wind = day.wind_max_kmh if day.wind_max_kmh is not None else day.wind_avg_kmh
        parts.append(f"wind around {units.wind(wind or 0.0)}")
    return parts[0] if len(parts) == 1 else parts[0] + ", and " + join_words(parts[1:])


def umbrella_answer(days: list[DayWeather], day_names: list[str] | None = None) -> str:
    """Yes / maybe / no; with several days, the wet ones are named ("Yes, on Saturday")."""
    verdicts = [rain_verdict(d) for d in days]
    if "yes" in verdicts:
        wet = [n for n, v in zip(day_names or [], verdicts, strict=False) if v == "yes"]
        if day_names and len(days) > 1 and len(wet) < len(days):
            return f"Yes, take an umbrella {join_words(wet)}."
        return "Yes, take an umbrella."
    if "maybe" in verdicts:
        return "Maybe: there's a chance of light rain, so a compact umbrella wouldn't hurt."
    return "No, you shouldn't need an umbrella."


def wear_advice(days: list[DayWeather], units: Units, evening: bool = False) -> str:
    high = max(d.high_c for d in days)
    low = min(d.low_c for d in days)
    feel = low if evening else high
    if feel <= 5:
        advice = "a warm coat, a hat and gloves"
    elif feel <= 12:
        advice = "a warm jacket"
    elif feel <= 18:
        advice = "a light jacket or a sweater"
    elif feel <= 25:
        advice = "a t-shirt, with a light layer for later"
    else:
        advice = "light, breathable clothes and sunscreen"
    extras = []
    if any(rain_verdict(d) == "yes" for d in days):
        extras.append("a waterproof or an umbrella")
    if any(d.snowy for d in days):
        extras.append("boots with grip")
    if any(d.windy for d in days):
        extras.append("something windproof")
    if not evening and high - low >= 10 and feel > 12:
        extras.append(f"a layer for the evening, when it drops to {units.temp(low)}")
    text = f"I'd wear {advice}"
    if extras:
        text += ", plus " + join_words(extras)
    return text + "."


def yes_no(kind: str, days: list[DayWeather], units: Units) -> str:
    """Short answers to 'will it snow / be hot / be cold / be windy / be sunny'."""
    high = max(d.high_c for d in days)
    low = min(d.low_c for d in days)
    if kind == "snow":
        return "Yes, snow." if any(d.snowy for d in days) else "No snow."
    if kind == "hot":
        return f"{'Yes, it' if high >= 25 else 'No, it'} tops out at {units.temp(high)}."
    if kind == "cold":
        return f"{'Yes, it' if low <= 5 else 'Not really, it'} gets down to {units.temp(low)}."
    if kind == "wind":
        return "Yes, it's windy." if any(d.windy for d in days) else "No, not particularly windy."
    if kind == "sun":
        sunny = any(w in d.conditions for d in days for w in ("sun", "clear"))
        wet = any(rain_verdict(d) == "yes" for d in days)
        return "Yes, sunshine." if sunny else ("No, it's wet." if wet else "Not much sun.")
    return ""
