"""Microphone capture, endpointing, playback and barge-in through sounddevice (PortAudio).

- ``Microphone``: one 16 kHz mono input stream for a whole session, 30 ms blocks in a queue;
  ``listen()`` returns the next utterance (``Endpointer`` rules) or ``None`` when nothing was
  said before the timeout; ``push_to_talk()`` waits for Enter first.
- ``Microphone.wait_for_wake()``: blocks until a wake-word detector (``assistant.voice.wake``) fires.
- ``Speaker.play()``: plays ``SpokenAudio`` (resampled when the device refuses its rate); with a
  microphone given, user speech during playback stops it (barge-in) and that speech starts the
  next utterance.

Any missing or failing device raises ``AudioError`` with a message a user can act on; the CLI
then falls back to text chat.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.contracts.errors import AudioError
from assistant.contracts.stages import SAMPLE_RATE, SpokenAudio
from assistant.playback.player import ducking
from assistant.voice.speech_stream import SampleFeed, SpeechStream
from assistant.voice.vad import FRAME_S, FRAME_SAMPLES, EndpointConfig, Endpointer, State, VoiceDetector
from assistant.voice.wavfile import resample

# Quiet this long inside an utterance: report a pause (speculative transcription starts there,
# and Whisper then ends before the 0.7 s endpoint).
PAUSE_S = 0.25


def _sounddevice():
    """Import sounddevice, turning a missing PortAudio library into ``AudioError``."""
    try:
        import sounddevice as sd
    except OSError as exc:  # PortAudio itself is missing
        raise AudioError(f"PortAudio is not installed ({exc}); apt-get install libportaudio2") from None
    return sd


def refresh_devices() -> None:
    """Re-scan devices; PortAudio only lists those present when it was initialised."""
    sd = _sounddevice()
    sd._terminate()
    sd._initialize()


def list_devices() -> dict[str, list[str]]:
    """The names of the sound devices PortAudio finds: ``{"input": [...], "output": [...]}``
    (both empty on a machine without a sound card); ``AudioError`` when PortAudio is missing."""
    sd = _sounddevice()
    try:
        devices = [dict(d) for d in sd.query_devices()]
    except sd.PortAudioError as exc:
        raise AudioError(f"the sound devices could not be listed ({exc})") from None
    return {
        kind: [str(d.get("name", "?")) for d in devices if d.get(f"max_{kind}_channels", 0) > 0]
        for kind in ("input", "output")
    }


def default_device(kind: str) -> dict:
    """The default ``"input"`` or ``"output"`` device, or ``AudioError`` when there is none."""
    sd = _sounddevice()
    try:
        return dict(sd.query_devices(kind=kind))
    except (sd.PortAudioError, ValueError) as exc:
        what = "microphone" if kind == "input" else "speaker"
        raise AudioError(f"no {what} found ({exc})", user_message=f"I cannot find a {what}.") from None


class WakeListener(Protocol):
    """A wake-word detector fed microphone blocks."""

    def feed(self, block: np.ndarray) -> bool:
        """Feed one block; True when the wake word has just been heard."""

    def reset(self) -> None:
        """Forget the audio heard so far."""


@dataclass
class Utterance:
    """One captured request: its audio, how it ended and when."""

    audio: np.ndarray  # 16 kHz mono float32
    ended_by: str  # "silence" or "max_length"
    speech_end_at: float  # perf_counter time at which the user stopped speaking
    detected_at: float  # perf_counter time at which the endpointer closed the utterance
    voiced_samples: int = 0  # samples up to the last voiced frame


class Microphone:
    """A 16 kHz mono input stream; use as a context manager (``with Microphone() as mic``)."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._stream = None
        self._rate = SAMPLE_RATE
        self.overflows = 0
        self._carry: list[np.ndarray] = []  # speech heard during playback (barge-in)

    def __enter__(self) -> Microphone:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Open the input stream (16 kHz, or the device's own rate resampled)."""
        sd = _sounddevice()
        if self.device is None:
            default_device("input")
        for rate in (SAMPLE_RATE, None):  # None: the device's own rate, resampled here
            try:
                info = sd.query_devices(self.device, kind="input")
                self._rate = int(rate or info["default_samplerate"])
                self._stream = sd.InputStream(
                    samplerate=self._rate,
                    blocksize=int(self._rate * FRAME_S),
                    channels=1,
                    dtype="float32",
                    device=self.device,
                    callback=self._on_block,
                )
                self._stream.start()
                return
            except (sd.PortAudioError, ValueError) as exc:
                error = exc
        raise AudioError(f"cannot open the microphone ({error})", user_message="I cannot use the microphone.")

    def _on_block(self, block: np.ndarray, frames: int, time_info: object, status: object) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        self._queue.put(block[:, 0].copy())

    def close(self) -> None:
        """Close the input stream."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        """The next block of 16 kHz samples, or ``None`` if the device delivered nothing."""
        if self._stream is None:
            raise AudioError("the microphone is not open")
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return resample(block, self._rate, SAMPLE_RATE) if self._rate != SAMPLE_RATE else block

    def drain(self) -> None:
        """Drop what was captured while the assistant was busy (it was not meant for it)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self._carry.clear()

    def carry_over(self, frames: list[np.ndarray]) -> None:
        """Audio that starts the next utterance (the user's words that interrupted playback)."""
        self._carry = list(frames)

    def listen(
        self,
        config: EndpointConfig | None = None,
        on_pause: Callable[[np.ndarray, int], None] | None = None,
        pause_s: float = PAUSE_S,
        end_early: Callable[[int], bool] | None = None,
    ) -> Utterance | None:
        """Block until one utterance is complete; ``None`` when nothing was said in time.

        ``on_pause(audio_so_far, voiced_samples)`` is called once per pause of ``pause_s`` inside
        the utterance, while the endpointer still waits to be sure it has ended.
        ``end_early(voiced_samples)`` is asked after every block of such a pause: True ends the
        utterance there (``ended_by="semantic"``) instead of after the full trailing silence.
        """
        endpointer = Endpointer(config or EndpointConfig())
        carried, self._carry = self._carry, []
        for frame in carried:
            endpointer.feed(frame)
        stalled = 0.0
        while not endpointer.finished:
            block = self.read(timeout=0.5)
            if block is None:
                stalled += 0.5
                if stalled >= 3.0:  # a stream that stops delivering must not hang the assistant
                    raise AudioError("the microphone stopped delivering audio")
                continue
            stalled = 0.0
            endpointer.feed(block)
            if on_pause and endpointer.new_pause(pause_s):
                on_pause(endpointer.utterance(), endpointer.voiced_samples)
            if end_early and endpointer.silence_s >= pause_s and end_early(endpointer.voiced_samples):
                endpointer.finish("semantic")
        if endpointer.state is State.TIMEOUT:
            return None
        detected_at = time.perf_counter()
        lag_s = (endpointer.frames_seen - (endpointer.speech_end_frame or 0)) * FRAME_S
        return Utterance(
            endpointer.utterance(),
            endpointer.ended_by or "silence",
            detected_at - lag_s,
            detected_at,
            endpointer.voiced_samples,
        )

    def wait_for_wake(self, detector: WakeListener, timeout_s: float | None = None) -> bool:
        """Block until ``detector`` hears the wake word (True) or ``timeout_s`` passes (False).

        Everything captured after the word stays queued: "okay nabu, play some jazz" said in one
        breath starts the utterance that ``listen`` then returns.
        """
        detector.reset()
        self._carry = []
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        stalled = 0.0
        while deadline is None or time.monotonic() < deadline:
            block = self.read(timeout=0.5)
            if block is None:
                stalled += 0.5
                if stalled >= 3.0:
                    raise AudioError("the microphone stopped delivering audio")
                continue
            stalled = 0.0
            if detector.feed(block):
                # A detector that listened on before deciding (assistant.voice.wake_check) hands back what
                # it heard since the word: "okay nabu, play some jazz" in one breath.
                self._carry = list(getattr(detector, "after_word", ()))
                return True
        return False

    def push_to_talk(
        self,
        config: EndpointConfig | None = None,
        wait: Callable[[], object] = input,
        on_pause: Callable[[np.ndarray, int], None] | None = None,
    ) -> Utterance | None:
        """Wait for Enter (``wait``), then listen; audio from before the key press is ignored."""
        wait()
        self.drain()
        return self.listen(config, on_pause)


@dataclass
class Playback:
    """How a spoken reply went: played to the end or cut by the user, and when it was first heard."""

    completed: bool  # played to the end
    interrupted: bool  # stopped by the user's speech (barge-in)
    first_sample_at: float | None  # perf_counter time the first sample went to the device
    played_s: float


class Speaker:
    """Plays ``SpokenAudio`` on the default (or given) output device."""

    def __init__(self, device: int | str | None = None, barge_in_s: float = 0.24) -> None:
        self.device = device
        self.barge_in_s = barge_in_s  # voiced time within 300 ms that counts as the user talking

    def _open(self, sd, audio: SpokenAudio, callback, finished) -> tuple[object, int]:
        if self.device is None:
            default_device("output")
        rates = [audio.sample_rate, int(sd.query_devices(self.device, kind="output")["default_samplerate"])]
        error: Exception | None = None
        for rate in dict.fromkeys(rates):
            try:
                stream = sd.OutputStream(
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    device=self.device,
                    latency="low",  # a short buffer: barge-in stops the sound promptly
                    blocksize=int(rate * 0.02),
                    callback=callback,
                    finished_callback=finished,
                )
                return stream, rate
            except (sd.PortAudioError, ValueError) as exc:
                error = exc
        raise AudioError(f"cannot open the speaker ({error})", user_message="I cannot use the speaker.")

    def play(self, audio: SpokenAudio | SpeechStream, microphone: Microphone | None = None) -> Playback:
        """Play to the end, or until the user speaks into ``microphone`` (barge-in).

        A ``SpeechStream`` starts playing with its first piece and takes each next piece as it
        is synthesised; barge-in also cancels what has not been synthesised yet.
        """
        sd = _sounddevice()
        speech = SpeechStream.of(audio)
        first = speech.first()
        done = threading.Event()
        state: dict = {"first": None}
        feed = SampleFeed()

        def callback(out: np.ndarray, frames: int, time_info: object, status: object) -> None:
            chunk, ended = feed.read(frames)
            out[: len(chunk), 0] = chunk
            out[len(chunk) :, 0] = 0.0  # a piece not ready yet: a moment of silence, not the end
            if state["first"] is None and len(chunk):
                state["first"] = time.perf_counter()
            if ended:
                raise sd.CallbackStop

        try:
            stream, rate = self._open(sd, first, callback, done.set)
        except AudioError:
            speech.cancel()  # nothing will play it
            raise
        feeder = threading.Thread(target=feed.fill, args=(speech, rate), name="speaker-feed", daemon=True)
        feeder.start()
        if microphone is not None:
            microphone.drain()
        interrupted = False
        with ducking(), stream:  # music plays on beneath the assistant's voice, quieter
            if microphone is None:
                while not done.wait(0.1) and not feed.overdue():
                    pass
            else:
                interrupted = self._watch_for_speech(microphone, done, feed.overdue)
            if interrupted:
                stream.abort()
                speech.cancel()  # nothing more is synthesised for an answer nobody listens to
        played = feed.position / rate
        completed = not interrupted and feed.complete
        return Playback(completed, interrupted, state["first"], played)

    def _watch_for_speech(
        self, microphone: Microphone, done: threading.Event, overdue: Callable[[], bool]
    ) -> bool:
        detector = VoiceDetector(aggressiveness=3)  # strict: noise must not cut the answer short
        window: deque[bool] = deque(maxlen=10)
        recent: deque[np.ndarray] = deque(maxlen=34)  # 1 s: the words' onset, for the next turn
        while not done.is_set() and not overdue():
            block = microphone.read(timeout=0.1)
            if block is None:
                continue
            for i in range(len(block) // FRAME_SAMPLES):
                frame = block[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
                recent.append(frame)
                window.append(detector.is_speech(frame))
            if sum(window) * FRAME_S >= self.barge_in_s:
                microphone.carry_over(list(recent))
                return True
        return False
