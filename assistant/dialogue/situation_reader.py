"""The situation of an offer: the turn's words and clock, and what a skill can tell of outside."""

from __future__ import annotations

import logging

from assistant.contracts.errors import SkillFailedError
from assistant.dialogue.state import HistoryReader, TurnContext
from assistant.skill_sdk.api import SensesOutside
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.skill_sdk.situation import Situation, read_situation, sky_in_words

log = logging.getLogger(__name__)


class SituationReader:
    """Builds the ``Situation`` handed to a skill with an offer request."""

    def __init__(self, skills: SkillRegistry, history: HistoryReader) -> None:
        self.skills = skills
        self.history = history

    def read(self, ctx: TurnContext) -> Situation:
        sky, sky_from = ("", "") if sky_in_words(ctx.text) else self._outside(ctx)
        return read_situation(ctx.text, ctx.now, sky, sky_from)

    def _outside(self, ctx: TurnContext) -> tuple[str, str]:
        """The first answer of a skill that declares it senses outside; ("", "") from none."""
        for spec in self.skills.specs:
            if not spec.senses_outside:
                continue
            try:
                skill = self.skills.skill(spec.name)
                if not isinstance(skill, SensesOutside):
                    continue
                sky, where = skill.outside_now(self.history.profile(ctx.user, spec.name), ctx.now)
            except SkillFailedError as exc:  # its catalog is not built: no sky, and said so in the log
                log.warning("%s cannot tell what it is like outside: %s", spec.name, exc)
                continue
            except Exception:
                log.exception("%s failed to tell what it is like outside", spec.name)
                continue
            if sky:
                return sky, where
        return "", ""
