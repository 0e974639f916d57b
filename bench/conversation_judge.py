"""Judging multi-turn conversations turn by turn: pure functions over recorded turns.

``bench/conversations.py`` runs the conversations (through ``bench/_conversations_worker.py``)
and uses these to judge what each turn did against what the conversation file expected. They
read only plain records (dicts from the worker's JSON lines), so a test can judge hand-made
records without building a pipeline.

One turn record (what the worker writes for each turn)::

    {"say": str, "act": str | None, "domain": str | None, "slots": {..}, "intent": str,
     "items": [Item.to_dict(), ...], "response": str, "state": dict | None,
     "elapsed_ms": float, "error": str | None}

``act``/``domain``/``slots`` come from the turn's ``DialogueEnd`` event; ``state`` is the
dialogue's frame (``TurnResult.summary()["state"]``) where the dialogue reports one, None in
the dialogue before it did. Where there is no state, the frame is read from the slots of the
last offer in the domain, which is what that dialogue carried to the next turn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skills.decades import decade_span
from skills.video.constraints import FOR_CHILDREN, GENRES, NOT_FOR_CHILDREN, year_span
from skills.video.skill import GENRE_ALIASES

# DialogueEnd.act values that hand over (or try to hand over) something new from a skill.
OFFER_ACTS = frozenset({"recommend", "converse", "skip", "more"})
# DialogueEnd.act values the conversation files name the same way.
SAME_ACTS = {
    "like": "like",
    "explain": "explain",
    "out_of_scope": "out_of_scope",
    "stop": "stop",
    "pause": "stop",  # a skill's "pause it" is the stop the conversation files name
}
# Acts of the core that are neither an offer nor a skill's answer: kept under their own name,
# so they never match an expectation by accident ("confirm" is not an "offer").
CORE_ACTS = frozenset(
    {
        "confirm",
        "switch_user",
        "repeat",
        "thanks",
        "affirm",
        "negate",
        "volume",
        "profile",
        "history",
        "forget_confirm",
        "forget_me",
        "forget_cancelled",
        "misheard",
    }
)
# A year this far out is an open end of a span ("before 1965" is 1880-1964 in year_span).
OPEN_LOW, OPEN_HIGH = 1900, 2030


def acts_of(act: str | None, domain: str | None, items: Sequence[Any]) -> set[str]:
    """The conversation-file acts one ``DialogueEnd`` counts as (a dislike that offers again is
    both "dislike" and "offer")."""
    if not act:
        return set()
    if act in OFFER_ACTS:
        # A skill's follow-up answer with nothing offered ("who directed it?") is a question
        # answered, not an offer; a plain request with nothing found is still the offer tried.
        return {"question"} if act == "converse" and not items else {"offer"}
    if act == "dislike":
        return {"dislike", "offer"} if items else {"dislike"}
    if act == "item_question":
        # "Tell me more about that" after a headline: the story's summary read out answers the
        # question and delivers the story (it comes back in the items).
        return {"question", "offer"} if items else {"question"}
    if act in SAME_ACTS:
        return {SAME_ACTS[act]}
    if act in CORE_ACTS:
        return {act}
    if domain:
        # The act of a skill's own answer is the intent it answered ("music_query"): a question
        # about what it offers, or a setting. An act this table does not know (a newer
        # dialogue's) that still offered items is an offer.
        return {"offer"} if items else {"question"}
    return {act}


# --- slot values to one comparable frame ------------------------------------------------------


def canonical_genre(word: str) -> str | None:
    """A film genre as the catalog names it ("funny" -> Comedy, "sci-fi films" -> Science
    Fiction); None for words that name none."""
    text = word.strip().lower()
    if not text:
        return None
    text = re.sub(r"\b(movies?|films?)\b", "", text).strip()
    for candidate in (text, text.removesuffix("s"), re.sub(r"ies$", "y", text)):
        if candidate in GENRE_ALIASES:
            return GENRE_ALIASES[candidate]
        for genre in GENRES:
            if genre.lower() == candidate:
                return genre
    return None


def _values(value: Any) -> list[str]:
    """A slot value as a list: "a|b" and lists both read as several values."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split("|") if v.strip()]


def _genres(values: Iterable[str]) -> set[str]:
    # A word that names no catalog genre is kept as said, so it still fails a comparison
    # visibly instead of vanishing.
    return {canonical_genre(v) or v for v in values}


def _span(text: str) -> tuple[int, int] | None:
    return (year_span(text) or decade_span(text)) if text else None


