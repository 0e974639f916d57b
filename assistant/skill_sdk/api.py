"""The contract between the core and a skill: requests, results, items, the Skill protocol and
``SkillSpec``, what a skill declares about itself.

The parts a ``SkillSpec`` is made of (``Answers``, ``SkillWords``, ``SkillPhrasing``,
``OfferPolicy``, ``ModelHints``, with ``SlotDoc`` and ``HistoryPhrasing``) live in
``assistant.skill_sdk.spec`` and are re-exported here, so a skill imports everything it is
written against from this module."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from assistant.skill_sdk.library import FileLibrary
from assistant.skill_sdk.situation import Situation
from assistant.skill_sdk.spec import Answers, ModelHints, OfferPolicy, SkillPhrasing, SkillWords
from assistant.skill_sdk.spec import HistoryPhrasing as HistoryPhrasing  # re-exported for skills
from assistant.skill_sdk.spec import SlotDoc as SlotDoc  # re-exported for skills
from assistant.skill_sdk.spec import join_values as join_values  # re-exported for skills
from assistant.skill_sdk.spec import split_values as split_values  # re-exported for skills
from assistant.skill_sdk.status import SkillStatus

# Feedback kinds the history store records; a skip weighs less than a dislike.
FEEDBACK_WEIGHTS: dict[str, float] = {"like": 1.0, "play": 0.3, "skip": -0.3, "dislike": -1.0}
# How many of a user's latest feedback events a skill's taste reads.
MAX_FEEDBACK_EVENTS = 300


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
        """The item as a JSON-ready dict (score rounded)."""
        return {
            "id": self.id,
            "title": self.title,
            "domain": self.domain,
            "reason": self.reason,
            "subtitle": self.subtitle,
            "score": round(float(self.score), 6),
            "meta": self.meta,
        }


@dataclass
class FeedbackEvent:
    """One thing the user did with an item (like, skip, play, offer, rating) and when."""

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
        """The ids of every item offered to the user."""
        return {e.item_id for e in self.offered}

    def ids_with(self, kind: str) -> list[str]:
        """The ids of the items that got feedback of ``kind``, oldest first."""
        return [e.item_id for e in self.feedback if e.kind == kind]

    def decayed_feedback(
        self, decay: float, limit: int = MAX_FEEDBACK_EVENTS
    ) -> Iterator[tuple[FeedbackEvent, float]]:
        """The last ``limit`` weighted feedback events, newest first, each with its weight.

        The weight is the kind's ``FEEDBACK_WEIGHTS`` times ``decay`` once per newer event, so
        the newest feedback counts most.
        """
        events = [e for e in self.feedback if e.kind in FEEDBACK_WEIGHTS][-limit:]
        for age, event in enumerate(reversed(events)):
            yield event, FEEDBACK_WEIGHTS[event.kind] * decay**age


@dataclass
class SkillRequest:
    """What the core asks a skill: the intent, slots, user profile and the turn's context."""

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
    # The words of the last request this skill answered in this session ("" if none): what
    # "again" refers to when the skill gets the first look at a follow-up.
    previous_text: str = ""
    # When and in what the request is made (assistant/skill_sdk/situation.py), for offers that leave
    # room ("play some music" on a rainy Sunday afternoon). None outside offers.
    situation: Situation | None = None
    # Values the person ruled out in this conversation, per slot ("not jazz": genre {"jazz"};
    # "nothing gory": movie_genre {"Horror"}). They hold for the rest of the session.
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)
    # The item this skill offered last in this session, if the last offer was this skill's:
    # what "play it again" means when nothing is playing.
    last_offered: Item | None = None

    def said(self, slot: str) -> bool:
        """Whether ``slot`` came from this turn's words (a note about it is due now, not again)."""
        return self.new_slots is None or slot in self.new_slots

    def values(self, slot: str) -> list[str]:
        """``slot``'s values, first as given: one, or several joined with "|" (a slot declared
        ``many``, or the frame joining the mood the classifier heard with the one a skill's words
        say: "something more upbeat" is "energetic|happy")."""
        return split_values(self.slots.get(slot, ""))


