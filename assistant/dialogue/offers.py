"""The dialogue's calls into skills: a request built from the skill's frame, the call itself
(every failure inside a skill becomes a ``SkillFailedError``, logged in full), the active skill's
``converse`` with a time limit, and what an offer leaves in the state (the items offered, what
"it" now points at, the question "want another?")."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from assistant.contracts.errors import SkillFailedError
from assistant.contracts.stages import Parse
from assistant.dialogue.frame import Frame, FrameTracker, FrameUpdate, is_pointer, ordinal_item
from assistant.dialogue.situation_reader import SituationReader
from assistant.dialogue.state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.skill_sdk.api import Converses, Item, SkillError, SkillRequest, SkillResult, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.history import FeedbackRecord

log = logging.getLogger(__name__)

# The active skill's ``converse`` gets this long before the turn goes on without it: a skill that
# hangs must not hang the speaker (ovos-core gives converse a time limit the same way).
CONVERSE_TIMEOUT_S = 2.0


def reference(state: DialogueState, domain: str | None = None, text: str = "") -> Item | None:
    """What "it" points at: the item offered, playing or named last (of ``domain``); "the
    second one" is that item of the last offer."""
    counted = ordinal_item(text, [i for i in state.last_items if domain is None or i.domain == domain])
    if counted is not None:
        return counted
    return next((i for i in state.mentioned if domain is None or i.domain == domain), None)


class SkillCalls:
    def __init__(
        self, skills: SkillRegistry, history: HistoryReader, frames: FrameTracker, situation: SituationReader
    ) -> None:
        self.skills = skills
        self.history = history
        self.frames = frames
        self.situation = situation
        self._pool: ThreadPoolExecutor | None = None

    def request(
        self, spec: SkillSpec, intent: str, slots: dict[str, str], state: DialogueState, ctx: TurnContext
    ) -> SkillRequest:
        frame = state.frames.get(spec.name)
        return SkillRequest(
            intent=intent,
            slots=dict(slots),
            profile=self.history.profile(ctx.user, spec.name),
            exclude=set(state.offered.get(spec.name, set())),
            k=spec.offers.items_per_offer,
            rng=ctx.rng,
            text=ctx.text,
            now=ctx.now,
            previous_text=state.asked.get(spec.name, ""),
            situation=self.situation.read(ctx) if intent == spec.answers.offer_intent else None,
            excluded=frame.exclusions() if frame is not None else {},
            last_offered=next((i for i in state.last_items[:1] if i.domain == spec.name), None),
        )

    def call(self, spec: SkillSpec, handler: str, request: SkillRequest) -> SkillResult | None:
        """Run one skill method; whatever goes wrong inside is a skill error, logged in full."""
        skill = self.skills.skill(spec.name)
        method = getattr(skill, handler, None)
        if method is None:
            return None
        try:
            return method(request)
        except SkillError as exc:
            log.warning("%s skill could not answer: %s", spec.name, exc)
            raise SkillFailedError(f"{spec.name} skill: {exc}") from exc
        except Exception as exc:
            log.exception("%s skill failed on %r", spec.name, request.text)
            raise SkillFailedError(f"{spec.name} skill: {type(exc).__name__}: {exc}") from exc

    def converse(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """The active skill gets the first look at a follow-up, if it wants one, for at most
        ``CONVERSE_TIMEOUT_S``."""
        spec = self.skills.spec(state.active_domain) if state.active_domain else None
        if spec is None:
            return None
        if self.skills.skill_with(spec.name, Converses) is None:
            return None
        frame = state.frames.get(spec.name) or Frame(spec.name)
        slots = {**frame.constraints, **parse.slots}
        request = self.request(spec, parse.intent, slots, state, ctx)
        request.anchor = state.last_items[0] if state.last_items else None
        request.new_slots = frozenset(parse.slots)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="converse")
        future = self._pool.submit(self.call, spec, "converse", request)
        try:
            result = future.result(timeout=CONVERSE_TIMEOUT_S)
        except FutureTimeout:
            log.warning(
                "%s skill's converse took over %.1f s; the turn goes on without it",
                spec.name,
                CONVERSE_TIMEOUT_S,
            )
            self._pool = None  # the stuck call keeps its thread; later turns get a new one
            return None
        if result is None:
            return None
        state.pending = None
        state.frames[spec.name] = Frame(spec.name, slots, frame.excluded, frame.reference)
        outcome = self.offered(spec, state, result)
        outcome.act, outcome.intent = "converse", spec.answers.offer_intent
        return outcome

    def recommend(
        self,
        spec: SkillSpec,
        update: FrameUpdate,
        state: DialogueState,
        ctx: TurnContext,
        feedback: list[FeedbackRecord] | None = None,
        intent: str = "",
    ) -> Outcome:
        """An offer from ``spec`` for its frame after ``update`` (a fresh update starts it over,
        keeping what was ruled out)."""
        previous = state.frames.get(spec.name) or Frame(spec.name)
        frame = self.frames.apply(previous, update, spec.answers.fresh_slots, spec.answers.displaces)
        state.frames[spec.name] = frame
        request = self.request(spec, spec.answers.offer_intent, frame.constraints, state, ctx)
        reference = update.reference if update.once else frame.reference
        request.anchor = reference if reference is not None and reference.domain == spec.name else None
        request.new_slots = frozenset(update.constraints)
        result = self.call(spec, "handle", request)
        assert result is not None  # every skill has handle()
        state.asked[spec.name] = ctx.text
        outcome = self.offered(spec, state, result)
        outcome.feedback = feedback or []
        outcome.intent = intent
        return outcome

    def offered(self, spec: SkillSpec, state: DialogueState, result: SkillResult) -> Outcome:
        state.active_domain = spec.name
        frame = state.frames.get(spec.name) or Frame(spec.name)
        if result.items:
            state.last_items = list(result.items)
            state.mention(result.items[0])
            state.offered.setdefault(spec.name, set()).update(i.id for i in result.items)
        followup = bool(result.items) and spec.offers.offers_another
        if followup:
            state.pending = "more"
        return Outcome(
            result.act or "recommend",
            domain=spec.name,
            slots=dict(frame.constraints),
            items=list(result.items),
            skill_text=result.text,
            preferences=dict(result.preferences),
            expects_reply=followup,
            skill_ran=True,
        )

    def ask(
        self, spec: SkillSpec, intent: str, parse: Parse, state: DialogueState, ctx: TurnContext
    ) -> Outcome:
        """A question or setting about what the skill offers ("who sings this?")."""
        slots = {k: v for k, v in parse.slots.items() if not is_pointer(v)}  # "who sings it": no song "it"
        request = self.request(spec, intent, slots, state, ctx)
        request.anchor = reference(state, spec.name, request.text)
        result = self.call(spec, "handle", request)
        assert result is not None
        return Outcome(
            intent,
            result.key,
            dict(result.values),
            domain=spec.name,
            slots=slots,
            skill_text=result.text,
            preferences=dict(result.preferences),
            skill_ran=True,
        )
