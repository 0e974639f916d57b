"""The contract between the dialogue manager and a domain skill."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# Feedback kinds the history store records; a skip weighs less than a dislike.
FEEDBACK_WEIGHTS: dict[str, float] = {"like": 1.0, "play": 0.3, "skip": -0.3, "dislike": -1.0}


@dataclass
class Item:
    """One thing a skill offers. ``id`` is unique within the domain and stable across runs."""

    id: str
    title: str
    domain: str
    reason: str
    subtitle: str = ""  # artist, category, year: spoken after the title
    score: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "domain": self.domain,
            "reason": self.reason,
            "subtitle": self.subtitle,
            "score": round(float(self.score), 6),
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            domain=str(data["domain"]),
            reason=str(data.get("reason", "")),
            subtitle=str(data.get("subtitle", "")),
            score=float(data.get("score", 0.0)),
            meta=dict(data.get("meta") or {}),
        )


@dataclass
class FeedbackEvent:
    item_id: str
    kind: str  # like | dislike | skip | play | offer | rating
    ts: float  # unix seconds
    value: float | None = None  # the star rating for kind == "rating" (imported histories)


@dataclass
class UserProfile:
    """What the history store knows of one user in one domain, oldest first.

    ``offered`` lists every item id offered (with time); ``feedback`` the likes, dislikes, skips.
    ``preferences`` holds stored settings such as ``home_city`` or ``units``.
    """

    user: str
    domain: str
    offered: list[FeedbackEvent] = field(default_factory=list)
    feedback: list[FeedbackEvent] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)

    @property
    def offered_ids(self) -> set[str]:
        return {e.item_id for e in self.offered}

    def ids_with(self, kind: str) -> list[str]:
        return [e.item_id for e in self.feedback if e.kind == kind]

    def item_weights(self) -> dict[str, float]:
        """Net feedback weight per item, later feedback overriding nothing: weights add up."""
        weights: dict[str, float] = {}
        for e in self.feedback:
            weights[e.item_id] = weights.get(e.item_id, 0.0) + FEEDBACK_WEIGHTS.get(e.kind, 0.0)
        return weights


@dataclass
class SkillRequest:
    intent: str
    slots: dict[str, str]
    profile: UserProfile
    # Items offered earlier in this session (not yet in the profile's feedback) to avoid repeats.
    exclude: set[str] = field(default_factory=set)
    # The item the user refers to with "more like this" / "not this one".
    anchor: Item | None = None
    k: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    # Wall-clock time of the turn (unix seconds). Replay passes the recorded time, so a skill
    # that depends on "today" must read it from here to stay deterministic.
    now: float | None = None
    # The user's words, for cues the slots do not carry ("will I need an umbrella").
    text: str = ""
    # The slots the user gave this turn; the others were carried over from an earlier request
    # ("skip", "another one"). None: every slot is this turn's.
    new_slots: frozenset[str] | None = None

    def said(self, slot: str) -> bool:
        """Whether ``slot`` came from this turn's words (a note about it is due now, not again)."""
        return self.new_slots is None or slot in self.new_slots


@dataclass
class SkillResult:
    items: list[Item]
    # A spoken fact that is not an item (a weather report, an honest "I don't know that artist").
    text: str = ""
    # Preferences the skill learned and wants stored (e.g. home_city after a weather question).
    preferences: dict[str, str] = field(default_factory=dict)


class SkillError(Exception):
    """A skill could not answer; the pipeline turns it into an apology."""


@runtime_checkable
class Skill(Protocol):
    name: str  # the domain: music | news | weather | video
    intents: frozenset[str]  # NLU labels this skill answers

    def handle(self, request: SkillRequest) -> SkillResult: ...


@runtime_checkable
class NamesItems(Protocol):
    """A skill whose catalog can be searched by the name a user says ("I love Alien")."""

    def lookup(self, slots: dict[str, str]) -> Item | None: ...
