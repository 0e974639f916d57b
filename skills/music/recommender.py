"""Music recommendations: slots, the user's feedback, popularity, and diversity.

Score of a track = slot match (genre / style / mood / artist / "more like this") + taste (tag-text
similarity to what the user liked minus similarity to what they disliked or skipped, each
feedback weighted by ``FEEDBACK_WEIGHTS`` so a skip counts less than a dislike) + genre and
artist affinity + popularity (dominant for a new user). The top of that list is re-ranked for
variety (MMR on the tag embeddings, at most one track per lead artist in a short list). Every
item's reason names the evidence that contributed most to its score.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from assistant.skill_sdk.api import MAX_FEEDBACK_EVENTS, Item, SkillRequest, SkillResult, split_values
from skills.decades import decade_span
from skills.diversity import diverse_picks
from skills.embeddings import dot_rows
from skills.music.catalog import CHART_SOURCE, MOOD_WORDS
from skills.music.index import ArtistMatch, MusicIndex
from skills.music.moods import (
    MUSIC_MOODS,
    RELATIVE_ERAS,
    decade_mask,
    fitting_tags,
    mood_scores,
    relative_span,
    room,
    situation_said,
)
from skills.music.taste import Taste, build_taste, rescale
from skills.music.words import INSTRUMENT_MUSIC
from skills.situations import for_situation, situation_mood

# Recently offered tracks are not offered again (the session's own offers come in request.exclude).
RECENT_OFFERS = 1000
POOL_SIZE = 300
MMR_LAMBDA = 0.5
JITTER = 0.03
PLAYABLE_BONUS = 0.5  # about a genre match's worth: a library track of the genre asked comes first
# An unknown artist's name this close to a tag text (cosine) is taken as that style.
ARTIST_STYLE_MIN = 0.45

CALM_WORDS = {
    "calm",
    "relax",
    "relaxing",
    "relaxed",
    "chill",
    "chilled",
    "mellow",
    "quiet",
    "soft",
    "sleep",
    "study",
    "studying",
    "slow",
    "peaceful",
    "soothing",
    "gentle",
    "sad",
    "focus",
    "background",
}
ENERGETIC_WORDS = {
    "upbeat",
    "energetic",
    "energy",
    "party",
    "dance",
    "dancing",
    "workout",
    "gym",
    "running",
    "run",
    "fast",
    "happy",
    "lively",
    "pump",
    "exciting",
    "loud",
    "uplifting",
    "fun",
    "cheerful",
}


def mood_of(text: str) -> str:
    words = set(text.lower().replace("-", " ").split())
    if words & ENERGETIC_WORDS:
        return "energetic"
    if words & CALM_WORDS:
        return "calm"
    return ""


@dataclass
class Intent:
    """The request's slots, resolved against the catalog."""

    mask: np.ndarray | None = None  # tracks allowed (None: all)
    slot_score: np.ndarray | None = None  # 0..1 match to free text / anchor
    genre: str = ""
    descriptor: str = ""
    mood: str = ""
    artist: str = ""  # display name of a matched artist
    song_index: int | None = None
    anchor_index: int | None = None
    text: str = ""  # an honest spoken note (unknown artist, song, genre)
    fallback: str = ""  # why the items are not what was asked: "close_artist" | "style" | "taste"
    asked_artist: str = ""  # an artist the catalog does not have
    style_of: str = ""  # the genre that artist's name is closest to
    cap_per_artist: bool = True
    has_history: bool = False
    asked_mood: str = ""  # the NLU's understood mood ("calm"), a key of MUSIC_MOODS
    decade: int | None = None  # the decade asked for ("from the eighties": 1980) when it has tracks
    era: str = ""  # years asked for another way, as said back ("before 2010" for "something older")
    situation: str = ""  # " for a rainy Sunday afternoon" when the situation shaped the offer


def _note(intent: Intent, say: bool, message: str) -> None:
    if say:
        intent.text = f"{intent.text} {message}" if intent.text else message


