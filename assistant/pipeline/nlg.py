"""Turns a dialogue outcome into the sentence the user hears.

The core's own sentences live here; a skill's sentences live in its ``SkillSpec``. Templates
vary the wording (chosen with the turn's seeded random generator, so replay is
exact) and fill in the item, the reason and the follow-up prompt.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from assistant.dialogue import Outcome
from assistant.skill_sdk.api import Item, SkillSpec, describe_item
from assistant.skill_sdk.phrasing import join_words

# The core's own sentences; every sentence about what a skill offers comes from its
# ``SkillSpec.phrasing.templates``. "{example}" and "{what}" are filled from the skill in question.
TEMPLATES: dict[str, list[str]] = {
    "followup": ["Want another?", "Shall I find another?", "Want something else?"],
    "like": ["Glad you like {title}. I'll remember that.", "Noted: you like {title}."],
    "like_nothing": ["Glad to hear it. I haven't suggested anything yet, though: try '{example}'."],
    "dislike": ["Okay, I won't offer {title} again.", "Got it, not {title}."],
    "skip": ["Skipping {title}.", "Okay, something else."],
    "nothing_to_skip": ["There's nothing to skip yet. Try {examples}."],
    "explain": ["I picked {title} {reason}.", "{title}: I chose it {reason}."],
    "about_unknown": ["I can't tell you that about {title}, I'm afraid.", "I don't know that about {title}."],
    "explain_nothing": ["I haven't recommended anything yet, so there's nothing to explain."],
    "repeat_nothing": ["I haven't said anything yet."],
    "stop": ["Okay, stopped.", "Stopping."],
    "thanks": ["You're welcome!", "Happy to help.", "Any time."],
    "volume": ["Volume {level} of 10.", "Okay, the volume is now {level} of 10."],
    "mute": ["Muted.", "Okay, sound off."],
    "forget_confirm": ["Do you want me to delete everything I know about you, {user}? Say yes or no."],
    "forget_done": ["Done. I've deleted everything I knew about you."],
    "forget_cancelled": ["Okay, I'll keep your history."],
    "affirm_nothing": ["Okay."],
    "negate_nothing": ["Okay, no problem."],
    "confirm_domain": ["Did you want {what}? Say yes or no."],
    "switch_user": ["Hi {name}! I'll use your profile now.", "Hello {name}, switched to your profile."],
    "history": ["{text}"],
    "profile": ["{text}"],
    "out_of_scope": ["I can't help with that. I can {abilities}. For example, say '{example}'."],
    "greeting": ["Hello! I can {abilities}. For example, say '{example}'."],
    "abilities": [
        "I can {abilities}. For example, say '{example}'. After a suggestion, say 'another one', "
        "'I like it' or 'why?', and I'll remember what you like."
    ],
    "empty_input": ["I didn't catch anything. Try saying '{example}'."],
    "misheard": [
        "Sorry, I'm not sure I heard that right. I got '{heard}'. Could you say it again?",
        "I didn't quite catch that: was it '{heard}'? Please say it again.",
    ],
    "error": ["{message}"],
    "no_items": ["{text}"],
    "nothing_found": ["Sorry, I couldn't find anything for that."],
    "long_input": ["That was a lot of text, so I only read the beginning."],
    "feeling_low": ["Sorry to hear that.", "I'm sorry you're feeling that way."],
    # Said first in voice mode when the language model will take more than about a second.
    "thinking": ["Let me think."],
    "help": [
        'Ask for {topics}, e.g. {examples}. Then "another one", "I like that", "why?", '
        '"stop". Commands: /help, /user NAME (switch profile; /user guest records nothing), /quit.'
    ],
}


def reason_clause(reason: str) -> str:
    """Make a skill's reason read after "I picked X ...": "because you liked Alien"."""
    reason = reason.strip().rstrip(".")
    if not reason:
        return "for you"
    lowered = reason[0].lower() + reason[1:]
    if lowered.startswith(("because", "since", "as ", "for ")):
        return lowered
    # "something calm and relaxing: downtempo" (a mood's reason) read "because something calm".
    return (
        f"because it's {lowered}"
        if lowered.startswith(("a ", "an ", "the ", "popular", "something "))
        else f"because {lowered}"
    )


