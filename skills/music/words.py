"""Words people use for what they want to hear, as constraint values of the music frame.

``SkillSpec.words.constraint_words``: slot -> value -> phrases. A genre said after "not", "no more",
"too much" rules it out for the session ("not jazz, some rock instead"); a mood word refines what
is on ("too busy, something more chilled"). Genre values are what ``MusicIndex.resolve_genre``
reads; mood values are ``skills.music.moods.MUSIC_MOODS`` keys.
"""

from __future__ import annotations

import re

from skills.decades import decade_phrases

# What people call some artists ("a big stones fan", "something like the boss"), to the
# catalog's names.
ARTIST_NICKNAMES: dict[str, str] = {
    "stones": "The Rolling Stones",
    "the stones": "The Rolling Stones",
    "the boss": "Bruce Springsteen",
    "springsteen": "Bruce Springsteen",
    "fab four": "The Beatles",
    "the fab four": "The Beatles",
    "macca": "Paul McCartney",
    "chili peppers": "Red Hot Chili Peppers",
    "the chili peppers": "Red Hot Chili Peppers",
    "chilis": "Red Hot Chili Peppers",
    "gnr": "Guns N' Roses",
    "guns and roses": "Guns N' Roses",
    "the king": "Elvis Presley",
    "elvis": "Elvis Presley",
    "mj": "Michael Jackson",
    "jacko": "Michael Jackson",
    "queen bey": "Beyonce",
    "bey": "Beyonce",
    "ccr": "Creedence Clearwater Revival",
    "creedence": "Creedence Clearwater Revival",
    "skynyrd": "Lynyrd Skynyrd",
    "the monkeys": "Arctic Monkeys",
    "buble": "Michael Buble",
    "t swift": "Taylor Swift",
    "tay tay": "Taylor Swift",
    "stevie": "Stevie Wonder",
}

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "rock": (r"rock", r"rockier", r"rock and roll", r"rock ?n ?roll"),
    "jazz": (r"jazz", r"jazzy"),
    "pop": (r"pop", r"poppy"),
    "classical": (r"classical", r"orchestral", r"symphon(?:y|ies)", r"piano concertos?"),
    "hip hop": (r"hip ?-?hop", r"rap"),
    "electronic": (r"electronic", r"electronica", r"edm", r"techno", r"house music", r"dance music"),
    "folk": (r"folk", r"folky"),
    "country": (r"country", r"country and western"),
    "blues": (r"blues", r"bluesy"),
    "metal": (r"metal", r"heavy metal"),
    "reggae": (r"reggae",),
    "soul": (r"soul", r"soulful", r"motown"),
    "punk": (r"punk", r"punky"),
    "funk": (r"funk", r"funky"),
    "r&b": (r"r ?& ?b", r"r and b", r"rnb"),
    "indie": (r"indie",),
    "ambient": (r"ambient",),
    "disco": (r"disco",),
    "latin": (r"latin", r"salsa"),
}

# "Play some piano music": an instrument is what the music sounds like, not who made it; the
# tagger now and then reads it as an artist ("piano") or a title ("violin music").
INSTRUMENT_MUSIC = re.compile(
    r"(?:solo |acoustic |electric |classical |jazz )?(?:piano|guitar|violin|cello|sax(?:ophone)?|trumpet|"
    r"drums?|harp|flute|ukulele|organ|banjo|accordion|harmonica|clarinet|synth(?:esizer)?)"
    r"(?: music| songs?| tunes?| pieces?| tracks?)?"
)

MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "happy": (r"happy", r"happier", r"upbeat", r"cheerful", r"cheer (?:me|us) up", r"feel ?-?good", r"sunny"),
    "calm": (
        r"calm",
        r"calmer",
        r"chill",
        r"chilled",
        r"chill ?-?out",
        r"mellow",
        r"mellower",
        r"relaxing",
        r"quieter",
        r"softer",
        r"gentle",
        r"gentler",
        r"laid ?-?back",
        r"slower",
    ),
    "focus": (r"focus", r"concentrate", r"studying", r"to study to", r"to work to"),
    "sad": (r"sad", r"melancholy", r"melancholic", r"heartbreak"),
    "romantic": (r"romantic", r"love songs?"),
    "energetic": (
        r"energetic",
        r"workout",
        r"gym",
        r"running",
        r"faster",
        r"livelier",
        r"more energy",
        r"pump",
        # "A louder one", "louder stuff": music with more drive (a bare "louder" is the volume).
        r"louder (?:one|ones|stuff|songs?|tracks?|music)",
        r"a louder",
        r"something louder",
        r"heavier",
    ),
    "party": (r"party", r"dance", r"dancing", r"danceable", r"to dance to"),
    "sleep": (r"sleep", r"sleepy", r"bedtime", r"lullab(?:y|ies)", r"fall asleep"),
    "cosy": (r"cos(?:y|ier)", r"coz(?:y|ier)"),
}

# "from the eighties": the value is what ``decade_span`` reads ("1980s"). "Something older" and
# "something newer" are relative to the track on offer (``skills.music.moods.relative_span``);
# without them the film skill's era words took "something newer" after a rock track to a film.
# Not "latest" or "recent": "what's the latest" is the news.
DATE_WORDS: dict[str, tuple[str, ...]] = {
    **{f"{start}s": phrases for start, phrases in decade_phrases().items()},
    "older": (r"older", r"oldies", r"old school", r"throwbacks?"),
    "newer": (r"newer", r"newest", r"more recent", r"more modern"),
}

CONSTRAINT_WORDS = {"genre": GENRE_WORDS, "mood": MOOD_WORDS, "date": DATE_WORDS}
