"""What the person wants, held across turns: one frame per skill, updated by each turn's words.

A frame holds the constraints said so far (a genre, an era, an audience, a topic, a place), the
values the person ruled out ("not jazz", "nothing gory", "too scary") and the item it is anchored
on ("something like The Princess Bride"). A turn *updates* the frame: it adds or replaces a
constraint, rules one out, or starts the frame afresh; it never replaces the frame with whatever
this turn's parse happened to carry. The words that fill a constraint come from the skills'
``SkillSpec.words.constraint_words`` declarations, so the frame is filled the same way with the
language model off, still loading or too slow ("a funny animated movie": Comedy and Animation).

References are resolved here and nowhere else: "it", "that one", "this" point at the item offered,
playing or named last, and a slot whose value is only such a word (the tagger's title "It") or a
time ("last night") names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.skill_sdk.api import Item, SkillSpec, join_values, split_values

# A slot value that only points back ("it", "that one") or says when ("last night") is not a name.
POINTER = re.compile(
    r"^(?:it|that|this|one|the one|the same|them|him|her|there|the|a|an|some|any|then|please|the (?:first|last|second|third|other) one|"
    r"(?:this|that|the same) \w+)$"
)
TIME_ONLY = re.compile(
    r"^(?:last night|yesterday|today|tonight|this morning|this evening|this afternoon|the other day|"
    r"last week|last weekend|the weekend|at the weekend|recently|earlier|again|now)$"
)
# Words that point back at something already on the table.
POINTS_BACK = re.compile(
    r"\b(?:like|similar to|as good as|in the style of)\s+(?:it|that|this|that one|this one|the last one|"
    r"the first one|them|him|her|those)\b|\bsimilar\b|\bmore like (?:it|that|this)\b|"
    r"\b(?:in|along) (?:that|the same|those|a similar) (?:vein|lines?|style|kind of thing)\b|"
    r"\bin that style\b|\bsomeone who likes? (?:it|that|them)\b"
)
# Something said to rule a value out: "not jazz", "nothing gory", "too scary", "no more horror".
NEGATION = re.compile(
    r"\b(?:not|no|nothing|without|too|less|never|don'?t want|do not want|isn'?t|aren'?t|enough|"
    r"no more|fewer|skip the|none of|anything but|except|other than|apart from|rather than|"
    r"not in the mood for|don'?t feel like|sick of|tired of|had enough of|won'?t|wouldn'?t|doesn'?t|"
    r"forget|drop the|never mind|hates?|hated|can'?t face|can'?t stand|can'?t bear|not keen on|"
    r"not into|avoid)\b(?:\W+\w+){0,2}\W*$"
)
# "Wait no, the climate summit stuff", "no i meant the nineties": a "no" that answers what was
# offered, followed by what is wanted, negates nothing said after it.
NO_AS_INTERJECTION = re.compile(
    r"^\W*(?:(?:oh|wait|hmm|um|er|sorry|ah|ugh|actually|god|gosh|dear|well|ok|okay|right)\W+)*(?:no|nope|nah)\b\W+"
    r"(?=(?:the|a|an|some|something|i|i'd|i'm|it's|make it|let's|actually|sorry|wait|just|try|give|"
    r"what about|how about|rather|maybe|perhaps)\b)"
)
X_NOT_Y = re.compile(r"^\W*(?:but |and )?not\W*$")
# "That's too much, something gentler": a complaint about the offer, then what is wanted.
ASKS_AFTER_COMPLAINT = re.compile(r"\btoo much\W+(?:something|some|a|an)\W*$")
# A clause boundary: a negation does not reach past it ("not jazz, some rock instead").
CLAUSE = re.compile(r"[,;.!?]|(?<!anything )(?<!everything )\bbut\b|\b(?:instead|and then|then)\b")
# Said right after a value: it is wanted in place of what was ruled out ("a western instead").
REPLACES = re.compile(r" +(?:one |please )?(?:instead|rather)\b")
# The words just before a value that ask for it ("... some pop", "... something soulful").
ASKS_FOR_IT = re.compile(r"\b(?:some|something|a|an|more|just|try|play|want|do)\W*$")
# Between two values, words that carry one negation on to the second ("no war films or crime");
# a comma does not ("not pop, i said rock").
LIST_GOES_ON = re.compile(r"\b(?:or|nor|and)\b|/")
# The person goes back to a skill left earlier: its frame comes back as it was.
RETURNS = re.compile(
    r"\b(?:back to|go back|return to|again|as before|where we were|where was i|like before|more|some more|continue|"
    r"carry on|keep going|resume|another|go on|anyway)\b|"
    # "Ok, the robot film please" after an aside: the one being discussed, said with "the".
    r"^(?:(?:ok(?:ay)?|right|so|alright|yes|yeah),?\s+)?the (?:\w+ )?\w+(?:\s+(?:please|then|now|thing))*\W*$"
)
# Starting over: the frame's constraints go (what was ruled out stays for the session).
STARTS_OVER = re.compile(
    r"\b(?:something (?:completely|totally|entirely) different|start (?:over|again)|forget (?:it|that|all that)|"
    r"anything at all|scrap (?:all )?that|scratch (?:all )?that|(?:completely |totally )?new idea|"
    r"let'?s try something else|new plan|(?:completely|totally|entirely) different)\b"
)
# Starting over with a clean slate: what was ruled out goes too ("scrap all that", "new plan,
# something completely different"); a plain new request keeps it ("not jazz" holds).
STARTS_CLEAN = re.compile(
    r"\b(?:start (?:over|again|afresh)|forget (?:all )?(?:that|of that|everything)|scrap (?:all )?that|"
    r"scratch (?:all )?that|new plan|clean slate|(?:completely|totally|entirely) different)\b"
)
# Said with a new value, these add to what is asked for rather than replace it ("and maybe
# with a bit of romance in it too" after a comedy: both).
# "With Julia Roberts", "ok, one starring Tom Hanks": a value added to what is asked for.
ADDS_A_VALUE = re.compile(
    r"^\s*(?:(?:and|but|ok|okay|maybe|one|ones|something|anything|preferably)\s+)*(?:with|starring|featuring)\b"
)
# "Too" adds only at the end of a clause ("some jazz too"); before a word it is a degree ("that
# one's too old": a newer one instead, not the years of both).
ADDS_TO = re.compile(
    r"\btoo\b(?=\s*(?:$|[,.!?]|please\b|then\b|now\b))|\b(?:also|as well|with a bit of|plus|and also|and a bit of)\b"
)


MATCHED = "{match}"
ORDINALS = {"first": 0, "second": 1, "third": 2, "last": -1}
ORDINAL_REF = re.compile(r"\bthe (first|second|third|last) (?:one|\w+)\b")


def ordinal_item(text: str, offered: list[Item]) -> Item | None:
    """ "the second one", "the last story": that item of the last offer, when it had that many."""
    m = ORDINAL_REF.search(text.lower())
    if m is None or not offered:
        return None
    index = ORDINALS[m.group(1)]
    return offered[index] if -len(offered) <= index < len(offered) else None


@dataclass
class Frame:
    """One skill's frame: constraints in force, values ruled out, the item it is anchored on."""

    domain: str
    constraints: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    reference: Item | None = None

    def to_dict(self) -> dict[str, Any]:
        """The frame for ``--json`` and the session log (``state``)."""
        ref = self.reference
        return {
            "domain": self.domain,
            "constraints": dict(self.constraints),
            "exclude": {k: list(v) for k, v in self.excluded.items() if v},
            "reference": None
            if ref is None
            else {"id": ref.id, "title": ref.title, "subtitle": ref.subtitle, "domain": ref.domain},
        }

    def exclusions(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in self.excluded.items() if v}


