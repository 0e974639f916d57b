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
