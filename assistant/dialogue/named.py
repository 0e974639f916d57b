"""Names people say: a like or dislike told in passing ("I watched Alien last night and loved
it") and an item named as what an offer should be like ("something like Inception").

The names are read by ``ToldLikes`` (``assistant/dialogue/likes.py``); this is what the dialogue
does with them: the feedback, the frame's reference, and the context said with a like.
"""

from __future__ import annotations

import re

from assistant.contracts.stages import Parse
from assistant.dialogue.followon import ASKS_FOR_MORE
from assistant.dialogue.frame import Frame, FrameTracker, FrameUpdate, is_pointer
from assistant.dialogue.likes import NAMED, ToldLikes
from assistant.dialogue.offers import SkillCalls
from assistant.dialogue.phrases import ASKS_LIKES, LIKE_NAME
from assistant.dialogue.state import DialogueState, Outcome, TurnContext
from assistant.skill_sdk.api import Item, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.history import FeedbackRecord


class NamedTurns:
    """The ``told_like`` matcher, and the reference a named item gives an offer."""

    def __init__(self, skills: SkillRegistry, frames: FrameTracker, calls: SkillCalls) -> None:
        self.skills = skills
        self.frames = frames
        self.calls = calls
        self.told_likes = ToldLikes(skills, frames.words)

    def match(self, parse: Parse, state: DialogueState, ctx: TurnContext) -> Outcome | None:
        """ "I watched Alien last night and loved it", "my favourite film is Heat", "I'm a big
        Radiohead fan": a like of that item, told in passing, that shapes the next offers; "I
        can't stand Titanic" likewise a dislike."""
        if ASKS_LIKES.search(ctx.text.lower()):
            return None  # a question about the likes told
        told = self.told_likes.read(parse, ctx.text, state)
        if told is None:
            return None
        item, name, kind = told
        state.pending = None  # a like told is no answer to the question asked
        state.mention(item)
        state.active_domain = item.domain  # what is talked about now ("so what would you suggest")
        frame = state.frames.get(item.domain)
        if frame is not None:
            frame.reference = None  # the like is the newer thing said; "like it" now points at it
        asks_more = ASKS_FOR_MORE.search(ctx.text.lower())
        feedback = [FeedbackRecord(item.domain, item.id, kind)]
        spec = self.skills.spec(item.domain)
        if spec is not None and kind == "like":
            self.note_context(spec, item, state, ctx.text)
        if kind == "dislike":
            return Outcome("dislike", "dislike", {"title": name}, domain=item.domain, feedback=feedback)
        if asks_more and spec is not None and spec.offers.offers_another:
            # "I loved Alien, what else would I like": the like, and an offer built on it.
            outcome = self.calls.recommend(
                spec, FrameUpdate(reference=item, fresh=True), state, ctx, feedback=feedback
            )
            return outcome
        return Outcome("like", "like", {"title": name}, domain=item.domain, feedback=feedback, intent="like")

    def note_context(self, spec: SkillSpec, item: Item, state: DialogueState, text: str) -> None:
        """ "My daughter's six and she can't get enough of Shrek": what the words say besides
        the name (who will watch) is kept in the skill's frame for the next request."""
        rest = re.sub(re.escape(item.title.lower()), " ", text.lower())
        said = self.frames.read(spec, {}, rest)
        if not said.constraints:
            return
        previous = state.frames.get(spec.name) or Frame(spec.name)
        update = FrameUpdate(constraints=said.constraints)
        state.frames[spec.name] = self.frames.apply(
            previous, update, spec.answers.fresh_slots, spec.answers.displaces
        )

    def anchor_named(self, spec: SkillSpec, update: FrameUpdate, lowered: str) -> None:
        """ "Something like Inception", "play something like coldplay": the named item is the
        frame's reference (what the offer is similar to), not a constraint to match."""
        said = LIKE_NAME.search(lowered)
        if said is not None and not any(
            update.constraints.get(s) for s in (spec.answers.named_item_slot, *spec.answers.also_names) if s
        ):
            found = self.told_likes.find(said.group("name"), lowered, at_least=NAMED)
            if found is not None and found[0].domain == spec.name and not is_pointer(said.group("name")):
                update.reference, update.fresh = found[0], True
                return
        for slot in (spec.answers.named_item_slot, *spec.answers.also_names):
            value = update.constraints.get(slot, "") if slot else ""
            if not value or not re.search(
                rf"\b(?:like|similar to|in the style of)\s+{re.escape(value.lower())}", lowered
            ):
                continue
            found = self.told_likes.find(value, lowered, at_least=NAMED)
            if found is not None and found[0].domain == spec.name:
                update.reference = found[0]
                del update.constraints[slot]
                update.fresh = True  # a new anchor is a new request
