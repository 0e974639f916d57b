"""Endpointing, WAV handling and device errors, without any sound device."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.contracts.errors import AudioError
from assistant.voice.vad import EndpointConfig, Endpointer, State, find_utterance
from assistant.voice.wavfile import read_wav, write_wav
from testkit.audio_stack import espeak_wav

needs_espeak = pytest.mark.skipif(
    subprocess.run(["which", "espeak-ng"], capture_output=True).returncode != 0, reason="needs espeak-ng"
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> np.ndarray:
    path = espeak_wav("play some jazz music please", tmp_path_factory.mktemp("wav") / "q.wav")
    audio = read_wav(path)
    loud = np.flatnonzero(np.abs(audio) > 1e-3)
    return audio[loud[0] : loud[-1] + 1]  # espeak pads with silence; the tests add their own


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), dtype=np.float32)


@needs_espeak
def test_utterance_starts_on_speech_and_ends_after_trailing_silence(speech):
    ep = Endpointer(EndpointConfig(trailing_silence_s=0.7))
    assert ep.feed(silence(1.0)) is State.WAITING
    ep.feed(speech)
    ep.feed(silence(0.5))
    assert ep.state is State.SPEECH  # 0.5 s of silence is a pause, not the end
    ep.feed(silence(0.5))
    assert ep.state is State.DONE and ep.ended_by == "silence"
    length = len(ep.utterance()) / 16000
    assert len(speech) / 16000 < length < len(speech) / 16000 + 1.5
    assert ep.speech_end_s == pytest.approx(1.0 + len(speech) / 16000, abs=0.2)


@needs_espeak
def test_trailing_silence_is_configurable(speech):
    quick = find_utterance(np.concatenate([speech, silence(0.4)]), EndpointConfig(trailing_silence_s=0.3))
    assert quick.state is State.DONE and quick.frames_seen * 0.03 < len(speech) / 16000 + 0.45


@needs_espeak
def test_long_speech_is_cut_at_the_cap(speech):
    ep = Endpointer(EndpointConfig(max_utterance_s=1.0))
    ep.feed(np.concatenate([speech, speech]))
    assert ep.state is State.DONE and ep.ended_by == "max_length"
    assert len(ep.utterance()) / 16000 <= 1.0 + 0.45 + 0.03


def test_nothing_said_times_out():
    ep = Endpointer(EndpointConfig(start_timeout_s=1.0))
    assert ep.feed(silence(1.2)) is State.TIMEOUT
    assert ep.utterance().size == 0


def test_wav_round_trip_and_resampling(tmp_path):
    tone = (0.5 * np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100)).astype(np.float32)
    path = write_wav(tmp_path / "tone.wav", tone, 44100)
    back = read_wav(path)  # at 16 kHz
    assert len(back) == 16000
    assert np.abs(back).max() == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "missing"])
def test_damaged_wav_is_a_clear_audio_error(tmp_path, damage):
    path = tmp_path / "bad.wav"
    good = write_wav(tmp_path / "good.wav", np.zeros(16000, np.float32))
    if damage == "truncated":
        path.write_bytes(good.read_bytes()[:30])
    elif damage == "garbage":
        path.write_bytes(os.urandom(2000))
    elif damage == "empty":
        path.write_bytes(b"")
    with pytest.raises(AudioError, match="bad.wav"):
        read_wav(path)


def test_truncated_last_frame_is_dropped(tmp_path):
    path = write_wav(tmp_path / "ok.wav", np.full(1000, 0.25, np.float32))
    data = path.read_bytes()
    path.write_bytes(data[:-1])  # header still claims 1000 frames
    with wave.open(str(path)) as w:
        assert w.getnframes() == 1000
    assert len(read_wav(path)) == 999


def test_no_audio_device_is_an_audio_error(monkeypatch, tmp_path):
    from assistant.voice import audio

    monkeypatch.setenv("PULSE_SERVER", f"unix:{Path(tmp_path) / 'no-such-server'}")
    audio.refresh_devices()
    try:
        with pytest.raises(AudioError, match="no microphone"):
            audio.Microphone().open()
        with pytest.raises(AudioError, match="no speaker"):
            audio.default_device("output")
    finally:
        monkeypatch.undo()
        audio.refresh_devices()
