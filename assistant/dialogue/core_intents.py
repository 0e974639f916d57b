"""The core's own intents: feedback on what was offered (skip, "not this one", "I like
it"), "why?", "repeat", "stop", volume, answers to the assistant's own questions, "what do you
know about me", "forget me", and what is out of scope. ``CoreIntents.table`` is the dialogue's
intent -> handler table (no handler is found by building a method name)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.contracts.stages import Parse
from assistant.dialogue.frame import FrameTracker, FrameUpdate
from assistant.dialogue.likes import named_in
from assistant.dialogue.offers import SkillCalls
from assistant.dialogue.phrases import ASKS_ABILITIES, ASKS_LIKES, CLEAR_YES
from assistant.dialogue.profile_answers import describe_history, describe_likes, describe_profile
from assistant.dialogue.state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.skill_sdk.api import SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.history import FeedbackRecord

Handler = Callable[[Parse, DialogueState, TurnContext], Outcome]
SURE = 0.9  # a feeling told is read as a request for its mood, not questioned

# "Hi", "hello there", "good morning": what people say first, put out of scope by the classifier
# (0.93-1.0) and answered "I can't help with that". A greeting alone is greeted back with what
# the assistant can do; one with a request in it ("hi, play some jazz") is that request.
GREETING = re.compile(
    r"(hi|hello|hey|hiya|howdy|greetings|good (morning|afternoon|evening|day))(\s+\w+)?[\s,.!?]*",
    re.IGNORECASE,
)


class CoreIntents:
    def __init__(
        self, skills: SkillRegistry, history: HistoryReader, calls: SkillCalls, frames: FrameTracker
    ) -> None:
        self.skills = skills
        self.history = history
        self.calls = calls
        self.frames = frames
        self.table: dict[str, Handler] = {
            "skip": self.on_skip,
            "dislike": self.on_dislike,
            "like": self.on_like,
            "explain": self.on_explain,
            "repeat": self.on_repeat,
            "stop": self.on_stop,
            "thanks": self.on_thanks,
            "affirm": self.on_affirm,
            "negate": self.on_negate,
            "dontcare": self.on_dontcare,
            "volume_up": self.on_volume_up,
            "volume_down": self.on_volume_down,
            "volume_mute": self.on_volume_mute,
            "history_query": self.on_history_query,
            "forget_me": self.on_forget_me,
        }

    def active_spec(self, state: DialogueState) -> SkillSpec | None:
        if not state.last_items or state.active_domain is None:
            return None
        return self.skills.spec(state.active_domain)

    def on_skip(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self.active_spec(state)
        if spec is None:
            return Outcome("skip", "nothing_to_skip")
        fb = [
            FeedbackRecord(it.domain, it.id, "skip")
            for it in state.last_items
            if (owner := self.skills.spec(it.domain)) is not None and owner.offers.takes_feedback
        ]
        out = self.calls.recommend(spec, FrameUpdate(), state, ctx, feedback=fb)
        out.act = "skip"
        return out

    def on_dislike(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self.active_spec(state)
        if spec is None:
            return Outcome("dislike", "nothing_to_skip")
        last = state.last_items[0]
        fb = [FeedbackRecord(last.domain, last.id, "dislike")]
        out = self.calls.recommend(spec, FrameUpdate(), state, ctx, feedback=fb)
        out.act, out.response_key, out.values = "dislike", "dislike", {"title": last.title}
        return out

    def on_like(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        """ "I like this one" (a named item was the ``told_like`` matcher's); a name no catalog
        knows is said so rather than pinned on what is playing."""
        named = named_in(parse, state, self.skills)
        if named:
            spec, name = named[0]
            return Outcome("like", spec.phrasing.unknown_name_key, {"title": name, "skill": spec.name})
        last = state.last_items[0] if state.last_items else None
        if last is None:
            return Outcome("like", "like_nothing", {"domain": self.skills.default.name})
        return Outcome(
            "like",
            "like",
            {"title": last.title},
            domain=last.domain,
            feedback=[FeedbackRecord(last.domain, last.id, "like")],
        )

    def on_explain(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_items:
            return Outcome("explain", "explain_nothing")
        last = state.last_items[0]
        return Outcome("explain", "explain", {"item": last}, domain=last.domain)

    def on_repeat(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_response:
            return Outcome("repeat", "repeat_nothing")
        return Outcome("repeat", values={"text": state.last_response}, domain=state.active_domain)

    def on_stop(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = None
        return Outcome("stop", "stop", domain=state.active_domain)  # what is stopped

    def on_thanks(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = None
        state.active_domain = None
        return Outcome("thanks", "thanks")

    # --- answers to a pending question ---------------------------------------------------
    def answer_pending(self, intent: str, state: DialogueState, ctx: TurnContext) -> Outcome:
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
                outcome = self.calls.recommend(spec, update, state, asked)
                outcome.intent = parse.intent  # what was acted on is the confirmed request
                return outcome
            return Outcome("negate", "negate_nothing")
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        if pending == "more" and active is not None:
            if yes:
                out = self.calls.recommend(active, FrameUpdate(), state, ctx)
                out.act = "more"
                return out
            return Outcome("negate", "negate_nothing")
        return Outcome(intent, "affirm_nothing" if yes else "negate_nothing")

    def on_affirm(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("affirm", "affirm_nothing")

    def on_negate(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("negate", "negate_nothing")

    def on_dontcare(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        spec = self.skills.spec(state.active_domain or "") or self.favourite(ctx.user)
        return self.calls.recommend(spec, FrameUpdate(), state, ctx)

    # --- device-ish requests -------------------------------------------------------------
    def on_volume_up(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = min(10, state.volume + 1)
        return Outcome("volume", "volume", {"level": state.volume})

    def on_volume_down(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = max(0, state.volume - 1)
        return Outcome("volume", "volume", {"level": state.volume})

    def on_volume_mute(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.volume = 0
        return Outcome("volume", "mute")

    # --- the user's own data -------------------------------------------------------------
    def on_history_query(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        text = ctx.text.lower()
        specs = self.skills.specs
        if re.search(r"\bknow about me\b|\bmy profile\b|\babout me\b", text):
            return Outcome("profile", "profile", {"text": describe_profile(self.history, ctx.user, specs)})
        if ASKS_LIKES.search(text):
            return Outcome("profile", "profile", {"text": describe_likes(self.history, ctx.user)})
        return Outcome(
            "history", "history", {"text": describe_history(self.history, ctx.user, text, ctx.now, specs)}
        )

    def on_forget_me(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = "forget_me"
        return Outcome("forget_confirm", "forget_confirm", {"user": ctx.user}, expects_reply=True)

    def on_out_of_scope(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        words = ctx.text.strip()
        key = (
            "greeting"
            if GREETING.fullmatch(words)
            else "abilities"
            if ASKS_ABILITIES.fullmatch(words.lower())
            else "out_of_scope"
        )
        return Outcome("out_of_scope", key, {"domain": self.favourite(ctx.user).name})

    def feeling_request(self, parse: Parse, state: DialogueState, user: str, mood: str) -> Parse:
        """ "I'm feeling down" (``phrases.FEELINGS``): an offer for ``mood`` from the skill being
        discussed, else this person's favourite, else the default, the first that takes a mood."""
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        for spec in (active, self.favourite(user), self.skills.default):
            if spec is not None and "mood" in spec.answers.slots:
                return Parse(
                    spec.answers.offer_intent, max(parse.confidence, SURE), {"mood": mood}, parse.text
                )
        return parse

    def favourite(self, user: str) -> SkillSpec:
        """The skill this user has been offered most by; the default skill for a new user."""
        counts: dict[str, int] = {}
        for row in self.history.offers(user):
            if self.skills.spec(row["domain"]) is not None:
                counts[row["domain"]] = counts.get(row["domain"], 0) + 1
        if not counts:
            return self.skills.default
        return self.skills.spec(max(counts, key=lambda d: counts[d])) or self.skills.default
