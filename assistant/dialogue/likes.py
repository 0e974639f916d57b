"""Likes told in passing: "I watched Alien last night and loved it", "my favourite film is
Heat", "I'm a big Radiohead fan", "and Toy Story was great".

The classifier's ``like`` covers "I like this one"; these name the item, often with words the
slot tagger takes for a title ("last night"). The name is found in the words, then in the
catalog of each skill that can look names up (``NamesItems``), the skill the words point at
first ("watched" -> the one whose history words include "watch").
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from assistant.contracts.stages import Parse
from assistant.dialogue.frame import ConstraintWords, is_pointer
from assistant.dialogue.state import DialogueState
from assistant.skill_sdk.api import Item, NamesItems, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry

_WHEN = (
    r"(?:last night|yesterday|the other day|last week|last weekend|at the weekend|this weekend|"
    r"again|recently|earlier|today|tonight|this morning|on tv|with my \w+)"
)
# Who tells a like: "i", "we", "my daughter", "the kids".
_WHO = r"(?:i|we|they|he|she|my (?:little |eldest |youngest |oldest |big )?\w+|the kids)"
_LOVED = r"(?:loved|liked|enjoyed|adored|really loved|really liked|really enjoyed|absolutely loved)"
_HATED = (
    r"(?:hated|couldn'?t stand|could not stand|didn'?t like|did not like|didn'?t enjoy|really hated|loathed)"
)


# Words that tell a like or a dislike without a pattern that gives the name.
LIKES = re.compile(
    r"\b(?:lov(?:e|ed|es|ing)|ador(?:e|ed|es)|enjoy(?:ed|s)?|obsessed|fav(?:ou?rite)?s?|the best|brilliant|"
    r"hilarious|amazing|fantastic|awesome|masterpiece|never gets old|can'?t get enough|can'?t stop|"
    r"haven'?t stopped|so good|really good|such an? (?:good|great|brilliant|lovely)|great|wonderful|fan|into|times|over and over|quoting|"
    r"perfect|holds up|gets me|every time|rewatched|re-watched|soundtrack|on repeat|won'?t stop|"
    r"nothing but|person|blew my mind|blown away|made me cry|cried|mad about|crazy about|nuts about|hooked|besotted|"
    r"genius|grew up on|grew up with|comfort \w+|stuck with me|what an? \w+$|"
    r"rewatch(?:es|ed)?|listening to (?:loads|lots|a lot) of|every christmas|soft spot|"
    r"the \w+est (?:\w+ )?(?:ever|of all time))\b|"
    r"\b(?:i|we) (?:really |also |do |quite )*like\b"
)
DISLIKES = re.compile(
    r"\b(?:can'?t stand|couldn'?t stand|hate[ds]?|boring|awful|terrible|rubbish|overrated|dreadful|"
    r"didn'?t (?:like|enjoy)|did not (?:like|enjoy)|don'?t (?:really )?like|do not like|not a fan|worst|"
    r"annoying|never liked|can'?t bear|couldn'?t bear|detest|loathe[ds]?)\b"
)
# A request, not a like told in passing ("play some great music").
REQUEST = re.compile(
    r"^(?:\w+,? )?(?:play|put on|suggest|recommend|find|show|give|tell|what|how|can you|could you|"
    r"i want|i'd like|i would like|let'?s|read|any)\b"
)
# A like or dislike of what is on offer, not of a name ("i don't like that one", "love it").
ABOUT_THE_OFFER = re.compile(r"\b(?:it|that|this|that one|this one|these|those)\b")
MAX_NAME_WORDS = 6
EXACT_NAME = 92  # rapidfuzz ratio: "the killers" for "The Killers", not "Killer" for "killers"
# Between the names of a track's credited artists ("X Featuring Y", "X Feat. Y & Z").
CREDITS = re.compile(r"\s+(?:featuring|feat\.?|ft\.?|with|x|&|and)\s+|,\s*", re.IGNORECASE)
WELL_KNOWN = 0.8  # Item.score (a popularity percentile): Casablanca 0.99, the film "Jazz" 0.28
NAME_TIE = 6  # "mamma mia" against "Mamma Mia!" (95) and "Mamma Mia" (100)
NAMED = 80  # a name a pattern gave ("i love jazz") must be close to the item's to count
NOT_A_NAME_EDGE = frozenset(
    """i i've im we my our me you it its is was are were be been the a an and or but so to of in on
    at for with by about this that these those really just very also too totally honestly
    love loved loves adore adored enjoy enjoyed like liked best great good fan fans into times
    never gets old can't stop stand hate hated boring awful terrible ever made watched seen saw
    heard listening listened been all week lately new stuff has have had voice one thought found everyone raves if ask me ever honestly like
    twenty ten hundred million few couple lot lots bit such week weekend last night yesterday
    today since kid kids daughter son wife husband partner we've haven't stopped quoting it's
    how much not no oh hey well yeah yes always still again all-time all time absolute absolutely
    obsessed best worst ever side hand other on the by way btw lately recently can't get enough
    amazing brilliant hilarious fantastic awesome masterpiece wonderful favourite favorite
    favourites favorites rubbish overrated dreadful annoying think thinks dad mum mom our their
    them they he she his her repeat soundtrack twenties teens teenager road trip played playing
    person more won't stop nothing had whole don't do not didn't doesn't isn't wasn't blew mind
    blown away made cry cried when kid child young was lowkey kinda mad crazy nuts hooked besotted proper
    properly""".split()
)


def told_patterns(nouns: str) -> tuple[re.Pattern[str], ...]:
    """The told-like patterns, ``nouns`` being the skills' item nouns as an alternation; each
    pattern's ``name`` group is the item's name as said."""
    return (
        re.compile(
            r"\bmy (?:all[- ]time |absolute )?fav(?:ou?rite)? (?:\w+ ){1,2}(?:ever |of all time )?"
            r"(?:is|are|was|has to be|would be|must be) (?P<name>.+)$"
        ),
        re.compile(r"\b(?:i(?:'m| am) )?(?:a |such a |quite a )?(?:\w+ )?fan of (?P<name>.+?)(?: here)?$"),
        re.compile(
            rf"\b{_WHO}(?:'m|'re|'s| am| are| is|'ve been|'s been| have been| has been) "
            r"(?:really |so |totally |very |a bit |kind of |kinda |sort of |a little |lowkey |low key |properly |"
            r"absolutely |completely |well |just |still |also |proper )*"
            r"(?:into|obsessed with|crazy about|mad about|nuts about|mad on|hooked on|addicted to|big on|besotted with)"
            r" (?P<name>.+?)(?: lately| recently| at the moment| right now| these days| since .+)?$"
        ),
        re.compile(
            r"\bi(?:'m| am) (?:a |such a |quite a )?(?:big |huge |massive |real |great |total |long time )?"
            r"(?P<name>.+?) fan\b"
        ),
        re.compile(
            rf"\b(?:watched|watch|saw|seen|heard|listened to|rewatched|re-watched)\s+(?P<name>.+?)\s+(?:{_WHEN}\s+)?"
            rf"(?:and|,)\s*(?:honestly\s+)?(?:i\s+)?(?:just\s+)?(?:{_LOVED}|{_HATED})\s+it\b"
        ),
        re.compile(
            rf"\b{_WHO}(?:'ve|'d| have| had)? (?:really |just |honestly |always |absolutely |totally )*"
            r"(?:can'?t stand|couldn'?t stand|hate|hates|never liked|don'?t like|didn'?t like|can'?t bear|"
            r"couldn'?t bear|detest|detests|loathe|loathes|grew up on|grew up with) "
            rf"(?P<name>.+?)(?:\s+{_WHEN})?$"
        ),
        re.compile(
            r"^(?:and |also |oh and |plus |honestly |ok |so |well |oh )?(?P<name>[a-z0-9].+?) (?:was|is) "
            r"(?:just |really |so |absolutely |honestly |still )*"
            r"(?:great|amazing|brilliant|fantastic|wonderful|excellent|awesome|good|superb|a masterpiece|perfect|"
            r"my favou?rite|the best|one of the best|my all[- ]time favou?rite)\b"
        ),
        re.compile(
            r"^(?:and |also |oh and |plus |honestly |ok |so |well |oh )?(?P<name>[a-z0-9].+?) (?:is|was|has always been) "
            r"(?:one of my|one of our|among my) (?:all[- ]time )?fav(?:ou?rite)?s?\b"
        ),
        re.compile(
            r"\b(?:i|we) could watch (?P<name>.+?) (?:over and over|again and again|forever|every day|"
            r"every week|every night|on repeat|on a loop|all day|a hundred times)\b"
        ),
        re.compile(
            rf"\b{_WHO}(?:'s| has| have)?(?: just)? can'?t get enough of "
            r"(?P<name>.+?)(?: lately| recently| at the moment| right now| these days)?$"
        ),
        re.compile(r"\bi could listen to (?P<name>.+?) (?:all day|forever|on repeat|every day)\b"),
        # "my boys are six and eight and obsessed with how to train your dragon"
        re.compile(
            r"\band (?:are |is |they'?re |she'?s |he'?s )?(?:really |so |totally |absolutely |completely )*"
            r"(?:obsessed with|mad about|crazy about|nuts about|besotted with|hooked on) (?P<name>.+?)$"
        ),
        re.compile(
            rf"\b(?:{_WHO}|the whole family) (?:also |really |absolutely |just |totally |all |both )*"
            rf"(?:{_LOVED}|love|loves|adore|adores|enjoy|like|likes)\s+(?:watching |"
            rf"listening to |the (?:{nouns}) )?(?P<name>.+?)(?:\s+{_WHEN})?(?:\s+(?:a lot|so much|very much|"
            r"too|as well))?$"
        ),
    )


# Another like said after one told by name: "oh and unforgiven too", "and heat as well".
ALSO_TOLD = re.compile(r"^(?:oh |and |also |plus |ok |oh and )+(?P<name>[a-z0-9][\w' &-]*?) (?:too|as well)$")


def words_only(text: str) -> str:
    """``text`` lower-cased with punctuation other than ' & - turned into single spaces."""
    return " ".join(re.sub(r"[^\w' &-]", " ", text.lower()).split())


