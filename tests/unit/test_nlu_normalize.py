"""Slot normalisation against catalog spellings (rapidfuzz), without the model."""

from __future__ import annotations

import pytest

from assistant.nlu.normalize import SlotNormalizer, alias_key

VOCABULARY = {
    "artist": ["The Beatles", "Elton John", "Miles Davis", "Beyoncé", "The Rolling Stones", "AC/DC", "Queen"],
    "genre": ["Jazz", "Hip-Hop", "R&B", "Rock", "Pop", "Pop Punk", "Lo-Fi", "Classical"],
    "place": ["New York", "Seattle", "San Francisco", "Los Angeles", "St. Louis", "Chicago"],
    "movie_genre": ["Science Fiction", "Comedy", "Horror", "Animation", "Romance", "Documentary"],
    "topic": ["Technology", "Sports", "Politics", "Science"],
    "title": [
        "The Matrix",
        "Star Wars: Episode IV - A New Hope",
        "Toy Story",
        "Toy Story 2",
        "The Godfather Part II",
        "Heat",
        "Heathers",
    ],
}


@pytest.fixture(scope="module")
def normalizer() -> SlotNormalizer:
    return SlotNormalizer(VOCABULARY)


@pytest.mark.parametrize(
    ("slot", "raw", "canonical"),
    [
        ("artist", "the beatles", "The Beatles"),
        ("artist", "beatles", "The Beatles"),
        ("artist", "beetles", "The Beatles"),
        ("artist", "elton jon", "Elton John"),
        ("artist", "beyonce", "Beyoncé"),
        ("artist", "ac dc", "AC/DC"),
        ("artist", "rolling stones", "The Rolling Stones"),
        ("place", "new york city", "New York"),
        ("place", "nyc", "New York"),
        ("place", "la", "Los Angeles"),
        ("place", "saint louis", "St. Louis"),
        ("movie_genre", "sci fi", "Science Fiction"),
        ("movie_genre", "sci-fi", "Science Fiction"),
        ("movie_genre", "scary", "Horror"),
        ("movie_genre", "cartoons", "Animation"),
        ("movie_genre", "comedies", "Comedy"),
        ("genre", "hip hop", "Hip-Hop"),
        ("genre", "rnb", "R&B"),
        ("genre", "r and b", "R&B"),
        ("genre", "lofi", "Lo-Fi"),
        ("genre", "jazz music", "Jazz"),
        ("topic", "tech", "Technology"),
        ("title", "the matrix", "The Matrix"),
        ("title", "matrix", "The Matrix"),
        ("title", "heat", "Heat"),
        ("title", "toy story two", "Toy Story 2"),
        ("title", "the godfather part two", "The Godfather Part II"),
        ("title", "star wars", "Star Wars: Episode IV - A New Hope"),
    ],
)
def test_maps_to_catalog_spelling(normalizer: SlotNormalizer, slot: str, raw: str, canonical: str) -> None:
    assert normalizer.normalize(slot, raw) == canonical


@pytest.mark.parametrize(
    ("slot", "raw"),
    [
        ("artist", "taylor swift"),  # not in the catalog: passed through, not guessed
        ("genre", "pop rock fusion"),
        ("genre", "po"),  # too short for a fuzzy match
        ("place", "tokyo"),
        ("date", "tomorrow"),  # no vocabulary for this slot
    ],
)
def test_unknown_values_pass_through(normalizer: SlotNormalizer, slot: str, raw: str) -> None:
    assert normalizer.normalize(slot, raw) == raw


def test_short_values_do_not_fuzzy_match_longer_names(normalizer: SlotNormalizer) -> None:
    assert normalizer.normalize("genre", "pop") == "Pop"
    assert normalizer.normalize("genre", "punk") == "punk"


def test_normalize_slots_keeps_every_key(normalizer: SlotNormalizer) -> None:
    slots = {"artist": "the beatles", "date": "today", "place": "new york city"}
    assert normalizer.normalize_slots(slots) == {
        "artist": "The Beatles",
        "date": "today",
        "place": "New York",
    }


def test_alias_key_is_symmetric_for_catalog_and_speech() -> None:
    assert alias_key("R&B") == alias_key("rnb") == alias_key("r n b")
    assert alias_key("Sci-Fi") == alias_key("science fiction")
    assert alias_key("The Beatles") == alias_key("beatles")


def test_empty_vocabulary_and_odd_values() -> None:
    normalizer = SlotNormalizer({"artist": ["", "  ", "Queen"], "genre": []})
    assert normalizer.normalize("artist", "queen") == "Queen"
    assert normalizer.normalize("genre", "jazz") == "jazz"
    assert normalizer.normalize("artist", "") == ""
    assert normalizer.normalize("artist", "🎵🎵") == "🎵🎵"
