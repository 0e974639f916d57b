"""Dialogue: what to do with an understood utterance, given the conversation so far.

The manager keeps per-session state (active skill, last items offered, pending question,
slots carried between turns), calls the right skill, and returns an ``Outcome`` that the NLG
turns into words and the history store records. It never touches audio; it knows no skill by
name and reads what each one answers from its ``SkillSpec``. The active skill gets the first
look at a follow-up (``Converses``), then the general dialogue decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace

from assistant.dialogue_followon import ASKS_FOR_MORE, CONFIRM_BELOW, REFINING_SLOTS, FollowOnReader
from assistant.dialogue_frame import POINTS_BACK, RETURNS, Frame, FrameTracker, FrameUpdate, is_pointer
from assistant.dialogue_likes import ToldLikes
from assistant.dialogue_phrases import CLEAR_YES, FOLLOW_ON, NOT_NAMES, REFINEMENT, USER_SWITCH
from assistant.dialogue_situation import SituationReader
from assistant.dialogue_state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.errors import SkillFailedError
from assistant.history import FeedbackRecord
from assistant.plugins import SkillRegistry
from assistant.profile import describe_history, describe_profile
from assistant.skill_api import (
    Converses,
    Item,
    Skill,
    SkillError,
    SkillRequest,
    SkillResult,
    SkillSpec,
)
from assistant.stages import OUT_OF_SCOPE, Parse

__all__ = ["DialogueManager", "DialogueState", "HistoryReader", "Outcome", "TurnContext"]
log = logging.getLogger(__name__)

# Slots any skill may carry between turns ("and tomorrow?").
SHARED_SLOTS = frozenset({"date", "time"})
# The core's own requests that people finish with a date ("what did I watch ... today"); skills
# declare theirs in ``SkillSpec.trailing_slots``.
CORE_TRAILING_SLOTS: dict[str, frozenset[str]] = {"history_query": SHARED_SLOTS}


def trailing_slots(specs: Iterable[SkillSpec]) -> dict[str, frozenset[str]]:
    """Intent -> the slots that may still follow a whole request of it (semantic endpointing)."""
    found = dict(CORE_TRAILING_SLOTS)
    for spec in specs:
        if spec.trailing_slots:
            found.update(dict.fromkeys(spec.all_intents, spec.trailing_slots))
    return found


Matcher = Callable[[Parse, DialogueState, TurnContext], "Outcome | None"]
# The active skill's ``converse`` gets this long before the turn goes on without it: a skill that
# hangs must not hang the speaker (ovos-core gives converse a time limit the same way).
CONVERSE_TIMEOUT_S = 2.0
# A question about an offer ("what's playing?") read below this may be a request in other words.
SURE_QUESTION = 0.85
# Core intents whose meaning a refinement's constraint words do not change ("stop", "why?").
KEEPS_ITS_MEANING = frozenset(
    {
        "stop",
        "repeat",
        "explain",
        "thanks",
        "volume_up",
        "volume_down",
        "volume_mute",
        "history_query",
        "forget_me",
    }
)


class DialogueManager:
    def __init__(self, skills: SkillRegistry | Callable[[str], Skill], history: HistoryReader) -> None:
        self.skills = SkillRegistry.wrap(skills)
        self.history = history
        specs = self.skills.specs
        self.follow_on = FollowOnReader(self.skills)
        self.situation = SituationReader(self.skills, history)
        self.frames = FrameTracker(specs, SHARED_SLOTS)
        self.told_likes = ToldLikes(self.skills)
        self.more_like_this = self.follow_on.more_like_this
        self.not_names = NOT_NAMES | {s.name for s in specs} | {w for s in specs for w in s.not_names}
        # Who gets the turn, in order: the first matcher that answers takes it (ovos-core's
        # pipeline, declared rather than buried in branches). Each is (parse, state, ctx) -> Outcome.
        self.matchers: tuple[tuple[str, Matcher], ...] = (
            ("user_switch", self._match_user_switch),
            ("converse", self._match_converse),
            ("frame_update", self._match_frame_update),
            ("pending_answer", self._match_pending_answer),
            ("told_like", self._match_told_like),
            ("return", self._match_return),
            ("words_name_skill", self._match_words_name_skill),
            ("offer", self._match_offer),
            ("skill_question", self._match_skill_question),
            ("core_intent", self._match_core_intent),
            ("out_of_scope", self._on_out_of_scope),
        )
        self.core_intents: dict[str, Matcher] = {
            "skip": self._on_skip,
            "dislike": self._on_dislike,
            "like": self._on_like,
            "explain": self._on_explain,
            "repeat": self._on_repeat,
            "stop": self._on_stop,
            "thanks": self._on_thanks,
            "affirm": self._on_affirm,
            "negate": self._on_negate,
            "dontcare": self._on_dontcare,
            "volume_up": self._on_volume_up,
            "volume_down": self._on_volume_down,
            "volume_mute": self._on_volume_mute,
            "history_query": self._on_history_query,
            "forget_me": self._on_forget_me,
        }
        self._converse_pool: ThreadPoolExecutor | None = None

    def respond(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        ctx = replace(ctx, intent=parse.intent, pending_before=state.pending)
        for name, matcher in self.matchers:
            if name == "pending_answer":
                # Past the matchers that may keep the conversation where it is, the intent is
                # read in the light of it ("what about tomorrow" after a forecast).
                ctx.intent = self.follow_on.resolve(parse, state, ctx.text)
            if name == "told_like":
                state.pending = None  # not answered: the question is dropped
            outcome = matcher(parse, state, ctx)
            if outcome is not None:
                outcome.matcher = name
                break
        assert outcome is not None  # the last matcher always answers
        outcome.intent = outcome.intent or ctx.intent
        frame = state.frames.get(outcome.domain or "")
        outcome.frame = frame.to_dict() if frame is not None else None
        return outcome

    def refines_active(self, parse: Parse, state: DialogueState, text: str) -> bool:
        """Whether ``text`` updates the active skill's frame from its own words ("something
        funnier", "too scary", "for the kids"): no second opinion is needed to read it."""
        return self._frame_update_for(parse, state, text) is not None

    # --- the matchers, in order --------------------------------------------------------
    def _match_user_switch(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        switch = USER_SWITCH.match(ctx.text)
        if not switch or switch.group(1).lower() in self.not_names:
            return None
        name = switch.group(1).lower()
        return Outcome("switch_user", "switch_user", {"name": name.capitalize()}, switch_user=name)

    def _match_frame_update(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """A refinement or correction of what is on offer ("no, something for kids", "not jazz,
        rock", "a comedy one", "something like it"): it stays with the skill being discussed,
        whatever weaker guess the classifier made of another skill."""
        found = self._frame_update_for(parse, state, ctx.text)
        if found is None:
            return None
        spec, update = found
        state.pending = None
        return self._recommend(spec, update, state, ctx, intent=spec.offer_intent)

    def _frame_update_for(
        self, parse: Parse, state: DialogueState, text: str
    ) -> tuple[SkillSpec, FrameUpdate] | None:
        spec = self._offering(state)
        if (
            spec is None
            or state.pending in ("forget_me", "confirm_domain")
            or parse.intent in KEEPS_ITS_MEANING
        ):
            return None
        lowered = text.lower()
        if any(self.follow_on.says_domain(s, lowered) for s in self.skills.specs if s is not spec):
            return None
        if self.frames.words.says_any(spec, lowered):
            own = self.skills.offer_owner(parse.intent)
            slots = parse.slots if own is spec or own is None else {}
            update = self.frames.read(spec, slots, text)
            # "A classic black and white film" right after a film is a new request, not a tweak.
            update.fresh = update.fresh or self._starts_afresh(spec, state, lowered, update)
            return spec, update
        if POINTS_BACK.search(lowered) and parse.intent not in ("like", "dislike"):
            update = FrameUpdate(reference=self._reference(state, spec.name))
            return (spec, update) if update.reference is not None else None
        return None

    def _match_pending_answer(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        if state.pending and ctx.intent in ("affirm", "negate", "dontcare"):
            return self._answer_pending(ctx.intent, state, ctx)
        return None

    def _match_told_like(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "I watched Alien last night and loved it", "my favourite film is Heat", "I'm a big
        Radiohead fan": a like of that item, told in passing, that shapes the next offers."""
        told = self.told_likes.read(parse, ctx.text, state)
        if told is None:
            return None
        item, name = told
        state.mentioned.insert(0, item)
        frame = state.frames.get(item.domain)
        if frame is not None:
            frame.reference = None  # the like is the newer thing said; "like it" now points at it
        asks_more = ASKS_FOR_MORE.search(ctx.text.lower())
        feedback = [FeedbackRecord(item.domain, item.id, "like")]
        spec = self.skills.spec(item.domain)
        if asks_more and spec is not None and spec.offers_another:
            # "I loved Alien, what else would I like": the like, and an offer built on it.
            outcome = self._recommend(
                spec, FrameUpdate(reference=item, fresh=True), state, ctx, feedback=feedback
            )
            return outcome
        return Outcome("like", "like", {"title": name}, domain=item.domain, feedback=feedback, intent="like")

    def _match_return(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "Ok, back to music now": the skill left earlier, with its frame as it was."""
        lowered = ctx.text.lower()
        if not RETURNS.search(lowered):
            return None
        for spec in self.skills.specs:
            if (
                spec.name in state.frames
                and spec.name != state.active_domain
                and self.follow_on.says_domain(spec, lowered)
            ):
                return self._recommend(
                    spec, self.frames.read(spec, {}, ctx.text), state, ctx, intent=spec.offer_intent
                )
        return None

    def _match_words_name_skill(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "A musical I can sing along to", read as music at 0.98: none of its words are the
        music skill's and they are another skill's own ("musical", "sing along"): the words win
        over the classifier's guess of a skill they say nothing of. The same for an unsure
        question ("an old black and white classic" as "what's playing?", 0.51) and for a request
        the classifier put out of scope that says two or more of one skill's words ("an epic
        fantasy adventure with dragons")."""
        if ctx.intent != parse.intent:
            return None  # already placed by the conversation
        asked = self.skills.owner(ctx.intent)
        if asked is None and ctx.intent != OUT_OF_SCOPE:
            return None  # the core's own requests: likes, skips, "why?"
        if asked is not None and ctx.intent != asked.offer_intent and parse.confidence >= SURE_QUESTION:
            return None
        lowered = ctx.text.lower()
        offers = asked is not None and ctx.intent == asked.offer_intent
        if asked is not None and (
            (offers and set(parse.slots) - REFINING_SLOTS)
            or self.follow_on.says_domain(asked, lowered)
            or self.frames.words.says_any(asked, lowered)
        ):
            return None
        said = {s.name: self.frames.words.mentions(s, lowered) for s in self.skills.specs if s is not asked}
        named = [self.skills.spec(name) for name, found in said.items() if found]
        if len(named) != 1 or named[0] is None:
            return None
        spec = named[0]
        if asked is None and len(said[spec.name]) < 2:
            return None  # one word out of scope ("tell me something funny") is no request
        if any(self.follow_on.says_domain(s, lowered) for s in self.skills.specs if s is not spec):
            return None
        update = self.frames.read(spec, {}, ctx.text)
        update.fresh = update.fresh or self._starts_afresh(spec, state, lowered, update)
        return self._recommend(spec, update, state, ctx, intent=spec.offer_intent)

    def _match_offer(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        intent = ctx.intent
        spec = self.skills.offer_owner(intent)
        if spec is None:
            return None
        # Already placed by the conversation (a follow-on, or more of what is being offered
        # now): asking "did you want a movie?" right after a movie would only annoy.
        follow_on = intent != parse.intent or state.active_domain == spec.name
        asked_already = (
            ctx.pending_before == "confirm_domain"
            and state.pending_parse is not None
            and self.skills.offer_owner(state.pending_parse.intent) is spec
        )
        # "sports?", "a song, maybe" or "a documentary about nature" says what it wants even when
        # the classifier is unsure.
        named = self.follow_on.says_domain(spec, ctx.text) or self._only_words_of(spec, ctx.text)
        if 0 < parse.confidence < CONFIRM_BELOW and not (asked_already or follow_on or named):
            state.pending, state.pending_parse = "confirm_domain", parse
            return Outcome(
                "confirm", "confirm_domain", {"domain": spec.name}, domain=spec.name, expects_reply=True
            )
        update = self.frames.read(spec, parse.slots, ctx.text)
        lowered = ctx.text.lower()
        if self.more_like_this.search(lowered) or POINTS_BACK.search(lowered):
            update.reference = self._reference(state, spec.name) or update.reference
        update.fresh = update.fresh or self._starts_afresh(spec, state, lowered, update)
        return self._recommend(spec, update, state, ctx)

    def _match_skill_question(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        owner = self.skills.owner(ctx.intent)
        return None if owner is None else self._ask_skill(owner, ctx.intent, parse, state, ctx)

    def _match_core_intent(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        handler = self.core_intents.get(ctx.intent)
        return None if handler is None else handler(parse, state, ctx)

    # --- frames and references ----------------------------------------------------------
    def _starts_afresh(
        self, spec: SkillSpec, state: DialogueState, lowered: str, update: FrameUpdate
    ) -> bool:
        """Whether an offer request starts its skill's frame over rather than refining it.

        Another skill was being discussed: a new request (a return is ``_match_return``'s). The
        same skill: only when the words name what it offers as a request of their own
        ("suggest a movie", "what's the news") rather than a refinement ("a comedy one",
        "what about sports", "something like it").
        """
        if spec.name != state.active_domain:
            return True
        refining = (
            REFINEMENT.match(lowered)
            or FOLLOW_ON.search(lowered)
            or POINTS_BACK.search(lowered)
            or self.more_like_this.search(lowered)
        )
        return bool(self.follow_on.says_domain(spec, lowered) and not refining)

    def _only_words_of(self, spec: SkillSpec, text: str) -> bool:
        """Whether ``text`` says constraint words of ``spec`` and of no other skill ("a
        documentary", not "one from the 80s", which music and films both read)."""
        lowered = text.lower()
        said = [s for s in self.skills.specs if self.frames.words.says_any(s, lowered)]
        return said == [spec]

    def _reference(self, state: DialogueState, domain: str | None = None) -> Item | None:
        """What "it" points at: the item offered, playing or named last (of ``domain``)."""
        return next((i for i in state.mentioned if domain is None or i.domain == domain), None)

    def _offering(self, state: DialogueState) -> SkillSpec | None:
        """The skill whose offer is being discussed now, if it offers more."""
        if not state.last_items or state.active_domain is None:
            return None
        spec = self.skills.spec(state.active_domain)
        return spec if spec is not None and spec.offers_another else None

    # --- skills --------------------------------------------------------------------------
    def _request(
        self, spec: SkillSpec, intent: str, slots: dict[str, str], state: DialogueState, ctx: TurnContext
    ) -> SkillRequest:
        frame = state.frames.get(spec.name)
        return SkillRequest(
            intent=intent,
            slots=dict(slots),
            profile=self.history.profile(ctx.user, spec.name),
            exclude=set(state.offered.get(spec.name, set())),
            k=spec.items_per_offer,
            rng=ctx.rng,
            text=ctx.text,
            now=ctx.now,
            previous_text=state.asked.get(spec.name, ""),
            situation=self.situation.read(ctx) if intent == spec.offer_intent else None,
            excluded=frame.exclusions() if frame is not None else {},
        )

    def _call(self, spec: SkillSpec, handler: str, request: SkillRequest) -> SkillResult | None:
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

    def _match_converse(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """The active skill gets the first look at a follow-up, if it wants one, for at most
        ``CONVERSE_TIMEOUT_S``."""
        spec = self.skills.spec(state.active_domain) if state.active_domain else None
        if spec is None:
            return None
        try:
            skill = self.skills.skill(spec.name)
        except SkillFailedError:
            return None
        if not isinstance(skill, Converses):
            return None
        frame = state.frames.get(spec.name) or Frame(spec.name)
        slots = {**frame.constraints, **parse.slots}
        request = self._request(spec, parse.intent, slots, state, ctx)
        request.anchor = state.last_items[0] if state.last_items else None
        request.new_slots = frozenset(parse.slots)
        if self._converse_pool is None:
            self._converse_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="converse")
        future = self._converse_pool.submit(self._call, spec, "converse", request)
        try:
            result = future.result(timeout=CONVERSE_TIMEOUT_S)
        except FutureTimeout:
            log.warning(
                "%s skill's converse took over %.1f s; the turn goes on without it",
                spec.name,
                CONVERSE_TIMEOUT_S,
            )
            self._converse_pool = None  # the stuck call keeps its thread; later turns get a new one
            return None
        if result is None:
            return None
        state.pending = None
        state.frames[spec.name] = Frame(spec.name, slots, frame.excluded, frame.reference)
        outcome = self._offered(spec, state, result)
        outcome.act, outcome.intent = "converse", spec.offer_intent
        return outcome

    def _recommend(
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
        frame = self.frames.apply(previous, update, spec.fresh_slots)
        state.frames[spec.name] = frame
        request = self._request(spec, spec.offer_intent, frame.constraints, state, ctx)
        reference = frame.reference
        request.anchor = reference if reference is not None and reference.domain == spec.name else None
        request.new_slots = frozenset(update.constraints)
        result = self._call(spec, "handle", request)
        assert result is not None  # every skill has handle()
        state.asked[spec.name] = ctx.text
        outcome = self._offered(spec, state, result)
        outcome.feedback = feedback or []
        outcome.intent = intent
        return outcome

    def _offered(self, spec: SkillSpec, state: DialogueState, result: SkillResult) -> Outcome:
        state.active_domain = spec.name
        frame = state.frames.get(spec.name) or Frame(spec.name)
        if result.items:
            state.last_items = list(result.items)
            state.mentioned = [
                *result.items[:1],
                *(i for i in state.mentioned if i.id != result.items[0].id),
            ][:10]
            state.offered.setdefault(spec.name, set()).update(i.id for i in result.items)
        followup = bool(result.items) and spec.offers_another
        if followup:
            state.pending = "more"
        return Outcome(
            "recommend",
            domain=spec.name,
            slots=dict(frame.constraints),
            items=list(result.items),
            skill_text=result.text,
            preferences=dict(result.preferences),
            expects_reply=followup,
            skill_ran=True,
        )

    def _ask_skill(
        self, spec: SkillSpec, intent: str, parse: Parse, state: DialogueState, ctx: TurnContext
    ) -> Outcome:
        """A question or setting about what the skill offers ("who sings this?")."""
        slots = {k: v for k, v in parse.slots.items() if not is_pointer(v)}  # "who sings it": no song "it"
        request = self._request(spec, intent, slots, state, ctx)
        request.anchor = self._reference(state, spec.name)
        result = self._call(spec, "handle", request)
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

    # --- feedback on the last offer -----------------------------------------------------
    def _active_spec(self, state: DialogueState) -> SkillSpec | None:
        if not state.last_items or state.active_domain is None:
            return None
        return self.skills.spec(state.active_domain)

    def _on_skip(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self._active_spec(state)
        if spec is None:
            return Outcome("skip", "nothing_to_skip")
        fb = [
            FeedbackRecord(it.domain, it.id, "skip")
            for it in state.last_items
            if (owner := self.skills.spec(it.domain)) is not None and owner.takes_feedback
        ]
        out = self._recommend(spec, FrameUpdate(), state, ctx, feedback=fb)
        out.act = "skip"
        return out

    def _on_dislike(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self._active_spec(state)
        if spec is None:
            return Outcome("dislike", "nothing_to_skip")
        last = state.last_items[0]
        fb = [FeedbackRecord(last.domain, last.id, "dislike")]
        out = self._recommend(spec, FrameUpdate(), state, ctx, feedback=fb)
        out.act, out.response_key, out.values = "dislike", "dislike", {"title": last.title}
        return out

    def _on_like(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        """ "I like this one" (a named item was ``_match_told_like``'s); a name no catalog
        knows is said so rather than pinned on what is playing."""
        last = state.last_items[0] if state.last_items else None
        for spec in self.skills.specs:
            name = parse.slots.get(spec.named_item_slot, "").strip() if spec.named_item_slot else ""
            if (
                name
                and not is_pointer(name)
                and not (last is not None and name.casefold() in last.title.casefold())
            ):
                return Outcome("like", spec.unknown_name_key, {"title": name, "skill": spec.name})
        if last is None:
            return Outcome("like", "like_nothing", {"domain": self.skills.default.name})
        return Outcome(
            "like",
            "like",
            {"title": last.title},
            domain=last.domain,
            feedback=[FeedbackRecord(last.domain, last.id, "like")],
        )

    def _on_explain(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_items:
            return Outcome("explain", "explain_nothing")
        last = state.last_items[0]
        return Outcome("explain", "explain", {"item": last}, domain=last.domain)

    def _on_repeat(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_response:
            return Outcome("repeat", "repeat_nothing")
        return Outcome("repeat", values={"text": state.last_response}, domain=state.active_domain)

    def _on_stop(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = None
        return Outcome("stop", "stop", domain=state.active_domain)  # what is stopped

    def _on_thanks(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = None
        state.active_domain = None
        return Outcome("thanks", "thanks")

    # --- answers to a pending question ---------------------------------------------------
    def _answer_pending(self, intent: str, state: DialogueState, ctx: TurnContext) -> Outcome:
        pending, parse = state.pending, state.pending_parse
        state.pending, state.pending_parse = None, None
        yes = intent in ("affirm", "dontcare")
        if pending == "forget_me":
            # Deleting a person's history is not undone: it takes a yes in so many words, not
            # just a turn the classifier read as "affirm" (a fuzzed string of control characters
            # and accented letters once was, and wiped the history it was testing).
            if intent == "affirm" and CLEAR_YES.search(ctx.text.lower()):
                return Outcome("forget_me", "forget_done", forget_user=True)
            return Outcome("forget_cancelled", "forget_cancelled")
        if pending == "confirm_domain" and parse is not None:
            spec = self.skills.offer_owner(parse.intent)
            if yes and spec is not None:  # the skill reads the request that was confirmed, not the "yes"
                asked = replace(ctx, text=parse.text or ctx.text)
                update = self.frames.read(spec, parse.slots, asked.text)
                update.fresh = True
                outcome = self._recommend(spec, update, state, asked)
                outcome.intent = parse.intent  # what was acted on is the confirmed request
                return outcome
            return Outcome("negate", "negate_nothing")
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        if pending == "more" and active is not None:
            if yes:
                out = self._recommend(active, FrameUpdate(), state, ctx)
                out.act = "more"
                return out
            return Outcome("negate", "negate_nothing")
        return Outcome(intent, "affirm_nothing" if yes else "negate_nothing")

    def _on_affirm(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("affirm", "affirm_nothing")

    def _on_negate(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("negate", "negate_nothing")

    def _on_dontcare(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self.skills.spec(state.active_domain or "") or self._favourite(ctx.user)
        return self._recommend(spec, FrameUpdate(), state, ctx)

    # --- device-ish requests -------------------------------------------------------------
    def _on_volume_up(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = min(10, state.volume + 1)
        return Outcome("volume", "volume", {"level": state.volume})

    def _on_volume_down(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = max(0, state.volume - 1)
        return Outcome("volume", "volume", {"level": state.volume})

    def _on_volume_mute(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = 0
        return Outcome("volume", "mute")

    # --- the user's own data -------------------------------------------------------------
    def _on_history_query(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        text = ctx.text.lower()
        specs = self.skills.specs
        if re.search(r"\bknow about me\b|\bmy profile\b|\babout me\b", text):
            return Outcome("profile", "profile", {"text": describe_profile(self.history, ctx.user, specs)})
        return Outcome(
            "history", "history", {"text": describe_history(self.history, ctx.user, text, ctx.now, specs)}
        )

    def _on_forget_me(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = "forget_me"
        return Outcome("forget_confirm", "forget_confirm", {"user": ctx.user}, expects_reply=True)

    def _on_out_of_scope(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("out_of_scope", "out_of_scope", {"domain": self._favourite(ctx.user).name})

    def _favourite(self, user: str) -> SkillSpec:
        """The skill this user has been offered most by; the default skill for a new user."""
        counts: dict[str, int] = {}
        for row in self.history.offers(user):
            if self.skills.spec(row["domain"]) is not None:
                counts[row["domain"]] = counts.get(row["domain"], 0) + 1
        if not counts:
            return self.skills.default
        return self.skills.spec(max(counts, key=lambda d: counts[d])) or self.skills.default
