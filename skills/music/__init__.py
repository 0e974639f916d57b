"""The music skill: plays (names) tracks from the vendored CC catalogs, personalised per user."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import field_validator

from assistant.skill_sdk.api import (
    Answers,
    HistoryPhrasing,
    Item,
    ModelHints,
    OfferPolicy,
    Skill,
    SkillPhrasing,
    SkillRequest,
    SkillResult,
    SkillSettings,
    SkillSpec,
    SkillWords,
    SlotDoc,
)
from assistant.skill_sdk.library import FileLibrary
from assistant.skill_sdk.status import OnlineFeature, SkillStatus
from skills.embeddings import ENCODER_ARTIFACT
from skills.music.playback import ARCHIVE_URL, CONTROL_ROUTES, NOW_PLAYING
from skills.music.words import ARTIST_NICKNAMES, CONSTRAINT_WORDS

NAME = "music"
INTENTS = frozenset({"play_music", "music_query"})  # recommendations and questions about them
SETTINGS_INTENT = "music_settings"  # "turn on shuffle": declared in SPEC, answered by handle()


# Questions about the track on offer that its tags answer (``MusicSkill.about``).
ASKS_YEAR = re.compile(r"\bwhat year\b|\bwhen\b|\bhow old\b|\breleased?\b|\bcome out\b")
ASKS_ALBUM = re.compile(r"\bwhat album\b|\bwhich album\b|\bon what album\b")


class MusicSkill:
    name = NAME
    intents = INTENTS

    def __init__(self, recommender, playback=None) -> None:
        # A MusicRecommender and a MusicPlayback (None: offers only); typed loosely to keep import cheap.
        self.recommender = recommender
        self.playback = playback

    def handle(self, request: SkillRequest) -> SkillResult:
        if request.intent == "music_query":
            playing = (
                None
                if request.slots.get("song") or self.playback is None
                else self.playback.now_playing(request)
            )
            return playing or self._about(request)
        if request.intent == SETTINGS_INTENT:
            return self._setting(request)
        if self.playback is None:
            result = self.recommender.recommend(request)
            result.text = (
                f"{result.text} {SPEC.say('lead', request.rng)}".strip() if result.items else result.text
            )
            return result
        answer = self.playback.control(request)
        if answer is not None:
            return answer
        if NOW_PLAYING.match((request.text or "").strip().lower()):
            return self._about(request)
        return self.playback.recommend(request)

    def _about(self, request: SkillRequest) -> SkillResult:
        """ "What is playing?" is about the anchor (the track offered last); "who sings Shape of
        You" asks about that song instead. The item talked about comes back in ``items``."""
        name = request.slots.get("song", "").strip()
        playing = request.anchor
        if name and (playing is None or name.casefold() not in playing.title.casefold()):
            named = self.lookup(dict(request.slots))
            if named is None:
                return _answer([], "music_query_unknown", title=name)
            return _answer([named], "music_query_named", item=named)
        if playing is None:
            return _answer([], "music_query_nothing")
        # "What year is it from?", "what album is it on?": the classifier hears music's own
        # question, which answered "That's Spektrum by Bluebridge Quartet." to both.
        question = (request.text or "").lower()
        if ASKS_YEAR.search(question) or ASKS_ALBUM.search(question):
            asked = self.about(playing, question)
            if asked is not None:
                return SkillResult([playing], asked.text)
        return _answer([playing], "music_query", item=playing)

    def about(self, item: Item, question: str) -> SkillResult | None:
        """ "Who is it?", "what's this song?", "what year is it from?" about the track offered
        (``AnswersAbout``); None for a question it cannot answer from the track."""
        if item.domain != NAME:
            return None
        q = question.lower()
        if ASKS_YEAR.search(q):
            year = item.meta.get("year")
            text = (
                f"{item.title} came out in {year}." if year else f"I don't know when {item.title} came out."
            )
        elif ASKS_ALBUM.search(q):
            album = item.meta.get("album")
            text = (
                f"{item.title} is on {album}." if album else f"I don't know which album {item.title} is on."
            )
        elif re.search(
            r"\bwho(?:'s| is| are)?(?: it| this| that| singing| the (?:singer|artist|band))\b|\bwho sings\b|"
            r"\bwhat(?:'s| is) (?:this|that|it)(?: song| track| one)?\b|\bwhat song\b|\bwhich song\b|\bname of\b",
            q,
        ):
            # What the player is playing now, when it is (the radio may have moved on since
            # the offer); else the track offered.
            playing = self.playback.now_playing(None) if self.playback is not None else None
            text = playing.text if playing is not None else f"That's {SPEC.describe(item)}."
        else:
            return None
        return SkillResult([], text)

    @staticmethod
    def _setting(request: SkillRequest) -> SkillResult:
        text = request.text.lower()
        setting = "repeat" if ("repeat" in text or "loop" in text) and "shuffle" not in text else "shuffle"
        return _answer([], "music_settings", setting=setting.capitalize())

    def lookup(self, slots: dict[str, str]) -> Item | None:
        """The track a ``song`` slot names ("I love Candle in the Wind"), or None."""
        return self.recommender.lookup(slots)


