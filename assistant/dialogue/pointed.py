"""Turns about the item "it" points at: a question about it ("is it black and white?", "who
directed it?") and asking for it ("ok, put it on" after a film was offered).

Both are read before the frame's refinements, because their words are often the frame's ("black
and white" is also an era) and a classifier hears "put it on" as music whatever was offered.
"""

from __future__ import annotations

import re

from assistant.contracts.stages import Parse
from assistant.dialogue.offers import reference
from assistant.dialogue.phrases import ASKS_ABOUT, POINTS_AT, words_pattern
from assistant.dialogue.state import DialogueState, Outcome, TurnContext
from assistant.skill_sdk.api import AnswersAbout, Item
from assistant.skill_sdk.plugins import SkillRegistry

# "Ok play it", "go on then, put it on", "let's watch that one": the item on offer, asked for.
PLAY_IT = re.compile(
    r"^(?:the \w+ one(?: you (?:said|mentioned))?,?\s+)?(?:[\w']+,? ){0,3}"
    r"(?:play|put on|put|stick|start|watch|let'?s watch|we'?ll watch|we'?ll have)\s+"
    r"(?:it|that|this|that one|this one)(?:\s+on)?(?:\s+(?:then|now|please|tonight|again|instead))*"
    r"(?:,?\s+the (?:one before|first one|second one|last one|other one))?\W*$"
)
# "What was the first one you said", "nah, the other one you said before", "read me the first
# one again": an item offered earlier in this conversation, asked for again.
EARLIER_ONE = re.compile(
    r"^(?:[\w']+,? ){0,3}?(?:what was |give me |read me |go back to |i'?ll have |let'?s have |let'?s go with )?"
    r"the (?P<which>first|other|previous|earlier) one"
    r"(?:\s+you (?:said|mentioned|suggested)(?: first| before| earlier)?)?(?:\s+(?:again|then|please|instead))*\W*$"
)

# A question and nothing else ("is it in english", "who wrote it"), not a request that happens to
# start with "what" ("what would you recommend for someone who likes it").
PLAIN_QUESTION = re.compile(
    r"^(?:\w+,? ){0,2}(?:(?:is|was|does|did|has) (?:it|that|this)|who|when|where|how|what)\b"
    r"(?!.*\b(?:recommend|suggest|something|anything|else|another|more like|play|watch)\b)"
)


class PointedTurns:
    """The matchers for a turn about the item "it" points at (``DialogueManager.matchers``)."""

    def __init__(self, skills: SkillRegistry, keeps_its_meaning: frozenset[str]) -> None:
        self.skills = skills
        self.keeps_its_meaning = keeps_its_meaning  # intents a pointer never changes ("stop it")
        self.routes = [(re.compile(rx), s.name) for s in skills.specs for rx, _ in s.words.routes]
        # The words that make a question about "it" one about a skill's own items: what it offers
        # and the words its names follow ("who sings it", "what album is it on").
        self.own_words = {
            s.name: words_pattern((*s.words.domain_words, *s.words.name_cues)) for s in skills.specs
        }

    def question(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "Who directed it?", "what year is that from?": a question about the item "it" points
        at, answered by that item's skill from the item (``AnswersAbout``), whatever skill the
        classifier guessed ("who directed it" reads like "who sings it")."""
        lowered = ctx.text.lower()
        if parse.intent in self.keeps_its_meaning or not (
            ASKS_ABOUT.search(lowered) and POINTS_AT.search(lowered)
        ):
            return None
        item = reference(state, None, lowered)
        spec = self.skills.spec(item.domain) if item is not None else None
        if item is None or spec is None:
            return None
        if parse.intent in spec.answers.intents:
            return None  # the classifier heard the item's own skill's question: it answers it its way
        skill = self.skills.skill_with(spec.name, AnswersAbout)
        result = skill.about(item, ctx.text) if skill is not None else None
        if result is not None:  # the item comes back in ``items`` where the answer delivers it (a story read)
            return Outcome(
                "item_question",
                domain=spec.name,
                items=list(result.items),
                skill_text=result.text,
                intent=ctx.intent,
            )
        if PLAIN_QUESTION.match(lowered) and self.nothing_to_ask_about(parse, state, lowered):
            # "Is it based on a true story?" after a film, heard as a question about the song
            # playing: an honest "I can't tell" about the film.
            state.active_domain = spec.name
            return Outcome(
                "item_question", "about_unknown", {"item": item}, domain=spec.name, intent=ctx.intent
            )
        return None

    @staticmethod
    def earlier_offer(state: DialogueState, which: str) -> Item | None:
        """The item of the skill on offer that was offered first ("the first one you said") or
        before the last one ("the other one"), from what the conversation mentioned; None when
        the words are about the last offer's list ("read me the first one again")."""
        domain = state.last_items[0].domain
        if which == "first" and len(state.last_items) > 1:
            return None  # "the first one" of a list just read out: the list's own first
        offered = state.offered.get(domain, set())
        said = [i for i in state.mentioned if i.domain == domain and i.id in offered]
        if not said:
            return None
        return said[-1] if which == "first" else said[1] if len(said) > 1 else said[0]

    def nothing_to_ask_about(self, parse: Parse, state: DialogueState, lowered: str) -> bool:
        """Whether the classifier's intent is another skill's question that "it" (the item last
        offered) cannot be about: that skill has offered nothing in this conversation, or the
        words say nothing of what it offers ("is it in english" after a film, with a song
        offered before it; "who sings it" says "sings", a word the music skill declares)."""
        owner = self.skills.owner(parse.intent)
        if owner is None or parse.intent == owner.answers.offer_intent:
            return False
        own_words = self.own_words.get(owner.name)
        return not state.offered.get(owner.name) or not (own_words and own_words.search(lowered))

    def asked_for(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "Ok, put it on" right after a film: that film, offered again by its skill's own
        words, not a song. A skill that reads such words itself (the music skill's "play it
        again", "pause that") keeps them: its routes match the words."""
        lowered = ctx.text.lower().strip()
        # "Play that again" comes as a repeat; its verb says it is the item, not the words, wanted.
        keeps = parse.intent in self.keeps_its_meaning and parse.intent != "repeat"
        earlier = EARLIER_ONE.match(lowered)
        if keeps or not state.last_items or not (PLAY_IT.match(lowered) or earlier):
            return None
        item = (earlier and self.earlier_offer(state, earlier.group("which"))) or (
            reference(state, None, lowered) or state.last_items[0]
        )
        spec = self.skills.spec(item.domain)
        if spec is None or any(name == spec.name and rx.search(lowered) for rx, name in self.routes):
            return None
        state.active_domain = spec.name
        return Outcome(
            "recommend",
            domain=spec.name,
            items=[item],
            skill_text="",  # the offer line names it again; its reason was said the first time
            intent=spec.answers.offer_intent,
            skill_ran=True,
        )
