"""Audio in and out of Wyoming events.

In: ``audio-chunk`` payloads of any rate, sample width (1, 2 or 4 bytes) and channel count are
decoded to mono float32 as they arrive and resampled once, at ``audio-stop``, to the 16 kHz
Whisper reads (one polyphase pass over the whole request: chunk-by-chunk resampling would
leave a filter edge at every chunk boundary). As the audio arrives, webrtcvad follows where
the speech is: once the speaker has been quiet for ``PAUSE_S`` the server may start
transcribing what it has (``AudioBuffer.pause``), as the voice loop does, because Home
Assistant's own end-of-speech detection waits out a longer silence before ``audio-stop``.
Out: the synthesised reply's events are written by ``assistant.wyoming.voices``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.contracts.stages import SAMPLE_RATE
from assistant.voice.audio import PAUSE_S
from assistant.voice.vad import FRAME_SAMPLES, VoiceDetector
from assistant.voice.wavfile import pcm_to_float, resample
from assistant.wyoming.limits import ProtocolError

WIDTHS = (1, 2, 4)  # bytes per sample Wyoming clients send (8-bit unsigned, 16/32-bit signed)
MAX_CHANNELS = 8
# Voice hardware records at 8-48 kHz; the bound also caps a request's buffer (30 s of 48 kHz
# float32 is under 6 MB per connection).
MIN_RATE, MAX_RATE = 4_000, 48_000


def check_format(rate: object, width: object, channels: object) -> tuple[int, int, int]:
    """The format as ints, or ``ProtocolError("bad-audio-format")``."""
    ok = (
        all(isinstance(v, int) and not isinstance(v, bool) for v in (rate, width, channels))
        and MIN_RATE <= rate <= MAX_RATE  # type: ignore[operator]
        and width in WIDTHS
        and 1 <= channels <= MAX_CHANNELS  # type: ignore[operator]
    )
    if not ok:
        raise ProtocolError(
            "bad-audio-format",
            f"unsupported audio format rate={rate!r} width={width!r} channels={channels!r} "
            f"(rate {MIN_RATE}-{MAX_RATE} Hz, width 1, 2 or 4 bytes, 1-{MAX_CHANNELS} channels)",
        )
    return rate, width, channels  # type: ignore[return-value]


class AudioBuffer:
    """One spoken request: chunks in, 16 kHz mono float32 out; longer than ``max_s`` raises."""

    def __init__(self, max_s: float, rate: int | None = None) -> None:
        self.max_s = max_s
        self.rate = rate  # set by audio-start, else by the first chunk
        self._parts: list[np.ndarray] = []
        self.seconds = 0.0
        self._vad = VoiceDetector()
        self._vad_rest = np.zeros(0, dtype=np.float32)
        self._vad_samples = 0  # 16 kHz samples the VAD has seen
        self.voiced_samples = 0  # 16 kHz samples up to the end of the last voiced frame

    def add(self, data: dict, payload: bytes | None) -> None:
        """Decode one ``audio-chunk`` and add it; ``ProtocolError`` for a bad format or too much audio."""
        rate, width, channels = check_format(data.get("rate"), data.get("width"), data.get("channels"))
        samples = pcm_to_float(payload or b"", width, channels)
        if self.rate is None:
            self.rate = rate
        elif rate != self.rate:  # a client that changes rate mid-stream: follow it
            samples = resample(samples, rate, self.rate)
        self.seconds += len(samples) / self.rate
        if self.seconds > self.max_s:
            raise ProtocolError(
                "audio-too-long", f"audio longer than {self.max_s:g} s; send audio-stop sooner"
            )
        self._parts.append(samples)
        self._track_voice(samples)

    def _track_voice(self, samples: np.ndarray) -> None:
        """Feed the VAD 30 ms frames at 16 kHz (a chunk-wise resample is good enough for it)."""
        assert self.rate is not None
        frames = np.concatenate([self._vad_rest, resample(samples, self.rate, SAMPLE_RATE)])
        whole = len(frames) // FRAME_SAMPLES * FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._vad_samples += FRAME_SAMPLES
            if self._vad.is_speech(frames[start : start + FRAME_SAMPLES]):
                self.voiced_samples = self._vad_samples
        self._vad_rest = frames[whole:]

    def pause(self) -> int | None:
        """``voiced_samples`` when speech has been followed by ``PAUSE_S`` of quiet, else None."""
        quiet = self._vad_samples - self.voiced_samples
        return self.voiced_samples if self.voiced_samples and quiet >= PAUSE_S * SAMPLE_RATE else None

    def snapshot(self) -> Callable[[], np.ndarray]:
        """The audio so far, as a call that resamples it to 16 kHz (run it on a worker)."""
        parts, rate = list(self._parts), self.rate

        def samples() -> np.ndarray:
            if not parts or rate is None:
                return np.zeros(0, dtype=np.float32)
            return resample(np.concatenate(parts), rate, SAMPLE_RATE)

        return samples

    def samples(self) -> np.ndarray:
        """The request as 16 kHz mono float32 (call it on a worker: it resamples)."""
        return self.snapshot()()
