"""Reading an utterance in the light of the conversation so far, in any skill's terms.

"what about tomorrow?" after a forecast stays the same kind of question; a bare "no" answers the
pending question; "more about that" asks the skill that offered last for more of it; "something
from the eighties" right after a music offer narrows that offer rather than asking for a film.
Every domain word comes from the skills' ``SkillSpec`` declarations.
"""

from __future__ import annotations

import re

from assistant.contracts.stages import Parse
from assistant.dialogue.frame import ConstraintWords
from assistant.dialogue.phrases import (
    ALREADY_HAD,
    ASKS_FOR,
    CORRECTS,
    FOLLOW_ON,
    GO_ON_ONLY,
    MORE_ONLY,
    NO,
    REFINEMENT,
    STOPS,
    YES,
    domain_words_pattern,
    more_like_this_pattern,
)
from assistant.dialogue.state import DialogueState
from assistant.skill_sdk.api import SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry

# Above the NLU's out-of-scope threshold but below this, a request for a skill is confirmed first.
CONFIRM_BELOW = 0.5
# Intents a "more about that" may come in as: the classifier hears praise, a skip or nothing.
MORE_INTENTS = frozenset({"like", "skip", "out_of_scope"})
# After praise for a named item, words that ask for more of the kind ("I loved Alien, what else").
ASKS_FOR_MORE = re.compile(r"\bwhat else\b|\bsuggest\b|\brecommend\b|\bsimilar\b|\bwhat should i\b")
ANSWERS = frozenset({"affirm", "negate", "dontcare"})
# Slots any skill's request may carry without naming that skill ("from the eighties", a mood).
REFINING_SLOTS = frozenset({"mood", "date", "time", "timeofday", "descriptor"})


