"""Read and write WAV files as float32 numpy audio; any rate or channel count is converted.

Only the standard library ``wave`` module and scipy's polyphase resampler are used, so no ffmpeg
is needed. A damaged, truncated or non-PCM file raises ``AudioError`` naming the file.
``check_samples`` is the one check of the float32 audio that speech-to-text, the wake word and
speaker identification accept.
"""

from __future__ import annotations

import os
import wave
from math import gcd
from pathlib import Path

import numpy as np

from assistant.contracts.errors import AssistantError, AudioError
from assistant.contracts.stages import SAMPLE_RATE

_PCM_DTYPES = {1: np.uint8, 2: np.dtype("<i2"), 4: np.dtype("<i4")}


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased), float32 in and out."""
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    # Imported here: every turn runner imports this module (speech_stream), and scipy.signal
    # pulls in scipy.stats: 1.3 s of a typed start's imports on the 2-core machine (-X
    # importtime), for audio a text turn never resamples.
    from scipy.signal import resample_poly

    g = gcd(from_rate, to_rate)
    return resample_poly(samples, to_rate // g, from_rate // g).astype(np.float32)


def pcm_to_float(raw: bytes, sample_width: int, channels: int) -> np.ndarray:
    """Interleaved PCM bytes to mono float32 in [-1, 1] (channels averaged)."""
    if sample_width not in _PCM_DTYPES:
        raise ValueError(f"unsupported sample width {sample_width} bytes")
    usable = len(raw) - len(raw) % (sample_width * channels)  # a truncated last frame is dropped
    data = np.frombuffer(raw[:usable], dtype=_PCM_DTYPES[sample_width]).astype(np.float32)
    if sample_width == 1:
        data = (data - 128.0) / 128.0
    else:
        data /= float(2 ** (8 * sample_width - 1))
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data


def check_samples(
    audio: object, error: type[AssistantError] = AudioError, max_peak: float | None = None
) -> np.ndarray:
    """``audio`` as a 1-D float32 array clipped to [-1, 1], or ``error`` naming what is wrong.

    A column or row vector (``(n, 1)`` from a sound card, ``(1, n)`` from a batch) is flattened;
    other shapes, integer samples and NaN or infinite samples are refused. With ``max_peak``, a
    sample beyond it is refused too: a little overshoot is clipping, far beyond 1 the wrong scale.
    Clipped input stays clipped, never wraps around.
    """
    if not isinstance(audio, np.ndarray):
        raise error(f"audio must be a numpy array, got {type(audio).__name__}")
    if audio.ndim == 2 and 1 in audio.shape:
        audio = audio.reshape(-1)
    if audio.ndim != 1:
        raise error(f"audio must be mono (1-D), got shape {audio.shape}")
    if not np.issubdtype(audio.dtype, np.floating):
        raise error(f"audio must be float32 in [-1, 1], got {audio.dtype} (divide int16 samples by 32768)")
    audio = audio.astype(np.float32, copy=False)
    if not np.all(np.isfinite(audio)):
        raise error("audio contains NaN or infinite samples")
    if max_peak is not None:
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > max_peak:
            raise error(f"audio samples reach {peak:.0f}; expected float32 in [-1, 1]")
    return np.clip(audio, -1.0, 1.0)


def read_wav(path: str | os.PathLike[str], rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 audio at ``rate`` from a PCM WAV file of any rate and channel count."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, file_rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioError(f"{path}: cannot read WAV ({exc})") from None
    try:
        samples = pcm_to_float(raw, width, channels)
    except ValueError as exc:
        raise AudioError(f"{path}: {exc}") from None
    if file_rate <= 0:
        raise AudioError(f"{path}: invalid sample rate {file_rate}")
    return resample(samples, file_rate, rate)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples as little-endian int16, clipped to [-1, 1] first."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """16-bit mono PCM; written to a temporary name first so a crash leaves no half file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(samples).tobytes())
    tmp.replace(path)
    return path
