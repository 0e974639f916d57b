"""The parts of a ``SkillSpec`` (``assistant.skill_sdk.api``): what a skill declares about itself,
grouped by what the core does with it.

A spec keeps at its top level only who the skill is and how it is loaded and built (``name``,
``load``, ``build``, ``rank``, ``settings_model``, ``commands``, ``senses_outside``). The rest is
in its parts:

- ``answers`` (``Answers``): the intents that reach the skill and the slots its requests carry
  (the NLU's routing, the dialogue's frame);
- ``words`` (``SkillWords``): the words people use for it (routing, refinements, the slot
  tagger's gaps, the voice loop's endpointing, the build's vocabulary);
- ``phrasing`` (``SkillPhrasing``): how the core speaks of it (help text, templates, history);
- ``offers`` (``OfferPolicy``): what happens around one of its offers;
- ``llm`` (``ModelHints``): what the language model is told about its slots.

Each part is a frozen dataclass built with keyword arguments; every field has a default except
``Answers.offer_intent``. ``assistant.skill_sdk.api`` re-exports every name here, so a skill
imports them from there with ``SkillSpec``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

# A slot holding several values (a slot declared ``many``, or the frame joining the mood the
# classifier heard with the one a skill's words say) keeps them in one string, joined with this.
VALUE_SEPARATOR = "|"


def split_values(value: str) -> list[str]:
    """A slot value's parts, first as given, each stripped, empty ones dropped."""
    return [part.strip() for part in str(value or "").split(VALUE_SEPARATOR) if part.strip()]


def join_values(values: Iterable[str]) -> str:
    """Several values (each may be joined already) as one slot value, each once, first kept first:
    ``join_values(["Romance|Comedy", "Comedy"])`` is "Romance|Comedy"."""
    return VALUE_SEPARATOR.join(dict.fromkeys(part for v in values for part in split_values(v)))


@dataclass(frozen=True)
class SlotDoc:
    """What one slot means, for a reader that is not the classifier (the language model)."""

    description: str
    choices: tuple[str, ...] = ()  # the only values allowed; empty: free text
    many: bool = False  # several of ``choices`` at once (``join_values``)
    # A pattern (regex, any case) the request's words must match for the model to fill this slot;
    # empty: any request. The model's grammar leaves the slot out otherwise: asked not to guess
    # years, the 1.5B model still added an era to a quarter of the open requests.
    cue: str = ""


@dataclass(frozen=True)
class HistoryPhrasing:
    """How "what did I ... yesterday" speaks of one skill's offers."""

    words: tuple[str, ...] = ()  # words in a question that point at this skill ("listen", "song")
    kind: str = ""  # "I don't have any {kind} in your history"
    noun: str = "things"  # "I offered you 3 {noun}"


@dataclass(frozen=True)
class Answers:
    """What a skill answers: the intents that reach it and the slots its requests carry, and how
    the dialogue's frame for it is built from turn to turn (``SkillSpec.answers``)."""

    # The label that asks this skill for something new ("play some jazz"), and every other
    # label it answers (questions and settings about what it offered).
    offer_intent: str
    intents: frozenset[str] = frozenset()
    slots: frozenset[str] = frozenset()
    # A new value for one of these starts a fresh request; otherwise earlier slots carry over
    # ("play some jazz" -> "something more upbeat" keeps the genre). Empty: always merge.
    fresh_slots: frozenset[str] = frozenset()
    # The slot that names one catalog item ("I love Alien"); the skill implements ``NamesItems``.
    named_item_slot: str = ""
    # Other slots a liked name may fill ("I'm a big Radiohead fan": the music skill's artist).
    also_names: tuple[str, ...] = ()
    # Several values said for one slot, made one ("from the forties or fifties": 1940-1959).
    combine_values: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    # Slots whose values are ones to leave out, and the slot those values belong to
    # (the language model's video "exclude": genres of "movie_genre").
    exclusion_slots: Mapping[str, str] = field(default_factory=dict)
    # (slot, value, other slot, its values): saying the first takes those values out of what was
    # asked for ("something for the kids" after a horror film: a film for children, not horror).
    displaces: tuple[tuple[str, str, str, frozenset[str]], ...] = ()

    @property
    def all_intents(self) -> frozenset[str]:
        """Every intent the skill answers: its offer intent and the others."""
        return frozenset({self.offer_intent}) | self.intents


