"""What the music skill plays, and what it says about it.

A track plays when it has local audio (the user's library) or an archive.org link to stream:
``[music] stream = true`` always streams, "auto" (the default) once archive.org (or the
``archive_url`` mirror) answers a quick request made in the background at start-up; with the
network switched off "auto" never asks. While streaming is on, offers that name no song or
artist come from what can be played. The reply says "Playing" only once the player has started;
otherwise the track is offered with the honest reason it is not playing (archive.org not
answering is said as such). Transport words
("pause", "resume", "previous", "play it again", "what's playing") reach the skill through its
declared routes and are answered here. At the end of a track the next comes from the
recommender ("radio": like the track that ended, within what was asked), never one already
played this run.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from assistant.playback.player import PlayableTrack, PlaybackError, Player
from assistant.skill_sdk.api import Item, SkillRequest, SkillResult
from assistant.skill_sdk.status import PROBE_TIMEOUT_S, answers

log = logging.getLogger(__name__)

_POLITE = r"^(?:(?:please|ok(?:ay)?|hey),?\s+)?"
_END = r"(?:\s+(?:please|now))?[\s.!?]*$"
_THING = r"(?:the\s+)?(?:music|song|track|playback|it|this|that)"
PAUSE = re.compile(_POLITE + rf"(?:pause|hold on)(?:\s+{_THING})?" + _END)
RESUME = re.compile(
    _POLITE + rf"(?:resume|unpause|continue|keep playing|carry on)(?:\s+{_THING}|\s+playing)?" + _END
)
PREVIOUS = re.compile(
    _POLITE + r"(?:previous|go back|(?:play\s+)?(?:the\s+)?(?:previous|last)\s+(?:song|track|one))" + _END
)
AGAIN = re.compile(
    _POLITE
    + r"(?:play\s+(?:it|that|this)(?:\s+(?:song|track))?\s+again|replay(?:\s+"
    + _THING
    + r")?)"
    + _END
)
NOW_PLAYING = re.compile(
    _POLITE
    + r"(?:what'?s|what\s+is)\s+(?:playing|this(?:\s+song|\s+track)?|on)(?:\s+(?:now|right now))?"
    + _END
)
# "play <anything>" that names no other skill's things: the user's own titles and artists are
# names the classifier never saw (it calls them out of scope); the skill looks them up.
# "Play it", "put that one on": the track offered last. The words are also "play <anything>",
# which offered another track (a new recommendation for "it").
PLAY_OFFERED = re.compile(
    _POLITE + r"(?:(?:ok(?:ay)?|yes|yeah|sure|great),?\s+)?(?:play|put on|start)\s+(?:it|that|this)"
    r"(?:\s+one|\s+(?:song|track))?(?:\s+on)?(?:\s+then)?" + _END
)
PLAY_ANYTHING = re.compile(
    r"^(?:(?:please|ok(?:ay)?|yes|yeah|sure),?\s+)?(?:play|put on)\s+(?!.*\b(?:movies?|films?|videos?|news|headlines?|games?|podcasts?"
    r"|audiobooks?|trailers?|shows?|episodes?)\b)\S"
)
# The skill's routes: these words go to it whatever the classifier said.
CONTROL_ROUTES = tuple(p.pattern for p in (PAUSE, RESUME, PREVIOUS, AGAIN, NOW_PLAYING, PLAY_ANYTHING))
# Words after "play" that name no track ("play some music", "play another one").
GENERIC = re.compile(
    r"^(?:(?:me|us|some|any|a|an|the|my|more|another|other|different|good|nice|new|random)\s+)*"
    r"(?:music|songs?|tracks?|tunes?|something|anything|stuff|one|it|that|this|again|radio|playlist)"
    r"(?:\s+(?:else|again|now|please|for me))*$"
    # "something my dad would like", "anything to dance to": a description, not a title.
    r"|^(?:something|anything)\s"
)
MY = re.compile(r"\bmy\b|\bmine\b|\bown\b")
# "play <name>" / "play something by <name>": the user's own titles and artists, which the
# classifier never saw, are looked up in the library from the words themselves.
PLAY_NAME = re.compile(
    r"^(?:please\s+)?(?:play|put on|i want to hear|let me hear)\s+(?:me\s+)?"
    r"(?:(?P<by>(?:something|anything|songs?|tracks?|music)\s+(?:by|from)\s+)|(?:the\s+(?:song|track)\s+))?"
    r"(?P<name>.+?)(?:\s+please)?[\s.!?]*$"
)
ARCHIVE_URL = "https://archive.org"
# The catalog's links: http://www.archive.org/download/... and https://archive.org/download/...
# Matched by host, never as a substring: the 1,984 freemusicarchive.org links are web pages, not
# audio, and a "play some jazz" that picked one failed to open it and then refused every stream
# for STREAM_RETRY_S (bench/stream_latency.py: 0 of 3 runs played before this).
ARCHIVE_PREFIX = re.compile(r"^https?://(?:www\.)?archive\.org(?=/)")
STREAM_RETRY_S = 60.0  # after a stream fails, offers say so for this long instead of retrying
SKILL = "music"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class MusicPlayback:
    """The music skill's side of playback; ``player`` is made on first use (None: text only)."""

    def __init__(
        self,
        recommender,
        describe: Callable[[Item], str],
        stream: bool = False,
        player: Callable[[], Player] | None = None,
        archive_url: str = "",
    ) -> None:
        self.recommender = recommender
        self.describe = describe
        self.stream = stream
        self.archive_url = archive_url.rstrip("/")  # "": stream from archive.org itself
        self.stream_problem = ""  # why "auto" streaming is off though the network is allowed
        self._probed = threading.Event()  # set while no check of the archive is under way
        self._probed.set()
        self._player_factory = player
        self._player: Player | None = None
        self._items: dict[str, Item] = {}
        self._stream_down: tuple[float, str] = (0.0, "")  # (until, why) after a failed stream
        self._streamable: np.ndarray | None = None

    @property
    def player(self) -> Player | None:
        if self._player is None and self._player_factory is not None:
            self._player = self._player_factory()
        return self._player

    # --- streaming from the archive ------------------------------------------------------------
    def probe_archive(self, timeout: float = PROBE_TIMEOUT_S) -> None:
        """``stream = "auto"``: stream once the archive answers, checked once on a background
        thread so that start-up never waits; the first offer waits for the answer (at most
        ``timeout``) rather than guess."""
        self._probed.clear()
        threading.Thread(target=self._probe, args=(timeout,), name="music-archive-probe", daemon=True).start()

    def _probe(self, timeout: float) -> None:
        try:
            why = answers(self.archive_url or ARCHIVE_URL, timeout)
            if why:
                where = "archive.org" if not self.archive_url else f"the archive at {self.archive_url}"
                # Said aloud without the socket's own words ("[Errno -2] Name or service not
                # known"): those go to the log, where whoever mends the network reads them.
                self.stream_problem = f"{where}, where it streams from, can't be reached right now"
                log.info("music streaming stays off: %s does not answer (%s)", where, why)
            else:
                self.stream = True
        finally:
            self._probed.set()

    def stream_url(self, url: str) -> str:
        """An archive.org link as it is fetched: from the ``archive_url`` mirror when one is set."""
        return ARCHIVE_PREFIX.sub(self.archive_url, url) if self.archive_url else url

    # --- where a track's audio is ------------------------------------------------------------
    def location(self, item: Item) -> tuple[str, str]:
        """(where to play it from, "") or ("", why it cannot be played here)."""
        path, url = str(item.meta.get("path") or ""), str(item.meta.get("url") or "")
        if path:
            return path, ""
        archive = ARCHIVE_PREFIX.match(url) is not None
        if archive and self.stream:
            return self.stream_url(url), ""
        if archive and self.stream_problem:
            return "", f"I can't play this one here: {self.stream_problem}"
        if archive:
            return "", "I can't play this one here (it's a free download from archive.org)"
        if url:
            return "", "I can't play this one here (it's on the Free Music Archive website)"
        return "", "I have no recording of it to play"

    def playable_mask(self) -> np.ndarray:
        index = self.recommender.index
        mask = index.playable.copy()
        if self.stream:
            if self._streamable is None or len(self._streamable) != len(index.tracks):
                # 35,000 URLs: looked at once, not at every offer
                self._streamable = np.array(
                    [ARCHIVE_PREFIX.match(t.url) is not None for t in index.tracks], dtype=bool
                )
            mask |= self._streamable
        return mask

    def track(self, item: Item, location: str) -> PlayableTrack:
        duration = item.meta.get("duration")
        return PlayableTrack(
            id=item.id,
            title=item.title,
            location=location,
            owner=SKILL,
            subtitle=item.subtitle,
            duration_s=float(duration) if duration else None,
        )

    # --- an offer ---------------------------------------------------------------------------------
    def recommend(self, request: SkillRequest) -> SkillResult:
        self._probed.wait(PROBE_TIMEOUT_S)  # "auto" streaming: the archive's answer, if under way
        only = None
        playing = self._player.now_playing() if self._player is not None else None
        if MY.search(request.text or "") and len(self.recommender.index.library_indices):
            only = self.recommender.index.playable.copy()  # "play my jazz": the user's own files
        elif playing is not None and not request.new_slots:
            only = self.playable_mask()  # "skip" / "another one" while playing: keep playing
            if not only.any():
                only = None
        request = self.library_names(request)
        if only is None and self.stream and not {"song", "artist"} & set(request.slots):
            # While streaming, "play some jazz" is answered with jazz that plays; a song or an
            # artist the person named is never swapped for one that plays.
            only = self.playable_mask()
        result = self.recommender.recommend(request, only=only)
        if not result.items and only is not None:  # nothing playable left: anything at all
            result = self.recommender.recommend(request)
        if not result.items:
            return result
        lead = self.start(result.items[0], request)
        if playing is not None and lead != "Playing" and self._player is not None:
            self._player.stop()  # the listener moved on from what was playing
        result.text = f"{result.text} {lead}".strip()
        return result

    def library_names(self, request: SkillRequest) -> SkillRequest:
        """The request with a library title or artist named in its words put in its slots."""
        index = self.recommender.index
        said = PLAY_NAME.match((request.text or "").strip().lower())
        if said is None or {"song", "artist"} & set(request.new_slots or ()) or request.anchor is not None:
            return request  # named in the slots, or "something like <the anchor>"
        name = said.group("name")
        slot = ""
        match = index.resolve_artist(name)
        mine = set(index.library_indices.tolist())
        if mine and match.key is not None and mine & set(index.tracks_by_artist[match.key].tolist()):
            slot = "artist"
        elif said.group("by") is None and index.find_library_song(name) is not None:
            slot = "song"
        elif not (request.slots if request.new_slots is None else request.new_slots) and not GENERIC.match(
            name
        ):
            slot = "artist" if said.group("by") else "song"  # not known: said so, never swapped silently
        if not slot:
            return request
        slots = {k: v for k, v in request.slots.items() if k not in ("song", "artist", "genre")}
        slots[slot] = name
        return replace(request, slots=slots, new_slots=frozenset(request.new_slots or ()) | {slot})

    def start(self, item: Item, request: SkillRequest) -> str:
        """Play ``item`` if it can be; the words that lead into its name ("Playing", or why not)."""
        location, why_not = self.location(item)
        if not location:
            return f"{why_not}, but here's"
        player = self.player
        if player is None:
            return "I can't play audio here (playback is off), but here's"
        streamed = location.startswith(("http://", "https://"))
        if streamed and time.monotonic() < self._stream_down[0]:
            return f"I can't stream it right now ({self._stream_down[1]}), but here's"
        try:
            player.play(self.track(item, location), next_track=self.radio(request, item))
        except PlaybackError as exc:
            log.warning("cannot play %s: %s", location, exc)
            if streamed:  # offline: the next offers must not each wait out the timeout
                self._stream_down = (time.monotonic() + STREAM_RETRY_S, str(exc))
            return f"I can't play it ({exc}), but here's"
        self._items[item.id] = item
        return "Playing"

    def radio(self, request: SkillRequest, first: Item) -> Callable[[PlayableTrack], PlayableTrack | None]:
        """What plays after each track: like the one that ended, within what was asked."""
        played = set(request.exclude) | {first.id}
        slots = {k: v for k, v in request.slots.items() if k not in ("song",)}
        mask = self.playable_mask()

        def next_track(after: PlayableTrack) -> PlayableTrack | None:
            anchor = self._items.get(after.id)
            follow = replace(
                request,
                slots=slots,
                exclude=set(played),
                anchor=anchor,
                rng=random.Random(after.id),
                new_slots=frozenset(),
                text="",
                k=1,
            )
            result = self.recommender.recommend(follow, only=mask)
            for item in result.items:
                location, _ = self.location(item)
                if location and item.id not in played:
                    played.add(item.id)
                    self._items[item.id] = item
                    return self.track(item, location)
            return None

        return next_track

    # --- transport words --------------------------------------------------------------------------
    def control(self, request: SkillRequest) -> SkillResult | None:
        """Pause, resume, previous, again, next, what's playing; None when the words are none of them."""
        text = (request.text or "").strip().lower()
        if NOW_PLAYING.match(text):
            return self.now_playing(request) or SkillResult([], "Nothing is playing right now.")
        if PLAY_OFFERED.match(text) and request.last_offered is not None:
            item = request.last_offered
            return SkillResult([item], self.start(item, request))
        action = next(
            (
                name
                for name, rx in (
                    ("pause", PAUSE),
                    ("resume", RESUME),
                    ("previous", PREVIOUS),
                    ("again", AGAIN),
                )
                if rx.match(text)
            ),
            None,
        )
        if action is None:
            return None
        player = self._player
        if action == "pause":
            done = player is not None and player.pause()
            return SkillResult([], "Paused." if done else "Nothing is playing right now.", act="pause")
        if action == "resume":
            done = player is not None and player.resume()
            return SkillResult([], "Resuming." if done else "There's nothing paused to resume.", act="resume")
        try:
            track = None if player is None else player.previous() if action == "previous" else player.again()
        except PlaybackError as exc:
            return SkillResult([], f"I can't play that again: {exc}.")
        if track is None and action == "again" and request.last_offered is not None:
            # Nothing has played here (no library, streaming off or down): "play it again" is the
            # track offered last, offered again with why it cannot play.
            item = request.last_offered
            return SkillResult([item], self.start(item, request))
        if player is None:
            return SkillResult([], "Nothing is playing right now.")
        if track is None:
            return SkillResult(
                [],
                "There's no earlier track to go back to."
                if action == "previous"
                else "Nothing has played yet.",
            )
        item = self._items.get(track.id)
        if item is not None:  # offered again: the offer line names it after the lead
            return SkillResult([item], "Playing")
        return SkillResult(
            [], f"Playing {track.title}" + (f" by {track.subtitle}." if track.subtitle else ".")
        )

    def now_playing(self, request: SkillRequest | None) -> SkillResult | None:
        """ "What's playing": the player's track and where it is; None when the player has none."""
        player = self._player
        now = player.now_playing() if player is not None else None
        if now is None:
            return None
        item = self._items.get(now.track.id)
        name = self.describe(item) if item is not None else now.track.title
        where = f"{_clock(now.position_s)}"
        if now.track.duration_s:
            where += f" of {_clock(now.track.duration_s)}"
        state = "paused at" if now.paused else "at"
        # No items: reached through a route this is an offer turn, and an item would be offered again.
        return SkillResult([], f"You're listening to {name}, {state} {where}.")
