"""Answers about the user's own data: "what do you know about me", "what did I play yesterday"."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from assistant.skill_sdk.api import SkillSpec
from assistant.skill_sdk.phrasing import join_words


class _Reader(Protocol):
    def offers(
        self, user: str, since: float | None = None, domain: str | None = None
    ) -> list[dict[str, Any]]: ...
    def feedback(self, user: str) -> list[dict[str, Any]]: ...
    def preferences(self, user: str) -> dict[str, str]: ...


def describe_profile(history: _Reader, user: str, specs: Sequence[SkillSpec]) -> str:
    offers = history.offers(user)
    feedback = history.feedback(user)
    prefs = history.preferences(user)
    has_voiceprint = getattr(history, "has_voiceprint", None)  # fakes without voiceprints: none
    knows_voice = bool(has_voiceprint and has_voiceprint(user))
    if not offers and not feedback and not prefs and not knows_voice:
        topics = join_words([s.phrasing.topic or s.name for s in specs], last="or")
        return f"I don't know anything about you yet, {user}. Ask me for {topics}."
    parts = [f"Here's what I know about you, {user}:"]
    by_domain = Counter(o["domain"] for o in offers)
    if by_domain:
        parts.append(
            "I've made "
            + ", ".join(f"{n} {d} suggestion{'s' if n != 1 else ''}" for d, n in by_domain.most_common())
            + "."
        )
    kinds = Counter(f["kind"] for f in feedback)
    if kinds:
        parts.append(
            "You gave " + ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds.most_common()) + "."
        )
    titles = {(o["domain"], o["item_id"]): o["title"] for o in offers}
    liked = [titles.get((f["domain"], f["item_id"])) for f in feedback if f["kind"] == "like"]
    liked = [t for t in liked if t]
    if liked:
        parts.append("Recently you liked " + ", ".join(liked[-3:]) + ".")
    for spec in specs:
        for key, sentence in spec.phrasing.preference_phrases.items():
            if key in prefs:
                parts.append(sentence.format(value=prefs[key]))
    if knows_voice:
        parts.append("I know your voice from the phrases you enrolled with.")
    parts.append("Say 'forget me' to delete it all.")
    return " ".join(parts)


def describe_likes(history: _Reader, user: str) -> str:
    """ "What did I like?": the likes told, latest last (it had answered with what was offered)."""
    titles = {(o["domain"], o["item_id"]): o["title"] for o in history.offers(user)}
    likes = [f for f in history.feedback(user) if f["kind"] == "like"]
    if not likes:
        return (
            "You haven't told me you like anything yet. When I suggest something you enjoy, say 'I like it'."
        )
    named = list(dict.fromkeys(t for f in likes if (t := titles.get((f["domain"], f["item_id"])))))
    unnamed = len({(f["domain"], f["item_id"]) for f in likes}) - len(named)
    other = f"{unnamed} other thing{'s' if unnamed != 1 else ''} you named yourself"
    shown = named[-5:] + ([other] if unnamed and named else [])
    if not shown:
        return f"You've told me about {unnamed} thing{'s' if unnamed != 1 else ''} you like."
    return f"You told me you like {join_words(shown)}."


def describe_history(history: _Reader, user: str, text: str, now: float, specs: Sequence[SkillSpec]) -> str:
    """Answer from the offers table, filtered by a spoken day and a skill's words in ``text``."""
    day = _day_in(text, now)
    spec = next((s for s in specs if any(w in text for w in s.phrasing.history.words)), None)
    domain = spec.name if spec is not None else None
    since = None if day is None else day[0]
    rows = history.offers(user, since=since, domain=domain)
    if day is not None:
        rows = [r for r in rows if r["ts"] < day[1]]
    when = "" if day is None else f" {day[2]}"
    if not rows:
        what = (spec.phrasing.history.kind or spec.name) if spec is not None else "anything"
        return f"I don't have any {what} in your history{when}."
    # One mention per item, most recent last.
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        seen[(r["domain"], r["item_id"])] = r
    recent = list(seen.values())[-5:]
    listed = "; ".join(f"{r['title']}" for r in recent)
    noun = spec.phrasing.history.noun if spec is not None else "things"
    return f"{'Recently' if day is None else day[2].capitalize()} I offered you {len(seen)} {noun}, most recently: {listed}."


def _day_in(text: str, now: float) -> tuple[float, float, str] | None:
    today = dt.datetime.fromtimestamp(now).date()
    if "yesterday" in text:
        day, label = today - dt.timedelta(days=1), "yesterday"
    elif "today" in text:
        day, label = today, "today"
    else:
        return None
    start = dt.datetime.combine(day, dt.time()).timestamp()
    return start, start + 86400, label
