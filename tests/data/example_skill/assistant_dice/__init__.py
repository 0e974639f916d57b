"""Dice: the example skill. "roll a die", "roll two dice", "flip a coin"; then "again".

It shows every part a skill declares: an intent the classifier was never trained on
(``answers``), reached by its own ``routes`` (``words``); settings from its ``[skills.dice]``
section (``sides``); phrasing in its templates (``phrasing``); what happens after a throw
(``offers``: no "want another?", nothing to skip); and ``converse``, the first look at a
follow-up while it is the active skill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from assistant.skill_sdk.api import (
    Answers,
    OfferPolicy,
    SkillPhrasing,
    SkillRequest,
    SkillResult,
    SkillSettings,
    SkillSpec,
    SkillWords,
)

NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
ROLL = re.compile(r"\b(roll|throw)\b.*?\b(?P<count>a|an|one|two|three|four|five|six|\d+)?\s*(dice|die)\b")
FLIP = re.compile(r"\b(flip|toss)\b.*\bcoin\b")
AGAIN = re.compile(r"^\s*(again|once more|one more( time)?|roll again|flip again|do it again)\s*[.!]?\s*$")
MAX_DICE = 10


class DiceSkill:
    name = "dice"
    intents = frozenset({"roll_dice"})

    def __init__(self, sides: int = 6) -> None:
        self.sides = sides

    def handle(self, request: SkillRequest) -> SkillResult:
        return SkillResult(items=[], text=self._throw(request.text, request))

    def converse(self, request: SkillRequest) -> SkillResult | None:
        """ "again" repeats this session's last throw; anything else goes to the dialogue."""
        if not AGAIN.match(request.text.lower()) or not request.previous_text:
            return None
        return SkillResult(items=[], text=self._throw(request.previous_text, request))

    def _throw(self, text: str, request: SkillRequest) -> str:
        lowered = text.lower()
        if FLIP.search(lowered):
            side = "heads" if request.rng.random() < 0.5 else "tails"
            return SPEC.say("coin", request.rng, side=side)
        match = ROLL.search(lowered)
        word = (match.group("count") if match else None) or "a"
        count = int(word) if word.isdigit() else NUMBERS.get(word, 1)
        if not 1 <= count <= MAX_DICE:
            return SPEC.say("too_many", request.rng, most=MAX_DICE)
        rolls = [request.rng.randint(1, self.sides) for _ in range(count)]
        if count == 1:
            return SPEC.say("one", request.rng, value=rolls[0])
        listed = ", ".join(str(r) for r in rolls)
        return SPEC.say("many", request.rng, values=listed, total=sum(rolls))


class DiceSettings(SkillSettings):
    """``[skills.dice]`` in config.toml: ``sides = 20`` rolls twenty-sided dice. The assistant
    checks the section with this model at start-up (``SkillSpec.settings_model``): a typo or a
    value of the wrong type is reported, and the default is used."""

    sides: int = 6


def load_skill(settings: Mapping[str, Any] | None = None) -> DiceSkill:
    sides = DiceSettings.model_validate(dict(settings or {})).sides
    return DiceSkill(sides=max(2, sides))


SPEC = SkillSpec(
    name="dice",
    load=load_skill,
    answers=Answers(offer_intent="roll_dice"),
    words=SkillWords(routes=((ROLL.pattern, ""), (FLIP.pattern, ""))),
    phrasing=SkillPhrasing(
        examples=("roll a die", "flip a coin"),
        description="roll dice",
        topic="dice",
        what="a dice roll",
        templates={
            "one": ("You rolled a {value}.", "It's a {value}."),
            "many": ("You rolled {values}: {total} in all.",),
            "coin": ("It's {side}.", "{side}!"),
            "too_many": ("I can roll up to {most} dice at once.",),
        },
    ),
    offers=OfferPolicy(offers_another=False, takes_feedback=False, says_reason=False),
    rank=90,
    settings_model=DiceSettings,
)