@dataclass(frozen=True)
class SkillWords:
    """The words people use for a skill and what it offers (``SkillSpec.words``)."""

    # Regular expressions (with a slot the parse must carry, or "") that send an utterance to
    # this skill's offer intent whatever the classifier said: phrasings it was not trained on.
    routes: tuple[tuple[str, str], ...] = ()
    # Words that name what this skill offers ("music", "album"; "news", "sports"): an unsure
    # request that says one is answered rather than confirmed, and a refinement said after
    # another skill's offer ("something from the eighties") stays with that skill unless it
    # says one of these.
    domain_words: tuple[str, ...] = ()
    item_nouns: tuple[str, ...] = ()  # "more songs like this"
    # Words a name follows ("play the album ... Abbey Road", "who's the director ... of Heat"): a
    # transcript ending on one is waiting for the name (assistant/voice/endpointing.py).
    name_cues: tuple[str, ...] = ()
    not_names: frozenset[str] = frozenset()  # "this is jazz" names no person
    # What people call some of the things this skill names ("stones", "the boss") -> the name its
    # catalog knows: a name told in passing ("a big stones fan") is looked up as that.
    nicknames: Mapping[str, str] = field(default_factory=dict)
    # Words that fill a constraint of this skill's frame without the slot tagger or the language
    # model: slot -> canonical value -> regular expressions matched as whole words on the lowered
    # request ("funny", "funnier", "comedies" -> movie_genre "Comedy"; "for the kids" -> audience
    # "children"). Said after "not", "no", "nothing", "too", "without" they rule the value out.
    constraint_words: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # Words that fill a slot of this skill's requests on their own when the slot tagger leaves
    # it empty ("will it be sunny": weather_descriptor "sunny"); collected with the vocabulary
    # (assistant/nlu/slot_words.py).
    slot_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Slots people add after a request that already reads as whole ("will I need sunscreen ...
    # today"): while the parse has none of them, the voice loop's semantic endpointing waits out
    # the full pause instead of ending the turn early (assistant/voice/endpointing.py).
    trailing_slots: frozenset[str] = frozenset()
    # Canonical slot values from the skill's catalog (names, genres, places): the build step
    # collects them so the NLU can normalise what people say to what the catalog calls it.
    vocabulary: Callable[[], dict[str, list[str]]] | None = None


@dataclass(frozen=True)
class SkillPhrasing:
    """How the core speaks of a skill and how the skill's own sentences read
    (``SkillSpec.phrasing``)."""

    examples: tuple[str, ...] = ()  # requests people can make; the first one is the hint
    description: str = ""  # "play music": "I can play music, ..."
    topic: str = ""  # "music": "Ask me for music, ..."
    what: str = ""  # "some music": "Did you want some music?"
    # The skill's sentences: "offer" ({item}, {items}), "item" (how one item is spoken:
    # {title}, {subtitle}), "like_unknown" ({title}), and any the skill renders itself.
    templates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unknown_name_key: str = "like_unknown"  # its template for a liked name it does not know
    history: HistoryPhrasing = field(default_factory=HistoryPhrasing)
    # Stored preference key -> sentence for "what do you know about me" ("{value}" is filled).
    preference_phrases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferPolicy:
    """What happens around one of a skill's offers (``SkillSpec.offers``)."""

    items_per_offer: int = 1
    offers_another: bool = True  # "Want another?" after an offer
    takes_feedback: bool = True  # a skip is recorded against what it offered
    says_reason: bool = True  # the item's reason is spoken after the offer


@dataclass(frozen=True)
class ModelHints:
    """What the language model (assistant/llm) is told about a skill (``SkillSpec.llm``): what
    each slot means and the values it may take, and worked requests with the slots they should
    give. Slots without a doc are free text."""

    slot_docs: Mapping[str, SlotDoc] = field(default_factory=dict)
    examples: tuple[tuple[str, Mapping[str, str]], ...] = ()