@dataclass
class SkillResult:
    """A skill's answer: the items it offers, or a spoken fact, and preferences to store."""

    items: list[Item]
    # A spoken fact that is not an item (a weather report, an honest "I don't know that artist").
    text: str = ""
    # Preferences the skill learned and wants stored (e.g. home_city after a weather question).
    preferences: dict[str, str] = field(default_factory=dict)
    # For an answer that is not an offer: which of the skill's templates says it and the values
    # that fill it (an ``Item`` under "item" is spoken the skill's way). The NLG varies the
    # wording with the turn's generator; ``text`` is the plain first wording, for other callers.
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    # The dialogue act of an answer that is not an offer ("stop" for "pause it"); "" for an offer.
    act: str = ""


class SkillError(Exception):
    """A skill could not answer; the pipeline turns it into an apology."""


@runtime_checkable
class Skill(Protocol):
    """A skill: answers the intents it declares with items or text."""

    name: str  # the skill's name, as its ``SkillSpec`` gives it; stored with every item
    intents: frozenset[str]  # labels this skill answers

    def handle(self, request: SkillRequest) -> SkillResult:
        """The skill's answer to ``request``; raises ``SkillError`` when it cannot answer."""


@runtime_checkable
class Converses(Protocol):
    """A skill that wants the first look at what is said while it is the active one.

    ``converse`` returns None to let the dialogue manager handle the utterance as usual
    (OpenVoiceOS's converse: "again" means something to a dice skill, nothing to the core).
    """

    def converse(self, request: SkillRequest) -> SkillResult | None:
        """The skill's answer to the utterance, or None to let the dialogue manager handle it."""


@runtime_checkable
class SensesOutside(Protocol):
    """A skill that can tell what it is like outside for a user right now (a live service for
    their home city): "rain", "snow", "storm", "cloud", "cold", "sun", or "" when it cannot
    tell without waiting. With where it got it ("the live service for Paris")."""

    def outside_now(self, profile: UserProfile, now: float | None) -> tuple[str, str]:
        """(sky word or "", where it came from) for the user's home at ``now``."""


@runtime_checkable
class AnswersAbout(Protocol):
    """A skill that answers a question about one of its items ("who directed it", "what year
    is that from"); None when the question is not one it can answer from the item."""

    def about(self, item: Item, question: str) -> SkillResult | None:
        """The answer to ``question`` about ``item``, or None when the skill cannot tell."""


@runtime_checkable
class NamesItems(Protocol):
    """A skill whose catalog can be searched by the name a user says ("I love Alien")."""

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The item the name in ``slots`` refers to, or None. Its ``score`` (0..1) says how well
        known the item is, so a name two catalogs know goes to the better-known item."""
        ...


@runtime_checkable
class Candidates(Protocol):
    """A skill that can list its best few answers to a request, each with its metadata.

    The language model may then choose among them (it names one of these ids, never an item of
    its own); every filter the request's slots set still applies to each candidate.
    """

    def candidates(self, request: SkillRequest, n: int) -> list[Item]:
        """The skill's best ``n`` answers to ``request``, each with its metadata."""


