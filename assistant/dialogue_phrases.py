"""How the dialogue manager reads short answers and conversational moves in any skill's terms:
yes and no, "this is Alice", "and what about ...", "more like this".
"""

from __future__ import annotations

import re

from assistant.skill_api import SkillSpec

# "more like this": the item nouns come from the skills' declarations.
LIKE_THIS_WORDS = ("more", "something", "anything", "stuff", "another one")
# "this is Alice" / "switch to Bob's profile": who is speaking changes the profile used.
USER_SWITCH = re.compile(
    r"^\s*(?:hi,?\s+|hello,?\s+)?(?:this is|it's|it is|switch (?:the )?(?:user|profile) to|switch to)\s+"
    r"([a-z][a-z'-]{1,30})(?:'s profile)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
# Words after "this is" that describe what is on rather than name a person; each skill adds
# its own name and ``not_names``.
NOT_NAMES = frozenset(
    {
        "me",
        "it",
        "that",
        "this",
        "great",
        "good",
        "fine",
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
)
YES = re.compile(r"^(yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|do it|yes please|of course)\b[ .!]*$")
NO = re.compile(r"^(no|nope|nah|no thanks|no thank you|don't|do not|cancel|never mind)\b[ .!]*$")
FOLLOW_ON = re.compile(r"^\s*(and|what|how)\s+about\b|^\s*(and|also)\b")


def more_like_this_pattern(specs: list[SkillSpec]) -> re.Pattern[str]:
    """ "more like this", "songs like that", "something similar", with every skill's nouns."""
    nouns = sorted({n for s in specs for n in s.item_nouns})
    words = "|".join(re.escape(w) for w in (*LIKE_THIS_WORDS, *nouns))
    return re.compile(rf"\b({words})\s+like\s+(this|that|it)\b|\bsimilar\b")
