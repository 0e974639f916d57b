"""The NLU's public API on the setup-built artifact: real utterances, slots, bad input, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from assistant.artifacts import ArtifactMissingError, artifact_dir
from assistant.contracts.stages import Parse
from assistant.nlu import load_nlu
from assistant.nlu.labels import INTENT_LABELS, OUT_OF_SCOPE
from assistant.nlu.moods import MOODS


@pytest.fixture(scope="module")
def nlu():
    return load_nlu(vocabulary={})


@pytest.mark.artifacts
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("play some jazz", "play_music"),
        ("put on something by taylor swift", "play_music"),
        ("who sings this song", "music_query"),
        ("turn on shuffle", "music_settings"),
        ("another one", "skip"),
        ("skip this song", "skip"),
        ("i like that", "like"),
        ("more like this", "like"),
        ("i hate this song", "dislike"),
        ("what's the latest news about technology", "news_query"),
        ("will it rain tomorrow", "weather_query"),
        ("recommend a good comedy movie", "recommend_video"),
        ("what should i watch tonight", "recommend_video"),
        ("yes please", "affirm"),
        ("no", "negate"),
        ("stop", "stop"),
        ("say that again", "repeat"),
        ("why did you pick that", "explain"),
        ("why", "explain"),
        ("i don't care", "dontcare"),
        ("thank you", "thanks"),
        ("turn the volume up", "volume_up"),
        ("make it quieter", "volume_down"),
        ("mute", "volume_mute"),
        ("what did i listen to yesterday", "history_query"),
        ("delete everything you know about me", "forget_me"),
        ("set an alarm for seven am", OUT_OF_SCOPE),
        ("send an email to my boss", OUT_OF_SCOPE),
        ("turn off the kitchen lights", OUT_OF_SCOPE),
        ("order a large pizza", OUT_OF_SCOPE),
    ],
)
def test_intent_of_real_utterances(nlu, text: str, intent: str) -> None:
    parse = nlu.parse(text)
    assert isinstance(parse, Parse)
    assert parse.intent == intent, (text, parse)
    assert parse.intent in INTENT_LABELS
    assert 0.0 <= parse.confidence <= 1.0
    assert parse.text == text


@pytest.mark.artifacts
def test_typed_chat_style_matches_speech_style(nlu) -> None:
    """Capitals and punctuation (typed chat) give the same answer as speech-to-text output."""
    for typed, spoken in [("Play some Jazz!", "play some jazz"), ("Why?", "why"), ("Stop.", "stop")]:
        assert nlu.parse(typed).intent == nlu.parse(spoken).intent


@pytest.mark.artifacts
@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("play some jazz", "genre", "jazz"),
        ("play songs by elton john", "artist", "elton john"),
        ("what's the weather in paris tomorrow", "place", "paris"),
        ("what's the weather in paris tomorrow", "date", "tomorrow"),
        ("will it be sunny this weekend", "weather_descriptor", "sunny"),
        ("tell me the latest sports news", "topic", "sports"),
        ("recommend a horror movie", "movie_genre", "horror"),
        ("movies like the matrix", "title", "the matrix"),
        ("what did i listen to yesterday", "date", "yesterday"),
        ("wake me up at seven am", "time", "seven am"),
    ],
)
def test_slots(nlu, text: str, slot: str, value: str) -> None:
    assert nlu.parse(text).slots.get(slot) == value, nlu.parse(text)


@pytest.mark.artifacts
def test_slot_text_comes_from_the_input_lowercased(nlu) -> None:
    parse = nlu.parse("Play songs by Elton John, please!")
    assert parse.slots.get("artist") == "elton john"


@pytest.mark.artifacts
def test_vocabulary_normalises_slots() -> None:
    nlu = load_nlu(vocabulary={"artist": ["The Beatles", "Elton John"], "place": ["New York", "Paris"]})
    assert nlu.parse("play songs by the beatles").slots.get("artist") == "The Beatles"
    assert nlu.parse("what's the weather in new york city").slots.get("place") == "New York"


@pytest.mark.artifacts
@pytest.mark.parametrize("text", ["", "   ", "\n\t  \r\n", "\x00\x01\x02", "!!! ??? ..."])
def test_empty_input_is_out_of_scope_with_zero_confidence(nlu, text: str) -> None:
    parse = nlu.parse(text)
    assert (parse.intent, parse.confidence, parse.slots) == (OUT_OF_SCOPE, 0.0, {})


@pytest.mark.artifacts
@pytest.mark.parametrize(
    "text",
    [
        "play some jazz " * 7000,  # 105,000 characters
        "x" * 100_000,
        "🎵🎶🔥💯 😀😀😀",
        "play 音楽 and музыка por favor",
        "pl\x00ay so\x07me ja\x1bzz\x7f",
        "\ud800 broken surrogate",
        "'; DROP TABLE turns; --",
        "🤖" * 5000,
    ],
)
def test_bad_input_never_crashes_and_is_bounded(nlu, text: str) -> None:
    start = time.perf_counter()
    parse = nlu.parse(text)
    assert time.perf_counter() - start < 1.0
    assert parse.intent in INTENT_LABELS
    assert 0.0 <= parse.confidence <= 1.0


@pytest.mark.artifacts
def test_control_bytes_are_ignored(nlu) -> None:
    assert nlu.parse("pl\x00ay some\x07 jazz").intent == "play_music"


def test_missing_artifact_names_the_build_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError, match="models.build"):
        load_nlu()


@pytest.mark.artifacts
def test_corrupt_artifact_is_reported_as_missing(tmp_path, monkeypatch) -> None:
    for name in ("nlu", "nlu-onnx"):
        shutil.copytree(artifact_dir(name), tmp_path / name)
    (tmp_path / "nlu-onnx" / "model.onnx").write_bytes(b"not a model")
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError, match="nlu"):
        load_nlu(vocabulary={})


@pytest.mark.artifacts
def test_an_export_of_other_weights_is_refused_with_the_command_that_fixes_it(tmp_path, monkeypatch) -> None:
    """A model.onnx left from an earlier training would answer with the old network."""
    for name in ("nlu", "nlu-onnx"):
        shutil.copytree(artifact_dir(name), tmp_path / name)
    stamp = tmp_path / "nlu" / "stamp.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "hash": "retrained"}))
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError, match="--only nlu-onnx"):
        load_nlu(vocabulary={})


@pytest.mark.artifacts
@pytest.mark.timeout(120)
def test_the_exported_network_answers_as_the_trained_one() -> None:
    """onnxruntime and torch on the same weights: the same logits on held-out requests and
    everyday phrasing, tokenised the runtime's way and the training's way alike."""
    import numpy as np
    import torch

    from assistant.nlu.data import clean_text, load_split
    from assistant.nlu.model import encode, load_tokenizer
    from models.nlu_export import trained_model

    _, held_out = load_split(training_only=True)
    texts = [clean_text(ex.text) for ex in held_out[-40:]] + [
        clean_text('Play "Don\'t Stop Me Now" by Queen!!'),
        clean_text("what's the weather in são paulo tomorrow"),
        clean_text("x " * 200),  # longer than the token budget: both cut it the same way
    ]
    parser = load_nlu(vocabulary={})
    logits, _, moods = parser.predict(texts, batch_size=16)
    reference = encode(load_tokenizer(artifact_dir("nlu")), texts)
    with torch.inference_mode():
        want_logits, _, want_moods = trained_model(artifact_dir("nlu"))(
            reference["input_ids"], reference["attention_mask"]
        )
    assert np.abs(logits - want_logits.numpy()).max() < 1e-3
    assert np.abs(moods - want_moods.numpy()).max() < 1e-3
    assert (logits.argmax(1) == want_logits.numpy().argmax(1)).all()


@pytest.mark.artifacts
@pytest.mark.timeout(120)
def test_parsing_loads_neither_torch_nor_transformers() -> None:
    """What makes a start quick: the runtime parser is onnxruntime and tokenizers only."""
    code = (
        "import sys; from assistant.nlu import load_nlu; "
        "p = load_nlu().parse('play something relaxing by norah jones'); "
        "print(p.intent, sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=100, check=True
    )
    assert out.stdout.split() == ["play_music", "[]"]


# --- issue 14: moods as understood values, bookings and ratings out of scope


@pytest.mark.parametrize(
    ("text", "intent", "mood"),
    [
        ("put on something i can dance to", "play_music", "party"),
        ("i can't sleep, play something", "play_music", "sleep"),
        ("play something to help me focus", "play_music", "focus"),
        ("suggest a romantic movie for date night", "recommend_video", "romantic"),
        ("play some jazz", "play_music", None),
        ("what's the weather in paris", "weather_query", None),
    ],
)
def test_a_mood_is_an_understood_value(nlu, text: str, intent: str, mood: str | None) -> None:
    parse = nlu.parse(text)
    assert (parse.intent, parse.slots.get("mood")) == (intent, mood), parse


@pytest.mark.parametrize(
    "text",
    [
        "rate this book five stars",
        "book a table for four at eight",
        "set an alarm for six",
        "what is nine times seven",
    ],
)
def test_bookings_ratings_alarms_and_maths_are_out_of_scope(nlu, text: str) -> None:
    parse = nlu.parse(text)
    assert parse.intent == OUT_OF_SCOPE and "mood" not in parse.slots, parse


def test_an_unknown_mood_word_or_noise_gets_no_mood(nlu) -> None:
    for text in [
        "play something flibbertigibbet",
        "🎵🎶",
        "x" * 100_000,
        "spiel etwas musik s'il vous plait",
    ]:
        assert nlu.parse(text).slots.get("mood") in (None, *MOODS), text
    assert "mood" not in nlu.parse("🎵🎶").slots


def test_a_repeated_parse_is_the_same_and_each_caller_owns_its_slots(nlu) -> None:
    # Voice mode parses a transcript to decide the turn is complete, then the pipeline parses
    # it again: the second comes from the recent parses, and must not share mutable slots.
    first = nlu.parse("play some jazz")
    first.slots["genre"] = "changed by a caller"
    again = nlu.parse("play some jazz")
    assert again.intent == "play_music" and again.slots == {"genre": "jazz"}
    assert nlu.parse("play some rock").slots == {"genre": "rock"}
