"""Slot words a skill declares fill its slots the tagger left empty, and nothing else."""

from __future__ import annotations

import json

import pytest

from assistant.nlu import load_nlu
from assistant.nlu.slot_words import SLOT_WORDS_FILE, add_slot_words, compile_slot_words, read_slot_words
from models.vocabulary import collect_slot_words

WORDS = {"weather_query": {"weather_descriptor": ["sunny", "snow", "snow tyres", "coat"]}}
PATTERNS = compile_slot_words(WORDS)


def filled(text: str, intent: str, spans=()) -> list[tuple[str, str]]:
    return [(text[s:e], slot) for s, e, slot in add_slot_words(PATTERNS, text, intent, list(spans))]


def test_a_declared_word_fills_the_empty_slot() -> None:
    text = "will it be sunny this weekend"
    assert filled(text, "weather_query", [(17, 29, "date")]) == [
        ("sunny", "weather_descriptor"),
        ("this weekend", "date"),
    ]


def test_the_longest_phrase_and_only_whole_words() -> None:
    assert filled("do i need snow tyres", "weather_query") == [("snow tyres", "weather_descriptor")]
    assert filled("is it snowboarding season", "weather_query") == []


def test_a_slot_the_tagger_filled_or_another_skills_request_is_left_alone() -> None:
    text = "should i wear a coat when it is sunny"
    assert filled(text, "weather_query", [(16, 20, "weather_descriptor")]) == [("coat", "weather_descriptor")]
    assert filled("play sunny by boney m", "play_music") == []


def test_a_word_inside_a_span_the_tagger_found_is_not_taken_again() -> None:
    # "sunny" is part of the place the tagger found; the next declared word is taken instead.
    text = "is there snow in sunny isles"
    assert filled(text, "weather_query", [(17, 28, "place")]) == [
        ("snow", "weather_descriptor"),
        ("sunny isles", "place"),
    ]
    assert filled("weather in sunny isles", "weather_query", [(11, 22, "place")]) == [
        ("sunny isles", "place")
    ]


def test_the_weather_skill_declares_its_descriptors() -> None:
    collected = collect_slot_words()
    assert "sunny" in collected["weather_query"]["weather_descriptor"]
    assert all(slot in {"weather_descriptor"} for slot in collected["weather_query"])


def test_a_missing_or_damaged_file_reads_as_no_slot_words(tmp_path) -> None:
    assert read_slot_words(tmp_path) == {}
    (tmp_path / SLOT_WORDS_FILE).write_text("{not json")
    assert read_slot_words(tmp_path) == {}
    (tmp_path / SLOT_WORDS_FILE).write_text(json.dumps(WORDS))
    assert read_slot_words(tmp_path) == WORDS


@pytest.mark.artifacts
def test_the_parser_fills_a_descriptor_the_tagger_left_out() -> None:
    nlu = load_nlu(slot_words=WORDS)
    parse = nlu.parse("will it be sunny this weekend")
    assert parse.intent == "weather_query"
    assert parse.slots.get("weather_descriptor") == "sunny"
    assert parse.slots.get("date") == "this weekend"
    assert "weather_descriptor" not in nlu.parse("play some jazz").slots