class ResponseGenerator:
    """Turns dialogue outcomes into reply text from the core's and each skill's templates."""

    def __init__(self, specs: Sequence[SkillSpec]) -> None:
        self.specs = {s.name: s for s in specs}
        self.default = specs[0]
        self.abilities = join_words([s.phrasing.description or s.name for s in specs], last="or")
        # Two hints far apart in the list: the default skill's and the last one's.
        hints = [f"'{s.phrasing.examples[0]}'" for s in specs if s.phrasing.examples]
        self.examples = join_words(hints[:1] + hints[-1:] if len(hints) > 1 else hints, last="or")

    def respond(self, outcome: Outcome, rng: random.Random) -> str:
        """The reply to the dialogue's ``outcome``: the turn's NLG stage."""
        offered = outcome.items or outcome.act != "dislike"  # "I can't stand Titanic" offers nothing
        if outcome.act in ("recommend", "skip", "more", "dislike") and outcome.domain and offered:
            response = self.offer(
                outcome.domain, outcome.items, outcome.skill_text, rng, followup=outcome.expects_reply
            )
            if not response:
                response = self.render("nothing_found", rng)
            if outcome.act == "dislike":
                response = self.render_outcome("dislike", outcome.values, rng) + " " + response
        elif outcome.act == "repeat":
            response = outcome.values.get("text") or self.render("repeat_nothing", rng)
        elif not outcome.response_key:  # a skill's own answer ("who sings this?")
            response = outcome.skill_text or self.render("nothing_found", rng)
        else:
            values = {"domain": outcome.domain, **outcome.values} if outcome.domain else outcome.values
            response = self.render_outcome(outcome.response_key, values, rng)
        if outcome.values.get("feeling") == "low":
            response = self.render("feeling_low", rng) + " " + response
        if outcome.values.get("long_input"):
            response = self.render("long_input", rng) + " " + response
        return response

    def describe_item(self, item: Item) -> str:
        """How the item's own skill speaks of it: "Take Five by Dave Brubeck"."""
        spec = self.specs.get(item.domain)
        return spec.describe(item) if spec is not None else describe_item(item)

    def render_outcome(self, key: str, values: dict[str, Any], rng: random.Random) -> str:
        """Fill a template from a dialogue outcome's raw values (items, skill names)."""
        values = dict(values)
        item = values.get("item")
        if isinstance(item, Item):
            values["title"] = item.title
            values["reason"] = reason_clause(item.reason)
            values["item"] = self.describe_item(item)
        spec = self.specs.get(values.get("domain") or "", self.default)
        values.setdefault("example", spec.phrasing.examples[0] if spec.phrasing.examples else "")
        values.setdefault("what", spec.phrasing.what or "that")
        values.setdefault("abilities", self.abilities)
        values.setdefault("examples", self.examples)
        return self.render(key, rng, skill=values.pop("skill", None) or values.get("domain"), **values)

    def render(self, key: str, rng: random.Random, skill: str | None = None, **values: Any) -> str:
        """The template ``key``: the named skill's own first, then the core's, then any skill's."""
        own = self.specs.get(skill or "")
        if own is not None and own.phrasing.templates.get(key):
            options = own.phrasing.templates[key]
        elif key in TEMPLATES:
            options = TEMPLATES[key]
        else:
            options = next(
                s.phrasing.templates[key] for s in self.specs.values() if s.phrasing.templates.get(key)
            )
        template = options[rng.randrange(len(options))]
        return template.format(**values)

    def offer(
        self, domain: str, items: list[Item], skill_text: str, rng: random.Random, followup: bool
    ) -> str:
        """The reply that offers ``items``: the skill's own text, the offer template, its reason, a follow-up."""
        spec = self.specs.get(domain)
        parts: list[str] = []
        if skill_text:
            parts.append(skill_text.strip())
        if items and spec is not None and spec.phrasing.templates.get("offer"):
            numbered = "; ".join(f"{i + 1}: {it.title}" for i, it in enumerate(items))
            parts.append(spec.say("offer", rng, item=spec.describe(items[0]), items=numbered))
            if spec.offers.says_reason:
                parts.append(_sentence(items[0].reason))
        if followup and items:
            parts.append(self.render("followup", rng))
        return " ".join(p for p in parts if p)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