class FollowOnReader:
    def __init__(self, skills: SkillRegistry, words: ConstraintWords | None = None) -> None:
        self.skills = skills
        self.words = words
        specs = skills.specs
        self.more_like_this = more_like_this_pattern(specs)
        self.routes = [(re.compile(rx), slot, s) for s in specs for rx, slot in s.words.routes]
        self.domain_words = {s.name: domain_words_pattern(s) for s in specs}

    def says_domain(self, spec: SkillSpec, text: str) -> bool:
        """Whether ``text`` names what ``spec`` offers ("a film", "sports", "a song")."""
        pattern = self.domain_words.get(spec.name)
        return bool(pattern and pattern.search(text.lower()))

    def resolve(self, parse: Parse, state: DialogueState, text: str) -> str:
        """The intent to act on."""
        lowered = text.lower().strip()
        if state.pending:
            if YES.match(lowered):
                return "affirm"
            if NO.match(lowered):
                return "negate"
        if STOPS.search(lowered):
            return "stop"
        answering = parse.intent in ANSWERS or (parse.intent == "dislike" and CORRECTS.search(lowered))
        if answering and not YES.match(lowered) and not NO.match(lowered):
            # "Actually no, just play some music", "actually no, play some jazz" (heard as a
            # dislike of the film on offer): an answer that goes on to ask for one skill, by its
            # own words or by slots only that skill's requests carry, is that request.
            named = [s for s in self.skills.specs if self.says_domain(s, lowered)]
            if not named and parse.slots:
                named = [s for s in self.skills.specs if set(parse.slots) <= s.answers.slots - REFINING_SLOTS]
            if len(named) == 1 and ASKS_FOR.search(lowered):
                return named[0].answers.offer_intent
        if state.last_items and MORE_ONLY.match(lowered):
            last = self.skills.spec(state.last_items[0].domain)
            if last is not None and last.offers.offers_another:
                return last.answers.offer_intent  # "more", "some more please": more of the same
        if state.last_items and ALREADY_HAD.search(lowered):
            return "skip"  # "we've seen that": another, the same kind
        if parse.intent in MORE_INTENTS and state.last_items and self.more_like_this.search(lowered):
            last = self.skills.spec(state.last_items[0].domain)
            if last is not None:
                return last.answers.offer_intent  # "more like this", "more about that" asks for more
        if parse.intent == "like" and ASKS_FOR_MORE.search(lowered):
            # "I loved <a film>, what else would I like": a request built on the named item.
            named = next((s for s in self.skills.specs if s.answers.named_item_slot in parse.slots), None)
            if named is not None:
                return named.answers.offer_intent
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        if active is not None and active.offers.offers_another and GO_ON_ONLY.match(lowered):
            # "Ok carry on" after an aside: the skill being discussed, not a player's "resume".
            return active.answers.offer_intent
        asked = self.skills.offer_owner(parse.intent)
        own = set(parse.slots) - REFINING_SLOTS
        for pattern, slot, spec in self.routes:
            if (
                asked not in (None, spec)
                and own
                and own <= asked.answers.slots
                and parse.confidence >= CONFIRM_BELOW
            ):
                continue  # "put on a documentary": a film request with a film's slot, not music
            if pattern.search(lowered) and (not slot or slot in parse.slots):
                return spec.answers.offer_intent
        refined = self._refinement(parse, state, lowered)
        if refined is not None:
            return refined
        named = self._named_domain(parse, lowered)
        if named is not None:
            return named
        active = self.skills.spec(state.active_domain) if state.active_domain else None
        if active is None or not FOLLOW_ON.search(lowered) or not (active.answers.slots & set(parse.slots)):
            return parse.intent
        other = self.skills.offer_owner(parse.intent)
        same_skill = other is active
        unsure = parse.intent == "out_of_scope" or parse.confidence < CONFIRM_BELOW
        # "what about tomorrow" after a forecast, read as news (0.66), names no news: it follows on.
        unnamed = other is not None and not self.says_domain(other, lowered)
        if not same_skill and (unsure or unnamed):
            return active.answers.offer_intent
        return parse.intent

    def _refinement(self, parse: Parse, state: DialogueState, lowered: str) -> str | None:
        """The active skill's offer intent when the words refine its offer; else None.

        "something from the eighties" after a rock track came back as a film request (0.57):
        it names no film and carries only slots any request may carry, so it narrows the music.
        """
        active = self._offering(state)
        if active is None or not REFINEMENT.search(lowered):
            return None
        other = self.skills.offer_owner(parse.intent)
        if other is None:
            # Unsure what it is, but it carries something the offer can be narrowed by ("from
            # the eighties", a mood) and names no other skill's offer: it refines this one.
            carries = set(parse.slots) & (REFINING_SLOTS | active.answers.slots)
            named = any(self.says_domain(s, lowered) for s in self.skills.specs if s is not active)
            unsure = parse.intent == "out_of_scope" or parse.confidence < CONFIRM_BELOW
            return active.answers.offer_intent if carries and unsure and not named else None
        if other is active or self.says_domain(other, lowered):
            return None
        own = set(parse.slots) - REFINING_SLOTS
        if own - active.answers.slots:  # a slot only the other skill reads ("a comedy" after a song)
            return None
        return active.answers.offer_intent

    def _named_domain(self, parse: Parse, lowered: str) -> str | None:
        """ "something cosy to watch tonight" came back as music: it names only what the video
        skill offers and carries nothing only music reads, so it goes to the video skill."""
        asked = self.skills.offer_owner(parse.intent)
        if asked is None or self.says_domain(asked, lowered):
            return None
        rest = self.words.without(asked, lowered) if self.words is not None else lowered
        named = [s for s in self.skills.specs if s is not asked and self.says_domain(s, rest)]
        if len(named) != 1:
            return None
        other = named[0]
        if (set(parse.slots) - REFINING_SLOTS) - other.answers.slots:
            return None
        return other.answers.offer_intent

    def _offering(self, state: DialogueState) -> SkillSpec | None:
        if not state.last_items or state.active_domain is None:
            return None
        spec = self.skills.spec(state.active_domain)
        return spec if spec is not None and spec.offers.offers_another else None