@dataclass
class FrameUpdate:
    """What one turn's words do to a frame."""

    constraints: dict[str, str] = field(default_factory=dict)  # added or replacing
    excluded: dict[str, list[str]] = field(default_factory=dict)  # ruled out from now on
    reference: Item | None = None  # the item the request is anchored on now
    fresh: bool = False  # the request starts the frame over
    clean: bool = False  # ... and drops what was ruled out too
    # The words add a value to the request ("with Julia Roberts" after a romantic comedy): even a
    # slot that starts a request afresh (a person, a title) joins what is asked for.
    adds_a_value: bool = False
    # The reference is for this offer only ("tell me more about that": more on that story,
    # not a standing "like X" anchor).
    once: bool = False
    adds: bool = False  # the words add to what is asked for ("... too"): values join, not replace


class ConstraintWords:
    """The skills' declared words for constraint values, compiled once."""

    def __init__(self, specs: Iterable[SkillSpec]) -> None:
        self.patterns: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
        for spec in specs:
            found = []
            for slot, values in spec.words.constraint_words.items():
                # A value of "{match}" is the words themselves ("after 2000" is the era).
                for value, phrases in values.items():
                    alternatives = "|".join(phrases)
                    found.append((slot, value, re.compile(rf"\b(?:{alternatives})\b")))
            self.patterns[spec.name] = found

    def mentions(self, spec: SkillSpec, text: str) -> list[tuple[str, str, bool]]:
        """Every (slot, value, ruled_out) the words say for ``spec``, in the order said."""
        return [(slot, value, ruled_out) for _, _, slot, value, ruled_out in self.spans(spec, text)]

    def spans(self, spec: SkillSpec, text: str) -> list[tuple[int, int, str, str, bool]]:
        """``mentions`` with where each phrase is: (start, end, slot, value, ruled_out)."""
        lowered = text.lower()
        found: list[tuple[int, int, str, str, bool]] = []
        taken: list[tuple[int, int, str]] = []
        matches = [
            (m.start(), m.end(), slot, m.group(0) if value == MATCHED else value)
            for slot, value, pattern in self.patterns.get(spec.name, [])
            for m in pattern.finditer(lowered)
        ]
        # Longer phrases first, so "not too long" is one phrase, not a negated "long".
        for start, end, slot, value in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
            # One phrase may say two values of one slot ("a romcom": Romance and Comedy).
            if any(start < e and s < end and (s, e, sl) != (start, end, slot) for s, e, sl in taken):
                continue
            taken.append((start, end, slot))
            found.append((start, end, slot, value, False))
        found.sort()
        for i, (start, end, slot, value, _) in enumerate(found):
            # A negation reaches the values after it up to a clause boundary or another value:
            # in "nothing with songs my son hates musicals" it rules out the songs, not the son.
            before = lowered[found[i - 1][1] if i else 0 : start]
            clause = CLAUSE.split(before)[-1] if before else ""
            clause = NO_AS_INTERJECTION.sub("", clause)
            ruled_out = (
                bool(NEGATION.search(clause))
                and not REPLACES.match(lowered[end:])
                and not ASKS_AFTER_COMPLAINT.search(clause)
            )
            found[i] = (start, end, slot, value, ruled_out)
        # "not jazz blues", "no not hip hop reggae": the negation rules out the first value and
        # the second is what is wanted instead; but a list after one negation ("not jazz or
        # blues", "no war films or crime") rules out every value in it.
        for i, (start, end, slot, value, ruled_out) in enumerate(found):
            if i and not ruled_out and found[i - 1][4] and found[i - 1][2] == slot:
                gap = lowered[found[i - 1][1] : start]
                if LIST_GOES_ON.search(gap) and len(gap.split()) <= 3 and not ASKS_FOR_IT.search(gap):
                    found[i] = (start, end, slot, value, True)
        # "No austin, not boston": a value followed straight by "not" and another of its kind is
        # the one wanted (the "no" before it answered what was acted on).
        for i in range(len(found) - 1):
            (start, end, slot, value, ruled_out), after = found[i], found[i + 1]
            said_no = re.search(r"\bno\W*$", lowered[found[i - 1][1] if i else 0 : start])
            if (
                ruled_out
                and said_no
                and after[4]
                and after[2] == slot
                and X_NOT_Y.match(lowered[end : after[0]])
            ):
                found[i] = (start, end, slot, value, False)
        # "Wait no nineties, I meant the nineties": a value asked for after it was ruled out is
        # wanted (a misheard "no" or a correction of the correction).
        wanted_later = {(f[2], f[3], f[0]) for f in found if not f[4]}
        return [
            f
            for f in found
            if not (f[4] and any(sl == f[2] and v == f[3] and st > f[0] for sl, v, st in wanted_later))
        ]

    def says_any(self, spec: SkillSpec, text: str) -> bool:
        return bool(self.mentions(spec, text))

    def without(self, spec: SkillSpec, text: str) -> str:
        """``text`` lower-cased with the phrases of ``spec``'s values blanked out: what is left
        to name another skill ("a love story" is a film's genre, not a news story)."""
        lowered = text.lower()
        for _, _, pattern in self.patterns.get(spec.name, []):
            lowered = pattern.sub(lambda m: " " * len(m.group(0)), lowered)
        return lowered

    def canonical(self, spec: SkillSpec, slot: str, value: str) -> list[str]:
        """The declared values a slot value says ("funny animated" -> Comedy, Animation)."""
        lowered = value.lower()
        found = []
        for s, v, pattern in self.patterns.get(spec.name, []):
            m = pattern.search(lowered) if s == slot else None
            if m is not None:
                found.append(m.group(0) if v == MATCHED else v)
        return found