class MusicRecommender:
    def __init__(self, index: MusicIndex, encode_query=None) -> None:
        self.index = index
        if encode_query is None:
            from skills.embeddings import encode_query
        self.encode_query = encode_query

    # -- slots ----------------------------------------------------------------------------
    def _free_text(self, intent: Intent, text: str) -> None:
        """A descriptor, playlist or radio name: semantic match on tag texts plus mood words."""
        similarity = rescale(self.index.text_similarity(self.encode_query(text)))
        intent.mood = mood_of(text)
        if intent.mood:
            opposite = "calm" if intent.mood == "energetic" else "energetic"
            similarity = (
                similarity + 0.5 * self.index.has_mood(intent.mood) - 0.3 * self.index.has_mood(opposite)
            )
        intent.slot_score = similarity if intent.slot_score is None else intent.slot_score + similarity
        intent.descriptor = text

    def _unknown_artist(self, intent: Intent, asked: str, match: ArtistMatch, say: bool) -> None:
        """Say so, then offer the nearest thing: the style the name is known for (MiniLM knows
        many artists: 'Mozart' sits next to 'classical music'), a near-identical name, or taste."""
        index = self.index
        similarity = dot_rows(index.tag_embeddings, self.encode_query(asked))
        best = int(similarity.argmax())
        if similarity[best] >= ARTIST_STYLE_MIN:
            track = index.tracks[int(np.flatnonzero(index.text_row == best)[0])]
            intent.style_of = track.genre or (track.styles[0] if track.styles else "music")
            intent.slot_score = rescale(index.text_similarity(index.tag_embeddings[best]))
            _note(intent, say, f"I don't have anything by {asked}; here is some {intent.style_of} instead.")
            intent.fallback, intent.asked_artist = "style", asked
            return
        if match.score >= index.ARTIST_CLOSE:
            _note(intent, say, f"I don't have anything by {asked}; the closest name I have is {match.name}.")
            intent.mask = np.zeros(len(index), bool)
            intent.mask[index.tracks_by_artist[match.candidate]] = True
            intent.artist, intent.fallback = match.name, "close_artist"
            return
        instead = "something close to your taste" if intent.has_history else "something popular instead"
        _note(intent, say, f"I don't have anything by {asked}; here is {instead}.")
        intent.fallback = "taste"

    def _instrument_as_descriptor(self, slots: dict[str, str]) -> None:
        """An artist or title that is an instrument and names no artist or song of the catalog
        ("piano", "violin music") is what the music should sound like: matched on the tags."""
        for slot in ("artist", "song"):
            value = slots.get(slot, "")
            if not INSTRUMENT_MUSIC.fullmatch(value.lower()) or "descriptor" in slots:
                continue
            named = (
                self.index.resolve_artist(value).key is not None
                if slot == "artist"
                else self.index.find_song(value, None) is not None
            )
            if not named:
                slots["descriptor"] = slots.pop(slot)

    def resolve(self, request: SkillRequest) -> Intent:
        slots = {k: v.strip() for k, v in request.slots.items() if isinstance(v, str) and v.strip()}
        intent = Intent(has_history=bool(request.profile.feedback))
        index = self.index
        n = len(index)
        if request.anchor is not None and request.anchor.id in index.id_to_index:
            a = index.id_to_index[request.anchor.id]
            intent.anchor_index = a
            intent.slot_score = rescale(index.text_similarity(index.tag_embeddings[index.text_row[a]]))
        self._instrument_as_descriptor(slots)
        if "artist" in slots:
            match = index.resolve_artist(slots["artist"])
            if match.key is not None:
                intent.artist = index.artist_display[match.key]
                intent.mask = np.zeros(n, bool)
                intent.mask[index.tracks_by_artist[match.key]] = True
                intent.cap_per_artist = False
            else:
                self._unknown_artist(intent, slots["artist"], match, request.said("artist"))
        if "song" in slots:
            within = np.flatnonzero(intent.mask) if intent.mask is not None and not intent.fallback else None
            found = index.find_song(slots["song"], within)
            if found is not None and intent.slot_score is None and not intent.genre:
                # The rest of the list sounds like the song asked for.
                row = index.tag_embeddings[index.text_row[found]]
                intent.slot_score = rescale(index.text_similarity(row))
                intent.anchor_index = found
            if request.said("song"):
                # Played first only in the turn it was asked for; carried into "another one" it
                # only steers, or the same song would come back on every skip.
                intent.song_index = found
            if found is None:
                _note(
                    intent,
                    request.said("song"),
                    f"I don't have the song {slots['song']}; here is something else you may like.",
                )
        for slot in ("genre", "radio", "playlist"):
            if slot not in slots:
                continue
            genre = index.resolve_genre(slots[slot])
            if genre is not None:
                intent.genre = genre[0]
                allowed = np.zeros(n, bool)
                allowed[genre[1]] = True
                intent.mask = allowed if intent.mask is None or intent.fallback else intent.mask & allowed
                if not intent.mask.any():  # an artist with nothing in that genre: the artist wins
                    intent.mask = allowed
            else:
                self._free_text(intent, slots[slot])
                if slot == "genre" and float(intent.slot_score.max()) < 0.2:
                    _note(
                        intent,
                        request.said(slot),
                        f"I don't have any {slots[slot]}; here is the closest I have.",
                    )
        self._rule_out(intent, request.excluded.get("genre", frozenset()))
        if "descriptor" in slots:
            self._free_text(intent, slots["descriptor"])
        mood = slots.get("mood") or (
            situation_mood(request.situation, "music") if room(slots, request) else ""
        )
        # The frame joins a mood the classifier heard with one the words say ("something more
        # upbeat": "energetic|happy"); each one shapes the offer, the first names it.
        moods = [name for name in split_values(mood) if name in MUSIC_MOODS]
        for name in reversed(moods):
            self._mood(intent, name)
        if moods:
            intent.situation = for_situation(request.situation) if situation_said(request, slots) else ""
        said_date = request.said("date") or not slots.get("date")
        if slots.get("date") in RELATIVE_ERAS:
            last = request.last_offered
            at = index.id_to_index.get(last.id) if last is not None else None
            year = index.tracks[at].year if at is not None else None
            spans = relative_span(slots["date"], year or None, request.said("date"))
            self._era(intent, spans, said_date)
        else:
            span = decade_span(slots.get("date", "")) or decade_span(request.text)
            if span is not None:
                self._decade(intent, span, said_date)
        return intent

    def _rule_out(self, intent: Intent, genres: frozenset[str]) -> None:
        """Genres the person ruled out this session ("not jazz"): none of their tracks."""
        for name in genres:
            found = self.index.resolve_genre(name)
            if found is None:
                continue
            keep = np.ones(len(self.index), bool)
            keep[found[1]] = False
            intent.mask = keep if intent.mask is None else intent.mask & keep

    def _mood(self, intent: Intent, name: str) -> None:
        """An understood mood: tracks that fit it score higher, tracks that contradict it go."""
        score, allowed = mood_scores(self.index, MUSIC_MOODS[name], self.encode_query)
        intent.slot_score = score if intent.slot_score is None else intent.slot_score + score
        narrowed = allowed if intent.mask is None else intent.mask & allowed
        intent.mask = narrowed if narrowed.any() else intent.mask  # an artist asked for wins
        intent.asked_mood = name

    def _decade(self, intent: Intent, span: tuple[int, int], say: bool) -> None:
        """ "from the eighties": tracks of that decade; an honest note when there are none."""
        kind = intent.genre or intent.artist or "of that kind"
        mask, note = decade_mask(self.index, intent.mask, span, kind)
        _note(intent, say and bool(note), note)
        if mask is not None:
            intent.mask = mask
            intent.decade = None if note else span[0]  # a reason names the decade only if it holds

    def _era(self, intent: Intent, spans: list[tuple[tuple[int, int], str]], say: bool) -> None:
        """ "Something older": the first of ``spans`` (years, as said) with tracks of the kind
        asked for; an honest note when none has any."""
        kind = intent.genre or intent.artist or "of that kind"
        first_note = ""
        for span, label in spans:
            mask, note = decade_mask(self.index, intent.mask, span, kind, label)
            if mask is not None and not note:
                intent.mask, intent.era = mask, label
                return
            first_note = first_note or note
        _note(intent, say, first_note)

    # -- ranking --------------------------------------------------------------------------
    def recommend(self, request: SkillRequest, only: np.ndarray | None = None) -> SkillResult:
        """``only``: a mask of the tracks that may be offered (those that can be played now)."""
        index, k = self.index, max(1, request.k)
        intent = self.resolve(request)
        taste = build_taste(index, request.profile)
        blocked = np.zeros(len(index), bool)
        for item_id in self._recently_offered(request):
            i = index.id_to_index.get(item_id)
            if i is not None:
                blocked[i] = True
        if only is not None:
            blocked |= ~only
        chosen = self._choose(intent, taste, blocked, k, request.rng)
        if intent.song_index is not None:
            song = (intent.song_index, (chosen[0][1] if chosen else 0.0) + 1.0)  # ranked first
            chosen = [song] + [c for c in chosen if c[0] != intent.song_index][: k - 1]
        items = [self._item(i, score, self.reason(i, intent, taste)) for i, score in chosen]
        text = intent.text
        if len(items) < k and intent.mask is not None:
            # The artist or genre asked for has fewer unheard tracks than were asked for: fill
            # with tracks like the first one (or, with none left, from taste and popularity).
            fill = Intent(has_history=intent.has_history)
            if chosen:
                seed = chosen[0][0]
                fill.anchor_index = seed
                fill.slot_score = rescale(index.text_similarity(index.tag_embeddings[index.text_row[seed]]))
            elif intent.artist and not text:
                text = f"You have heard everything I have by {intent.artist}; here is something else."
            blocked[[i for i, _ in chosen]] = True
            more = self._choose(fill, taste, blocked, k - len(items), request.rng)
            items += [self._item(i, score, self.reason(i, fill, taste)) for i, score in more]
        return SkillResult(items=items, text=text)

    def _choose(
        self, intent: Intent, taste: Taste, blocked: np.ndarray, k: int, rng: random.Random
    ) -> list[tuple[int, float]]:
        score = self._score(intent, taste)
        allowed = ~blocked if intent.mask is None else intent.mask & ~blocked
        if intent.anchor_index is not None:
            allowed[intent.anchor_index] = False
        score = np.where(allowed, score, -np.inf)
        pool = np.argpartition(-score, min(POOL_SIZE, len(score) - 1))[:POOL_SIZE]
        pool = pool[np.isfinite(score[pool])]
        jitter = np.array([rng.random() for _ in range(len(pool))], dtype=np.float32) * JITTER
        chosen = self._diverse(pool, score[pool] + jitter, k, intent.cap_per_artist)
        return [(i, float(score[i])) for i in chosen]

    def _score(self, intent: Intent, taste: Taste) -> np.ndarray:
        index = self.index
        popularity_weight = 0.15 if taste.has_history else 0.6
        score = popularity_weight * index.popularity
        if taste.has_history:
            score = (
                score
                + (taste.positive - taste.negative)
                + 0.6 * taste.genre_affinity
                + 0.4 * taste.artist_affinity
            )
        if intent.slot_score is not None:
            score = score + 2.0 * intent.slot_score
        # Tracks that can be played here (the user's own files) beat equally good catalog ones.
        score = score + PLAYABLE_BONUS * index.playable
        return score.astype(np.float32)

    def _recently_offered(self, request: SkillRequest) -> set[str]:
        profile = request.profile
        recent = {e.item_id for e in profile.offered[-RECENT_OFFERS:]}
        # Tracks the user reacted to are known to them: recommend new ones (a song slot still
        # finds a liked track when asked for by name).
        reacted = {e.item_id for e in profile.feedback[-MAX_FEEDBACK_EVENTS:]}
        return recent | reacted | set(request.exclude)

    def _diverse(self, pool: np.ndarray, scores: np.ndarray, k: int, cap: bool) -> list[int]:
        """Maximal marginal relevance, and at most one track per lead artist (two if k > 5)."""
        per_artist = 1 if k <= 5 else 2
        picks = diverse_picks(
            scores,
            self.index.track_embeddings[pool],
            self.index.artist_code[pool],
            k,
            may_take=lambda artist, taken: not cap or taken.get(artist, 0) < per_artist,
            redundancy=rescale,
            trade_off=MMR_LAMBDA,
        )
        return [int(pool[j]) for j in picks]

    # -- reasons --------------------------------------------------------------------------
    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The track a ``song`` slot names (by the ``artist`` named with it, if any), or None.

        An ``artist`` alone ("I'm a big Radiohead fan") names that artist's most popular track,
        so a like of the artist counts for everything the taste model derives from it."""
        song = slots.get("song", "").strip()
        if not song and slots.get("artist", "").strip():
            match = self.index.resolve_artist(slots["artist"])
            if match.key is None:
                return None
            tracks = np.asarray(self.index.tracks_by_artist[match.key])
            best = int(tracks[np.argmax(self.index.popularity[tracks])])
            return self._item(best, float(self.index.popularity[best]), "you named the artist")
        if not song:
            return None
        within = None
        if slots.get("artist", "").strip():
            match = self.index.resolve_artist(slots["artist"])
            if match.key is not None:
                within = np.asarray(self.index.tracks_by_artist[match.key])
        i = self.index.find_song(song, within)
        # The score says how well known the track is (``lookup``'s callers compare catalogs by it).
        return None if i is None else self._item(i, float(self.index.popularity[i]), "you named it")

    def _item(self, i: int, score: float, reason: str) -> Item:
        t = self.index.tracks[i]
        return Item(
            id=t.id,
            title=t.title,
            domain="music",
            subtitle=t.artist,
            score=score,
            reason=reason,
            meta={
                "source": t.source,
                "genres": list(t.genres),
                "styles": list(t.styles),
                "mood": t.mood,
                "year": t.year,
                "url": t.url,
                "album": t.album,
                "popularity": round(t.popularity, 3),
                "path": t.path,
                "duration": t.duration,
            },
        )

    def reason(self, i: int, intent: Intent, taste: Taste) -> str:
        index = self.index
        t = index.tracks[i]
        kind = t.genre or (t.styles[0] if t.styles else "")
        liked_from = int(taste.positive_from[i])
        liked = index.tracks[liked_from] if liked_from >= 0 and taste.positive[i] >= 0.3 else None
        because_liked = f"because you liked {liked.title} by {liked.artist}" if liked else ""
        if intent.song_index == i:
            return f"the song you asked for, by {t.artist}"
        if intent.fallback == "style":
            return f"{kind}, the style closest to {intent.asked_artist} that I have"
        if intent.artist and intent.fallback == "close_artist":
            return f"{t.artist} is the closest name I have to what you asked for"
        if intent.artist:
            return f"you asked for {intent.artist}; {t.popularity_phrase()}"
        if intent.asked_mood:
            mood = MUSIC_MOODS[intent.asked_mood]
            where = (
                f" from the {intent.decade}s" if intent.decade else (f", {intent.era}" if intent.era else "")
            )
            kind = f" in {intent.genre}" if intent.genre else ""
            return f"{mood.said}{kind}{where}{intent.situation}: " + ", ".join(
                fitting_tags(index, i, mood) or [kind or "music"]
            )
        if intent.decade and not intent.artist:
            return f"from the {intent.decade}s, as you asked ({t.year})" + (f": {kind}" if kind else "")
        if intent.era and not intent.artist:
            return f"from {t.year}, {intent.era} as you asked" + (f": {kind}" if kind else "")
        if intent.anchor_index is not None:
            anchor = index.tracks[intent.anchor_index]
            shared = [x for x in (*t.genres, *t.styles) if x in (*anchor.genres, *anchor.styles)]
            if (
                t.source == anchor.source == CHART_SOURCE
                and t.year
                and anchor.year
                and t.year // 10 == anchor.year // 10
            ):
                shared.append(f"{t.year // 10 * 10}s chart hits")
            also = f": both {', '.join(shared[:2])}" if shared else ""
            return f"more like {anchor.title}{also}"
        # The mood word the track and the request share ("upbeat"), if they share one.
        mood = MOOD_WORDS.get(t.mood, "").split(",")[0] if intent.mood and intent.mood == t.mood else ""
        if intent.genre:
            if intent.descriptor:
                # "Something upbeat" after "play some jazz": both wishes, in the user's words.
                return f"{intent.genre} that matches '{intent.descriptor}'" + (f": {mood}" if mood else "")
            if liked:
                return f"{intent.genre}, like {liked.title} by {liked.artist} that you liked"
            return (
                f"a popular {intent.genre} track: {t.popularity_phrase()}"
                if t.popularity >= 0.6
                else (f"a {intent.genre} track" + (f" ({', '.join(t.styles[:2])})" if t.styles else ""))
            )
        if intent.descriptor:
            tags = [x for x in (mood, *t.genres[:1], *t.styles[:1]) if x]
            return f"matches '{intent.descriptor}': " + (", ".join(tags) if tags else "its tags")
        if because_liked:
            return because_liked
        if taste.artist_affinity[i] > 0:
            return f"you like {t.artist}"
        avoided = [g for g in taste.avoided_genres if g not in t.genres]
        if avoided:
            return f"you often {taste.avoided_genres[avoided[0]]} {avoided[0]}, so something else" + (
                f": {kind}" if kind else ""
            )
        prefix = f"a popular {kind} pick" if kind else "a popular pick"
        return f"{prefix}: {t.popularity_phrase()}"
