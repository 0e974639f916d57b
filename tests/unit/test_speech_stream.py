"""Streamed speech: the first sentence plays while the rest is synthesised, and barge-in stops
both the sound and the synthesis. Fast tier: a tone voice and a stand-in sound device; the real
Piper voice on the virtual sound stack is in tests/integration/test_audio_stack.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from assistant.contracts.errors import TextToSpeechError
from assistant.contracts.stages import SpokenAudio
from assistant.voice.speech_stream import (
    FIRST_PIECE_WORDS,
    HARD_PIECE_WORDS,
    PIECE_WORDS,
    SampleFeed,
    SpeechStream,
    speak,
    speech_pieces,
)
from tests.support.fakes import SentenceTones, ToneSpeech

pytestmark = pytest.mark.timeout(30)
RATE = 22050


def tone(seconds: float, rate: int = RATE) -> SpokenAudio:
    return SpokenAudio(np.full(int(rate * seconds), 0.3, np.float32), rate)


# --- where the pieces end ------------------------------------------------------------------------
def test_short_sentences_fill_the_first_piece_and_the_next():
    text = "Here is the news. The first story is about the weather in London today."
    assert speech_pieces(text) == [
        "Here is the news.",
        "The first story is about the weather in London today.",
    ]
    assert speech_pieces("Skipping. Here's another.") == ["Skipping. Here's another."]


def test_a_long_first_sentence_is_cut_at_its_first_comma():
    text = (
        "Tomorrow in London it will be cloudy in the morning, with light rain around noon, clearing "
        "by the evening, with a high of fourteen degrees. Take an umbrella."
    )
    head, *rest = speech_pieces(text)
    assert head == "Tomorrow in London it will be cloudy in the morning,"  # 10 words; none fit in 6
    assert all(len(p.split()) <= PIECE_WORDS for p in rest) and " ".join([head, *rest]) == text
    short = speech_pieces("Sure, here is the forecast for London, then the rest of the week.")
    assert (
        short[0] == "Sure, here is the forecast for London,"
        and len(short[0].split()) <= FIRST_PIECE_WORDS + 1
    )


@pytest.mark.parametrize(
    ("text", "head"),
    [
        (
            "You might enjoy Mad Max: Fury Road (2015, thriller and action). A thriller.",
            "You might enjoy Mad Max: Fury Road",
        ),
        (
            "How about Captain America: Civil War (2016, thriller and action)? Want another?",
            "How about Captain America: Civil War",
        ),
        (
            "Try Deadpool (2016, comedy and action). A comedy. Shall I find another?",
            "Try Deadpool (2016, comedy and action).",
        ),
        (
            "I can't play this one here (it's on the Free Music Archive website), but here's Are.",
            "I can't play this one here",
        ),
    ],
)
def test_the_first_piece_ends_neither_inside_a_title_nor_inside_brackets(text, head):
    pieces = speech_pieces(text)
    assert pieces[0] == head and " ".join(pieces) == text
    assert not any(p.endswith(":") and p.split()[-1][0].isupper() for p in pieces)


def test_a_list_of_headlines_is_cut_between_items_not_after_their_numbers():
    text = (
        "Here are the headlines: 1: Over 4 Million Americans Roll Up Sleeves For Omicron-Targeted COVID "
        "Boosters; 2: Puerto Ricans Desperate For Water After Hurricane Fiona's Rampage; 3: 23 Of The "
        "Funniest Tweets About Cats And Dogs This Week (Sept. 17-23). Want another?"
    )
    assert speech_pieces(text) == [
        "Here are the headlines:",
        "1: Over 4 Million Americans Roll Up Sleeves For Omicron-Targeted COVID Boosters;",
        "2: Puerto Ricans Desperate For Water After Hurricane Fiona's Rampage;",
        "3: 23 Of The Funniest Tweets About Cats And Dogs This Week (Sept. 17-23). Want another?",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
        "Sure, one two three four five six seven eight nine ten eleven twelve thirteen fourteen",
    ],
)
def test_a_long_clause_without_a_usable_comma_is_not_cut(text):
    assert speech_pieces(text) == [text]


def test_when_the_only_comma_is_late_the_cut_is_there():
    words = " ".join(f"w{i}" for i in range(16))
    assert speech_pieces(f"{words}, and then some more words.") == [f"{words},", "and then some more words."]


def test_a_clause_too_long_for_the_voice_is_cut_between_words():
    words = [f"w{i}" for i in range(HARD_PIECE_WORDS + 4)]
    pieces = speech_pieces(" ".join(words))
    assert [len(p.split()) for p in pieces] == [PIECE_WORDS, len(words) - PIECE_WORDS]


# --- the stream ------------------------------------------------------------------------------------
def test_pieces_come_in_order_and_join_into_the_whole_reply():
    voice = SentenceTones()
    stream = speak(voice, "How about Sencha? It is a green tea. From Japan.")
    assert len(stream.first().samples) == len("How about Sencha?") * RATE // 100
    assert [len(p.samples) for p in stream] == [
        len(s) * RATE // 100 for s in ("How about Sencha?", "It is a green tea.", "From Japan.")
    ]
    whole = stream.join()
    assert whole.sample_rate == RATE and len(whole.samples) == sum(len(p.samples) for p in stream)
    assert stream.finished and voice.made == 3


def test_the_first_piece_stays_at_hand_while_another_reader_waits_for_the_next():
    voice = SentenceTones(delay_s=0.5)
    stream = speak(voice, "One. Two. Three.")
    stream.first()
    reader = threading.Thread(target=lambda: list(stream), daemon=True)
    reader.start()  # the loudspeaker's feeder, waiting for "Two."
    started = time.perf_counter()
    assert stream.first(timeout=0.1).sample_rate == stream.sample_rate == RATE
    assert time.perf_counter() - started < 0.1
    reader.join(timeout=5)


def test_a_voice_that_cannot_stream_is_one_piece():
    stream = speak(ToneSpeech(16000), "How about Sencha? It is a green tea.")
    assert len(list(stream)) == 1 and stream.sample_rate == 16000


def test_the_first_piece_is_ready_before_the_rest_is_synthesised():
    voice = SentenceTones(delay_s=0.2)
    started = time.perf_counter()
    stream = speak(voice, "One. Two. Three. Four.")
    stream.first()
    first_s = time.perf_counter() - started
    stream.join()
    assert first_s < 0.35 < time.perf_counter() - started  # one piece's wait, not four


def test_a_failure_before_any_audio_is_raised_as_it_was():
    def broken() -> Iterator[SpokenAudio]:
        raise OSError("the voice's model went away")
        yield tone(0.1)

    with pytest.raises(OSError, match="went away"):
        SpeechStream(broken()).first()
    with pytest.raises(TextToSpeechError, match="no audio"):
        SpeechStream(iter([])).first()


def test_a_failure_after_the_first_piece_ends_the_reply_early(caplog):
    def fails_later() -> Iterator[SpokenAudio]:
        yield tone(0.1)
        raise TextToSpeechError("the voice failed")

    assert [len(p.samples) for p in SpeechStream(fails_later())] == [int(RATE * 0.1)]
    assert "stopped after 1 pieces" in caplog.text


def test_cancel_stops_the_synthesis_after_the_piece_in_progress():
    voice = SentenceTones(delay_s=0.05)
    stream = speak(voice, " ".join(f"Sentence {i}." for i in range(20)))
    stream.first()
    stream.cancel()
    pieces = list(stream)
    assert stream.finished and stream.cancelled
    assert len(pieces) <= voice.made < 5  # a piece finished after the cancel is dropped


# --- what the loudspeaker reads ------------------------------------------------------------------
def test_the_feed_reads_across_pieces_and_ends_after_the_last():
    feed = SampleFeed()
    feed.fill(SpeechStream([tone(0.01), tone(0.02, 44100)]), RATE)  # the second is resampled
    blocks = []
    while True:
        block, ended = feed.read(100)
        blocks.append(block)
        if ended:
            break
    assert sum(len(b) for b in blocks) == feed.total == 220 + 441 and feed.complete
    assert not feed.overdue()


def test_a_feed_still_filling_gives_silence_not_the_end():
    feed = SampleFeed()
    block, ended = feed.read(100)
    assert len(block) == 0 and not ended and not feed.overdue()


# --- the pipeline hands the stream over once its first piece is ready ----------------------------
def test_the_pipeline_waits_for_the_first_piece_only(fake_pipeline):
    voice = SentenceTones(delay_s=0.1)
    fake_pipeline.tts = voice
    session = fake_pipeline.start_session("dana", seed=1)
    result = fake_pipeline.run_turn(session, text="suggest a tea", speak=True)
    assert isinstance(result.speech, SpeechStream)
    [end] = [e for e in result.events if e.type == "tts-end"]
    first = result.speech.first()
    assert end.streamed and end.audio_s == round(len(first.samples) / RATE, 3)
    assert len(result.speech.join().samples) >= len(first.samples)


# --- the configured voice, and its fallback ------------------------------------------------------
def test_a_missing_piper_voice_falls_back_to_espeak_with_one_warning(monkeypatch, caplog):
    from assistant.voice import piper_tts, tts

    def missing(name: str):
        raise TextToSpeechError("piper-tts is not installed")

    class Espeak:
        name = "espeak"

    monkeypatch.setattr(piper_tts, "voice_files", missing)
    monkeypatch.setattr(tts, "EspeakSpeech", Espeak)
    monkeypatch.setattr(tts, "_warned", set())
    told: list[str] = []
    first = tts.load_tts("joe", on_fallback=told.append)
    second = tts.load_tts("joe", on_fallback=told.append)
    assert isinstance(first, Espeak) and isinstance(second, Espeak)
    assert len(told) == 1 and "'joe' voice cannot speak (piper-tts is not installed)" in told[0]
    assert "espeak-ng speaks instead" in told[0]
    assert caplog.text.count("espeak-ng speaks instead") == 1


def test_unknown_piper_voice_is_a_clear_error():
    from assistant.voice.piper_tts import piper_missing

    assert "no Piper voice named 'bob'" in (piper_missing("bob") or "")


# --- playing a stream, and barge-in over it --------------------------------------------------------
class FakeOutput:
    """A sounddevice ``OutputStream`` in real time: its callback is called on a thread of its own."""

    played: list[np.ndarray]

    def __init__(self, samplerate, blocksize, callback, finished_callback, **_: object) -> None:
        self.rate, self.blocksize = samplerate, blocksize
        self.callback, self.finished = callback, finished_callback
        self.played, self.aborted = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        FakeOutput.last = self

    def _run(self) -> None:
        try:
            while not self.aborted.is_set():
                out = np.zeros((self.blocksize, 1), np.float32)
                try:
                    self.callback(out, self.blocksize, None, None)
                finally:
                    self.played.append(out[:, 0].copy())
                time.sleep(self.blocksize / self.rate)
        except FakeSoundDevice.CallbackStop:
            pass
        self.finished()

    def abort(self) -> None:
        self.aborted.set()
        self.thread.join(timeout=1)

    def __enter__(self) -> FakeOutput:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.aborted.set()
        self.thread.join(timeout=1)


class FakeSoundDevice:
    class CallbackStop(Exception):
        pass

    class PortAudioError(Exception):
        pass

    OutputStream = FakeOutput

    @staticmethod
    def query_devices(device=None, kind=None) -> dict:
        return {"name": "fake", "default_samplerate": 44100.0}


class SpeakingMicrophone:
    """A microphone that hears ``audio`` (16 kHz) in real time, 30 ms at a time."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio, self.at, self.started = audio, 0, None
        self.carried: list[np.ndarray] = []

    def drain(self) -> None:
        self.started = time.perf_counter()

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        assert self.started is not None
        due = self.started + (self.at + 480) / 16000
        time.sleep(max(0.0, due - time.perf_counter()))
        block = self.audio[self.at : self.at + 480]
        self.at += 480
        return block if len(block) == 480 else np.zeros(480, np.float32)

    def carry_over(self, frames: list[np.ndarray]) -> None:
        self.carried = frames


