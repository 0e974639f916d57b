"""Catalog song and artist names the tagger missed: found where a request puts a name, nowhere else."""

from __future__ import annotations

import pytest

from assistant.nlu import load_nlu
from assistant.nlu.names import CatalogNameSpotter

VOCABULARY = {
    "song": ["Shape Of You", "Thinking Out Loud", "Make Me", "Play That Song", "Right Now"],
    "artist": ["Ed Sheeran", "The Weeknd"],
}


@pytest.fixture(scope="module")
def spotter() -> CatalogNameSpotter:
    return CatalogNameSpotter(VOCABULARY)


def named(text: str, spans) -> list[tuple[str, str]]:
    return [(text[s:e], slot) for s, e, slot in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play thinking out loud next", [("thinking out loud", "song")]),
        ("play shape of you", [("shape of you", "song")]),
        ("who sings shape of you", [("shape of you", "song")]),
        ("play shape of you by the weeknd", [("shape of you", "song"), ("the weeknd", "artist")]),
    ],
)
def test_names_where_a_request_puts_them(spotter, text, expected) -> None:
    assert named(text, spotter.add_names(text, "play_music", [])) == expected


@pytest.mark.parametrize(
    "text",
    [
        "play a song that will make me smile",  # "Make Me" is a title, not what is asked for
        "play that song",  # a real title made of everyday words
        "what song is playing right now",
        "play the time machine by h g wells",  # a longer name only starts like a title
    ],
)
def test_everyday_words_are_not_names(spotter, text) -> None:
    assert spotter.add_names(text, "play_music", []) == []


def test_only_music_requests_and_never_over_the_taggers_spans(spotter) -> None:
    text = "play shape of you"
    assert spotter.add_names(text, "weather_query", []) == []
    tagged = [(5, 17, "artist")]  # the tagger's reading wins over the catalog's
    assert spotter.add_names(text, "play_music", tagged) == tagged
    partial = [(5, 10, "song")]  # "shape" grows to the title, it is not added twice
    assert named(text, spotter.add_names(text, "play_music", partial)) == [("shape of you", "song")]
    with_genre = [(5, 10, "genre")]
    assert spotter.add_names(text, "play_music", with_genre) == with_genre


def test_empty_vocabulary_spots_nothing() -> None:
    spotter = CatalogNameSpotter({})
    assert not spotter
    assert spotter.add_names("play shape of you", "play_music", []) == []


@pytest.mark.artifacts
def test_parse_fills_a_song_the_tagger_does_not_know() -> None:
    # The classifier alone may be unsure of a title it has not seen (this build: out of scope,
    # with the song cut to "shape of"); the catalog name makes it a music request for the song.
    parse = load_nlu(vocabulary=VOCABULARY).parse("play shape of you")
    assert parse.intent == "play_music"
    assert parse.slots.get("song") == "Shape Of You"


def test_a_tagged_name_cut_short_is_widened_to_the_catalog_name(spotter) -> None:
    text = "who sings thinking out loud"
    assert named(text, spotter.add_names(text, "music_query", [(10, 18, "song")])) == [
        ("thinking out loud", "song")
    ]
    text = "play for me the music by the weeknd"
    assert named(text, spotter.add_names(text, "play_music", [(29, 35, "artist")])) == [
        ("the weeknd", "artist")
    ]


# --- issue 14: names said the ways people say them, films and people too

FILMS = {
    "song": ["Blinding Lights", "Pink Pony Club"],
    "artist": ["The Weeknd", "3 Doors Down"],
    "title": ["The Princess Bride", "Twelve Monkeys", "Ocean's Eleven"],
    "person": ["Bill Murray", "Pedro Almodóvar"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i wanna hear blinding lights", [("blinding lights", "song")]),
        (
            "can you play blinding lights by the weeknd",
            [("blinding lights", "song"), ("the weeknd", "artist")],
        ),
        ("i'd love to hear pink pony club please", [("pink pony club", "song")]),
        ("play three doors down", [("three doors down", "artist")]),
        ("play chess", []),  # one word: not rescued
        ("i wanna hear something nice", []),  # not a catalog name
        ("book a table for two", []),
    ],
)
def test_a_request_to_hear_a_catalog_name_is_rescued(text: str, expected) -> None:
    from assistant.nlu.names import named_request

    intent, spans = named_request(CatalogNameSpotter(FILMS), text)
    assert named(text, spans) == expected
    assert intent == ("play_music" if expected else "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i loved the princess bride what else would i like", [("the princess bride", "title")]),
        ("something like twelve monkeys", [("twelve monkeys", "title")]),
        ("a film with bill murray", [("bill murray", "person")]),
        ("a film directed by pedro almodovar", [("pedro almodovar", "person")]),
    ],
)
def test_film_titles_and_people_are_found_in_film_requests(text: str, expected) -> None:
    spotter = CatalogNameSpotter(FILMS)
    assert named(text, spotter.add_names(text, "recommend_video", [])) == expected
    assert spotter.add_names(text, "news_query", []) == []


