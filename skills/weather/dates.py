"""Turn the NLU's date and time-of-day slots into calendar days."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


@dataclass(frozen=True)
class DateSpan:
    days: tuple[dt.date, ...]
    label: str  # how to say it: "today", "tomorrow", "this weekend", "on Monday"
    timeofday: str = ""  # "morning" | "afternoon" | "evening" | "night" | ""

    @property
    def evening(self) -> bool:
        return self.timeofday in ("evening", "night")


def _month_index(word: str) -> int | None:
    for i, name in enumerate(MONTHS):
        if len(word) >= 3 and name.startswith(word):
            return i + 1
    return None


def _calendar_date(text: str, today: dt.date) -> dt.date | None:
    """'november 23', '23rd of november', '2024-11-23': the next such day from today."""
    iso = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        try:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    m = re.search(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", text) or re.search(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\b", text
    )
    if not m:
        return None
    a, b = m[1], m[2]
    month, day = (_month_index(a), int(b)) if not a.isdigit() else (_month_index(b), int(a))
    if month is None:
        return None
    for year in range(today.year, today.year + 5):  # Feb 29 may be years away
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue  # Feb 29 outside a leap year, or April 31
        if candidate >= today:
            return candidate
    return None


def _timeofday(date_text: str, timeofday: str) -> str:
    text = f"{date_text} {timeofday}".lower()
    for word, label in (
        ("tonight", "night"),
        ("night", "night"),
        ("evening", "evening"),
        ("afternoon", "afternoon"),
        ("morning", "morning"),
        ("noon", "afternoon"),
    ):
        if word in text:
            return label
    return ""


def resolve_dates(date_slot: str, today: dt.date, timeofday: str = "") -> DateSpan:
    """The days a date slot names; anything unrecognised means today."""
    text = " ".join(date_slot.lower().split())
    tod = _timeofday(text, timeofday)
    one_day = dt.timedelta(days=1)

    if not text or text in ("today", "now", "tonight", "right now", "this morning", "this afternoon"):
        return DateSpan((today,), "tonight" if text == "tonight" else "today", tod)
    if "day after tomorrow" in text:
        return DateSpan((today + 2 * one_day,), "the day after tomorrow", tod)
    if "tomorrow" in text:
        return DateSpan((today + one_day,), "tomorrow", tod)
    if "yesterday" in text:
        return DateSpan((today - one_day,), "yesterday", tod)
    if "weekend" in text:
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:  # on a Sunday "this weekend" is what is left of it: today
            return DateSpan((today,), "today", tod)
        label = "this weekend"
        if "next" in text:
            saturday += 7 * one_day
            label = "next weekend"
        return DateSpan((saturday, saturday + one_day), label, tod)
    if "next week" in text or "this week" in text or "week" == text:
        start = today + one_day
        return DateSpan(tuple(start + i * one_day for i in range(7)), "over the next week", tod)
    in_days = re.search(r"\bin (\d{1,2}) days?\b", text)
    if in_days:
        return DateSpan((today + int(in_days[1]) * one_day,), f"in {int(in_days[1])} days", tod)
    for index, name in enumerate(WEEKDAYS):
        if name in text or re.search(rf"\b{name[:3]}\b", text):
            ahead = (index - today.weekday()) % 7
            if "next" in text and ahead == 0:
                ahead = 7
            day = today + ahead * one_day
            return DateSpan((day,), "today" if ahead == 0 else f"on {name.title()}", tod)
    calendar = _calendar_date(text, today)
    if calendar:
        return DateSpan((calendar,), f"on {calendar:%B} {calendar.day}", tod)
    return DateSpan((today,), "today", tod)
