"""Dialogue: what to do with an understood utterance, given the conversation so far.

The manager routes each turn through one declared, ordered list of matchers (``matchers``):
the first that answers takes the turn. What the person wants from each skill is a frame that
every turn updates (``assistant/dialogue/frame.py``); the calls into skills are
``assistant/dialogue/offers.py``, the core's own intents ``assistant/dialogue/core_intents.py``. It
never touches audio; it knows no skill by name and reads what each one answers from its
``SkillSpec``. The active skill gets the first look at a follow-up (``Converses``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

from assistant.contracts.stages import OUT_OF_SCOPE, Parse
from assistant.dialogue.core_intents import CoreIntents
from assistant.dialogue.followon import CONFIRM_BELOW, REFINING_SLOTS, FollowOnReader
from assistant.dialogue.frame import (
    POINTS_BACK,
    RETURNS,
    STARTS_OVER,
    FrameTracker,
    FrameUpdate,
    is_pointer,
)
from assistant.dialogue.named import NamedTurns
from assistant.dialogue.offers import CONVERSE_TIMEOUT_S, SkillCalls, reference
from assistant.dialogue.phrases import (
    ABOUT_IT,
    ABOUT_THEIR_HISTORY,
    ASIDE,
    ASKS_ANOTHER,
    CORRECTS,
    FOLLOW_ON,
    GOES_ON,
    INSTEAD,
    NOT_NAMES,
    REFINEMENT,
    SAYS_REPEAT,
    SOMEONE_WOULD_LIKE,
    TELLS_A_LIKE,
    THERE,
    USER_SWITCH,
    VOLUME_WORDS,
    WANTS,
    intent_said,
    told_feeling,
)
from assistant.dialogue.pointed import PointedTurns
from assistant.dialogue.situation_reader import SituationReader
from assistant.dialogue.state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.skill_sdk.api import Skill, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry

__all__ = [
    "CONVERSE_TIMEOUT_S",
    "DialogueManager",
    "DialogueState",
    "HistoryReader",
    "Outcome",
    "TurnContext",
]
log = logging.getLogger(__name__)

# Slots any skill may carry between turns ("and tomorrow?").
SHARED_SLOTS = frozenset({"date", "time"})
# The core's own requests that people finish with a date ("what did I watch ... today"); skills
# declare theirs in ``SkillSpec.words.trailing_slots``.
CORE_TRAILING_SLOTS: dict[str, frozenset[str]] = {"history_query": SHARED_SLOTS}


def trailing_slots(specs: Iterable[SkillSpec]) -> dict[str, frozenset[str]]:
    """Intent -> the slots that may still follow a whole request of it (semantic endpointing)."""
    found = dict(CORE_TRAILING_SLOTS)
    for spec in specs:
        if spec.words.trailing_slots:
            found.update(dict.fromkeys(spec.answers.all_intents, spec.words.trailing_slots))
    return found


Matcher = Callable[[Parse, DialogueState, TurnContext], "Outcome | None"]
# A question about an offer ("what's playing?") read below this may be a request in other words.
SURE_QUESTION = 0.85
# Core intents whose meaning a refinement's constraint words do not change ("stop", "why?").
KEEPS_ITS_MEANING = frozenset(
    {
        "stop",
        "repeat",
        "explain",
        "thanks",
        "forget_me",
    }
)


class DialogueManager:
    def __init__(self, skills: SkillRegistry | Callable[[str], Skill], history: HistoryReader) -> None:
        self.skills = SkillRegistry.wrap(skills)
        self.history = history
        specs = self.skills.specs
        self.frames = FrameTracker(specs, SHARED_SLOTS)
        self.follow_on = FollowOnReader(self.skills, self.frames.words)
        self.situation = SituationReader(self.skills, history)
        self.more_like_this = self.follow_on.more_like_this
        self.not_names = NOT_NAMES | {s.name for s in specs} | {w for s in specs for w in s.words.not_names}
        self.calls = SkillCalls(self.skills, history, self.frames, self.situation)
        self.core = CoreIntents(self.skills, history, self.calls, self.frames)
        self.core_intents = self.core.table
        self.named = NamedTurns(self.skills, self.frames, self.calls)
        self.pointed = PointedTurns(self.skills, KEEPS_ITS_MEANING)
        # Who gets the turn, in order: the first matcher that answers takes it (ovos-core's
        # pipeline, declared rather than buried in branches). Each is (parse, state, ctx) -> Outcome.
        self.matchers: tuple[tuple[str, Matcher], ...] = (
            ("user_switch", self._match_user_switch),
            ("converse", self.calls.converse),
            ("aside", self._match_aside),
            ("told_like", self.named.match),
            # "Is it black and white?", "how scary is it?": a question about the item, not a
            # refinement, though its words are the frame's (the skill answers only what it knows).
            ("item_question", self.pointed.question),
            ("play_it", self.pointed.asked_for),
            ("frame_update", self._match_frame_update),
            ("pending_answer", self._match_pending_answer),
            ("return", self._match_return),
            ("words_name_skill", self._match_words_name_skill),
            ("offer", self._match_offer),
            ("skill_question", self._match_skill_question),
            ("core_intent", self._match_core_intent),
            ("out_of_scope", self.core.on_out_of_scope),
        )

    def respond(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        lowered = ctx.text.lower()
        if (
            parse.intent == "repeat"
            and state.last_items
            and (ASKS_ANOTHER.search(lowered) or not SAYS_REPEAT.search(lowered))
        ):
            # "Try again", "wait sorry the nineties": heard as "say that again" with no word of
            # it; after an offer they ask for another (or a changed one), read as a skip.
            parse = replace(parse, intent="skip")
        said = intent_said(lowered)
        if said is not None and parse.intent != said:
            parse = replace(parse, intent=said, slots={})
        feeling = told_feeling(lowered)
        if feeling is not None:  # see FEELINGS
            parse = self.core.feeling_request(parse, state, ctx.user, feeling[0])
        ctx = replace(ctx, intent=parse.intent, pending_before=state.pending)
        for name, matcher in self.matchers:
            if name == "pending_answer":
                # Past the matchers that may keep the conversation where it is, the intent is
                # read in the light of it ("what about tomorrow" after a forecast).
                ctx.intent = self.follow_on.resolve(parse, state, ctx.text)
            outcome = matcher(parse, state, ctx)
            if outcome is None and name == "pending_answer":
                state.pending = None  # not answered: the question is dropped
            if outcome is not None:
                outcome.matcher = name
                break
        assert outcome is not None  # the last matcher always answers
        if feeling is not None and feeling[1] and outcome.items:
            outcome.values["feeling"] = "low"  # said with sympathy first
        outcome.intent = outcome.intent or ctx.intent
        frame = state.frames.get(outcome.domain or "")
        outcome.frame = frame.to_dict() if frame is not None else None
        return outcome

    def reads_by_its_words(self, parse: Parse, state: DialogueState, text: str) -> bool:
        """Whether the dialogue reads ``text`` by its words alone, so no second opinion is needed:
        a refinement of the active skill's frame ("something funnier", "too scary", "for the
        kids"), a feeling told ("I'm feeling down") or a question about the likes told."""
        lowered = text.lower()
        return (
            told_feeling(lowered) is not None
            or intent_said(lowered) is not None
            or self._frame_update_for(parse, state, text) is not None
        )

    # --- the matchers, in order --------------------------------------------------------
    def _match_user_switch(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        switch = USER_SWITCH.match(ctx.text)
        if not switch or switch.group(1).lower() in self.not_names:
            return None
        name = switch.group(1).lower()
        return Outcome("switch_user", "switch_user", {"name": name.capitalize()}, switch_user=name)

    def _match_aside(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "Remind me to water the plants tonight", "what's nine times seven": asides no skill
        answers, whatever a word in them made the classifier guess; the frame is left as it was."""
        lowered = ctx.text.lower()
        if not ASIDE.search(lowered) or any(
            self.follow_on.says_domain(s, lowered) for s in self.skills.specs
        ):
            return None
        return self.core.on_out_of_scope(parse, state, ctx)

    def _match_frame_update(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """A refinement or correction of what is on offer ("no, something for kids", "not jazz,
        rock", "a comedy one", "something like it"): it stays with the skill being discussed,
        whatever weaker guess the classifier made of another skill."""
        found = self._frame_update_for(parse, state, ctx.text)
        if found is None:
            return None
        spec, update = found
        state.pending = None
        return self.calls.recommend(spec, update, state, ctx, intent=spec.answers.offer_intent)

    def _frame_update_for(
        self, parse: Parse, state: DialogueState, text: str
    ) -> tuple[SkillSpec, FrameUpdate] | None:
        lowered = text.lower()
        points_back = bool(POINTS_BACK.search(lowered) or self.more_like_this.search(lowered))
        told = state.mentioned[0] if state.mentioned else None
        told_last = told is not None and told not in state.last_items  # named, not offered
        if told_last and (GOES_ON.search(lowered) or SOMEONE_WOULD_LIKE.search(lowered)):
            points_back = True  # "i loved notting hill" -> "what else would we enjoy": about it
        spec = self._offering(state)
        if points_back and told is not None and (spec is None or told_last):
            # "Something like that" right after "we loved Finding Nemo": the like's skill.
            spec = self.skills.spec(told.domain)
        keeps = parse.intent in KEEPS_ITS_MEANING and not STARTS_OVER.search(lowered)  # "let's start again"
        if state.pending in ("forget_me", "confirm_domain") or keeps:
            return None
        corrected = self._correction(parse, state, lowered)
        if corrected is not None:
            return corrected
        if spec is None:
            return None
        if ABOUT_THEIR_HISTORY.search(lowered) or VOLUME_WORDS.search(lowered):
            return None  # "what did I watch in the seventies" asks about the person's history
        if any(self.follow_on.says_domain(s, lowered) for s in self.skills.specs if s is not spec):
            return None
        own = self.skills.offer_owner(parse.intent)
        if own is not None and own is not spec and self._asks_afresh_in(own, spec, parse):
            return None
        if STARTS_OVER.search(lowered) or self.frames.words.says_any(spec, lowered):
            slots = parse.slots if own is spec or own is None else {}
            update = self.frames.read(spec, slots, text)
            # "A classic black and white film" right after a film is a new request, not a tweak;
            # "something for the kids instead" replaces what was asked for.
            instead = bool(INSTEAD.search(lowered) and update.constraints)
            update.fresh = update.fresh or instead or self._starts_afresh(spec, state, lowered, update)
            if points_back:
                update.reference = reference(state, spec.name, lowered) or update.reference
            return spec, update
        if points_back and parse.intent != "dislike" and not TELLS_A_LIKE.match(lowered):
            update = FrameUpdate(
                reference=reference(state, spec.name, lowered), once=ABOUT_IT.search(lowered) is not None
            )
            return (spec, update) if update.reference is not None else None
        return None

    @staticmethod
    def _asks_afresh_in(own: SkillSpec, spec: SkillSpec, parse: Parse) -> bool:
        """Whether the classifier heard a request of ``own`` with a value only its requests carry
        ("play some relaxing jazz" after a film: a music genre), which starts anew there rather
        than refining ``spec``'s offer through a word both skills share ("relaxing")."""
        return any(
            slot in own.answers.fresh_slots and slot not in spec.answers.slots and not is_pointer(value)
            for slot, value in parse.slots.items()
        )

    def _correction(
        self, parse: Parse, state: DialogueState, lowered: str
    ) -> tuple[SkillSpec, FrameUpdate] | None:
        """ "No, Austin not Boston", "sorry, I meant Belfast": a correction that gives a new value
        of the skill being discussed (a forecast said for the wrong city) replaces it, whatever
        the classifier made of the "no" (a negate, at 0.32)."""
        spec = self.skills.spec(state.active_domain) if state.active_domain else None
        if spec is None or spec.name not in state.frames or not CORRECTS.search(lowered):
            return None
        own = {
            slot: value
            for slot, value in parse.slots.items()
            if slot in spec.answers.slots and slot not in REFINING_SLOTS and not is_pointer(value)
        }
        if not own or self.skills.offer_owner(parse.intent) not in (spec, None):
            return None
        return spec, self.frames.read(spec, own, lowered)

    def _match_pending_answer(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        if state.pending and ctx.intent in ("affirm", "negate", "dontcare"):
            return self.core.answer_pending(ctx.intent, state, ctx)
        return None

    def _match_return(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "Ok, back to music now": the skill left earlier, with its frame as it was."""
        lowered = ctx.text.lower()
        if not RETURNS.search(lowered):
            return None
        for spec in self.skills.specs:
            if (
                spec.name in state.frames
                and spec.name != state.active_domain
                and (self.follow_on.says_domain(spec, lowered) or self._only_words_of(spec, lowered))
            ):
                return self.calls.recommend(
                    spec, self.frames.read(spec, {}, ctx.text), state, ctx, intent=spec.answers.offer_intent
                )
        return None

    def _claimed_elsewhere(self, asked: SkillSpec, values: set[str]) -> bool:
        """Whether every slot value the classifier gave ``asked`` is another skill's word and
        not its own ("a western please": a film genre, read as a music genre it does not have)."""
        return all(
            not self.frames.words.says_any(asked, v.lower())
            and any(self.frames.words.says_any(s, v.lower()) for s in self.skills.specs if s is not asked)
            for v in values
        )

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
        # "Some country then" heard as a skip with nothing on offer to skip: a request.
        nothing_to_skip = ctx.intent == "skip" and not state.last_items
        if asked is None and ctx.intent != OUT_OF_SCOPE and not nothing_to_skip:
            return None  # the core's own requests: likes, skips, "why?"
        if (
            asked is not None
            and ctx.intent != asked.answers.offer_intent
            and parse.confidence >= SURE_QUESTION
        ):
            return None
        lowered = ctx.text.lower()
        offers = asked is not None and ctx.intent == asked.answers.offer_intent
        own = {parse.slots[slot] for slot in set(parse.slots) - REFINING_SLOTS} if offers else set()
        if asked is not None and (
            (own and not self._claimed_elsewhere(asked, own))
            or self.follow_on.says_domain(asked, lowered)
            # Words only it reads keep the guess; words another skill reads too ("something
            # romantic for date night": music and films both read "romantic") leave it open.
            or self._own_words(asked, lowered)
        ):
            return None
        said = {s.name: self._own_words(s, lowered) for s in self.skills.specs if s is not asked}
        named = [self.skills.spec(name) for name, found in said.items() if found]
        if len(named) != 1 or named[0] is None:
            return None
        spec = named[0]
        wants = WANTS.search(lowered) is not None  # "we need a laugh tonight" asks for something
        if asked is None and len(said[spec.name]) < 2 and not (nothing_to_skip or wants):
            return None  # one word out of scope ("tell me something funny") is no request
        if any(self.follow_on.says_domain(s, lowered) for s in self.skills.specs if s is not spec):
            return None
        update = self.frames.read(spec, {}, ctx.text)
        update.fresh = update.fresh or self._starts_afresh(spec, state, lowered, update)
        return self.calls.recommend(spec, update, state, ctx, intent=spec.answers.offer_intent)

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
            update.reference = reference(state, spec.name, lowered) or update.reference
            update.once = ABOUT_IT.search(lowered) is not None and not POINTS_BACK.search(lowered)
        update.fresh = update.fresh or self._starts_afresh(spec, state, lowered, update)
        self.named.anchor_named(spec, update, lowered)
        return self.calls.recommend(spec, update, state, ctx)

    def _match_skill_question(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        owner = self.skills.owner(ctx.intent)
        return None if owner is None else self.calls.ask(owner, ctx.intent, parse, state, ctx)

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
        if spec.name in state.frames and THERE.search(lowered):
            return False  # "what about the weather there on sunday": the place said before
        if spec.name != state.active_domain:
            return True
        if not spec.answers.fresh_slots:
            return False  # a skill that always merges ("will it rain there tomorrow" keeps the place)
        refining = (
            REFINEMENT.match(lowered)
            or GOES_ON.search(lowered)
            or RETURNS.search(lowered)
            or FOLLOW_ON.search(lowered)
            or POINTS_BACK.search(lowered)
            or self.more_like_this.search(lowered)
        )
        return bool(self.follow_on.says_domain(spec, lowered) and not refining)

    def _only_words_of(self, spec: SkillSpec, text: str) -> bool:
        """Whether ``text`` says constraint words of ``spec`` and of no other skill ("a
        documentary", not "one from the 80s", which music and films both read)."""
        lowered = text.lower()
        said = [s for s in self.skills.specs if self._own_words(s, lowered)]
        return said == [spec]

    def _own_words(self, spec: SkillSpec, lowered: str) -> list[tuple[int, int, str, str, bool]]:
        """The constraint phrases of ``spec`` in ``lowered`` that no other skill reads: not the
        slots any request may carry ("tonight" is a forecast's date and when a film is for), and
        not a phrase another skill reads too ("from the 80s": a film's era, music's decade)."""
        words = self.frames.words
        others = [m for s in self.skills.specs if s is not spec for m in words.spans(s, lowered)]
        return [
            m
            for m in words.spans(spec, lowered)
            if m[2] not in REFINING_SLOTS and not any(m[0] < o[1] and o[0] < m[1] for o in others)
        ]

    def _offering(self, state: DialogueState) -> SkillSpec | None:
        """The skill whose offer (a film, a track, a forecast) is being discussed now: also an
        answer that offered no item but holds a frame (an offline forecast for a city without
        records: "and monday?" goes on with it)."""
        if state.active_domain is None or not (state.last_items or state.active_domain in state.frames):
            return None
        return self.skills.spec(state.active_domain)
