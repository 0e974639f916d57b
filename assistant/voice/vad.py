"""Voice activity detection (webrtcvad) and utterance endpointing, free of any audio device.

The ``Endpointer`` is a small state machine fed 30 ms frames: it starts an utterance once speech
has lasted ``min_speech_s``, keeps a little audio from before that (so the first syllable is not
cut), and ends it after ``trailing_silence_s`` of silence or at ``max_utterance_s``. The
microphone loop, the tests and the latency bench all drive the same object.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import webrtcvad

from assistant.contracts.stages import SAMPLE_RATE

FRAME_S = 0.03
FRAME_SAMPLES = int(SAMPLE_RATE * FRAME_S)  # 480: webrtcvad takes 10, 20 or 30 ms frames


def frame_bytes(frame: np.ndarray) -> bytes:
    """A float32 or int16 frame as the int16 bytes webrtcvad reads."""
    if frame.dtype != np.int16:
        frame = (np.clip(frame, -1.0, 1.0) * 32767.0).astype(np.int16)
    return frame.tobytes()


class VoiceDetector:
    """webrtcvad on 30 ms frames; ``aggressiveness`` 0 (lenient) to 3 (strict)."""

    def __init__(self, aggressiveness: int = 2) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: np.ndarray) -> bool:
        """Whether one 30 ms frame is speech."""
        return self._vad.is_speech(frame_bytes(frame), SAMPLE_RATE)

    def speech_seconds(self, audio: np.ndarray) -> float:
        """How much of ``audio`` (16 kHz) the VAD calls speech."""
        n = len(audio) // FRAME_SAMPLES
        voiced = sum(self.is_speech(audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]) for i in range(n))
        return voiced * FRAME_S


class State(StrEnum):
    """Where the endpointer is in an utterance."""

    WAITING = "waiting"  # no speech yet
    SPEECH = "speech"  # inside an utterance
    DONE = "done"  # utterance ended (see ``ended_by``)
    TIMEOUT = "timeout"  # nothing was said before the start timeout


@dataclass
class EndpointConfig:
    """When an utterance starts and ends: silence, length caps, pre-roll and VAD aggressiveness."""

    trailing_silence_s: float = 0.7
    max_utterance_s: float = 15.0
    start_timeout_s: float | None = 8.0  # None: wait for speech forever
    min_speech_s: float = 0.12  # voiced time within the last 300 ms that starts an utterance
    pre_roll_s: float = 0.45
    aggressiveness: int = 2


class Endpointer:
    """Finds one utterance in a stream of audio: waits for speech, captures it, ends it."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.detector = VoiceDetector(self.config.aggressiveness)
        self.state = State.WAITING
        self.ended_by: str | None = None  # "silence" or "max_length"
        self.frames_seen = 0
        self.speech_end_frame: int | None = None  # index of the last voiced frame + 1
        self._recent: collections.deque[tuple[np.ndarray, bool]] = collections.deque(
            maxlen=max(1, round(self.config.pre_roll_s / FRAME_S))
        )
        self._window: collections.deque[bool] = collections.deque(maxlen=10)  # 300 ms
        self._utterance: list[np.ndarray] = []
        self._silent_frames = 0
        self._pending = np.zeros(0, dtype=np.float32)
        self._reported_pause = -1  # voiced_samples at the last pause reported

    @property
    def finished(self) -> bool:
        """Whether the utterance has ended or timed out."""
        return self.state in (State.DONE, State.TIMEOUT)

    def feed(self, samples: np.ndarray) -> State:
        """Feed any number of float32 samples; they are cut into 30 ms frames."""
        if self.finished:
            return self.state
        audio = np.concatenate([self._pending, samples.astype(np.float32, copy=False).reshape(-1)])
        n = len(audio) // FRAME_SAMPLES
        for i in range(n):
            self._feed_frame(audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES])
            if self.finished:
                break
        self._pending = audio[n * FRAME_SAMPLES :].copy()
        return self.state

    def _feed_frame(self, frame: np.ndarray) -> None:
        cfg = self.config
        voiced = self.detector.is_speech(frame)
        self.frames_seen += 1
        if self.state is State.WAITING:
            self._recent.append((frame, voiced))
            self._window.append(voiced)
            if sum(self._window) * FRAME_S >= cfg.min_speech_s:
                self.state = State.SPEECH
                self._utterance = [f for f, _ in self._recent]
                self.speech_end_frame = self.frames_seen
            elif cfg.start_timeout_s is not None and self.frames_seen * FRAME_S >= cfg.start_timeout_s:
                self.state = State.TIMEOUT
            return
        self._utterance.append(frame)
        if voiced:
            self._silent_frames = 0
            self.speech_end_frame = self.frames_seen
        else:
            self._silent_frames += 1
        if self._silent_frames * FRAME_S >= cfg.trailing_silence_s:
            self.state, self.ended_by = State.DONE, "silence"
        elif len(self._utterance) * FRAME_S >= cfg.max_utterance_s:
            self.state, self.ended_by = State.DONE, "max_length"

    def finish(self, reason: str) -> None:
        """End the utterance now (semantic endpointing: the words already make a request)."""
        if self.state is State.SPEECH:
            self.state, self.ended_by = State.DONE, reason

    @property
    def silence_s(self) -> float:
        """How long the user has been quiet inside the current utterance."""
        return self._silent_frames * FRAME_S if self.state is State.SPEECH else 0.0

    def new_pause(self, pause_s: float) -> bool:
        """True once per pause of ``pause_s`` inside the utterance (speculative transcription)."""
        if self.silence_s < pause_s or self.voiced_samples == self._reported_pause:
            return False
        self._reported_pause = self.voiced_samples
        return True

    @property
    def voiced_samples(self) -> int:
        """Samples of the utterance up to its last voiced frame (trailing silence excluded)."""
        return (len(self._utterance) - self._silent_frames) * FRAME_SAMPLES

    def utterance(self) -> np.ndarray:
        """The captured utterance (pre-roll included, trailing silence kept: Whisper likes it)."""
        if not self._utterance:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self._utterance)

    @property
    def speech_end_s(self) -> float | None:
        """Stream time (seconds since the first frame fed) at which speech last stopped."""
        return None if self.speech_end_frame is None else self.speech_end_frame * FRAME_S


def find_utterance(audio: np.ndarray, config: EndpointConfig | None = None) -> Endpointer:
    """Run the endpointer over a whole recording (followed by silence so it can end)."""
    cfg = config or EndpointConfig(start_timeout_s=None)
    endpointer = Endpointer(cfg)
    endpointer.feed(audio)
    if endpointer.state is State.SPEECH:
        endpointer.feed(np.zeros(int(SAMPLE_RATE * (cfg.trailing_silence_s + 2 * FRAME_S)), np.float32))
    return endpointer