def is_pointer(value: str) -> bool:
    """Whether a slot value only points back ("it", "that one") or says when ("last night")."""
    cleaned = value.strip().lower().strip(".,!?")
    return bool(POINTER.match(cleaned) or TIME_ONLY.match(cleaned))


class FrameTracker:
    """Turns a parse and the words said into a ``FrameUpdate``, and applies it to a frame."""

    def __init__(self, specs: Iterable[SkillSpec], shared_slots: frozenset[str]) -> None:
        self.words = ConstraintWords(specs)
        self.shared_slots = shared_slots

    def read(self, spec: SkillSpec, slots: Mapping[str, str], text: str) -> FrameUpdate:
        """What ``text`` (and the parse's ``slots``) say about ``spec``'s frame."""
        lowered = text.lower()
        update = FrameUpdate(
            fresh=bool(STARTS_OVER.search(lowered)),
            clean=bool(STARTS_CLEAN.search(lowered)),
            adds_a_value=bool(ADDS_A_VALUE.match(lowered)),
        )
        mentioned: dict[str, list[str]] = {}
        for slot, value, ruled_out in self.words.mentions(spec, text):
            if ruled_out:
                update.excluded.setdefault(slot, []).append(value)
            else:
                mentioned.setdefault(slot, []).append(value)
        for slot, raw in slots.items():
            if (
                not (slot in spec.answers.slots or slot in self.shared_slots)
                or not raw.strip()
                or is_pointer(raw)
            ):
                continue
            if slot in spec.answers.exclusion_slots:  # the language model's values to leave out
                target = spec.answers.exclusion_slots[slot]
                update.excluded.setdefault(target, []).extend(split_values(raw))
                continue
            said = self.words.canonical(spec, slot, raw)
            ruled_out = set(update.excluded.get(slot, []))
            if said:
                kept = [v for v in said if v not in ruled_out]
                mentioned[slot] = [*kept, *mentioned.get(slot, [])]
            elif self.words.says_any(spec, raw):
                continue  # words another constraint claims ("classic" is an era, not a genre)
            elif slot not in mentioned and not ruled_out:
                # A value no words explain, when none of that kind was ruled out ("anything
                # violent so no war films" is about what not to show).
                mentioned[slot] = [raw.strip()]
        for slot, values in mentioned.items():
            ruled_out = {v.lower() for v in update.excluded.get(slot, [])}
            kept = [v for v in values if v.lower() not in ruled_out]
            if kept:
                joined = join_values(kept)
                combine = spec.answers.combine_values.get(slot)
                update.constraints[slot] = combine(joined) if combine is not None else joined
        update.adds = bool(ADDS_TO.search(text.lower()))
        for slot in list(update.excluded):
            update.excluded[slot] = list(dict.fromkeys(update.excluded[slot]))
        return update

    @staticmethod
    def apply(
        frame: Frame,
        update: FrameUpdate,
        fresh_slots: frozenset[str],
        displaces: tuple[tuple[str, str, str, frozenset[str]], ...] = (),
    ) -> Frame:
        """The frame after ``update``: a fresh request keeps only what was ruled out; a value
        said takes out what it ``displaces`` (``Answers.displaces``) unless said with it."""
        fresh = update.fresh or (bool(fresh_slots & set(update.constraints)) and not update.adds_a_value)
        constraints = {} if fresh else dict(frame.constraints)
        reference = None if fresh else frame.reference
        excluded = {} if update.clean else {k: list(v) for k, v in frame.excluded.items()}
        for slot, values in update.excluded.items():
            held = excluded.setdefault(slot, [])
            held.extend(v for v in values if v not in held)
            if slot in constraints:  # "too scary" takes Horror out of what is asked for
                kept = [v for v in split_values(constraints[slot]) if v not in values]
                if kept:
                    constraints[slot] = join_values(kept)
                else:
                    del constraints[slot]
        for slot, value in update.constraints.items():
            joins = update.adds and slot in constraints and not (fresh_slots and slot in fresh_slots)
            constraints[slot] = join_values([constraints[slot], value]) if joins else value
            # Asking for a value again lifts an earlier "not" on it ("no jazz" ... "ok, jazz then").
            if slot in excluded:
                excluded[slot] = [v for v in excluded[slot] if v.lower() not in split_values(value.lower())]
        for slot, value, other, values in displaces:
            if (
                update.constraints.get(slot) == value
                and other in constraints
                and other not in update.constraints
            ):
                kept = [v for v in split_values(constraints[other]) if v not in values]
                if kept:
                    constraints[other] = join_values(kept)
                else:
                    del constraints[other]
        if update.reference is not None and not update.once:
            reference = update.reference
        return Frame(frame.domain, constraints, {k: v for k, v in excluded.items() if v}, reference)