NOT_A_NAME_START = re.compile(r"^(?:like|similar to|something|anything|more|another|other)\b")
_POINTER_ONLY = re.compile(r"^(?:it|that|this|that one|this one|them|one)$")


def said_name(text: str, patterns: tuple[re.Pattern[str], ...], trim: re.Pattern[str]) -> str | None:
    """The name a told like gives, or None when the words tell no named like."""
    lowered = words_only(text)
    for pattern in patterns:
        m = pattern.search(lowered)
        if m is None:
            continue
        name = trim.sub("", m.group("name").strip()).strip()
        name = re.sub(r"^(?:watching|listening to|probably|definitely|maybe|perhaps|easily|still) ", "", name)
        if NOT_A_NAME_START.match(name):
            continue  # "what else would we enjoy like that": a request, no name
        if name and not _POINTER_ONLY.match(name) and not is_pointer(name):
            return name
    return None


def named_in(
    parse: Parse, state: DialogueState, skills: SkillRegistry, also: bool = False
) -> list[tuple[SkillSpec, str]]:
    """The item names the parse's slots give ("I love Alien": video, "Alien"), leaving out
    pointers ("it") and the item just offered, for each skill that names items; with ``also``
    the other slots a name may fill too (``SkillSpec.answers.also_names``: "I grew up on the Beatles")."""
    last = state.last_items[0] if state.last_items else None
    found = []
    for spec in skills.specs:
        if not spec.answers.named_item_slot:
            continue
        for slot in (spec.answers.named_item_slot, *(spec.answers.also_names if also else ())):
            value = parse.slots.get(slot, "").strip()
            if (
                value
                and not is_pointer(value)
                and not (last is not None and value.casefold() in last.title.casefold())
            ):
                found.append((spec, value))
    return found


