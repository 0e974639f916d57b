"""Song and artist names the tagger missed, found by looking the words up in the music catalog.

The slot tagger learns names from a few thousand annotated requests, so a title it has never
seen ("play shape of you") often comes back with no song at all, or with only its first word
("who sings thinking ..."). The speaker knows its own catalog: when a music request has no song
(or no artist) span, the longest run of words whose comparison key is a catalog title (or
artist) becomes one, and a tagged song or artist inside a longer catalog name is widened to it. What
keeps this from inventing names in ordinary words: only whole words, at least two of them, at
least one of them not a common function word ("play that song" is a real title and still not a
request for it), never over a span the tagger found, and only in music and film requests.

``named_request`` rescues a request the classifier could not place ("i wanna hear blinding
lights" came back out of scope): when the words are a way of asking to hear something followed
by nothing but a catalog song or artist (two words at least), it is a music request for that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.nlu.normalize import alias_key, keyed_vocabulary

# Per intent whose slots name catalog items, the slots looked for, in order (each a vocabulary
# key); elsewhere a title in the words is a coincidence.
SPOT_SLOTS_BY_INTENT: dict[str, tuple[str, ...]] = {
    "play_music": ("song", "artist"),
    "music_query": ("song", "artist"),
    "recommend_video": ("title", "person"),
    "like": ("song", "title"),  # "i loved the princess bride": the item liked is named
}
SPOT_INTENTS = frozenset(SPOT_SLOTS_BY_INTENT)
SPOT_SLOTS = tuple(dict.fromkeys(s for slots in SPOT_SLOTS_BY_INTENT.values() for s in slots))
# A song or film name is not looked for beside these: "play some relaxing music" asks for a kind.
KIND_SLOTS = frozenset({"genre", "descriptor", "playlist", "radio", "movie_genre", "mood"})
# Slots a name after "by" fills before the others (the artist or director, not a title).
PEOPLE_SLOTS = frozenset({"artist", "person"})
MAX_NAME_WORDS = 8
# A name sits where a request puts one: "play <song>", "put on <song>", "listen to <song>",
# "... by <artist>", "who sings <song>", and runs to the end or to a word like these.
BEFORE_NAME = frozenset(
    {"play", "hear", "on", "to", "song", "track", "called", "named", "by", "sings", "sang"}
    | {"like", "loved", "liked", "enjoyed", "watch", "see", "with", "starring", "than", "some"}
)
AFTER_NAME = frozenset(
    {"by", "please", "now", "next", "again", "for", "on", "from", "then", "and"}
    | {"what", "suggest", "recommend", "something", "anything", "any", "so", "it", "in"}
    | {"songs", "music", "tracks", "stuff"}
)
COMMON_WORDS = frozenset(
    """a about after all am an and another any are as at be by can could do for from get give
    have he her him his how i i'm im in is it it's its just last let let's like me more music my new next no
    not now of on one or our out play played playing please put radio random right second she so some
    something song songs start that the their them then there these they this to track tune tunes
    up us want was we what when who will with would you your""".split()
)


class CatalogNameSpotter:
    """Adds catalog song / artist spans to a music request the tagger left without them, and
    widens a tagged song or artist that lies inside a longer catalog name to the whole name."""

    def __init__(
        self, vocabulary: Mapping[str, Sequence[str]], keyed: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        """``keyed``: the vocabulary through ``normalize.keyed_vocabulary``, when already computed."""
        if keyed is None:
            keyed = keyed_vocabulary({slot: vocabulary.get(slot, ()) for slot in SPOT_SLOTS})
        self._keys = {slot: set(keyed.get(slot, {})) for slot in SPOT_SLOTS}

    def keys(self, slot: str) -> set[str]:
        """The alias keys of every catalog name for ``slot``."""
        return self._keys.get(slot, set())

    def __bool__(self) -> bool:
        return any(self._keys.values())

    def add_names(
        self, text: str, intent: str, spans: Sequence[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        """``spans`` plus any catalog names found in ``text`` (clean text, character offsets)."""
        out = list(spans)
        if intent not in SPOT_INTENTS or not self:
            return out
        words = _word_offsets(text)
        out = [self._widen(text, words, span, out) for span in out]
        present = {slot for _, _, slot in out}
        looked_for = SPOT_SLOTS_BY_INTENT[intent]
        wanted = [s for s in looked_for if s not in present and self._keys[s]]
        if looked_for[0] in wanted and present & KIND_SLOTS:
            wanted.remove(looked_for[0])
        taken = [any(s < end and start < e for s, e, _ in out) for start, end in words]
        for n in range(min(MAX_NAME_WORDS, len(words)), 1, -1):
            for i in range(len(words) - n + 1):
                if not wanted:
                    return sorted(out)
                if any(taken[i : i + n]):
                    continue
                key = self._name_key(text, words, i, n)
                if key is None:
                    continue
                after_by = i > 0 and text[slice(*words[i - 1])] == "by"
                order = sorted(wanted, key=lambda s: s not in PEOPLE_SLOTS) if after_by else wanted
                slot = next((s for s in order if key in self._keys[s]), None)
                if slot is None:
                    continue
                out.append((words[i][0], words[i + n - 1][1], slot))
                taken[i : i + n] = [True] * n
                wanted.remove(slot)
        return sorted(out)

    def widen_to(
        self, text: str, words: list[tuple[int, int]], span: tuple[int, int, str], spans: list
    ) -> tuple[int, int, str] | None:
        """The span widened to a longer catalog name of its slot type, or None when there is none."""
        widened = self._widen(text, words, span, [s for s in spans if s[:2] != span[:2]])
        return None if widened == span else widened

    def _widen(
        self,
        text: str,
        words: list[tuple[int, int]],
        span: tuple[int, int, str],
        spans: list[tuple[int, int, str]],
    ) -> tuple[int, int, str]:
        """The longest catalog name of the span's type that holds it ("thinking" -> "thinking out
        loud"), or the span itself. The tagger often stops early inside a title it has not seen."""
        start, end, slot = span
        if slot not in self._keys:
            return span
        inside = [i for i, (s, e) in enumerate(words) if start <= s and e <= end]
        if not inside:
            return span
        first, last = inside[0], inside[-1]
        others = [(s, e) for s, e, _ in spans if (s, e) != (start, end)]
        for n in range(min(MAX_NAME_WORDS, len(words)), last - first + 1, -1):
            for i in range(max(0, last - n + 1), min(first, len(words) - n) + 1):
                lo, hi = words[i][0], words[i + n - 1][1]
                if any(s < hi and lo < e for s, e in others):
                    continue
                if self._name_key(text, words, i, n) in self._keys[slot]:
                    return (lo, hi, slot)
        return span

    @staticmethod
    def _name_key(text: str, words: list[tuple[int, int]], i: int, n: int) -> str | None:
        """The comparison key of words i..i+n-1 when they stand where a request names something."""
        surface = [text[s:e] for s, e in words[i : i + n]]
        if n < 2 or all(w in COMMON_WORDS for w in surface):
            return None
        before = text[slice(*words[i - 1])] if i > 0 else ""
        after = text[slice(*words[i + n])] if i + n < len(words) else ""
        if before not in BEFORE_NAME or (after and after not in AFTER_NAME):
            return None
        return alias_key(" ".join(surface))


