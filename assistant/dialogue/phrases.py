"""How the dialogue manager reads short answers and conversational moves in any skill's terms:
yes and no, "this is Alice", "and what about ...", "more like this".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.skill_sdk.api import SkillSpec

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
# A yes somewhere in the answer ("yes please delete it", "sure, go ahead"): what an irreversible
# action asks for on top of the classifier's "affirm".
CLEAR_YES = re.compile(r"\b(yes|yeah|yep|yup|sure|ok|okay|go ahead|do it|delete|forget)\b")
NO = re.compile(r"^(no|nope|nah|no thanks|no thank you|don't|do not|cancel|never mind)\b[ .!]*$")
FOLLOW_ON = re.compile(r"^\s*(and|what|how)\s+about\b|^\s*(and|also)\b")
# "more about that", "tell me more", "more on this story": more of what was just offered.
MORE_ON_THAT = r"\bmore\s+(about|on|of)\s+(this|that|it)\b|\btell me more\b|\bmore like (this|that|it)\b"
# How a refinement of the current offer starts ("something from the eighties", "too busy,
# something more chilled", "a bit calmer"): said right after an offer, it narrows that offer
# instead of asking another skill, unless it names what that other skill offers.
REFINEMENT = re.compile(
    r"^\s*(?:(?:hmm|um|ok|okay|no|nah|well|oh)\s+)?"
    r"(something|anything|some|more|less|a bit|a little|bit|too|make it|maybe|just|only|from|"
    r"and|but|what about|how about|any|not so|slightly|rather|one|ones)\b"
)


def more_like_this_pattern(specs: list[SkillSpec]) -> re.Pattern[str]:
    """ "more like this", "songs like that", "something similar", with every skill's nouns."""
    nouns = sorted({n for s in specs for n in s.words.item_nouns})
    words = "|".join(re.escape(w) for w in (*LIKE_THIS_WORDS, *nouns))
    return re.compile(rf"\b({words})\s+like\s+(this|that|it)\b|\bsimilar\b|{MORE_ON_THAT}")


def domain_words_pattern(spec: SkillSpec) -> re.Pattern[str] | None:
    """The words that name what ``spec`` offers ("song", "film", "news", "sports"), or None."""
    return words_pattern(spec.words.domain_words)


def words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """Any of ``words`` (lower case) as a whole word or phrase, or None when there are none."""
    chosen = sorted({w.lower() for w in words if w})
    if not chosen:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in chosen) + r")\b")


# "We've seen that", "already heard it", "had that one": not this item, another of the same.
ALREADY_HAD = re.compile(
    r"\b(?:already (?:seen|watched|heard|read|had)"
    r"|(?:we|i|they|you|kids|children|\w+s)(?:'ve| have) (?:already |both |all )?(?:seen|watched|heard|read|had)"
    r"|(?:he|she|\w+)(?:'s| has) (?:already )?(?:seen|watched)"
    r"|(?:seen|watched|heard) (?:it|that|this) (?:already|before))\b"
    r"|^(?:\w+ )?(?:seen|watched) (?:it|that|that one|this one)\b"
)
# "What did I listen to yesterday", "what do you know about me": the person's own history.
ABOUT_THEIR_HISTORY = re.compile(r"\bwhat (?:did|have|do) (?:i|we)\b|\babout me\b|\bmy history\b")
# A question about something already on the table: "who directed it", "what year is that from";
# "read it", "read me the second one" and a bare "the second one" after a list of headlines ask
# for that one too (they were read as a skip or out of scope and brought new headlines).
ASKS_ABOUT = re.compile(
    r"(?:^|, )(?:\w+,? ){0,2}(?:who's|whos|who|what|when|how|which|where|is it|was it|is that|is this|was that|"
    r"does it|does that|tell me|read(?: me| out)?)\b|"
    r"^(?:(?:and|ok(?:ay)?|so|um),?\s+)?the (?:first|second|third|last) \w+\W*$"
)
POINTS_AT = re.compile(
    r"\b(?:it|that|this|that one|this one|them|him|her|the (?:first|second|third|last) \w+|"
    r"the (?:director|cast|actors?|year|runtime|length|plot|story|stars?|lead))\b"
)
# Words about loudness: a volume request, never a refinement of what is on.
VOLUME_WORDS = re.compile(
    r"\b(?:volume|louder(?! (?:one|ones|stuff|\w+s)\b)|quieter|turn (?:it|this|the \w+) (?:up|down)|"
    r"mute|unmute)\b"
)
# "What did I like?", "which films have I liked so far": a question about the likes told, not
# a like told ("what have I liked so far" was a like of a track called "So far") nor the offers.
ASKS_LIKES = re.compile(
    r"\b(?:what|which)(?: \w+)? (?:did|have|do) i (?:like|liked|love|loved)\b|\b(?:my likes|what i liked)\b"
)
# "What can you do?", "help": answered with what the skills do, not "I can't help with that"
# (the classifier puts them out of scope, 0.93-1.0, and "what can I ask you" as history, 0.63).
ASKS_ABILITIES = re.compile(
    r"(?:(?:so|ok(?:ay)?|hey),?\s+)?(?:help(?: me)?(?: please)?|what (?:else )?can you do|what are you able to do|"
    r"what do you do|what can i (?:ask|say to|tell)(?: you)?|how do i use you|what are your (?:features|skills))"
    r"[\s?.!]*"
)


