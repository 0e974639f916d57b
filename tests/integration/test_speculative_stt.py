"""Transcribing during the trailing-silence wait: same words, and only when no speech followed."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from assistant.voice.speculative import SpeculativeSpeechToText
from assistant.voice.stt import load_stt
from assistant.voice.vad import EndpointConfig, Endpointer, State
from assistant.voice.wavfile import read_wav
from testkit.audio_stack import espeak_wav

pytestmark = [
    pytest.mark.artifacts,  # the tiny.en Whisper checkpoint
    pytest.mark.skipif(
        subprocess.run(["which", "espeak-ng"], capture_output=True).returncode != 0, reason="needs espeak-ng"
    ),
]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), dtype=np.float32)


@pytest.fixture(scope="module")
def words(tmp_path_factory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("wav")
    out = {}
    for name, text in {"news": "tell me the latest news", "weather": "what is the weather in boston"}.items():
        audio = read_wav(espeak_wav(text, folder / f"{name}.wav"))
        loud = np.flatnonzero(np.abs(audio) > 1e-3)
        out[name] = audio[loud[0] : loud[-1] + 1]
    return out


def listen(endpointer: Endpointer, audio: np.ndarray, on_pause) -> None:
    """Feed 30 ms blocks as a microphone does, calling ``on_pause`` the way ``Microphone.listen`` does."""
    for start in range(0, len(audio), 480):
        endpointer.feed(audio[start : start + 480])
        if endpointer.new_pause(0.25):
            on_pause(endpointer.utterance(), endpointer.voiced_samples)
        if endpointer.finished:
            return


def test_a_pause_then_the_end_uses_the_prefetched_transcript(words):
    stt = SpeculativeSpeechToText(load_stt("tiny.en"))
    endpointer = Endpointer(EndpointConfig(trailing_silence_s=0.7))
    listen(endpointer, np.concatenate([silence(0.5), words["news"], silence(1.0)]), stt.prefetch)
    assert endpointer.state is State.DONE
    assert stt.claim(endpointer.voiced_samples)
    transcript = stt.transcribe(endpointer.utterance())
    assert stt.hits == 1
    assert "latest news" in transcript.text.lower()
    stt.close()


def test_speech_after_the_pause_discards_the_prefetch(words):
    stt = SpeculativeSpeechToText(load_stt("tiny.en"))
    endpointer = Endpointer(EndpointConfig(trailing_silence_s=0.7))
    audio = np.concatenate([silence(0.5), words["news"], silence(0.4), words["weather"], silence(1.0)])
    listen(endpointer, audio, stt.prefetch)
    assert endpointer.state is State.DONE
    transcript_source = stt.claim(endpointer.voiced_samples)
    transcript = stt.transcribe(endpointer.utterance()).text.lower()
    # Either the second pause's prefetch (which holds both phrases) or a fresh decode: never the first.
    assert "boston" in transcript and "news" in transcript
    assert stt.hits == int(transcript_source)
    stt.close()


def test_no_claim_transcribes_the_final_audio(words):
    stt = SpeculativeSpeechToText(load_stt("tiny.en"))
    stt.prefetch(words["weather"], voiced_samples=123)
    assert not stt.claim(voiced_samples=456)
    assert "news" in stt.transcribe(words["news"]).text.lower() and stt.hits == 0
    stt.close()


class Counted:
    """A real stage that counts its decodes (to tell which stage a transcript came from)."""

    def __init__(self, stage) -> None:
        self.stage, self.calls = stage, 0

    def transcribe(self, audio: np.ndarray):
        self.calls += 1
        return self.stage.transcribe(audio)


def test_the_quick_transcript_is_kept_only_when_semantic_endpointing_accepts_it(words):
    from assistant.voice.stt import quick_stage

    full_stage = load_stt("tiny.en")
    quick_window = quick_stage(full_stage)
    assert quick_window is not None and quick_window.model is full_stage.model
    full, quick = Counted(full_stage), Counted(quick_window)
    stt = SpeculativeSpeechToText(full, quick=quick)

    stt.prefetch(words["news"], voiced_samples=1, quick=True)
    stt.accept(1)  # semantic endpointing ended the turn on it
    assert stt.claim(1) and "latest news" in stt.transcribe(words["news"]).text.lower()
    assert (quick.calls, full.calls) == (1, 0)

    stt.prefetch(words["weather"], voiced_samples=2, quick=True)
    stt.confirm(2)  # not a whole request yet: the stage decodes the same audio during the wait
    assert stt.claim(2) and "boston" in stt.transcribe(words["weather"]).text.lower()
    assert (quick.calls, full.calls) == (2, 1)

    stt.prefetch(words["news"], voiced_samples=3, quick=True)  # never judged: not kept
    assert not stt.claim(3) and "latest news" in stt.transcribe(words["news"]).text.lower()
    assert full.calls == 2 and stt.hits == 2
    stt.close()


def test_confirm_starts_from_the_quick_transcript_and_adds_only_the_second_look(words):
    import time

    from assistant.voice.stt import quick_stage
    from assistant.voice.tts import EspeakSpeech
    from assistant.voice.wavfile import resample

    stage = load_stt("tiny.en")
    stt = SpeculativeSpeechToText(stage, quick=quick_stage(stage))
    speech = EspeakSpeech().synthesize("play some jazz")  # the 15 s window hears "jas": doubtful
    jazz = resample(np.concatenate([np.zeros(4410, np.float32), speech.samples]), speech.sample_rate, 16000)
    for n, (audio, looks) in enumerate(((words["news"], 0), (jazz, 1)), start=1):
        stt.prefetch(audio, voiced_samples=n, quick=True)
        deadline = time.monotonic() + 30
        while stt.peek(n) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        before = stage.second_looks
        stt.confirm(n)
        assert stt.claim(n)
        heard = stt.transcribe(audio)
        assert stage.second_looks == before + looks  # confident: nothing decoded again
        assert heard.text == stage.transcribe(audio).text  # what the stage alone would have said
    # The second look's words depend on the CPU's int8 kernels ("jazz", or "shots" on an AMD EPYC):
    # what matters is that the speculative path said what the stage alone says (above).
    assert heard.text.lower().startswith("play some")
    stt.close()