# Ways of asking to hear something, before a name and nothing else.
HEAR_FRAME = re.compile(
    r"^(?:(?:hey|ok|okay|please|so|now)\s+)*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
    r"(?:play|put on|throw on|queue up|can i hear|let's hear|listen to|"
    r"i (?:want|need) to (?:hear|listen to)|i wanna (?:hear|listen to)|i'd (?:like|love) to (?:hear|listen to))"
    r"\s+(?:the song\s+|some\s+)?(?P<name>.+?)(?:\s+(?:please|now|again))?$"
)


# Ways of building a film request on a film, around its title and nothing else. Praise alone
# ("i loved the princess bride") is a like of that film; praise that asks on is a request.
FILM_FRAME = re.compile(
    r"^(?:(?P<praise>i (?:really )?(?:loved|liked|enjoyed))|(?:something|anything|films?|movies?|a (?:film|movie)) "
    r"(?:like|similar to))\s+(?P<name>.+?)"
    r"(?P<ask>\s+(?:what else.*|suggest.*|recommend.*|what should i watch.*|anything like it.*|please))?$"
)


def named_request(spotter: CatalogNameSpotter, text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """(intent, song / artist / title spans) when ``text`` only asks for a catalog name (to hear,
    or a film like it) or only praises a catalog film, else ("", [])."""
    m = HEAR_FRAME.match(text)
    if m is not None and len(m.group("name").split()) >= 2:
        start, end = m.span("name")
        name = text[start:end]
        song_part, by, artist_part = name.rpartition(" by ")
        if by and alias_key(song_part) in spotter.keys("song"):
            spans = [(start, start + len(song_part), "song")]
            if alias_key(artist_part) in spotter.keys("artist"):
                spans.append((end - len(artist_part), end, "artist"))
            return "play_music", spans
        for slot in ("song", "artist"):
            if alias_key(name) in spotter.keys(slot):
                return "play_music", [(start, end, slot)]
    m = FILM_FRAME.match(text)
    if m is not None and alias_key(m.group("name")) in spotter.keys("title"):
        praise_only = m.group("praise") and not m.group("ask")
        return ("like" if praise_only else "recommend_video"), [(*m.span("name"), "title")]
    return "", []


# The other name type a mistyped span may be ("teddy swims" tagged as a song is an artist).
OTHER_NAME_TYPE = {"song": "artist", "artist": "song"}
# The name types of the other catalog, in the order a span is tried against them: a span the
# tagger typed as a song whose words are only a film's title ("something like notting hill")
# or an artist who is only a director ("something by sofia coppola") names that film or person.
OTHER_CATALOG_TYPES = {
    "song": ("title", "person"),
    "artist": ("person", "title"),
    "title": ("song", "artist"),
    "person": ("artist", "song"),
}
# Name types of one catalog; fragments of one name are joined only within one catalog.
SAME_CATALOG = {"song": ("song", "artist"), "artist": ("artist", "song"), "title": ("title", "person")}
SAME_CATALOG["person"] = ("person", "title")


def join_fragments(
    spotter: CatalogNameSpotter, text: str, spans: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Neighbouring spans, the first a name, whose whole stretch, words between included, is one
    catalog name become that name: the tagger splits titles at words that usually end a name
    ("hanging" and "a moment" in "play hanging by a moment by lifehouse"; "the" and "suspects";
    "lost" and a genre "translation")."""
    spans = sorted(spans)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(spans):
        joined = None
        slot = spans[i][2]
        for j in range(len(spans) - 1, i, -1):
            # Any slot may lie inside the stretch ("translation" read as a genre in "lost in
            # translation"); the stretch must start at a name.
            if slot not in SAME_CATALOG:
                continue
            lo, hi = spans[i][0], spans[j][1]
            if len(text[lo:hi].split()) > MAX_NAME_WORDS:
                continue
            key = alias_key(text[lo:hi])
            found = next((s for s in SAME_CATALOG[slot] if key in spotter.keys(s)), None)
            if found is not None:
                joined = j, (lo, hi, found)
                break
        if joined is None:
            out.append(spans[i])
            i += 1
        else:
            out.append(joined[1])
            i = joined[0] + 1
    return out


def retype_names(
    spotter: CatalogNameSpotter,
    text: str,
    spans: list[tuple[int, int, str]],
    other_catalog: bool = False,
    intent: str = "",
    prefer_other: bool = False,
) -> list[tuple[int, int, str]]:
    """A song or artist span whose words are not a catalog name of its type but are one of the
    other type takes that type; a span inside a longer catalog name of the other type ("jagger"
    in "moves like jagger") becomes that name. With ``other_catalog`` (the request has no word
    that ties it to its catalog), a name only the other catalog knows takes that catalog's type;
    with ``prefer_other`` (the words tie it to the other catalog: "play ellie goulding" read as a
    film request), a name the other catalog knows takes its type even if both know it. After
    "some", a name that is both a song and an artist is the artist ("play some dua lipa")."""
    out = []
    words = _word_offsets(text)
    for start, end, slot in spans:
        if intent in SPOT_SLOTS_BY_INTENT and slot not in OTHER_CATALOG_TYPES and slot not in KIND_SLOTS:
            # A slot the request has no use for ("old town road" read as a place in a music
            # request) that is exactly one of the request's catalog names is that name.
            key = alias_key(text[start:end])
            slot = next((s for s in SPOT_SLOTS_BY_INTENT[intent] if key in spotter.keys(s)), slot)
        other = OTHER_NAME_TYPE.get(slot)
        key = alias_key(text[start:end])
        known = key in spotter.keys(slot) or (other is not None and key in spotter.keys(other))
        if slot == "song" and key in spotter.keys("artist") and text[:start].endswith("some "):
            out.append((start, end, "artist"))
            continue
        if slot in OTHER_CATALOG_TYPES:
            elsewhere = next((s for s in OTHER_CATALOG_TYPES[slot] if key in spotter.keys(s)), None)
            # A name typed for the other catalog that only the request's own catalog knows is
            # the request's ("play ellie goulding" with the singer tagged as a film person).
            own = not known and elsewhere is not None and intent in SPOT_SLOTS_BY_INTENT
            own = own and elsewhere in SPOT_SLOTS_BY_INTENT[intent]
            if elsewhere is not None and (own or (other_catalog and (prefer_other or not known))):
                out.append((start, end, elsewhere))
                continue
        if other is not None and key not in spotter.keys(slot):
            if key in spotter.keys(other):
                slot = other
            else:
                start, end, slot = spotter.widen_to(text, words, (start, end, other), spans) or (
                    start,
                    end,
                    slot,
                )
        out.append((start, end, slot))
    return out


def single_name(
    spotter: CatalogNameSpotter, text: str, spans: Sequence[tuple[int, int, str]] = ()
) -> list[tuple[int, int, str]]:
    """ "put on hozier": a one-word catalog song or artist asked for with nothing else; "play
    levitating by dua lipa", "put on africa by toto": a one-word catalog song before "by"."""
    m = HEAR_FRAME.match(text)
    if m is None:
        return []
    start, end = m.span("name")
    song_part, by, _ = text[start:end].partition(" by ")
    if (
        by
        and len(song_part.split()) == 1
        and len(song_part) >= MIN_SINGLE_NAME
        and song_part not in COMMON_WORDS
    ):
        end = start + len(song_part)
        if alias_key(song_part) in spotter.keys("song") and not any(
            s < end and start < e for s, e, _ in spans
        ):
            return [(start, end, "song")]
        return []
    if (
        any(slot in PEOPLE_SLOTS or slot == "song" for *_, slot in spans)
        or len(m.group("name").split()) != 1
        or len(m.group("name")) < MIN_SINGLE_NAME
    ):
        return []
    if m.group("name") in COMMON_WORDS:  # "play some music" is not Madonna's "Music"
        return []
    key = alias_key(m.group("name"))
    for slot in ("artist", "song"):
        if key in spotter.keys(slot):
            return [(start, end, slot)]
    return []


MIN_SINGLE_NAME = 5  # "play pop" and "play it" are not names


def _word_offsets(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\S+", text)]
