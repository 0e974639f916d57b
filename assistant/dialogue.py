"""Dialogue: what to do with an understood utterance, given the conversation so far.

The manager keeps per-session state (active domain, last items offered, pending question,
slots carried between turns), calls the right skill, and returns an ``Outcome`` that the NLG
turns into words and the history store records. It never touches audio, and it sees a skill
only through the ``Skill`` protocol.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from assistant.errors import SkillFailedError
from assistant.history import FeedbackRecord
from assistant.profile import describe_history, describe_profile
from assistant.stages import Parse
from skills.base import Item, NamesItems, Skill, SkillError, SkillRequest, UserProfile

INTENT_DOMAIN = {
    "play_music": "music",
    "music_query": "music",
    "music_settings": "music",
    "news_query": "news",
    "weather_query": "weather",
    "recommend_video": "video",
}
RECOMMEND_INTENTS = {
    "play_music": "music",
    "news_query": "news",
    "weather_query": "weather",
    "recommend_video": "video",
}
ITEMS_PER_OFFER = {"music": 1, "news": 3, "weather": 1, "video": 1}
# A new value for one of these starts a fresh request; otherwise earlier slots carry over
# ("play some jazz" -> "something more upbeat" keeps jazz).
PRIMARY_SLOTS = {
    "music": {"artist", "song", "genre", "playlist", "radio"},
    "news": {"topic"},
    "weather": set(),  # weather always merges: "what about Chicago" keeps the date
    "video": {"title", "movie_genre", "person"},
}
DOMAIN_SLOTS = {
    "music": {"artist", "song", "genre", "descriptor", "playlist", "radio"},
    "news": {"topic"},
    "weather": {"place", "date", "timeofday", "weather_descriptor"},
    "video": {"title", "movie_genre", "person", "media_type", "descriptor"},
}
# Above the NLU's out-of-scope threshold but below this, a domain request is confirmed first.
CONFIRM_BELOW = 0.5
# Slots that name one catalog item, the domain whose skill looks it up, and the answer when the
# catalog has no such item ("I love Alien", "I like Candle in the Wind").
NAMED_ITEM_SLOTS = (("title", "video", "like_unknown"), ("song", "music", "like_unknown_song"))
MORE_LIKE_THIS = re.compile(
    r"\b(more|something|anything|stuff|another one|songs?|films?|movies?)\s+like\s+(this|that|it)\b|\bsimilar\b"
)
# "this is Alice" / "switch to Bob's profile": who is speaking changes the profile used.
USER_SWITCH = re.compile(
    r"^\s*(?:hi,?\s+|hello,?\s+)?(?:this is|it's|it is|switch (?:the )?(?:user|profile) to|switch to)\s+"
    r"([a-z][a-z'-]{1,30})(?:'s profile)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
NOT_NAMES = {
    "me",
    "it",
    "that",
    "this",
    "great",
    "good",
    "fine",
    "music",
    "news",
    "weather",
    "jazz",
    "rock",
    "bad",
    "awesome",
    "boring",
    "cool",
    "nice",
    "terrible",
    "amazing",
    "perfect",
    "wrong",
    "right",
}
LIVES_IN = re.compile(r"\b(i live in|i'm from|i am from|my home (town|city) is|i moved to)\b")
YES = re.compile(r"^(yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|do it|yes please|of course)\b[ .!]*$")
NO = re.compile(r"^(no|nope|nah|no thanks|no thank you|don't|do not|cancel|never mind)\b[ .!]*$")
FOLLOW_ON = re.compile(r"^\s*(and|what|how)\s+about\b|^\s*(and|also)\b")


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


@dataclass
class TurnContext:
    user: str
    text: str
    rng: random.Random
    now: float


class DialogueManager:
    def __init__(self, skill_for: Callable[[str], Skill], history: HistoryReader) -> None:
        self.skill_for = skill_for
        self.history = history

    def respond(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        switch = USER_SWITCH.match(ctx.text)
        if switch and switch.group(1).lower() not in NOT_NAMES:
            name = switch.group(1).lower()
            return Outcome("switch_user", "switch_user", {"name": name.capitalize()}, switch_user=name)
        intent = self._resolve_follow_on(parse, state, ctx.text)
        if state.pending and intent in ("affirm", "negate", "dontcare"):
            return self._answer_pending(intent, state, ctx)
        pending_before, state.pending = state.pending, None
        if intent in RECOMMEND_INTENTS:
            domain = RECOMMEND_INTENTS[intent]
            # Already placed by the conversation (a follow-on, or more of what is being offered
            # now): asking "did you want a movie?" right after a movie would only annoy.
            follow_on = intent != parse.intent or state.active_domain == domain
            asked_already = (
                pending_before == "confirm_domain"
                and state.pending_parse is not None
                and (RECOMMEND_INTENTS.get(state.pending_parse.intent) == domain)
            )
            if 0 < parse.confidence < CONFIRM_BELOW and not asked_already and not follow_on:
                state.pending, state.pending_parse = "confirm_domain", parse
                return Outcome(
                    "confirm", "confirm_domain", {"domain": domain}, domain=domain, expects_reply=True
                )
            anchor = (
                state.last_items[0] if MORE_LIKE_THIS.search(ctx.text.lower()) and state.last_items else None
            )
            return self._recommend(domain, parse.slots, state, ctx, anchor=anchor)
        handler = getattr(self, f"_on_{intent}", None)
        if handler is None:
            return self._on_out_of_scope(parse, state, ctx)
        return handler(parse, state, ctx)

    # --- recommending --------------------------------------------------------------------
    def _recommend(
        self,
        domain: str,
        new_slots: dict[str, str],
        state: DialogueState,
        ctx: TurnContext,
        anchor: Item | None = None,
        feedback: list[FeedbackRecord] | None = None,
    ) -> Outcome:
        slots = self._carry_slots(domain, new_slots, state)
        profile = self.history.profile(ctx.user, domain)
        request = SkillRequest(
            intent=_intent_for(domain),
            slots=dict(slots),
            profile=profile,
            exclude=set(state.offered.get(domain, set())),
            anchor=anchor,
            k=ITEMS_PER_OFFER[domain],
            rng=ctx.rng,
            text=ctx.text,
            now=ctx.now,
            new_slots=frozenset(new_slots),
        )
        try:
            result = self.skill_for(domain).handle(request)
        except SkillError as exc:
            raise SkillFailedError(f"{domain} skill: {exc}") from exc
        state.active_domain = domain
        state.slots[domain] = slots
        if result.items:
            state.last_items = list(result.items)
            state.offered.setdefault(domain, set()).update(i.id for i in result.items)
        followup = bool(result.items) and domain != "weather"
        if followup:
            state.pending = "more"
        return Outcome(
            "recommend",
            domain=domain,
            slots=slots,
            items=list(result.items),
            skill_text=result.text,
            feedback=feedback or [],
            preferences=dict(result.preferences),
            expects_reply=followup,
            skill_ran=True,
        )

    def _carry_slots(self, domain: str, new: dict[str, str], state: DialogueState) -> dict[str, str]:
        new = {k: v for k, v in new.items() if k in DOMAIN_SLOTS[domain] or k in ("date", "time")}
        previous = state.slots.get(domain, {}) if state.active_domain == domain else {}
        if PRIMARY_SLOTS[domain] & set(new):
            return new
        return {**previous, **new}

    def _resolve_follow_on(self, parse: Parse, state: DialogueState, text: str) -> str:
        """Short answers and follow-ons read in the light of the conversation so far.

        "what about tomorrow?" after a weather answer stays a weather question; a bare "no"
        answers the pending question even when the NLU is unsure of two-letter input.
        """
        lowered = text.lower().strip()
        if state.pending:
            if YES.match(lowered):
                return "affirm"
            if NO.match(lowered):
                return "negate"
        if parse.intent == "like" and state.last_items and MORE_LIKE_THIS.search(lowered):
            return _intent_for(state.last_items[0].domain)  # "more like this" asks for more
        if LIVES_IN.search(lowered) and "place" in parse.slots:
            return "weather_query"  # the weather skill stores the home city
        domain = state.active_domain
        if domain is None or not FOLLOW_ON.search(lowered) or not (DOMAIN_SLOTS[domain] & set(parse.slots)):
            return parse.intent
        same_domain = RECOMMEND_INTENTS.get(parse.intent) == domain
        unsure = parse.intent == "out_of_scope" or parse.confidence < CONFIRM_BELOW
        if not same_domain and unsure:
            return _intent_for(domain)
        return parse.intent

    # --- feedback on the last offer -----------------------------------------------------
    def _on_skip(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_items or state.active_domain is None:
            return Outcome("skip", "nothing_to_skip")
        last = state.last_items[0]
        fb = [FeedbackRecord(last.domain, it.id, "skip") for it in state.last_items if it.domain != "weather"]
        out = self._recommend(state.active_domain, {}, state, ctx, feedback=fb)
        out.act = "skip"
        return out

    def _on_dislike(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        if not state.last_items or state.active_domain is None:
            return Outcome("dislike", "nothing_to_skip")
        last = state.last_items[0]
        fb = [FeedbackRecord(last.domain, last.id, "dislike")]
        title = last.title
        out = self._recommend(state.active_domain, {}, state, ctx, feedback=fb)
        out.act, out.response_key, out.values = "dislike", "dislike", {"title": title}
        return out

    def _on_like(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        named, asked = self._named_item(parse, state)
        if asked and named is None:
            return Outcome("like", asked[0], {"title": asked[1]})
        if named is None and not state.last_items:
            return Outcome("like", "like_nothing")
        liked = named or state.last_items[0]
        return Outcome(
            "like",
            "like",
            {"title": liked.title},
            domain=liked.domain,
            feedback=[FeedbackRecord(liked.domain, liked.id, "like")],
        )

    def _named_item(
        self, parse: Parse, state: DialogueState, domain: str | None = None
    ) -> tuple[Item | None, tuple[str, str] | None]:
        """ "I love Alien", "I like Candle in the Wind": the item named, when it is not the one
        just offered.

        Returns the catalog's item (or None) and, when something was named, the answer to give
        if the catalog lacks it with the name asked for (None: nothing named).
        """
        last = state.last_items[0] if state.last_items else None
        for slot, item_domain, unknown_key in NAMED_ITEM_SLOTS:
            if domain not in (None, item_domain):
                continue
            name = parse.slots.get(slot, "").strip()
            if not name or (last is not None and name.casefold() in last.title.casefold()):
                continue
            try:
                skill = self.skill_for(item_domain)
            except SkillFailedError:
                continue
            if isinstance(skill, NamesItems):
                return skill.lookup(dict(parse.slots)), (unknown_key, name)
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
            if intent == "affirm":
                return Outcome("forget_me", "forget_done", forget_user=True)
            return Outcome("forget_cancelled", "forget_cancelled")
        if pending == "confirm_domain" and parse is not None:
            if yes:  # the skill reads the request that was confirmed, not the "yes"
                asked = replace(ctx, text=parse.text or ctx.text)
                return self._recommend(RECOMMEND_INTENTS[parse.intent], parse.slots, state, asked)
            return Outcome("negate", "negate_nothing")
        if pending == "more" and state.active_domain:
            if yes:
                out = self._recommend(state.active_domain, {}, state, ctx)
                out.act = "more"
                return out
            return Outcome("negate", "negate_nothing")
        return Outcome(intent, "affirm_nothing" if yes else "negate_nothing")

    def _on_affirm(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("affirm", "affirm_nothing")

    def _on_negate(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("negate", "negate_nothing")

    def _on_dontcare(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        domain = state.active_domain or self._favourite_domain(ctx.user)
        return self._recommend(domain, {}, state, ctx)

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

    def _on_music_settings(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        text = ctx.text.lower()
        setting = (
            "shuffle"
            if "shuffle" in text
            else "repeat"
            if ("repeat" in text or "loop" in text)
            else "shuffle"
        )
        return Outcome("music_settings", "music_settings", {"setting": setting.capitalize()}, domain="music")

    def _on_music_query(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        # "who sings shape of you" asks about that song, not the one playing.
        named, asked = self._named_item(parse, state, domain="music")
        if named is not None:
            return Outcome("music_query", "music_query_named", {"item": named}, domain="music")
        if asked is not None:
            return Outcome("music_query", "music_query_unknown", {"title": asked[1]}, domain="music")
        music = [i for i in state.last_items if i.domain == "music"]
        if not music:
            return Outcome("music_query", "music_query_nothing", domain="music")
        return Outcome("music_query", "music_query", {"item": music[0]}, domain="music")

    # --- the user's own data -------------------------------------------------------------
    def _on_history_query(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        text = ctx.text.lower()
        if re.search(r"\bknow about me\b|\bmy profile\b|\babout me\b", text):
            return Outcome("profile", "profile", {"text": describe_profile(self.history, ctx.user)})
        return Outcome(
            "history", "history", {"text": describe_history(self.history, ctx.user, text, ctx.now)}
        )

    def _on_forget_me(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        state.pending = "forget_me"
        return Outcome("forget_confirm", "forget_confirm", {"user": ctx.user}, expects_reply=True)

    def _on_out_of_scope(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome:
        return Outcome("out_of_scope", "out_of_scope", {"domain": self._favourite_domain(ctx.user)})

    def _favourite_domain(self, user: str) -> str:
        counts: dict[str, int] = {}
        for row in self.history.offers(user):
            counts[row["domain"]] = counts.get(row["domain"], 0) + 1
        return max(counts, key=lambda d: counts[d]) if counts else "music"


def _intent_for(domain: str) -> str:
    return {v: k for k, v in RECOMMEND_INTENTS.items()}[domain]
