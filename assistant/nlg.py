"""Turns a dialogue outcome into the sentence the user hears.

Templates vary the wording (chosen with the turn's seeded random generator, so replay is
exact) and fill in the item, the reason and the follow-up prompt.
"""

from __future__ import annotations

import random
from typing import Any

from skills.base import Item

TEMPLATES: dict[str, list[str]] = {
    "offer_music": ["Here's {item}.", "How about {item}?", "Playing {item}.", "Let's try {item}."],
    "offer_video": ["How about {item}?", "You might enjoy {item}.", "Try {item}."],
    "offer_news": ["Here are the headlines: {items}.", "Here's the news: {items}."],
    "offer_weather": ["{text}"],
    "followup": ["Want another?", "Shall I find another?", "Want something else?"],
    "like": ["Glad you like {title}. I'll remember that.", "Noted: you like {title}."],
    "like_unknown": ["I don't know a film called {title}, so I can't note it yet."],
    "like_unknown_song": ["I don't know a song called {title}, so I can't note it yet."],
    "like_nothing": ["Glad to hear it. I haven't suggested anything yet, though: try 'play some jazz'."],
    "dislike": ["Okay, I won't offer {title} again.", "Got it, not {title}."],
    "skip": ["Skipping {title}.", "Okay, something else."],
    "nothing_to_skip": ["There's nothing to skip yet. Try 'play some jazz' or 'suggest a movie'."],
    "explain": ["I picked {title} {reason}.", "{title}: I chose it {reason}."],
    "explain_nothing": ["I haven't recommended anything yet, so there's nothing to explain."],
    "repeat_nothing": ["I haven't said anything yet."],
    "stop": ["Okay, stopped.", "Stopping."],
    "thanks": ["You're welcome!", "Happy to help.", "Any time."],
    "volume": ["Volume {level} of 10.", "Okay, the volume is now {level} of 10."],
    "mute": ["Muted.", "Okay, sound off."],
    "music_settings": ["Okay, {setting} is on.", "{setting} on."],
    "music_query": ["That was {item}.", "You're listening to {item}."],
    "music_query_named": ["That's {item}. Say 'play {title}' to hear it."],
    "music_query_unknown": ["I don't know a song called {title}."],
    "music_query_nothing": ["Nothing is playing right now. Say 'play some jazz' to start."],
    "forget_confirm": ["Do you want me to delete everything I know about you, {user}? Say yes or no."],
    "forget_done": ["Done. I've deleted everything I knew about you."],
    "forget_cancelled": ["Okay, I'll keep your history."],
    "affirm_nothing": ["Okay."],
    "negate_nothing": ["Okay, no problem."],
    "confirm_domain": ["Did you want {what}? Say yes or no."],
    "switch_user": ["Hi {name}! I'll use your profile now.", "Hello {name}, switched to your profile."],
    "history": ["{text}"],
    "profile": ["{text}"],
    "out_of_scope": [
        "I can't help with that. I can play music, read the news, tell you the weather or suggest "
        "a movie. For example, say '{example}'."
    ],
    "empty_input": ["I didn't catch anything. Try saying '{example}'."],
    "error": ["{message}"],
    "no_items": ["{text}"],
}

DOMAIN_EXAMPLES = {
    "music": "play some jazz",
    "news": "what's the news",
    "weather": "what's the weather tomorrow",
    "video": "suggest a movie",
}

DOMAIN_WHAT = {
    "music": "some music",
    "news": "the news",
    "weather": "the weather",
    "video": "a movie suggestion",
}


def describe_item(item: Item) -> str:
    """``"Take Five" by Dave Brubeck`` style, for speech."""
    if item.domain == "music" and item.subtitle:
        return f"{item.title} by {item.subtitle}"
    if item.subtitle:
        return f"{item.title} ({item.subtitle})"
    return item.title


def reason_clause(reason: str) -> str:
    """Make a skill's reason read after "I picked X ...": "because you liked Alien"."""
    reason = reason.strip().rstrip(".")
    if not reason:
        return "for you"
    lowered = reason[0].lower() + reason[1:]
    if lowered.startswith(("because", "since", "as ", "for ")):
        return lowered
    return (
        f"because it's {lowered}"
        if lowered.startswith(("a ", "an ", "the ", "popular"))
        else f"because {lowered}"
    )


class ResponseGenerator:
    def render_outcome(self, key: str, values: dict[str, Any], rng: random.Random) -> str:
        """Fill a template from a dialogue outcome's raw values (items, domains)."""
        values = dict(values)
        item = values.get("item")
        if isinstance(item, Item):
            values["title"] = item.title
            values["reason"] = reason_clause(item.reason)
            values["item"] = describe_item(item)
        if "domain" in values:
            values["example"] = DOMAIN_EXAMPLES.get(values["domain"], DOMAIN_EXAMPLES["music"])
            values["what"] = DOMAIN_WHAT.get(values["domain"], "that")
        return self.render(key, rng, **values)

    def render(self, key: str, rng: random.Random, **values: Any) -> str:
        options = TEMPLATES[key]
        template = options[rng.randrange(len(options))]
        return template.format(**values)

    def offer(
        self, domain: str, items: list[Item], skill_text: str, rng: random.Random, followup: bool
    ) -> str:
        parts: list[str] = []
        if skill_text:
            parts.append(skill_text.strip())
        if domain == "weather":
            pass  # the report is the skill's text
        elif domain == "news" and items:
            headlines = "; ".join(f"{i + 1}: {it.title}" for i, it in enumerate(items))
            parts.append(self.render("offer_news", rng, items=headlines))
        elif items:
            key = "offer_music" if domain == "music" else "offer_video"
            parts.append(self.render(key, rng, item=describe_item(items[0])))
            parts.append(_sentence(items[0].reason))
        if followup and items and domain != "weather":
            parts.append(self.render("followup", rng))
        return " ".join(p for p in parts if p)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
