"""What the dialogue manager keeps between turns and what it decides in one: ``DialogueState``,
``Outcome`` (what the NLG renders and the history store records) and ``TurnContext``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.contracts.stages import Parse
from assistant.dialogue.frame import Frame
from assistant.skill_sdk.api import Item, UserProfile
from assistant.storage.history import FeedbackRecord


class HistoryReader(Protocol):
    def profile(self, user: str, domain: str) -> UserProfile: ...
    def offers(
        self, user: str, since: float | None = None, domain: str | None = None
    ) -> list[dict[str, Any]]: ...
    def feedback(self, user: str) -> list[dict[str, Any]]: ...
    def preferences(self, user: str) -> dict[str, str]: ...


# Items "it", "the film before" may point back to: a handful is all a conversation refers to.
MENTIONS_KEPT = 10


@dataclass
class DialogueState:
    user: str
    active_domain: str | None = None
    last_items: list[Item] = field(default_factory=list)
    # What the person wants from each skill, held across turns (assistant/dialogue/frame.py).
    frames: dict[str, Frame] = field(default_factory=dict)
    # Items offered or named, most recent first: what "it" and "that one" point at.
    mentioned: list[Item] = field(default_factory=list)
    last_response: str = ""
    pending: str | None = None  # "more" | "forget_me" | "confirm_domain"
    pending_parse: Parse | None = None
    offered: dict[str, set[str]] = field(default_factory=dict)  # per domain, this session
    asked: dict[str, str] = field(default_factory=dict)  # per skill: the words of its last request
    volume: int = 5

    def mention(self, item: Item) -> None:
        """``item`` is now what "it" points at; the list stays bounded over a long session."""
        self.mentioned = [item, *(i for i in self.mentioned if i.id != item.id)][:MENTIONS_KEPT]


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
    frame: dict[str, Any] | None = None  # the acted-on skill's frame after the turn (``Frame.to_dict``)
    matcher: str = ""  # which of the dialogue's declared matchers took the turn


@dataclass
class TurnContext:
    user: str
    text: str
    rng: random.Random
    now: float
    intent: str = ""  # the intent to act on, read in the light of the conversation (set by the manager)
    pending_before: str | None = None  # the question pending when the turn started