@dataclass
class Frame:
    """What a dialogue holds for one domain, in comparable form."""

    domain: str | None = None
    genres: set[str] = field(default_factory=set)  # film genres, catalog names
    not_genres: set[str] = field(default_factory=set)
    years: tuple[int, int] | None = None
    audience: str = ""
    music_genre: str = ""
    not_music_genres: list[str] = field(default_factory=list)
    artist: str = ""
    topic: str = ""
    city: str = ""
    reference: str = ""
    reference_artist: str = ""  # the artist of a music anchor held as a track

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"domain": self.domain}
        for key in ("genres", "not_genres"):
            if getattr(self, key):
                out[key] = sorted(getattr(self, key))
        for key in ("years", "audience", "music_genre", "not_music_genres", "artist", "topic", "city"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.reference:
            out["reference"] = self.reference
        return out


def normalise_slots(
    domain: str | None,
    slots: Mapping[str, Any],
    exclude: Mapping[str, Any] | None = None,
    reference: str = "",
) -> Frame:
    """One frame from a slot dict: the new dialogue's state constraints (with its ``exclude``
    lists) and the older dialogue's ``DialogueEnd`` slots (``exclude`` a "|" string) alike."""
    slots = {k: v for k, v in slots.items() if v not in (None, "", [])}
    exclude = dict(exclude or {})
    frame = Frame(domain=domain, reference=reference)
    if domain == "video":
        frame.genres = _genres(_values(slots.get("movie_genre")))
        # "a cartoon" arrives as media_type in the older dialogue.
        media = canonical_genre(str(slots.get("media_type", "")))
        if media in ("Animation", "Documentary"):
            frame.genres.add(media)
        frame.not_genres = _genres(_values(slots.get("exclude")) + _values(exclude.get("movie_genre")))
        frame.years = _span(str(slots.get("era", ""))) or _span(str(slots.get("date", "")))
        frame.audience = str(slots.get("audience", "")).strip().lower()
        frame.reference = frame.reference or str(slots.get("title", "")).strip()
    elif domain == "music":
        frame.music_genre = ", ".join(_values(slots.get("genre")))
        frame.not_music_genres = _values(exclude.get("genre")) + _values(slots.get("exclude"))
        frame.artist = str(slots.get("artist", "")).strip()
        frame.reference = frame.reference or str(slots.get("song", "")).strip()
    elif domain == "news":
        frame.topic = str(slots.get("topic", "")).strip()
    elif domain == "weather":
        frame.city = str(slots.get("place", "")).strip()
    return frame


def state_frame(state: Mapping[str, Any]) -> Frame:
    """The frame of the new dialogue's ``state`` JSON."""
    ref = state.get("reference") or {}
    title = str(ref.get("title", "")) if isinstance(ref, Mapping) else ""
    frame = normalise_slots(
        state.get("domain"), state.get("constraints") or {}, state.get("exclude") or {}, reference=title
    )
    if frame.domain == "music" and isinstance(ref, Mapping) and not frame.artist:
        # A track held as the anchor stands for its artist too ("something like her").
        frame.reference_artist = str(ref.get("subtitle", ""))
    return frame


def held_frame(turns: Sequence[Mapping[str, Any]], index: int, domain: str | None) -> Frame:
    """The frame the dialogue holds after turn ``index`` (0-based) for ``domain``.

    With a state: the state's frame when it is about ``domain`` (an empty one otherwise). Without:
    the slots of the last offer in ``domain`` up to this turn, which the older dialogue kept per
    domain and carried to the next request (a like or an explain carries no slots)."""
    state = turns[index].get("state")
    if state is not None:
        frame = state_frame(state)
        if domain is None or frame.domain == domain:
            return frame
        return Frame(domain=domain)
    for turn in reversed(turns[: index + 1]):
        if domain is not None and turn.get("domain") != domain:
            continue
        if domain is None and not turn.get("domain"):
            continue
        if "offer" in acts_of(turn.get("act"), turn.get("domain"), turn.get("items") or []):
            return normalise_slots(turn.get("domain"), turn.get("slots") or {})
    return Frame(domain=domain)


# --- checks -----------------------------------------------------------------------------------


def _contains(needle: str, haystack: str) -> bool:
    # Accents folded: an answer for "Montréal" is an answer for "montreal".
    return bool(needle) and _folded(needle) in _folded(haystack)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _years_equal(want: Sequence[Any], held: tuple[int, int] | None) -> bool:
    if held is None:
        return False
    lo, hi = (want[0] if len(want) > 0 else None), (want[1] if len(want) > 1 else None)
    low_ok = (held[0] <= OPEN_LOW) if lo is None or lo <= OPEN_LOW else held[0] == lo
    high_ok = (held[1] >= OPEN_HIGH) if hi is None or hi >= OPEN_HIGH else held[1] == hi
    return low_ok and high_ok


def item_misses(want: Mapping[str, Any], item: Mapping[str, Any]) -> list[str]:
    """Why ``item`` (an ``Item.to_dict()``) does not meet the expected ``item`` constraints;
    empty when it meets them all."""
    meta = item.get("meta") or {}
    genres = [str(g) for g in meta.get("genres") or []]
    misses: list[str] = []
    for genre in want.get("genres") or []:
        if genre not in genres:
            misses.append(f"not {genre}")
    for genre in want.get("not_genres") or []:
        if genre in genres:
            misses.append(f"is {genre}")
    if want.get("years"):
        lo, hi = (list(want["years"]) + [None, None])[:2]
        year = meta.get("year")
        if not isinstance(year, int) or (lo is not None and year < lo) or (hi is not None and year > hi):
            misses.append(f"year {year} outside {lo}-{hi}")
    if want.get("children"):
        if not set(genres) & set(FOR_CHILDREN) or set(genres) & set(NOT_FOR_CHILDREN):
            misses.append("not for children")
    words = genres + [str(s) for s in meta.get("styles") or []]
    if want.get("genre") and not any(_contains(want["genre"], w) for w in words):
        misses.append(f"not {want['genre']}")
    for genre in want.get("not_genre") or []:
        if any(_contains(genre, w) for w in words):
            misses.append(f"is {genre}")
    if want.get("artist") and not _contains(want["artist"], str(item.get("subtitle", ""))):
        misses.append(f"not by {want['artist']}")
    if want.get("topic"):
        said = f"{meta.get('category', '')} | {meta.get('topic', '')}"
        if not _contains(want["topic"], said):
            misses.append(f"not about {want['topic']}")
    if want.get("city") and not _contains(want["city"], str(meta.get("city", ""))):
        misses.append(f"not in {want['city']}")
    return misses


def frame_misses(want: Mapping[str, Any], frame: Frame) -> list[str]:
    """Why ``frame`` does not hold the expected ``frame`` constraints; empty when it does."""
    misses: list[str] = []
    genres = set(want.get("genres") or [])
    if not genres <= frame.genres:
        misses.append(f"genres {sorted(genres - frame.genres)} not held")
    not_genres = set(want.get("not_genres") or [])
    if not not_genres <= frame.not_genres:
        misses.append(f"exclusions {sorted(not_genres - frame.not_genres)} not held")
    if want.get("years") and not _years_equal(want["years"], frame.years):
        misses.append(f"years {frame.years} not {want['years']}")
    if want.get("children") and not (frame.audience == "children" or frame.genres & set(FOR_CHILDREN)):
        misses.append("not for children")
    if want.get("genre") and not _contains(want["genre"], frame.music_genre):
        misses.append(f"genre {frame.music_genre!r} not {want['genre']}")
    for genre in want.get("not_genre") or []:
        if not any(_contains(genre, g) or _contains(g, genre) for g in frame.not_music_genres):
            misses.append(f"exclusion {genre} not held")
    if want.get("artist") and not _contains(want["artist"], frame.artist):
        misses.append(f"artist {frame.artist!r} not {want['artist']}")
    if want.get("topic") and not _contains(want["topic"], frame.topic):
        misses.append(f"topic {frame.topic!r} not {want['topic']}")
    if want.get("city") and not _contains(want["city"], frame.city):
        misses.append(f"city {frame.city!r} not {want['city']}")
    ref = want.get("reference")
    # A spoken reference may be part of the title ("matrix") or the title part of it; a music
    # anchor is often an artist ("something like radiohead"), which the older dialogue kept as
    # the artist slot.
    held = (
        [frame.reference, frame.artist, frame.reference_artist]
        if frame.domain == "music"
        else [frame.reference]
    )
    held = [h for h in held if h]
    if ref and not any(_contains(ref, h) or _contains(h, ref) for h in held):
        misses.append(f"reference {frame.reference!r} not {ref}")
    return misses


def frame_extras(want: Mapping[str, Any], frame: Frame) -> list[str]:
    """Constraints ``frame`` holds that the expected frame does not: what a correction or a fresh
    start should have dropped. Only the keys the conversation files record (no moods, no
    artists asked for by name)."""
    extras: list[str] = []
    children = bool(want.get("children"))
    # "for the kids" may be held as Family/Animation, or as their opposites left out.
    genres = frame.genres - set(want.get("genres") or []) - (set(FOR_CHILDREN) if children else set())
    if genres:
        extras.append(f"genres {sorted(genres)}")
    not_genres = frame.not_genres - set(want.get("not_genres") or [])
    if children:
        not_genres -= set(NOT_FOR_CHILDREN)
    if not_genres:
        extras.append(f"exclusions {sorted(not_genres)}")
    if frame.years is not None and not want.get("years"):
        extras.append(f"years {frame.years}")
    if frame.audience == "children" and not children:
        extras.append("children")
    if frame.music_genre and not want.get("genre"):
        extras.append(f"genre {frame.music_genre!r}")
    wanted = [str(g) for g in want.get("not_genre") or []]
    extra_not = [
        g for g in frame.not_music_genres if not any(_contains(w, g) or _contains(g, w) for w in wanted)
    ]
    if extra_not:
        extras.append(f"exclusions {extra_not}")
    if frame.topic and not want.get("topic"):
        extras.append(f"topic {frame.topic!r}")
    if frame.city and not want.get("city"):
        extras.append(f"city {frame.city!r}")
    if frame.reference and not want.get("reference"):
        extras.append(f"reference {frame.reference!r}")
    return extras


def reference_resolved(title: str, turn: Mapping[str, Any]) -> bool:
    """Whether the turn shows it understood which item was meant: its state's reference, an
    offered item's reason ("similar to Alien") or the response names it."""
    state = turn.get("state") or {}
    ref = state.get("reference") if isinstance(state, Mapping) else None
    if isinstance(ref, Mapping) and any(_contains(title, str(ref.get(k, ""))) for k in ("title", "subtitle")):
        return True
    if any(_contains(title, str(i.get("reason", ""))) for i in turn.get("items") or []):
        return True
    return _contains(title, str(turn.get("response", "")))


@dataclass
class Verdict:
    """One judged turn: right or not, and why not; the frame's verdict when one was expected."""

    right: bool
    misses: list[str]
    frame_right: bool | None = None  # None: the turn expects no frame
    frame_misses: list[str] = field(default_factory=list)
    # Right and holding nothing more than expected (None: no frame expected).
    frame_exact: bool | None = None
    frame_extras: list[str] = field(default_factory=list)
    frame: Frame | None = None


def judge_turn(expect: Mapping[str, Any], turns: Sequence[Mapping[str, Any]], index: int) -> Verdict:
    """Judge turn ``index`` of a conversation against its expectation (``turns`` are the
    conversation's records up to and past it; only those up to ``index`` are read)."""
    turn = turns[index]
    items = turn.get("items") or []
    misses: list[str] = []
    if turn.get("error"):
        misses.append(f"error {turn['error']}")
    if "domain" in expect and expect["domain"] != turn.get("domain"):
        misses.append(f"domain {turn.get('domain')} not {expect['domain']}")
    acts = acts_of(turn.get("act"), turn.get("domain"), items)
    if "act" in expect and expect["act"] not in acts:
        misses.append(f"act {turn.get('act')} not {expect['act']}")
    if expect.get("item"):
        offline_forecast = set(expect["item"]) == {"city"} and _contains(
            expect["item"]["city"], str(turn.get("response", ""))
        )
        if not items and offline_forecast:
            # With no network, a forecast for a city without stored records is an honest answer
            # naming that city ("... for Boston needs a network connection"): acted on rightly.
            pass
        elif not items:
            misses.append("no item offered")
        else:
            misses.extend(item_misses(expect["item"], items[0]))
    if expect.get("reference") and not reference_resolved(expect["reference"], turn):
        misses.append(f"reference {expect['reference']} not resolved")
    verdict = Verdict(right=not misses, misses=misses)
    # "frame": {} is an expectation too: nothing in force (after a fresh start, say).
    if expect.get("frame") is not None:
        domain = expect.get("domain") or turn.get("domain")
        frame = held_frame(turns, index, domain)
        verdict.frame = frame
        verdict.frame_misses = frame_misses(expect["frame"], frame)
        verdict.frame_right = not verdict.frame_misses
        verdict.frame_extras = frame_extras(expect["frame"], frame)
        verdict.frame_exact = verdict.frame_right and not verdict.frame_extras
    return verdict


def judge_conversation(
    conversation: Mapping[str, Any], records: Sequence[Mapping[str, Any]]
) -> list[Verdict]:
    """Every expected turn judged; a turn the run never reached (the worker failed) is wrong."""
    verdicts = []
    for index, spec in enumerate(conversation["turns"]):
        expect = spec.get("expect") or {}
        if index >= len(records):
            framed = expect.get("frame") is not None
            frame_right = False if framed else None
            frame_why = ["turn not run"] if framed else []
            verdicts.append(Verdict(False, ["turn not run"], frame_right, frame_why, frame_right))
            continue
        verdicts.append(judge_turn(expect, records, index))
    return verdicts
