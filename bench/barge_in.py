"""Barge-in: "stop" while output plays -> output silent, measured on the virtual sound stack.

A private PulseAudio server (``testkit/audio_stack.py``) carries everything: the assistant's
output goes to the ``speaker`` null sink, the user's words are played into ``micsink`` whose
monitor is the microphone. Two ``parec`` recordings (what the microphone heard, what the
speaker played) are aligned by a click played through a combine sink into both at once.

- end of the word: the last sample above -40 dBFS of the command in the microphone recording;
- output silent: the end of the last output sound above -40 dBFS (the output would have gone
  on for many seconds); latency = silent - end of word (negative: quiet before the word ended).

Cases: a track playing through ``assistant.playback.player`` while the voice loop waits for the wake word
(``BargeInMicrophone`` + ``StopListener``); the assistant's own spoken answer
(``assistant.voice.audio.Speaker`` with the microphone); and a sentence that is not a command said
during the track (the gap before it plays on). Commands are espeak-ng voices at several rates.

``nice python bench/barge_in.py [--trials 6] [--engine openai-whisper|faster-whisper]``
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.contracts.stages import SpokenAudio  # noqa: E402
from assistant.voice.synth import espeak  # noqa: E402
from assistant.voice.wavfile import write_wav  # noqa: E402
from testkit.audio_stack import VirtualAudio, missing_tools  # noqa: E402

SR = 16000
LEVEL = 10 ** (-40 / 20)  # "silent": below -40 dBFS
COMMANDS = (
    ("stop", "en-us", 160),
    ("stop", "en+m3", 140),
    ("cancel", "en-gb-x-rp", 170),
    ("be quiet", "en-us+f2", 150),
)
ANSWER = (
    "Here is what I found for tomorrow. It will be mostly sunny in the morning with clouds building "
    "in the afternoon, a high of twenty one degrees and a light breeze from the west."
)


def chord_track(path: Path, seconds: float = 40.0, rate: int = 22050) -> Path:
    """A steady chord with a slow swell: continuous sound, so its end is unambiguous."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0)) / 4
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * 0.5 * t)
    write_wav(path, (0.5 * tone * swell).astype(np.float32), rate)
    return path


def click(path: Path) -> Path:
    audio = np.zeros(int(0.2 * SR), np.float32)
    audio[: int(0.005 * SR)] = 0.9
    write_wav(path, audio)
    return path


def first_above(audio: np.ndarray, start: int = 0) -> int | None:
    idx = np.flatnonzero(np.abs(audio[start:]) > LEVEL)
    return None if len(idx) == 0 else start + int(idx[0])


def last_above(audio: np.ndarray) -> int | None:
    idx = np.flatnonzero(np.abs(audio) > LEVEL)
    return None if len(idx) == 0 else int(idx[-1])