def intent_said(lowered: str) -> str | None:
    """The core intent the words say whatever the classifier guessed: a question about the
    likes told (``ASKS_LIKES``, heard as a like) or about what the assistant can do
    (``ASKS_ABILITIES``)."""
    if ASKS_ABILITIES.fullmatch(lowered.strip()):
        return "out_of_scope"  # answered with what the skills do (``CoreIntents.on_out_of_scope``)
    return "history_query" if ASKS_LIKES.search(lowered) else None


# "I'm feeling a bit down today", "I feel sad": a feeling told, no request said. The classifier
# read these as a news request (0.19, after news), a dislike of the story offered (0.39) or out
# of scope. A person telling a smart speaker how they feel expects it to offer something for it.
# Feeling -> (the mood offered, whether it is a low one: said with sympathy first).
FEELINGS: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(
        "down sad low blue upset miserable depressed gloomy unhappy lonely heartbroken glum".split(),
        ("happy", True),
    ),
    **dict.fromkeys(
        "tired exhausted stressed anxious overwhelmed tense frazzled restless".split(), ("calm", True)
    ),
    "sleepy": ("sleep", False),
    **dict.fromkeys("happy great good cheerful fantastic wonderful excited".split(), ("happy", False)),
    **dict.fromkeys("energetic pumped bored".split(), ("energetic", False)),
    "romantic": ("romantic", False),
}
FEELING = re.compile(
    r"(?:(?:well|so|honestly|ugh|oh),?\s+)?(?:i'?m|i am|i feel|i'?m feeling|i am feeling|feeling|i'?ve been feeling)"
    r"\s+(?:(?:a bit|a little|a little bit|so|really|very|kind of|kinda|pretty|quite|rather|super|too)\s+)*"
    r"([a-z]+)(?:\s+(?:today|tonight|right now|now|lately|at the moment|this morning|this evening))?[\s.!]*"
)


def told_feeling(lowered: str) -> tuple[str, bool] | None:
    """(mood to offer, low) when ``lowered`` only tells how the speaker feels, else None."""
    found = FEELING.fullmatch(lowered.strip())
    return FEELINGS.get(found.group(1)) if found else None


