"""The weather skill: where, when, from which provider, and what to say about it.

Offline (the default) it answers from real historical observations for the same calendar day
and says so. With the live provider switched on it asks Open-Meteo first and falls back to the
records, with a sentence saying why, when the service cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.skill_sdk.api import Item, SkillError, SkillRequest, SkillResult, UserProfile
from skills.weather.dates import DateSpan, resolve_dates
from skills.weather.live import LiveWeatherError, OpenMeteoProvider, Place
from skills.weather.observations import CityRecords, DayWeather, load_records
from skills.weather.outside import OutsideNow
from skills.weather.places import match_city
from skills.weather.report import (
    Units,
    describe_day,
    join_words,
    question_kind,
    rain_verdict,
    umbrella_answer,
    units_for,
    wear_advice,
    yes_no,
)

DEFAULT_CITY = "Seattle"
SETS_HOME = re.compile(
    r"\b(i live in|i'm from|i am from|my home ?(town|city)? is|i'm based in|move[d]? to)\b"
)
UNIT_WORDS = {"fahrenheit": "fahrenheit", "celsius": "celsius", "centigrade": "celsius"}


@dataclass
class _Answer:
    """What one request resolved to, gathered before the words are chosen."""

    city: str
    place_reason: str
    days: list[DayWeather]
    source: str  # "historical" | "live"
    notes: list[str] = field(default_factory=list)  # honest caveats said first
    history: list[tuple[DayWeather, ...]] = field(default_factory=list)  # every year, per day


class _NoAnswer(Exception):
    """The question cannot be answered for the place asked about; the message says why."""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _month_day(day: dt.date) -> str:
    return f"{day:%B} {day.day}"


class WeatherSkill:
    name = "weather"
    intents = frozenset({"weather_query"})

    def __init__(
        self,
        records: dict[str, CityRecords] | None = None,
        live: OpenMeteoProvider | None = None,
        clock: Callable[[], dt.date] = dt.date.today,
        default_city: str = DEFAULT_CITY,
        geocoder: Callable[[str], Place | None] | None = None,
    ) -> None:
        self.records = records if records is not None else load_records()
        self.live = live
        self.clock = clock
        self.default_city = default_city
        self._geocoder = geocoder
        self._outside = OutsideNow()

    def outside_now(self, profile: UserProfile, now: float | None) -> tuple[str, str]:
        """Today's sky in the user's home city, when the live service is on (``SensesOutside``)."""
        return self._outside.sky(self, profile.preferences.get("home_city", ""), now)

    def geocode(self, name: str) -> Place | None:
        """Any city by name, offline (GeoNames); the live service's search when that fails."""
        if self._geocoder is None:
            from skills.weather.geocode import offline_geocoder

            self._geocoder = offline_geocoder().find
        place = self._geocoder(name)
        if place is None and self.live is not None:
            try:
                place = self.live.geocode(name)
            except LiveWeatherError:
                return None
        return place

    @property
    def cities(self) -> list[str]:
        return sorted(self.records)

    def today(self, request: SkillRequest) -> dt.date:
        # The turn's recorded time wins, so replaying a session gives the same answer.
        return dt.date.fromtimestamp(request.now) if request.now is not None else self.clock()

    # --- the request ---------------------------------------------------------------------
    def handle(self, request: SkillRequest) -> SkillResult:
        slots = {k: str(v) for k, v in request.slots.items() if v}
        # The utterance, when the request carries one, adds cues the slots may miss.
        utterance = str(getattr(request, "text", "") or "")
        prefs = request.profile.preferences
        learned: dict[str, str] = {}

        cue_text = " ".join([utterance, slots.get("weather_descriptor", ""), slots.get("descriptor", "")])
        for word, unit in UNIT_WORDS.items():
            if word in cue_text.lower() and prefs.get("units") != unit:
                learned["units"] = unit
        units = units_for({**prefs, **learned})
        today = self.today(request)
        span = resolve_dates(slots.get("date", ""), today, slots.get("timeofday", ""))

        try:
            answer = self._resolve(slots.get("place", ""), prefs.get("home_city", ""), span, today)
        except _NoAnswer as exc:  # never another city than the one asked about
            return SkillResult(items=[], text=str(exc), preferences=learned)
        spoken_place = slots.get("place", "").strip()
        home = prefs.get("home_city", "")
        if spoken_place and answer.place_reason.startswith("you asked") and answer.city != home:
            if not home or SETS_HOME.search(utterance.lower()):
                learned["home_city"] = answer.city

        # This turn's own words first: "what should I wear" after an umbrella question asks
        # about clothes, while "and in Chicago" keeps the umbrella question (a carried slot).
        kind = question_kind(utterance) or question_kind(cue_text)
        text = self._words(answer, span, units, kind)
        item = self._item(answer, span, units, kind)
        return SkillResult(items=[item], text=text, preferences=learned)

    def _resolve(self, spoken: str, home: str, span: DateSpan, today: dt.date) -> _Answer:
        notes: list[str] = []
        spoken = spoken.strip()
        if spoken:
            city = match_city(spoken, self.cities)
            if city is None:
                return self._elsewhere(spoken, "you asked about {}", span, today)
            name, reason = city, f"you asked about {city}"
        elif home and home not in self.records:
            return self._elsewhere(home, "your home city", span, today)
        elif home:
            name, reason = home, "your home city"
        else:
            name, reason = self.default_city, f"{self.default_city} is my default city"
            notes.append(
                f"I don't know your home city yet, so here is {self.default_city};"
                " ask about your city and I'll remember it."
            )

        if self.live is not None:
            try:
                return self._live(name, reason, span, today, notes)
            except LiveWeatherError as exc:
                message = str(exc)
                notes.append(f"{message[0].upper()}{message[1:]}, so here are historical records instead.")
        return self._historical(name, reason, span, notes)

    def _elsewhere(self, spoken: str, reason: str, span: DateSpan, today: dt.date) -> _Answer:
        """A place the records do not cover: live for that very place, or a plain no."""
        place = self.geocode(spoken)
        if place is None:
            raise _NoAnswer(f"I don't know a place called {spoken.title()}.")
        where = f"{place.name}, {place.country}" if place.country else place.name
        archive = f"I only have past weather records for {join_words(self.cities)}."
        if self.live is None:
            raise _NoAnswer(
                f"A live forecast for {where} needs a network connection, and live weather is off. {archive}"
            )
        try:
            days = self.live.forecast(place, span.days, today)
        except LiveWeatherError as exc:
            message = str(exc)
            raise _NoAnswer(
                f"{message[0].upper()}{message[1:]}, so I have no forecast for {where}: a live forecast "
                f"needs a network. {archive}"
            ) from exc
        return _Answer(place.name, reason.format(place.name), days, "live", [])

    def _live(self, name: str, reason: str, span: DateSpan, today: dt.date, notes: list[str]) -> _Answer:
        assert self.live is not None
        place = self.geocode(name)
        if place is None:
            raise LiveWeatherError(f"the live weather service doesn't know {name}")
        days = self.live.forecast(place, span.days, today)
        known = match_city(name, self.cities)
        city = known or place.name
        return _Answer(city, reason, days, "live", notes)

    def _historical(self, city: str, reason: str, span: DateSpan, notes: list[str]) -> _Answer:
        records = self.records[city]
        history = [records.on(d.month, d.day) for d in span.days]
        if not all(history):
            raise SkillError(f"no weather records for {city} on {span.days}")  # the data cover every day
        # The most recent year of each calendar day, with the date it was observed.
        days = [years[-1] for years in history]
        return _Answer(city, reason, days, "historical", notes, history)

    # --- the words -----------------------------------------------------------------------
    def _words(self, answer: _Answer, span: DateSpan, units: Units, kind: str) -> str:
        parts = list(answer.notes)
        lead = ""
        if kind == "rain":
            if answer.source == "live":
                names = [f"on {d:%A}" for d in span.days]
            else:
                names = [f"on {_month_day(d)}" for d in span.days]
            lead = umbrella_answer(answer.days, names)
        elif kind and kind != "wear":
            lead = yes_no(kind, answer.days, units)
        if lead and answer.source == "historical":
            lead = f"Going by past years: {lead[0].lower()}{lead[1:]}"
        if lead:
            parts.append(lead)
        parts.append(self._summary(answer, span, units))
        if kind == "wear":
            parts.append(wear_advice(answer.days, units, evening=span.evening))
        wet = any(rain_verdict(d) == "yes" for d in answer.days)
        if wet and (span.evening or "weekend" in span.label):
            when = "evening" if span.evening else "weekend"
            parts.append(f"A rainy {when} is a good one to stay in with a movie; just ask me for one.")
        return " ".join(p.strip() for p in parts if p.strip())

    def _summary(self, answer: _Answer, span: DateSpan, units: Units) -> str:
        city, days = answer.city, answer.days
        if answer.source == "live":
            said = "; ".join(
                (f"{d.day:%A}: " if len(days) > 1 else "") + describe_day(d, units) for d in days
            )
            when = span.label[0].upper() + span.label[1:]
            tail = f" Overnight it drops to about {units.temp(days[0].low_c)}." if span.evening else ""
            return f"{when} in {city}, live from Open-Meteo: {said}.{tail}"

        asked = span.days
        if len(asked) == 1:
            dates = _month_day(asked[0])
        elif len(asked) == 2:
            dates = join_words([_month_day(d) for d in asked])
        else:
            dates = f"{_month_day(asked[0])} to {_month_day(asked[-1])}"
        if span.label in ("today", "tonight", f"on {dates}"):
            opening = f"On {dates} in past years,"
        else:
            opening = f"{span.label[0].upper()}{span.label[1:]}, {dates}: in past years,"

        year = days[-1].day.year
        if len(days) > 2:
            highs = [d.high_c for d in days]
            rainy = sum(rain_verdict(d) == "yes" for d in days)
            body = (
                f" in {year} {city} saw highs between {units.temp(min(highs))} and {units.temp(max(highs))},"
                f" lows down to {units.temp(min(d.low_c for d in days))}, and rain on {rainy} of {len(days)} days"
            )
            opening = opening.removesuffix(" in past years,")
        else:
            every_year = [y for years in answer.history for y in years]
            wet = sum(rain_verdict(y) == "yes" for y in every_year)
            n_years = len(answer.history[0])
            on_that = "that date" if len(days) == 1 else "those dates"
            seen = (
                f" {city} saw rain in {wet} of {n_years} years"
                if len(days) == 1
                else f" {city} saw rain on {wet} of the {len(every_year)} recorded days"
            )
            if wet == 0:
                seen = f" {city} saw no rain on {on_that} in the {n_years} recorded years"
            if len(days) == 1:
                detail = f"in {year} it was {describe_day(days[0], units)}"
            else:
                detail = f"in {year}, " + "; ".join(
                    f"{_month_day(d.day)} was {describe_day(d, units)}" for d in days
                )
            body = f"{seen}; {detail}"
        evening = ""
        if span.evening and len(days) == 1:
            evening = f" The overnight low was {units.temp(days[0].low_c)}."
        return f"{opening}{body} (historical records, not a live forecast).{evening}"

    def _item(self, answer: _Answer, span: DateSpan, units: Units, kind: str) -> Item:
        first = span.days[0]
        subtitle = f"{first:%A}, {_month_day(first)}"
        if len(span.days) > 1:
            subtitle += f" to {span.days[-1]:%A}, {_month_day(span.days[-1])}"
        source_reason = (
            "live forecast from Open-Meteo"
            if answer.source == "live"
            else f"historical records for {_month_day(first)}"
        )
        return Item(
            id=f"weather:{_slug(answer.city)}:{first.isoformat()}",
            title=f"Weather in {answer.city}",
            domain="weather",
            reason=f"{answer.place_reason}; {source_reason}",
            subtitle=subtitle,
            meta={
                "city": answer.city,
                "source": answer.source,
                "dates": [d.isoformat() for d in span.days],
                "observed": [d.day.isoformat() for d in answer.days],
                "high_c": round(max(d.high_c for d in answer.days), 1),
                "low_c": round(min(d.low_c for d in answer.days), 1),
                "precip_mm": round(sum(d.precip_mm or 0.0 for d in answer.days), 1),
                "conditions": [d.conditions for d in answer.days],
                "umbrella": max((rain_verdict(d) for d in answer.days), key=["no", "maybe", "yes"].index),
                "units": "fahrenheit" if units.fahrenheit else "celsius",
                "question": kind,
            },
        )
