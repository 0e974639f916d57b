"""Spoken test and training audio from espeak-ng: one voice, one rate, 16 kHz float32 out.

Used by the spoken-understanding data build (``models.spoken_data``), the spoken half of
``python -m evaluation.speech`` and the wake-word / speaker bench. espeak-ng voices are
a language voice plus an optional variant (``en-gb-scotland+f2``): the variant changes pitch,
formants and breathiness, which is what makes them usable as different "people".
"""

from __future__ import annotations

import random
import shutil
import subprocess

import numpy as np

from assistant.contracts.errors import AudioError
from assistant.contracts.stages import SAMPLE_RATE
from assistant.voice.wavfile import pcm_to_float, resample

ESPEAK_RATE = 22050
WAV_HEADER_BYTES = 44  # espeak-ng --stdout writes a plain 44-byte RIFF header
# Six accents and eight variants: what the spoken sets are drawn from. British English is "en":
# espeak-ng 1.52 silently ignores a variant after the name "en-gb" (en-gb+f2 = en-gb+m3).
ACCENTS = ("en-us", "en", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us-nyc")
VARIANTS = ("", "+m1", "+m3", "+m7", "+f1", "+f2", "+f3", "+f4")
RATES = (140, 155, 170, 185)  # words per minute: slow and careful to quick


def espeak(text: str, voice: str = "en-us", words_per_minute: int = 160, pad_s: float = 0.3) -> np.ndarray:
    """``text`` spoken by espeak-ng as 16 kHz mono float32, with ``pad_s`` of silence each side."""
    if shutil.which("espeak-ng") is None:
        raise AudioError("espeak-ng is not installed; apt-get install espeak-ng")
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        capture_output=True,
        timeout=60,
    )
    if done.returncode != 0 or len(done.stdout) <= WAV_HEADER_BYTES:
        raise AudioError(
            f"espeak-ng failed for voice {voice!r}: {done.stderr.decode(errors='replace')[-200:]}"
        )
    audio = resample(pcm_to_float(done.stdout[WAV_HEADER_BYTES:], 2, 1), ESPEAK_RATE, SAMPLE_RATE)
    pad = np.zeros(int(pad_s * SAMPLE_RATE), np.float32)
    return np.concatenate([pad, audio, pad])


def pick_voice(rng: random.Random) -> tuple[str, int]:
    """A random (voice, rate) from the pools above."""
    return rng.choice(ACCENTS) + rng.choice(VARIANTS), rng.choice(RATES)
