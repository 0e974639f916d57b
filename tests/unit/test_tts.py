"""Text to speech: espeak-ng through pyttsx3 in its own worker process."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.contracts.errors import TextToSpeechError
from assistant.voice.tts import ESPEAK_RATE, EspeakSpeech, espeak_available

pytestmark = pytest.mark.skipif(not espeak_available(), reason="apt-get install espeak-ng")


@pytest.fixture(scope="module")
def tts():
    # A generous limit: the worker process starts while the rest of the suite loads both cores,
    # and the default 10 s was hit once under that load; what these tests check is the output.
    with EspeakSpeech(timeout_s=60.0) as engine:
        yield engine


def test_reply_is_spoken_as_22050_hz_audio(tts):
    audio = tts.synthesize("Here is some jazz for you: Take Five by Dave Brubeck.")
    assert audio.sample_rate == ESPEAK_RATE == 22050
    assert audio.samples.dtype == np.float32
    assert 1.5 < len(audio.samples) / audio.sample_rate < 8.0
    assert 0.1 < np.abs(audio.samples).max() <= 1.0


def test_many_requests_reuse_one_worker(tts):
    pid = tts._process.pid
    lengths = [len(tts.synthesize(f"Song number {i}.").samples) for i in range(5)]
    assert all(n > 0 for n in lengths)
    assert tts._process.pid == pid


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_tts_error(tts, text):
    with pytest.raises(TextToSpeechError, match="empty"):
        tts.synthesize(text)


def test_a_hung_request_restarts_the_worker():
    with EspeakSpeech(timeout_s=10.0) as engine:
        engine.synthesize("warm up")
        engine.timeout_s = 0.0001  # no synthesis finishes this fast: it counts as hung
        with pytest.raises(TextToSpeechError, match="longer than"):
            engine.synthesize("This sentence takes far longer than a tenth of a millisecond to say.")
        assert engine.restarts == 1
        engine.timeout_s = 10.0
        assert len(engine.synthesize("Back again.").samples) > 0


def test_a_reply_file_the_worker_did_not_write_is_retried_on_a_fresh_worker(monkeypatch):
    """pyttsx3 now and then returns without writing the file; the reply must still be spoken."""
    import assistant.voice.tts

    real_read_wav = assistant.voice.tts.read_wav
    lost = []

    def lose_the_first_file(path, rate):
        if not lost:
            lost.append(path)
            path.unlink()  # as if espeak had never written it
        return real_read_wav(path, rate)

    monkeypatch.setattr(assistant.voice.tts, "read_wav", lose_the_first_file)
    with EspeakSpeech() as engine:
        first_pid = engine._process.pid
        audio = engine.synthesize("Here is the news.")
        assert lost and len(audio.samples) > 0
        assert engine.restarts == 1 and engine._process.pid != first_pid


def test_a_worker_that_never_writes_the_file_is_a_clear_error(monkeypatch):
    import assistant.voice.tts

    def always_missing(path, rate):
        path.unlink(missing_ok=True)
        raise FileNotFoundError(path)

    monkeypatch.setattr(assistant.voice.tts, "read_wav", always_missing)
    with EspeakSpeech() as engine, pytest.raises(TextToSpeechError, match="wrote no usable audio"):
        engine.synthesize("Here is the news.")


def test_the_factory_gives_espeak_ng_when_it_is_asked_for():
    from assistant.voice.tts import VOICES, load_tts, voice_missing, voice_name

    assert VOICES == ("joe", "espeak") and voice_missing("espeak") is None
    with load_tts("espeak") as engine:
        assert isinstance(engine, EspeakSpeech) and voice_name(engine) == "espeak"