def _answer(items: list[Item], key: str, **values: Any) -> SkillResult:
    """An answer in one of SPEC's templates: the key and values for the NLG, the plain text too."""
    shown = {k: SPEC.describe(v) if isinstance(v, Item) else v for k, v in values.items()}
    if isinstance(values.get("item"), Item):
        shown["title"] = values["item"].title
    return SkillResult(items, SPEC.say(key, None, **shown), key=key, values=values)


class MusicSettings(SkillSettings):
    """``[skills.music]`` (or the older ``[music]``) in config.toml."""

    # Folders of the user's own music, scanned (incrementally) at start-up; one folder may be
    # written as a plain string.
    library: list[str] = []
    # Stream the catalog's free archive.org recordings: "auto" once archive.org answers (checked
    # in the background at start-up, and never with the network switched off), true always,
    # false never.
    stream: bool | Literal["auto"] = "auto"
    archive_url: str = ""  # a mirror of https://archive.org to stream from ("": archive.org itself)
    playback: bool = True  # false: offer tracks without playing them

    @field_validator("library", mode="before")
    @classmethod
    def _one_folder(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def load_skill(settings: Mapping[str, Any] | None = None) -> Skill:
    """Load the built music index (raises ``ArtifactMissingError`` when it has not been built).

    ``settings`` is the ``[skills.music]`` section of config.toml (``MusicSettings``).
    """
    from assistant.config import network_allowed
    from assistant.playback.player import default_player
    from skills.embeddings import warm_up
    from skills.music.index import MusicIndex
    from skills.music.library import folders_from
    from skills.music.playback import MusicPlayback
    from skills.music.recommender import MusicRecommender

    options = MusicSettings.model_validate(dict(settings or {}))
    section = options.model_dump()
    index = MusicIndex.load()
    if folders_from(section):
        index = _with_library(index, section)
    index.prepare()
    warm_up()  # the query encoder, for free-text moods and unknown artists
    recommender = MusicRecommender(index)
    playback = MusicPlayback(
        recommender,
        SPEC.describe,
        stream=options.stream is True,
        player=default_player if options.playback else None,
        archive_url=options.archive_url,
    )
    if options.stream == "auto" and network_allowed():
        playback.probe_archive()  # offline (tests, replays) nothing is asked and nothing changes
    return MusicSkill(recommender, playback)


def _with_library(index, settings: Mapping[str, Any]):
    """The index plus the user's library, scanned now (incremental: unchanged files cost a stat)."""
    import sys

    import numpy as np

    from skills.music.library import (
        folders_from,
        library_db,
        library_tracks,
        scan,
        store_vectors,
        stored_vectors,
    )

    db = library_db()  # the skill's tables in the assistant's database, migrated by the core
    try:
        report = scan(folders_from(settings), db)
        if report.read or report.removed:
            print(f"music library: {report.summary()}", file=sys.stderr)
        else:  # a folder that went missing is said at every start; bad files only when first found
            for problem in (p for p in report.problems if p.startswith("folder")):
                print(f"music library: {problem}", file=sys.stderr)
        tracks = library_tracks(db)
        texts = sorted({t.tag_text() for t in tracks})
        stored = stored_vectors(db, texts)
        missing = [t for t in texts if t not in stored]
        if missing:
            from skills.embeddings import encode

            fresh = encode(missing)
            store_vectors(db, {t: v.tobytes() for t, v in zip(missing, fresh, strict=True)})
            stored.update({t: v.tobytes() for t, v in zip(missing, fresh, strict=True)})
    finally:
        db.close()
    vectors = np.array([np.frombuffer(stored[t], dtype=np.float32) for t in texts]).reshape(len(texts), -1)
    return index.with_library(tracks, vectors, texts)


def library_command(argv: list[str], settings: Mapping[str, Any]) -> int:
    """Your own music library: scan its folders into the index, or list the stored tracks.

    ``assistant library scan|list`` (skills/music/library.py). The first line is the command's
    line in ``assistant --help``.
    """
    from skills.music.library import library_command as run

    return run(argv, dict(settings))


def status(settings: Mapping[str, Any]) -> SkillStatus:
    """For ``assistant status``: the built index, the library's size, streaming as set."""
    from skills.music.index import ARTIFACT
    from skills.music.library import folders_from, library_db, library_size

    options = MusicSettings.model_validate(dict(settings or {}))
    folders = folders_from(options.model_dump())
    missing = [str(f) for f in folders if not f.is_dir()]
    db = library_db()  # the skill's tables, made in the data directory if it is new
    try:
        tracks = library_size(db)
    finally:
        db.close()
    shown = f"{len(folders)}" + (f" ({len(missing)} not found: {', '.join(missing)})" if missing else "")
    stream = OnlineFeature(
        "music streaming",
        f"stream = {json.dumps(options.stream)}",
        options.stream is not False,
        (options.archive_url or ARCHIVE_URL,),
    )
    return SkillStatus(
        artifacts=(ARTIFACT, ENCODER_ARTIFACT),
        facts=(("library folders", shown), ("library tracks", str(tracks))),
        online=(stream,),
    )


def file_library(settings: Mapping[str, Any]) -> FileLibrary:
    """For the household page's Library: the configured folders, their problem files, a scan."""
    from skills.music.shelf import music_shelf

    return music_shelf(MusicSettings.model_validate(dict(settings or {})).model_dump())


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, list[str]]:
    """Canonical slot values: ``artist`` (lead artists) and ``genre`` (genres and common styles)."""
    from skills.music.index import vocabulary as read_vocabulary

    return read_vocabulary()


