"""The situation a request is made in: part of the day, day of the week, and what it is like outside.

A request that leaves room ("play some music", "what should I watch") can be shaped by when and
where it is made: a rainy Sunday afternoon asks for something different from a Friday evening.
The words win over the clock ("music for a rainy afternoon" at 9 am is about an afternoon), and
the clock over nothing. What it is like outside comes from the words or from a skill that can
tell (``SensesOutside``, e.g. a live service for the user's home city); the core only carries it.

Skills decide what a situation means for them and say so in the reason
(``Situation.describe()`` -> "a rainy Sunday afternoon").
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

# Local hours each part of the day starts at. Evening from 17:00 and night from 22:00 follow
# the common English usage ("good evening" after work); the clock is the machine's local time.
PART_STARTS = ((5, "morning"), (12, "afternoon"), (17, "evening"), (22, "night"))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_PART_WORDS = (
    (re.compile(r"\b(?:morning|breakfast|sunrise|wake up|waking up)\b"), "morning"),
    (re.compile(r"\b(?:afternoon|lunch ?time|after lunch)\b"), "afternoon"),
    (re.compile(r"\b(?:evening|tonight|after work|dinner|sunset)\b"), "evening"),
    (re.compile(r"\b(?:night|midnight|late at night|bedtime)\b"), "night"),
)
# What it is like outside, said in a request ("a rainy sunday", "it's freezing out").
SKY_WORDS = (
    (re.compile(r"\b(?:snow\w*|sleet\w*|blizzard)\b"), "snow"),
    (re.compile(r"\b(?:storm\w*|thunder\w*|lightning)\b"), "storm"),
    (re.compile(r"\b(?:rain\w*|drizzl\w*|wet|pouring)\b"), "rain"),
    (re.compile(r"\b(?:grey|gray|gloomy|cloudy|overcast|dreary|foggy)\b"), "cloud"),
    (re.compile(r"\b(?:cold|freezing|chilly|wintry)\b"), "cold"),
    (re.compile(r"\b(?:sunny|sunshine|sun is out|hot|warm|summery|heatwave)\b"), "sun"),
)
SKY_SAID = {
    "snow": "snowy",
    "storm": "stormy",
    "rain": "rainy",
    "cloud": "grey",
    "cold": "cold",
    "sun": "sunny",
}
_WEEKDAY_WORDS = re.compile(r"\b(" + "|".join(d.lower() for d in WEEKDAYS) + r")s?\b")
_WEEKEND_WORDS = re.compile(r"\bweekends?\b")


@dataclass(frozen=True)
class Situation:
    """When and in what a request is made; ``said`` names the parts the user's words gave."""

    part_of_day: str  # "morning" | "afternoon" | "evening" | "night"
    weekday: str  # "Sunday"; "" when the user said only "the weekend"
    weekend: bool
    sky: str = ""  # "rain" | "snow" | "storm" | "cloud" | "cold" | "sun" | "" (unknown)
    said: frozenset[str] = field(default_factory=frozenset)  # of "part_of_day", "weekday", "sky"
    sky_from: str = ""  # "" | "your words" | where a skill got it ("the live service for Paris")

    def describe(self) -> str:
        """ "a rainy Sunday afternoon", "a Friday evening", "a weekend morning"."""
        day = self.weekday or ("weekend" if self.weekend else "")
        words = [SKY_SAID.get(self.sky, ""), day, self.part_of_day]
        text = " ".join(w for w in words if w)
        return f"an {text}" if text[:1] in "aeiou" else f"a {text}"

    @property
    def friday_or_saturday_evening(self) -> bool:
        """Whether it is a Friday or Saturday evening or night."""
        return self.part_of_day in ("evening", "night") and self.weekday in ("Friday", "Saturday")


def part_of_day(hour: int) -> str:
    """ "morning", "afternoon", "evening" or "night" for an hour of the day."""
    part = PART_STARTS[-1][1]  # before 5 am is still night
    for start, name in PART_STARTS:
        if hour >= start:
            part = name
    return part


def sky_in_words(text: str) -> str:
    """What the words say it is like outside, or ""."""
    lowered = text.lower()
    return next((sky for pattern, sky in SKY_WORDS if pattern.search(lowered)), "")


def read_situation(text: str, now: float | None, sky: str = "", sky_from: str = "") -> Situation:
    """The situation of a request made at ``now`` (unix seconds, the machine's local time; the
    current time when None) in ``text``; ``sky`` is what a skill could tell of outside."""
    local = time.localtime(time.time() if now is None else now)
    lowered = text.lower()
    said: set[str] = set()
    part = part_of_day(local.tm_hour)
    spoken_part = next((name for pattern, name in _PART_WORDS if pattern.search(lowered)), "")
    if spoken_part:
        part = spoken_part
        said.add("part_of_day")
    weekday = WEEKDAYS[local.tm_wday]
    named_day = _WEEKDAY_WORDS.search(lowered)
    if named_day:
        weekday = named_day.group(1).capitalize()
        said.add("weekday")
    elif _WEEKEND_WORDS.search(lowered):
        weekday = weekday if weekday in ("Saturday", "Sunday") else ""
        said.add("weekday")
    weekend = weekday in ("Saturday", "Sunday") or (weekday == "" and "weekday" in said)
    spoken_sky = sky_in_words(lowered)
    if spoken_sky:
        sky, sky_from = spoken_sky, "your words"
        said.add("sky")
    return Situation(part, weekday, weekend, sky, frozenset(said), sky_from if sky else "")
