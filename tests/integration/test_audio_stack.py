"""The voice path on a real sound stack with no sound card: a private PulseAudio server with a
virtual microphone (fed by ``paplay``) and a virtual speaker (captured by ``parec``)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.voice.vad import EndpointConfig
from assistant.voice.wavfile import read_wav
from testkit.audio_stack import VirtualAudio, espeak_wav, missing_tools

pytestmark = [
    pytest.mark.audio,
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_tools()), reason=f"needs {', '.join(missing_tools())}"),
]


@pytest.fixture(scope="module")
def sound():
    from assistant.voice import audio

    with VirtualAudio() as stack:
        audio.refresh_devices()  # PortAudio lists only what existed when it started
        yield stack
    audio.refresh_devices()


@pytest.fixture(scope="module")
def stt():
    from assistant.voice.stt import load_stt

    return load_stt("tiny.en")


@pytest.fixture(scope="module")
def tts():
    from assistant.voice.tts import EspeakSpeech

    with EspeakSpeech() as engine:
        yield engine


@pytest.mark.artifacts
def test_spoken_request_is_heard_and_transcribed(sound, stt):
    from assistant.voice.audio import Microphone

    wav = espeak_wav("skip this song", sound.root / "skip.wav")
    with Microphone() as mic:
        sound.say_into_mic(wav, lead_silence_s=0.5)
        utterance = mic.listen(EndpointConfig(start_timeout_s=10.0))
    assert utterance is not None and utterance.ended_by == "silence"
    assert 0.6 < utterance.detected_at - utterance.speech_end_at < 1.2  # the trailing silence
    assert stt.transcribe(utterance.audio).text.lower().strip(" .") == "skip this song"


def test_silence_on_the_microphone_is_nothing_heard(sound):
    from assistant.voice.audio import Microphone

    with Microphone() as mic:
        assert mic.listen(EndpointConfig(start_timeout_s=1.0)) is None


@pytest.mark.artifacts
def test_reply_is_played_on_the_speaker(sound, tts, stt):
    from assistant.voice.audio import Speaker

    reply = tts.synthesize("Here is the news.")
    recording = sound.record_speaker()
    time.sleep(0.3)
    playback = Speaker().play(reply)
    heard = recording.stop()
    assert playback.completed and playback.first_sample_at is not None
    assert np.abs(heard).max() > 0.1
    assert "news" in stt.transcribe(heard).text.lower()


@pytest.mark.artifacts
def test_user_speech_stops_playback_and_starts_the_next_turn(sound, tts, stt):
    from assistant.voice.audio import Microphone, Speaker

    answer = tts.synthesize("Here is a long answer about many songs and artists. " * 4)
    wav = espeak_wav("tell me the news", sound.root / "news.wav")
    with Microphone() as mic:
        sound.say_into_mic(wav, lead_silence_s=1.0)
        playback = Speaker().play(answer, mic)
        assert playback.interrupted and not playback.completed
        assert playback.played_s < len(answer.samples) / answer.sample_rate / 2
        utterance = mic.listen(EndpointConfig(start_timeout_s=5.0))
    assert utterance is not None
    assert "news" in stt.transcribe(utterance.audio).text.lower()


@pytest.fixture(scope="module")
def joe():
    """The Piper voice, the default (``[tts] voice = "joe"``)."""
    from assistant.voice.piper_tts import PiperSpeech, piper_missing

    if piper_missing("joe"):
        pytest.skip(str(piper_missing("joe")))
    return PiperSpeech("joe")


@pytest.mark.artifacts
def test_a_piper_reply_streams_to_the_speaker(sound, joe, stt):
    from assistant.voice.audio import Speaker
    from assistant.voice.speech_stream import speak

    recording = sound.record_speaker()
    time.sleep(0.3)
    started = time.perf_counter()
    stream = speak(joe, "Here is the news. The first story is about the weather.")
    playback = Speaker().play(stream)
    time.sleep(0.5)  # the recorder's own buffering: on a busy machine its tail arrives late
    heard = recording.stop()
    assert playback.completed and playback.first_sample_at is not None
    # The first sentence alone is synthesised before the sound starts (0.1-0.3 s on 2 cores).
    assert playback.first_sample_at - started < 1.0
    assert playback.played_s == pytest.approx(len(stream.join().samples) / 22050, abs=0.05)
    text = stt.transcribe(heard).text.lower()
    assert "news" in text and "weather" in text


@pytest.mark.artifacts
def test_speech_stops_a_streamed_piper_reply_at_once(sound, joe):
    from assistant.voice.audio import Microphone, Speaker
    from assistant.voice.speech_stream import SpeechStream

    # 32 sentences (the voice reads 2,000 characters at most), about 110 s of speech: Piper makes
    # them at 0.04-0.08 of real time, so the first 1-2 s of playing leave most still to make.
    sentences = [f"This is sentence number {i} of a long answer about many songs." for i in range(32)]
    made: list[int] = []

    def counted(text: str):
        for piece in joe.stream(text):
            made.append(len(piece.samples))
            yield piece

    wav = espeak_wav("tell me the news", sound.root / "news-over-joe.wav")
    recording = sound.record_speaker()
    time.sleep(0.3)
    with Microphone() as mic:
        sound.say_into_mic(wav, lead_silence_s=1.5)
        stream = SpeechStream(counted(" ".join(sentences)))
        playback = Speaker().play(stream, mic)
        time.sleep(0.5)
    heard = recording.stop()
    assert playback.interrupted and not playback.completed and stream.cancelled
    assert playback.played_s < 4.0  # of about 110 s
    # Silent at once: nothing reaches the speaker after play() returns (0.5 s + the 0.2 s that
    # stop() waits), and the synthesis stopped too: most of the sentences were never made.
    loud = np.flatnonzero(np.abs(heard) > 0.02)
    assert len(loud) and (len(heard) - loud[-1]) / 16000 > 0.55
    time.sleep(1.0)
    assert stream.finished and len(made) < 25


@pytest.mark.artifacts
def test_mic_mode_runs_a_recorded_turn_end_to_end(sound, assistant_home):
    from assistant.cli import parse_args
    from assistant.config import Settings
    from assistant.contracts.events import NluEnd, SttEnd, TurnStart
    from assistant.frontends.voice_loop import run_voice
    from assistant.pipeline.session_log import read_log

    wav = espeak_wav("recommend a comedy movie", sound.root / "movie.wav")
    assistant_home.mkdir(parents=True, exist_ok=True)
    talker = threading.Thread(target=lambda: (time.sleep(6.0), sound.say_into_mic(wav, wait=True)))
    talker.start()
    recording = sound.record_speaker()
    args = parse_args(["--mic", "--user", "tester", "--seed", "3"])
    assert run_voice(args, assistant_home, Settings(followup_window_s=0.5), max_turns=1) == 0
    heard = recording.stop()
    talker.join()
    logs = list((assistant_home / "sessions").rglob("*.jsonl"))
    assert len(logs) == 1
    events = [line.event for line in read_log(logs[0])]
    start = next(e for e in events if isinstance(e, TurnStart))
    assert "comedy" in next(e for e in events if isinstance(e, SttEnd)).text.lower()
    assert next(e for e in events if isinstance(e, NluEnd)).intent == "recommend_video"
    recorded = read_wav(logs[0].parent / start.audio)  # saved beside the log, named in the event
    assert 1.0 < len(recorded) / 16000 < 6.0
    assert np.abs(heard).max() > 0.1  # the answer was spoken