MOODS = ("happy", "calm", "focus", "sad", "romantic", "energetic", "party", "sleep", "cosy")

SPEC = SkillSpec(
    name=NAME,
    load=load_skill,
    build="skills.music.build",
    answers=Answers(
        offer_intent="play_music",
        intents=frozenset({"music_query", SETTINGS_INTENT}),
        slots=frozenset({"artist", "song", "genre", "descriptor", "playlist", "radio", "mood"}),
        fresh_slots=frozenset({"artist", "song", "genre", "playlist", "radio"}),
        named_item_slot="song",
        also_names=("artist",),
    ),
    words=SkillWords(
        routes=tuple((pattern, "") for pattern in CONTROL_ROUTES),
        nicknames=ARTIST_NICKNAMES,
        domain_words=(
            "music",
            "song",
            "songs",
            "track",
            "tracks",
            "tune",
            "tunes",
            "album",
            "playlist",
            "singer",
            "band",
            "bands",
            "artist",
        ),
        item_nouns=("song", "songs"),
        name_cues=tuple(
            "album albums playlist playlists track tracks artist artists band bands singer singers sings sang "
            "sung featuring channel station".split()
        ),
        not_names=frozenset({"jazz", "rock"}),
        constraint_words=CONSTRAINT_WORDS,
        vocabulary=vocabulary,
    ),
    phrasing=SkillPhrasing(
        examples=("play some jazz", "something upbeat", "play Shape of You", "who sings Thinking Out Loud"),
        description="play music",
        topic="music",
        what="some music",
        templates={
            # The skill's text leads into the name: "Playing" only once audio has started, else
            # "Here's" or why it is not playing ("I can't play it here; ..., but here's").
            "offer": ("{item}.",),
            "lead": ("Here's", "Let's try", "Try"),
            "item": ("{title} by {subtitle}",),
            "like_unknown_song": ("I don't know a song called {title}, so I can't note it yet.",),
            # Reached only when nothing is playing (a playing track gets the player's own "You're
            # listening to ..., at 0:03 of 0:20"): the item was suggested, maybe never heard.
            "music_query": ("That's {item}.",),
            "music_query_named": ("That's {item}. Say 'play {title}' to hear it.",),
            "music_query_unknown": ("I don't know a song called {title}.",),
            "music_query_nothing": ("Nothing is playing right now. Say 'play some jazz' to start.",),
            "music_settings": ("Okay, {setting} is on.", "{setting} on."),
        },
        unknown_name_key="like_unknown_song",
        history=HistoryPhrasing(
            words=("listen", "play", "song", "music", "track"), kind="music", noun="tracks"
        ),
    ),
    offers=OfferPolicy(items_per_offer=1),
    # For the language model's reading of open requests (assistant/llm). The moods are the keys
    # of skills.music.moods.MUSIC_MOODS (a test keeps them equal; that module loads numpy).
    llm=ModelHints(
        slot_docs={
            "artist": SlotDoc("a singer or band the request names"),
            "song": SlotDoc("a song the request names"),
            "genre": SlotDoc("a style of music: jazz, rock, classical, hip hop, ..."),
            "mood": SlotDoc("the feeling or activity the music is for", MOODS),
        },
        examples=(("something to keep me going at the gym", {"mood": "energetic"}),),
    ),
    commands={"library": library_command},
    rank=10,
    settings_model=MusicSettings,
    status=status,
    library=file_library,
)