# "That's enough", "be quiet": stop whatever is going on, whatever else the words carry.
STOPS = re.compile(
    r"^(?:ok(?:ay)?,? )?(?:that'?s enough|enough now|be quiet|quiet please|shush|shh+)\b|"
    r"^(?:ok(?:ay)?,? )?stop (?:reading|talking|playing|that|it)(?: now| please)?\W*$"
)
# Words that go on with what is being discussed rather than start anew ("what else could they
# watch", "another film"), and the place said before ("there").
GOES_ON = re.compile(r"\b(?:what else|anything else|something else|another|any more|more of)\b")
THERE = re.compile(r"\bthere\b")
# Words that ask to hear the last answer again. A "repeat" the classifier heard without any
# ("try again", "ok and one more", "back to it, another drama") asks for another offer.
SAYS_REPEAT = re.compile(
    r"\b(?:repeat|again|say (?:that|it)|what did you (?:just )?say|what was that|come again|pardon|"
    r"didn'?t (?:catch|hear)|one more time|what\W*$|huh|eh)\b"
)
ASKS_ANOTHER = re.compile(r"\b(?:try again|one more|another|next)\b")
# "Put on something my dad would like" right after "my dad's a big fan of The Great Escape":
# about the thing just told (after an offer, nobody's taste was told: no reference).
SOMEONE_WOULD_LIKE = re.compile(
    r"\b(?:something|anything|one)(?: on)? (?:he|she|they|(?:my|our|the) \w+)(?:'d| would| will| might)? "
    r"(?:like|love|enjoy)\b"
)
# "I like that", "we really loved it": a like, even where "like that" also points back.
TELLS_A_LIKE = re.compile(
    r"^(?:\w+,? )?(?:i|we)(?:'d| would)? (?:really |also |just |so |do |don'?t |do not |didn'?t |did not |never )*"
    r"(?:like|love|loved|liked|enjoyed|hate|hated)\b"
)
# "Tell me more about that", "more on the second one": more on that item, not more like it.
ABOUT_IT = re.compile(r"\btell me more\b|\bmore (?:about|on) (?:it|that|this|the \w+ (?:one|story))\b")
# "Something like Inception then": the name after "like" (the catalog decides if it is one).
LIKE_NAME = re.compile(
    r"\b(?:like|similar to|in the style of)\s+(?P<name>[a-z0-9][a-z0-9' &.-]*?)"
    r"(?:\s+(?:then|please|maybe|but|from|for|with|or|and|again|instead)\b.*)?[ .!?]*$"
)
# "Something for the kids instead": what is said replaces what was asked for.
INSTEAD = re.compile(r"\b(?:instead|rather)\b")

# A correction of what the assistant acted on: "no, Austin not Boston", "sorry, I meant Belfast",
# "no Edinburgh, I said Edinburgh".
CORRECTS = re.compile(
    r"^\W*(?:(?:oh|hmm|um|er|wait|sorry|ah|actually)\W+)*(?:no|nope|nah|sorry)\b|\bi (?:meant|said)\b"
)
# Words that ask for something for oneself: one skill's word said with them is a request ("we
# need a laugh tonight"), where a word alone out of scope is not ("tell me something funny").
WANTS = re.compile(
    r"\b(?:we|i) (?:really )?(?:need|want|fancy)\b|\bin the mood for\b|\bup for\b|^(?:\w+ )?anything (?:about|on)\b|"
    r"\bany (?:ideas|suggestions)\b|\bwhat (?:can|could|should|shall) (?:we|i|they) (?:do|put on)\b"
)
# Asides no skill answers, whatever the classifier guessed from a word in them ("remind me to
# water the plants tonight" as weather, "what's nine times seven" as a film for children).
ASIDE = re.compile(
    r"^(?:[\w']+,? ){0,6}?(?:remind me|set (?:a|an|the|my) (?:reminder|alarm|timer)|wake me (?:up )?at|"
    r"add [\w' ]+ to (?:the|my) (?:shopping |to ?do )?list|call (?:my )?(?:mum|mom|dad|\w+ on)|"
    r"(?:what'?s|what is) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) "
    r"(?:times|plus|minus|divided by))\b"
)
# Going on with what was being discussed, and nothing else said.
GO_ON_ONLY = re.compile(
    r"^(?:ok |okay |right |yes |sorry |anyway )*(?:carry on|continue|keep going|go on|where were we)"
    r"(?: then| please| with (?:it|that|those))?\W*$"
)
# A request said after the answer: "no, just play some music", "yes, put some news on".
ASKS_FOR = re.compile(r"\b(?:play|put on|put|give me|i want|let'?s have|read me|tell me|find|suggest|some)\b")
# More of what is on offer, and nothing else said.
MORE_ONLY = re.compile(
    r"^(?:ok |yes |yeah |go on )?(?:some )?more(?: please| of (?:that|those|them|it))?\W*$"
)
