"""What the dialogue manager keeps between turns and what it decides in one: ``DialogueState``,
``Outcome`` (what the NLG renders and the history store records) and ``TurnContext``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.history import FeedbackRecord
from assistant.skill_api import Item, UserProfile
from assistant.stages import Parse


class HistoryReader(Protocol):
    def profile(self, user: str, domain: str) -> UserProfile: ...
    def offers(
        self, user: str, since: float | None = None, domain: str | None = None
    ) -> list[dict[str, Any]]: ...
    def feedback(self, user: str) -> list[dict[str, Any]]: ...
    def preferences(self, user: str) -> dict[str, str]: ...


@dataclass
class DialogueState:
    user: str
    active_domain: str | None = None
    last_items: list[Item] = field(default_factory=list)
    slots: dict[str, dict[str, str]] = field(default_factory=dict)  # per domain
    last_response: str = ""
    pending: str | None = None  # "more" | "forget_me" | "confirm_domain"
    pending_parse: Parse | None = None
    offered: dict[str, set[str]] = field(default_factory=dict)  # per domain, this session
    asked: dict[str, str] = field(default_factory=dict)  # per skill: the words of its last request
    volume: int = 5


@dataclass
class Outcome:
    act: str
    response_key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    domain: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    skill_text: str = ""
    feedback: list[FeedbackRecord] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)
    expects_reply: bool = False
    forget_user: bool = False
    switch_user: str | None = None
    skill_ran: bool = False
    intent: str = ""  # what the assistant acted on (a follow-on reads as its skill's intent)


@dataclass
class TurnContext:
    user: str
    text: str
    rng: random.Random
    now: float
