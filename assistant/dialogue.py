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
from dataclasses import replace

from assistant.dialogue_followon import CONFIRM_BELOW, FollowOnReader
from assistant.dialogue_phrases import CLEAR_YES, NOT_NAMES, USER_SWITCH
from assistant.dialogue_situation import SituationReader
from assistant.dialogue_state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.errors import SkillFailedError
from assistant.history import FeedbackRecord
from assistant.plugins import SkillRegistry
from assistant.profile import describe_history, describe_profile
from assistant.skill_api import (
    Converses,
    Item,
    NamesItems,
    Skill,
    SkillError,
    SkillRequest,
    SkillResult,
    SkillSpec,
)
from assistant.stages import Parse

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


class DialogueManager:
    def __init__(self, skills: SkillRegistry | Callable[[str], Skill], history: HistoryReader) -> None:
        self.skills = SkillRegistry.wrap(skills)
        self.history = history
        specs = self.skills.specs
        self.follow_on = FollowOnReader(self.skills)
        self.situation = SituationReader(self.skills, history)
        self.more_like_this = self.follow_on.more_like_this
        self.not_names = NOT_NAMES | {s.name for s in specs} | {w for s in specs for w in s.not_names}

    def respond(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        outcome, intent = self._respond(parse, state, ctx)
        outcome.intent = outcome.intent or intent
        return outcome

    def _respond(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> tuple[Outcome, str]:
        switch = USER_SWITCH.match(ctx.text)
        if switch and switch.group(1).lower() not in self.not_names:
            name = switch.group(1).lower()
            outcome = Outcome("switch_user", "switch_user", {"name": name.capitalize()}, switch_user=name)
            return outcome, parse.intent
        conversed = self._converse(parse, state, ctx)
        if conversed is not None:
            return conversed, conversed.intent
        intent = self.follow_on.resolve(parse, state, ctx.text)
        if state.pending and intent in ("affirm", "negate", "dontcare"):
            return self._answer_pending(intent, state, ctx), intent
        pending_before, state.pending = state.pending, None
        spec = self.skills.offer_owner(intent)
        if spec is not None:
            # Already placed by the conversation (a follow-on, or more of what is being offered
            # now): asking "did you want a movie?" right after a movie would only annoy.
            follow_on = intent != parse.intent or state.active_domain == spec.name
            asked_already = (
                pending_before == "confirm_domain"
                and state.pending_parse is not None
                and self.skills.offer_owner(state.pending_parse.intent) is spec
            )
            # "sports?" or "a song, maybe" says what it wants even when the classifier is unsure.
            named = self.follow_on.says_domain(spec, ctx.text)
            if 0 < parse.confidence < CONFIRM_BELOW and not (asked_already or follow_on or named):
                state.pending, state.pending_parse = "confirm_domain", parse
                outcome = Outcome(
                    "confirm", "confirm_domain", {"domain": spec.name}, domain=spec.name, expects_reply=True
                )
                return outcome, intent
            wants_similar = self.more_like_this.search(ctx.text.lower())
            anchor = state.last_items[0] if wants_similar and state.last_items else None
            return self._recommend(spec, parse.slots, state, ctx, anchor=anchor), intent
        owner = self.skills.owner(intent)
        if owner is not None:
            return self._ask_skill(owner, intent, parse, state, ctx), intent
        handler = getattr(self, f"_on_{intent}", None)
        if handler is None:
            return self._on_out_of_scope(parse, state, ctx), intent
        return handler(parse, state, ctx), intent

    # --- skills --------------------------------------------------------------------------
    def _request(
        self, spec: SkillSpec, intent: str, slots: dict[str, str], state: DialogueState, ctx: TurnContext
    ) -> SkillRequest:
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

    def _converse(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """The active skill gets the first look at a follow-up, if it wants one."""
        spec = self.skills.spec(state.active_domain) if state.active_domain else None
        if spec is None:
            return None
        try:
            skill = self.skills.skill(spec.name)
        except SkillFailedError:
            return None
        if not isinstance(skill, Converses):
            return None
        slots = {**state.slots.get(spec.name, {}), **parse.slots}
        request = self._request(spec, parse.intent, slots, state, ctx)
        request.anchor = state.last_items[0] if state.last_items else None
        request.new_slots = frozenset(parse.slots)
        result = self._call(spec, "converse", request)
        if result is None:
            return None
        state.pending = None
        outcome = self._offered(spec, slots, state, result)
        outcome.act, outcome.intent = "converse", spec.offer_intent
        return outcome

    def _recommend(
        self,
        spec: SkillSpec,
        new_slots: dict[str, str],
        state: DialogueState,
        ctx: TurnContext,
        anchor: Item | None = None,
        feedback: list[FeedbackRecord] | None = None,
    ) -> Outcome:
        slots = self._carry_slots(spec, new_slots, state)
        request = self._request(spec, spec.offer_intent, slots, state, ctx)
        request.anchor = anchor
        request.new_slots = frozenset(new_slots)
        result = self._call(spec, "handle", request)
        assert result is not None  # every skill has handle()
        state.asked[spec.name] = ctx.text
        outcome = self._offered(spec, slots, state, result)
        outcome.feedback = feedback or []
        return outcome

    def _offered(
        self, spec: SkillSpec, slots: dict[str, str], state: DialogueState, result: SkillResult
    ) -> Outcome:
        state.active_domain = spec.name
        state.slots[spec.name] = slots
        if result.items:
            state.last_items = list(result.items)
            state.offered.setdefault(spec.name, set()).update(i.id for i in result.items)
        followup = bool(result.items) and spec.offers_another
        if followup:
            state.pending = "more"
        return Outcome(
            "recommend",
            domain=spec.name,
            slots=slots,
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
        request = self._request(spec, intent, parse.slots, state, ctx)
        own = [i for i in state.last_items if i.domain == spec.name]
        request.anchor = own[0] if own else None
        result = self._call(spec, "handle", request)
        assert result is not None
        return Outcome(
            intent,
            result.key,
            dict(result.values),
            domain=spec.name,
            slots=dict(parse.slots),
            skill_text=result.text,
            preferences=dict(result.preferences),
            skill_ran=True,
        )

    def _carry_slots(self, spec: SkillSpec, new: dict[str, str], state: DialogueState) -> dict[str, str]:
        new = {k: v for k, v in new.items() if k in spec.slots or k in SHARED_SLOTS}
        previous = state.slots.get(spec.name, {}) if state.active_domain == spec.name else {}
        if spec.fresh_slots & set(new):
            return new
        return {**previous, **new}

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
        out = self._recommend(spec, {}, state, ctx, feedback=fb)
        out.act = "skip"
        return out

    def _on_dislike(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self._active_spec(state)
        if spec is None:
            return Outcome("dislike", "nothing_to_skip")
        last = state.last_items[0]
        fb = [FeedbackRecord(last.domain, last.id, "dislike")]
        out = self._recommend(spec, {}, state, ctx, feedback=fb)
        out.act, out.response_key, out.values = "dislike", "dislike", {"title": last.title}
        return out

    def _on_like(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        named, unknown = self._named_item(parse, state)
        if unknown is not None and named is None:
            spec, name = unknown
            return Outcome("like", spec.unknown_name_key, {"title": name, "skill": spec.name})
        if named is None and not state.last_items:
            return Outcome("like", "like_nothing", {"domain": self.skills.default.name})
        liked = named or state.last_items[0]
        return Outcome(
            "like",
            "like",
            {"title": liked.title},
            domain=liked.domain,
            feedback=[FeedbackRecord(liked.domain, liked.id, "like")],
        )

    def _named_item(
        self, parse: Parse, state: DialogueState
    ) -> tuple[Item | None, tuple[SkillSpec, str] | None]:
        """ "I love Alien", "I like Candle in the Wind": the item named, when it is not the one
        just offered.

        Returns the catalog's item (or None) and, when something was named, the skill asked
        and the name (None: nothing named).
        """
        last = state.last_items[0] if state.last_items else None
        for spec in self.skills.specs:
            name = parse.slots.get(spec.named_item_slot, "").strip() if spec.named_item_slot else ""
            if not name or (last is not None and name.casefold() in last.title.casefold()):
                continue
            try:
                skill = self.skills.skill(spec.name)
            except SkillFailedError:
                continue
            if isinstance(skill, NamesItems):
                return skill.lookup(dict(parse.slots)), (spec, name)
        return None, None

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
        return Outcome("stop", "stop")

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
                outcome = self._recommend(spec, parse.slots, state, asked)
                outcome.intent = parse.intent  # what was acted on is the confirmed request
                return outcome
            return Outcome("negate", "negate_nothing")
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        if pending == "more" and active is not None:
            if yes:
                out = self._recommend(active, {}, state, ctx)
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
        return self._recommend(spec, {}, state, ctx)

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