class ToldLikes:
    def __init__(self, skills: SkillRegistry, words: ConstraintWords | None = None) -> None:
        self.skills = skills
        self.words = words
        # Words around a name: the core's fillers and every skill's nouns ("the film", "that
        # band"); the nouns may end a name ("Toy Story") but not stand for one.
        nouns = {
            w
            for s in skills.specs
            for w in (
                *s.words.item_nouns,
                *s.words.domain_words,
                *s.phrasing.history.words,
                s.phrasing.history.noun,
            )
        }
        self.edge = NOT_A_NAME_EDGE  # never starts or ends a name
        self.explained = NOT_A_NAME_EDGE | {w.lower() for w in nouns if w}  # may stand around one
        nouns = sorted(
            {n for s in skills.specs for n in (*s.words.item_nouns, s.phrasing.history.noun) if n}, key=len
        )
        alternation = "|".join(re.escape(n) for n in reversed(nouns)) or "item"
        self.patterns = told_patterns(alternation)
        self.trim = re.compile(
            rf"(?:\s+(?:{_WHEN}|a lot|so much|very much|too|as well|here|the (?:{alternation})|on the other hand|"
            r"though|for me|for us|by the way|in this house|to be honest))+$"
        )

    def read(self, parse: Parse, text: str, state: DialogueState) -> tuple[Item, str, str] | None:
        """The item a told like or dislike names, the name to say back, and "like" or
        "dislike"; None when the words tell neither about a named item."""
        lowered = text.lower()
        if DISLIKES.search(lowered):
            kind = "dislike"
        elif LIKES.search(lowered):
            kind = "like"
        else:
            kind = "dislike" if parse.intent == "dislike" else "like"
        names: list[str] = []
        # The skill of the item talked about last ("psycho on the other hand is brilliant" right
        # after a film) decides between names that are as close in two catalogs.
        talked_about = state.mentioned[0].domain if state.mentioned else state.active_domain
        said = said_name(text, self.patterns, self.trim)
        if said:
            names.append(said)
        elif state.mentioned and (also := ALSO_TOLD.match(words_only(lowered))):
            # "oh and unforgiven too" right after a like told by name: another like.
            words = also.group("name").split()
            if words and words[0] not in self.edge and words[-1] not in self.edge:
                names.append(also.group("name"))
        tells = LIKES.search(lowered) or DISLIKES.search(lowered)
        if parse.intent in ("like", "dislike") or (tells and not REQUEST.match(lowered)):
            # "stevie wonder is an absolute genius": the name the classifier tagged, as an
            # item or as one of the other slots a name may fill (the music skill's artist).
            names.extend(value for _, value in named_in(parse, state, self.skills, also=True))
        for name in dict.fromkeys(names):
            found = self.find(name, text, at_least=NAMED, context=talked_about)
            if found is not None:
                return (*found, kind)
        if REQUEST.match(lowered) or not (LIKES.search(lowered) or DISLIKES.search(lowered)):
            return None
        if state.last_items and ABOUT_THE_OFFER.search(lowered):
            return None  # "i don't like that one": the item on offer, the core's like/dislike
        # "Casablanca never gets old for me", "adele has the best voice ever": no pattern gives
        # the name, so every run of words is tried as one, the longest first; only a name the
        # catalog knows to the letter counts.
        words = re.findall(r"[a-z0-9&'-]+", re.sub(r"'s\b", "", lowered))
        for n in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
            hits = []
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                starts = gram[0] in self.edge and not (gram[0] == "the" and n > 1)
                if starts or gram[-1] in self.edge or len(" ".join(gram)) < 3:
                    continue
                if n == 1 and any(w not in self.explained for w in words[:i] + words[i + n :]):
                    # One word is a name only when nothing else is left unexplained; a run of
                    # several that a catalog knows to the letter is one on its own.
                    continue
                found = self.find(" ".join(gram), text, at_least=EXACT_NAME, context=talked_about)
                if found is not None:
                    hits.append(found)
            if hits:
                return (*hits[0], kind)
        return None

    def find(
        self, name: str, text: str, at_least: float = 0, context: str | None = None
    ) -> tuple[Item, str] | None:
        """The item ``name`` names in any catalog, and the name to say back. Every catalog is
        asked; the closest name wins, then the skill the words point at ("my kids love frozen":
        the film), then the better-known item (``Item.score`` from ``lookup``)."""
        if self.words is not None and len(name.split()) <= 2:
            lowered = name.lower().strip()
            # "i like jazz": a kind of thing of the music skill, not its song called "Jazz"; but
            # "casablanca" is a film though it is also a forecast's city ("green day" is a band).
            kinds = {
                spec.name
                for spec in self.skills.specs
                for span in self.words.spans(spec, lowered)
                if span[0] == 0 and span[1] == len(lowered)
            }
        else:
            kinds = set()
        found = [
            # The skill being talked about counts as a pointer ("psycho on the other hand is
            # brilliant" right after a film).
            (hit, self._points_at(spec, text) + (spec.name == context))
            for spec in self.skills.specs
            if spec.answers.named_item_slot
            and spec.name not in kinds
            and (hit := self._lookup(spec, name)) is not None
        ]
        found = [f for f in found if f[0][0] >= at_least]
        if kinds:
            # A name that is also a kind of thing counts only for a widely known item ("i like
            # jazz" is the genre, not the little-watched film Jazz; Casablanca is the film).
            found = [f for f in found if f[0][1].score >= WELL_KNOWN]
        if not found:
            return None
        # Names within a few points of the closest are as good as a tie ("mamma mia" is the
        # film Mamma Mia! and ABBA's song): the words' pointers decide among them.
        closest = max(f[0][0] for f in found)
        found = [f for f in found if f[0][0] >= closest - NAME_TIE]
        (_, item, said), _ = max(found, key=lambda f: (f[1], f[0][0], f[0][1].score))
        return item, said

    def _points_at(self, spec: SkillSpec, text: str) -> int:
        """How many of the words point at ``spec``: its nouns and history words ("watched"),
        and its own constraint words ("my kids": an audience only films have)."""
        words = re.findall(r"[a-z]+", text.lower())
        hints = {*spec.phrasing.history.words, *spec.words.domain_words, *spec.words.item_nouns}
        # "made me watch": a word may be the stem of a hint ("watch" of "watched").
        said = sum(
            any(w.startswith(h) or (len(w) >= 5 and h.startswith(w)) for w in words) for h in hints if h
        )
        return said + (1 if self.words is not None and self.words.says_any(spec, text.lower()) else 0)

    def _lookup(self, spec: SkillSpec, name: str) -> tuple[float, Item, str] | None:
        """How close the skill's best match is to ``name``, the item, and the name to say back."""
        skill = self.skills.skill_with(spec.name, NamesItems)
        if skill is None:
            return None
        best: tuple[float, Item, str] | None = None
        name = spec.words.nicknames.get(name.lower().strip(), name)  # "stones": The Rolling Stones
        for slot in (spec.answers.named_item_slot, *spec.answers.also_names):
            item = skill.lookup({slot: name})
            if item is None:
                continue
            # "Radiohead" names the band better than a song called "Radio Head": the closest wins,
            # and an artist's name is said back as the artist.
            said = item.title if slot == spec.answers.named_item_slot else item.subtitle or item.title
            score = fuzz.ratio(name.lower(), said.lower())
            if slot != spec.answers.named_item_slot:
                # "Daft Punk" in "The Weeknd Featuring Daft Punk": each credited name counts.
                for part in CREDITS.split(said):
                    if part and fuzz.ratio(name.lower(), part.lower()) > score:
                        score, said = fuzz.ratio(name.lower(), part.lower()), part.strip()
            if len(name) >= 4 and said.lower().startswith(name.lower()):
                score = max(score, 90.0)  # "candle in the wind": "Candle In The Wind 1997/..."
            if best is None or score > best[0]:
                best = (score, item, said)
        return best