@pytest.mark.parametrize(
    "text",
    [
        "i loved the princess bride what else would i like",
        "something like twelve monkeys",
        "films like ocean's eleven",
    ],
)
def test_a_film_request_built_on_a_catalog_title_is_rescued(text: str) -> None:
    from assistant.nlu.names import named_request

    intent, spans = named_request(CatalogNameSpotter(FILMS), text)
    assert intent == "recommend_video" and [slot for *_, slot in spans] == ["title"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i loved the princess bride", "like"),
        ("i really enjoyed twelve monkeys", "like"),
        ("i really enjoyed twelve monkeys anything like it", "recommend_video"),
    ],
)
def test_praise_of_a_catalog_film_is_a_like_unless_it_asks_for_more(text: str, intent: str) -> None:
    from assistant.nlu.names import named_request

    found, spans = named_request(CatalogNameSpotter(FILMS), text)
    assert found == intent and [slot for *_, slot in spans] == ["title"]


NAMES = {
    "song": ["Hanging By A Moment", "Levitating", "Old Town Road", "Something", "House", "Music", "Halo"],
    "artist": ["Lifehouse", "Dua Lipa", "U2", "Halo"],
    "title": ["The Usual Suspects", "Lost in Translation", "Notting Hill"],
    "person": ["Sofia Coppola"],
}


@pytest.mark.parametrize(
    ("text", "tagged", "expected"),
    [
        # The tagger split a title at words that usually end a name.
        (
            "play hanging by a moment by lifehouse",
            [("hanging", "song"), ("a moment", "song"), ("lifehouse", "song")],
            [("hanging by a moment", "song"), ("lifehouse", "song")],
        ),
        (
            "something similar to the usual suspects",
            [("the", "title"), ("suspects", "title")],
            [("the usual suspects", "title")],
        ),
        # A genre inside a title is part of the title.
        (
            "something like lost in translation",
            [("lost", "title"), ("translation", "movie_genre")],
            [("lost in translation", "title")],
        ),
        # Two real names stay two.
        ("play levitating by dua lipa", [("levitating", "song"), ("dua lipa", "artist")], None),
    ],
)
def test_fragments_of_one_catalog_name_are_joined(text: str, tagged, expected) -> None:
    from assistant.nlu.names import join_fragments

    spans = [(text.index(part), text.index(part) + len(part), slot) for part, slot in tagged]
    assert named(text, join_fragments(CatalogNameSpotter(NAMES), text, spans)) == (expected or tagged)


@pytest.mark.parametrize(
    ("text", "tagged", "other_catalog", "expected"),
    [
        ("something like notting hill", ("notting hill", "song"), True, "title"),
        ("something by sofia coppola", ("sofia coppola", "artist"), True, "person"),
        # A request tied to its catalog ("play ...") keeps its slot type.
        ("play notting hill", ("notting hill", "song"), False, "song"),
        ("play lifehouse", ("lifehouse", "song"), False, "artist"),
        # A slot a music request has no use for, exactly a song's name, is that song.
        ("play old town road", ("old town road", "place"), False, "song"),
        # A name typed for films that only the music catalog knows, in a music request.
        ("play lifehouse", ("lifehouse", "person"), False, "artist"),
        # After "some", a name that is a song and an artist is the artist.
        ("play some halo", ("halo", "song"), False, "artist"),
    ],
)
def test_names_take_the_type_the_catalog_knows(text: str, tagged, other_catalog: bool, expected: str) -> None:
    from assistant.nlu.names import retype_names

    part, slot = tagged
    spans = [(text.index(part), text.index(part) + len(part), slot)]
    out = retype_names(
        CatalogNameSpotter(NAMES), text, spans, other_catalog=other_catalog, intent="play_music"
    )
    assert [s for *_, s in out] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play levitating by dua lipa", [("levitating", "song")]),
        ("put on levitating", [("levitating", "song")]),  # a one-word name alone is one too
        ("play something by dua lipa", []),  # "something" is a word, not the song "Something"
        ("play some jazz by u2", []),
        ("play some music", []),  # a word, not Madonna's "Music"
    ],
)
def test_a_one_word_song_before_by_is_a_song(text: str, expected) -> None:
    from assistant.nlu.names import single_name

    artist = text.rpartition(" by ")[2]
    spans = [(text.rindex(artist), len(text), "artist")] if " by " in text else []
    assert named(text, single_name(CatalogNameSpotter(NAMES), text, spans)) == expected


def test_numbers_said_as_words_match_a_name_written_with_digits() -> None:
    from assistant.nlu.normalize import alias_key

    assert alias_key("u two") == alias_key("U2") == "u2"
    assert alias_key("a one") == "a 1"  # "a" and "i" are words of their own


@pytest.mark.artifacts
@pytest.mark.parametrize(
    ("text", "intent", "slot", "value"),
    [
        ("something by sofia coppola", "recommend_video", "person", "Sofia Coppola"),
        ("i really enjoyed the exorcist, anything like it", "recommend_video", "title", "The Exorcist"),
        ("i loved the princess bride", "like", "title", "The Princess Bride"),
    ],
)
def test_the_catalog_that_knows_a_name_gets_the_request(
    text: str, intent: str, slot: str, value: str
) -> None:
    parse = load_nlu().parse(text)
    assert (parse.intent, parse.slots.get(slot)) == (intent, value)
