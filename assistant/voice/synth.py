"""Spoken test and training audio from espeak-ng or the Piper voice, 16 kHz float32 out.

Used by the spoken-understanding data build (``models.spoken_data``), the spoken half of
``python -m evaluation.speech`` and the wake-word / speaker bench. espeak-ng voices are
a language voice plus an optional variant (``en-gb-scotland+f2``): the variant changes pitch,
formants and breathiness, which is what makes them usable as different "people". Piper joe is
one voice; its speaking rate (``length_scale``) and take-to-take variation (``noise_scale``) are
what vary.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading

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


_PIPER_VOICE = {}
_PIPER_LOCK = threading.Lock()


def piper(text: str, length_scale: float = 1.0, noise_scale: float = 0.667, pad_s: float = 0.3) -> np.ndarray:
    """``text`` spoken by Piper joe as 16 kHz mono float32, with ``pad_s`` of silence each side.
    The defaults are the voice's own (its config file)."""
    from piper import PiperVoice, SynthesisConfig

    from assistant.voice.piper_tts import piper_missing, voice_files

    with _PIPER_LOCK:
        if "joe" not in _PIPER_VOICE:
            if why := piper_missing("joe"):
                raise AudioError(why)
            model, config = voice_files("joe")
            _PIPER_VOICE["joe"] = PiperVoice.load(model, config_path=config)
    settings = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale)
    chunks = list(_PIPER_VOICE["joe"].synthesize(text, syn_config=settings))
    if not chunks:
        raise AudioError(f"Piper made no audio for {text!r}")
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    pad = np.zeros(int(pad_s * SAMPLE_RATE), np.float32)
    return np.concatenate([pad, resample(audio, int(chunks[0].sample_rate), SAMPLE_RATE), pad])


def pick_voice(rng: random.Random) -> tuple[str, int]:
    """A random (voice, rate) from the pools above."""
    return rng.choice(ACCENTS) + rng.choice(VARIANTS), rng.choice(RATES)