class SkillSettings(BaseModel):
    """A base for a skill's settings model (``SkillSpec.settings_model``): one field per key of
    its config.toml section, each with a default.

    Values are taken as TOML types them, strictly (a string is not a number, a number not a
    boolean; an integer is a float), unknown keys are refused, and the settings are frozen.
    A skill builds its own with ``MySettings.model_validate(section)`` in ``load``.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class SkillSpec:
    """What a skill declares about itself. The core reads only this; it names no skill.

    A skill package exposes one of these under the ``assistant.skills`` entry-point group.
    ``load`` builds the skill from its own settings section (``[skills.NAME]`` in config.toml).
    The top level says who the skill is and how it is loaded; the rest is grouped in parts
    (``assistant/skill_sdk/spec.py``), each built with keyword arguments:
    ``answers=Answers(offer_intent=..., slots=...)``, ``words=SkillWords(...)``,
    ``phrasing=SkillPhrasing(...)``, ``offers=OfferPolicy(...)``, ``llm=ModelHints(...)``.
    """

    name: str
    load: Callable[[Mapping[str, Any]], Skill]
    answers: Answers  # the intents and slots it answers
    words: SkillWords = field(default_factory=SkillWords)  # the words people use for it
    phrasing: SkillPhrasing = field(default_factory=SkillPhrasing)  # how it is spoken of
    offers: OfferPolicy = field(default_factory=OfferPolicy)  # what happens around an offer
    llm: ModelHints = field(default_factory=ModelHints)  # what the language model is told
    rank: int = 100  # order in help text and lists; the lowest is the default skill
    # Command-line verbs the skill adds: ``assistant NAME ARGS...`` calls
    # ``commands[NAME](ARGS, the skill's settings section)`` and exits with what it returns. The
    # handler parses ARGS itself (all of them, --help too); the first line of its docstring is
    # the command's line in ``assistant --help``. The core's own command names cannot be taken.
    commands: Mapping[str, Callable[[list[str], Mapping[str, Any]], int]] = field(default_factory=dict)
    # The skill implements ``SensesOutside``: offers of other skills ask it what it is like
    # outside (only these skills are loaded for that).
    senses_outside: bool = False
    # The pydantic model of the skill's own config.toml section (a ``SkillSettings``, or any
    # ``BaseModel``): at start-up the core checks the section with it, warns about an unknown
    # key or a value of the wrong type (naming the key and the file) and hands ``load`` only the
    # keys that passed, so a bad value falls back to the skill's default. None: the section
    # reaches ``load`` as written, unchecked.
    settings_model: type[BaseModel] | None = None
    # ``assistant status`` asks this with the skill's settings section: the artifacts it loads,
    # a few facts about its data, and its online features (assistant/skill_sdk/status.py). It
    # must answer quickly, without loading models or reaching the network. None: nothing to say.
    status: Callable[[Mapping[str, Any]], SkillStatus] | None = None
    # The dotted name of the skill's build step: a module (``skills/<name>/build.py``) with
    # ``build(force: bool) -> str`` that builds the artifacts ``load`` reads, skips them when
    # their stamp is current and returns a one-line summary. ``python -m models.build`` runs it
    # after the core's model steps as the step called ``name`` (``--only NAME``). A name, not
    # the module, so the runtime never imports build code. Empty: the skill builds nothing.
    build: str = ""
    # A library of the user's own files the household page shows and scans: called with the
    # skill's settings section, it must answer quickly, without loading models
    # (assistant/skill_sdk/library.py). None: the skill keeps no such library.
    library: Callable[[Mapping[str, Any]], FileLibrary] | None = None

    def say(self, key: str, rng: random.Random | None, **values: Any) -> str:
        """One of this skill's templates, chosen with the turn's seeded generator (None: the first)."""
        options = self.phrasing.templates.get(key, ())
        if not options:
            return ""
        choice = options[rng.randrange(len(options))] if rng is not None else options[0]
        return choice.format(**values)

    def describe(self, item: Item) -> str:
        """How an item is spoken: the skill's "item" template, else "Title (subtitle)"."""
        return describe_item(item, self.phrasing.templates.get("item", ("",))[0])


def describe_item(item: Item, template: str = "") -> str:
    """An item for speech: ``template`` ({title}, {subtitle}) when it has a subtitle, else
    "Title (subtitle)", or the bare title."""
    if item.subtitle and template:
        return template.format(title=item.title, subtitle=item.subtitle)
    return f"{item.title} ({item.subtitle})" if item.subtitle else item.title