@pytest.fixture
def fake_device(monkeypatch):
    from assistant.voice import audio

    monkeypatch.setattr(audio, "_sounddevice", lambda: FakeSoundDevice)


def test_a_stream_plays_to_the_end_with_every_piece(fake_device):
    from assistant.voice.audio import Speaker

    voice = SentenceTones(delay_s=0.05)
    playback = Speaker().play(speak(voice, "One two. Three four five. Six."))
    heard = np.concatenate(FakeOutput.last.played)
    assert playback.completed and not playback.interrupted and voice.made == 3
    # every sample of the three tones (each starts on one zero sample), then silence
    assert int(np.count_nonzero(heard)) + 3 == len("One two.Three four five.Six.") * RATE // 100
    assert playback.played_s == pytest.approx(len("One two.Three four five.Six.") / 100, abs=0.01)


@pytest.mark.timeout(60)
def test_barge_in_stops_a_streamed_reply_at_once_and_its_synthesis(fake_device):
    from assistant.voice.audio import Speaker
    from assistant.voice.synth import espeak

    try:
        words = espeak("wait, tell me the news instead", pad_s=0.0)
    except Exception as exc:  # espeak-ng missing: no voice to interrupt with
        pytest.skip(f"espeak-ng: {exc}")
    onset_s = 0.6
    mic = SpeakingMicrophone(np.concatenate([np.zeros(int(16000 * onset_s), np.float32), words]))
    voice = SentenceTones(delay_s=0.2)  # each 0.44 s sentence: faster than real time, as Piper is
    reply = " ".join(f"This is sentence number {i} of a long answer." for i in range(30))
    stream = speak(voice, reply)
    playback = Speaker().play(stream, mic)
    returned_s = time.perf_counter() - mic.started
    output = FakeOutput.last
    assert playback.interrupted and not playback.completed and stream.cancelled
    # Speech began at 0.6 s; 0.24 s of it is what counts as the user talking (Speaker.barge_in_s).
    assert returned_s < onset_s + 0.6 and playback.played_s < onset_s + 0.6
    assert output.aborted.is_set() and mic.carried  # silent at once; the words start the next turn
    time.sleep(0.3)
    assert stream.finished and voice.made < 10  # of 30 sentences
