"""Barge-in: "stop" while something plays stops it; other speech, noise and silence do not."""

from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.voice.bargein import StopListener, command_in
from testkit.audio_stack import VirtualAudio, espeak_wav, missing_tools


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Stop.", "stop"),
        (" stop it!", "stop"),
        ("Okay, stop the music.", "stop"),
        ("Cancel", "stop"),
        ("Be quiet.", "stop"),
        ("Pause.", "pause"),
        ("", None),
        ("you", None),
        ("What time is it in Tokyo?", None),
        ("we should stop by the shop on the way home", None),  # a sentence, not a command
    ],
)
def test_what_counts_as_a_command(text, command):
    assert command_in(text) == command


class LoggedOutput:
    """A real ``Output`` for listener tests without a sound device: it keeps a log of calls."""

    def __init__(self, playing: bool = True) -> None:
        self.is_playing, self.calls = playing, []

    def playing(self) -> bool:
        return self.is_playing

    def hold(self) -> None:
        self.calls.append("hold")

    def release(self) -> None:
        self.calls.append("release")

    def stop(self) -> None:
        self.calls.append("stop")
        self.is_playing = False


def feed(listener: StopListener, audio: np.ndarray) -> None:
    for start in range(0, len(audio), 480):
        listener.feed(audio[start : start + 480])


def test_silence_and_nothing_playing_cost_nothing():
    from tests.support.fakes import ScriptedSpeech

    stt = ScriptedSpeech(["stop"])
    quiet = LoggedOutput(playing=True)
    listener = StopListener(stt, quiet)
    feed(listener, np.zeros(16000 * 3, np.float32))  # silence while it plays: no hold
    idle = LoggedOutput(playing=False)
    loud = np.random.default_rng(3).normal(0, 0.3, 16000 * 2).astype(np.float32)
    StopListener(stt, idle).feed(loud)  # nothing plays: the listener does not even look
    assert quiet.calls == [] and idle.calls == []


@pytest.fixture(scope="module")
def stt():
    from assistant.voice.stt import load_stt

    return load_stt("tiny.en")


@pytest.mark.artifacts
@pytest.mark.timeout(180)
def test_stop_is_obeyed_and_other_speech_plays_on(stt):
    from assistant.voice.synth import espeak

    out = LoggedOutput()
    listener = StopListener(stt, out)
    feed(listener, espeak("stop", "en-us", 160, pad_s=0.5))
    assert out.calls == ["hold", "stop"] and listener.decisions[-1].action == "stop"

    out = LoggedOutput()
    listener = StopListener(stt, out)
    feed(listener, espeak("what time is it in Tokyo today", "en-us+m3", 160, pad_s=0.5))
    assert out.calls == ["hold", "release"]  # held at its onset, back once it was not a command

    out = LoggedOutput()
    listener = StopListener(stt, out)
    two_people = espeak("stop", "en-us", 160, pad_s=0.5)
    other = espeak("and then we went to the beach", "en+f2", 170, pad_s=0.5)[: len(two_people)]
    mixed = np.concatenate([np.clip(two_people + other, -1, 1), np.zeros(16000, np.float32)])
    feed(listener, mixed)  # two people talking at once: a decision, no hang
    assert out.calls[0] == "hold" and out.calls[-1] in ("stop", "release")
    assert listener.holding is False


@pytest.mark.artifacts
@pytest.mark.audio
@pytest.mark.timeout(180)
@pytest.mark.skipif(bool(missing_tools()), reason=f"needs {', '.join(missing_tools())}")
def test_stop_through_the_virtual_microphone_stops_the_player(stt, tmp_path):
    from assistant.playback import player
    from assistant.voice import audio
    from assistant.voice.bargein import BargeInMicrophone, PlayerOutput
    from assistant.voice.wavfile import write_wav

    t = np.arange(16000 * 20) / 16000
    track = write_wav(tmp_path / "tone.wav", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32))
    try:
        with VirtualAudio() as sound:
            audio.refresh_devices()
            stop = espeak_wav("stop", sound.root / "stop.wav", 150)
            the_player = player.AudioPlayer()
            listener = StopListener(stt, PlayerOutput(lambda: the_player))
            mic = BargeInMicrophone(listener=listener)
            with mic:
                the_player.play(player.PlayableTrack("tone", "tone", str(track)))
                sound.say_into_mic(stop, lead_silence_s=0.5)
                deadline = time.monotonic() + 20
                while the_player.now_playing() is not None and time.monotonic() < deadline:
                    mic.read(timeout=0.5)  # the voice loop's reads are what the listener hears
            stopped = the_player.now_playing() is None
            the_player.close()
    finally:
        audio.refresh_devices()
    assert stopped
    assert [d.action for d in listener.decisions] == ["stop"]