def longest_gap_s(audio: np.ndarray, start: int) -> float:
    """Longest run (s) of 10 ms windows below -40 dBFS after ``start``."""
    frames = audio[start : start + (len(audio) - start) // 160 * 160].reshape(-1, 160)
    quiet = np.abs(frames).max(axis=1) <= LEVEL
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * 0.01


class Trial:
    """Record microphone and speaker, click into both, run ``action``; aligned recordings out."""

    def __init__(self, sound: VirtualAudio) -> None:
        self.sound = sound
        self.click = click(sound.root / "click.wav")

    def run(self, action) -> tuple[np.ndarray, np.ndarray]:
        import subprocess

        mic_rec = self.sound.record_speaker("micsink.monitor")
        out_rec = self.sound.record_speaker()
        time.sleep(0.4)
        subprocess.run(["paplay", "--device=both", str(self.click)], env=self.sound._env(), timeout=10)
        time.sleep(0.3)
        action()
        mic, out = mic_rec.stop(), out_rec.stop()
        m, o = first_above(mic), first_above(out)
        if m is None or o is None:
            raise RuntimeError("the alignment click was not recorded")
        # The click ends the part before the trial: drop it from both, aligned on it.
        mic, out = mic[m:], out[o:]
        mic[: int(0.1 * SR)] = 0.0
        out[: int(0.1 * SR)] = 0.0
        return mic, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per case (commands cycle)")
    parser.add_argument("--engine", default=None, help="speech-to-text engine (default: the configured one)")
    args = parser.parse_args(argv)
    if missing_tools():
        print(f"needs {', '.join(missing_tools())}")
        return 1
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    from assistant.config import Settings
    from assistant.playback import player
    from assistant.voice import audio
    from assistant.voice.bargein import BargeInMicrophone, PlayerOutput, StopListener
    from assistant.voice.stt import load_stt
    from assistant.voice.wake import load_wake_word

    settings = Settings()
    stt = load_stt(settings.stt_model, engine=args.engine or settings.stt_engine)
    stt.transcribe(np.zeros(SR, np.float32))  # load and warm, as voice mode does before listening
    ww = load_wake_word(settings.wake_word)
    results: dict[str, list[float]] = {"track": [], "answer": [], "not a command (gap s)": []}
    decisions: list[str] = []
    with VirtualAudio() as sound:
        sound.pactl("load-module", "module-combine-sink", "sink_name=both", "slaves=micsink,speaker")
        sound.pactl("set-default-sink", "speaker")  # the new sink must not become the output
        print(f"  default output: {sound.pactl('get-default-sink')}")
        audio.refresh_devices()
        track_path = chord_track(sound.root / "chord.wav")
        words = {}
        for i, (text, voice, rate) in enumerate(COMMANDS):
            words[i] = write_wav(sound.root / f"cmd{i}.wav", espeak(text, voice, rate, pad_s=0.2))
        other = write_wav(
            sound.root / "other.wav", espeak("what time is it in Tokyo", "en-us+m7", 160, pad_s=0.2)
        )
        answer = SpokenAudio(espeak(ANSWER, "en-us", 170), SR)
        the_player = player.AudioPlayer()
        the_player.set_volume(1.0)
        listener = StopListener(
            stt,
            PlayerOutput(lambda: the_player),
            on_barge_in=lambda d: decisions.append(
                f"{d.action} ({d.text.strip()!r}, decided {d.decided_at - d.held_at:.2f} s after the hold)"
            ),
        )
        mic = BargeInMicrophone(listener=listener)
        mic.open()
        waiting = threading.Event()

        def wake_loop() -> None:  # the voice loop waiting for its wake word, as in ``--mic --wake``
            while True:
                if waiting.wait(0.1):
                    mic.wait_for_wake(ww, 0.5)
                elif mic._stream is None:
                    return

        loop = threading.Thread(target=wake_loop, daemon=True)
        loop.start()
        trial = Trial(sound)

        def said_over_track(wav: Path, listen_after_s: float) -> None:
            """A track plays, ``wav`` is said over it, then the track runs ``listen_after_s`` more."""
            the_player.play(player.PlayableTrack("chord", "chord", str(track_path)))
            mic.drain()  # the alignment click was not said to the assistant
            waiting.set()
            time.sleep(1.5)
            sound.say_into_mic(wav, wait=True)
            time.sleep(listen_after_s)
            waiting.clear()
            the_player.stop()

        try:
            for n in range(args.trials):
                wav = words[n % len(words)]

                mic_audio, out = trial.run(lambda wav=wav: said_over_track(wav, 1.5))
                results["track"].append(_latency(mic_audio, out))
                print(f"    track trial {n}: {results['track'][-1]:+.3f} s", flush=True)

                def on_answer(wav: Path = wav) -> None:
                    timer = threading.Timer(1.5, sound.say_into_mic, args=(wav,), kwargs={"wait": True})
                    timer.start()
                    mic.drain()
                    audio.Speaker().play(answer, mic)
                    timer.join()
                    time.sleep(0.5)

                mic_audio, out = trial.run(on_answer)
                results["answer"].append(_latency(mic_audio, out))
            for _ in range(max(2, args.trials // 4)):
                mic_audio, out = trial.run(lambda: said_over_track(other, 3.0))
                start = first_above(mic_audio) or 0
                results["not a command (gap s)"].append(longest_gap_s(out, start))
        finally:
            waiting.clear()
            mic.close()
            loop.join(timeout=2)
            the_player.close()
    print(
        f"speech-to-text {stt.engine} {settings.stt_model}; commands: {', '.join(repr(c[0]) for c in COMMANDS)}"
    )
    for case, values in results.items():
        v = np.array([x for x in values if x is not None and np.isfinite(x)])
        if case.startswith("not"):
            print(f"  {case}: {', '.join(f'{x:.2f}' for x in v)} (the track then played on)")
            continue
        print(
            f"  {case}: end of word -> output silent  median {np.median(v) * 1000:+.0f} ms, "
            f"max {v.max() * 1000:+.0f} ms over {len(v)} trials; within 200 ms: {np.mean(v <= 0.2):.0%}"
        )
    print(f"  listener decisions: {', '.join(decisions)}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    return 0


def _latency(mic: np.ndarray, out: np.ndarray) -> float:
    """End of the command in ``mic`` -> last output sound in ``out`` (seconds; NaN if unusable)."""
    word_end, silent = last_above(mic), last_above(out)
    if word_end is None or silent is None:
        return float("nan")
    return (silent - word_end) / SR


if __name__ == "__main__":
    sys.exit(main())
