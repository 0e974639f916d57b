"""The spoken test set in several voice families, clean and with room noise or music mixed in.

The same requests (the spoken held-out set's texts, ``evaluation.spoken``) are spoken by each
synthetic family, each request by one "speaker" of the family drawn with a pinned seed:

- ``espeak-ng``: the set's own recipe (accent + variant, words per minute), as before. It is
  what tiny.en-requests was fine-tuned on, so it tells nothing about new voices.
- ``piper``: the ``joe`` voice (``assistant.voice.piper_tts``) at three speaking rates
  (``length_scale``) and two noise scales (how much its neural voice varies from take to take).
- ``festival``: Debian's Festival with three voices (``festvox-us-slt-hts``, an HTS female US
  voice; ``festvox-kallpc16k`` and ``festvox-kdlpc16k``, male US diphone voices) at two speeds.
  **The held-out family** (``HELD_OUT``): nothing in the project is trained or tuned on it.

A second condition mixes a noise bed into the same audio: room noise (pink noise, a mains hum
and a few clatters) at 15 dB SNR or music (chords, a bass line and a beat) at 10 dB SNR, every
other utterance, all of it generated from pinned seeds, so every run and every model hears the
same samples. The human recordings (``pocketsphinx-testdata``) get the same two conditions.

Synthesised audio is cached under ``build/cache/spoken-voices`` (gitignored): a rerun only
transcribes.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.contracts.stages import SAMPLE_RATE
from assistant.nlu.data import REPO_ROOT
from assistant.voice.synth import espeak, piper
from assistant.voice.wavfile import read_wav

CACHE = REPO_ROOT / "build" / "cache" / "spoken-voices"
HELD_OUT = "festival"  # the family nothing is trained or tuned on
FAMILIES = ("espeak-ng", "piper", "festival")
CONDITIONS = ("clean", "noisy")
SEED = 30  # which speaker of a family says which request

# Piper joe's own defaults are length_scale 1.0, noise_scale 0.667 (its config file).
PIPER_LENGTH_SCALES = (0.85, 1.0, 1.2)  # quick, as shipped, slow
PIPER_NOISE_SCALES = (0.4, 0.8)  # steadier and more varied than shipped
FESTIVAL_VOICES = ("cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone")
FESTIVAL_STRETCH = (0.9, 1.15)  # Duration_Stretch: a little quicker and slower than the voice's own
ROOM_SNR_DB = 15.0
MUSIC_SNR_DB = 10.0
PAD_S = 0.3  # silence each side, as espeak() pads


class VoiceUnavailable(RuntimeError):
    """A family's synthesiser is not installed here."""


@dataclass(frozen=True)
class Speaker:
    """One voice of a family with its settings; ``key`` names it in the cache and the report."""

    family: str
    key: str
    speak: Callable[[str], np.ndarray]


def _pad(audio: np.ndarray) -> np.ndarray:
    pad = np.zeros(int(PAD_S * SAMPLE_RATE), np.float32)
    return np.concatenate([pad, audio.astype(np.float32), pad])


def _festival(voice: str, stretch: float) -> Callable[[str], np.ndarray]:
    def speak(text: str) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in.txt", Path(tmp) / "out.wav"
            src.write_text(text + "\n", encoding="utf-8")
            done = subprocess.run(
                [
                    "text2wave",
                    "-eval",
                    f"(voice_{voice})",
                    "-eval",
                    f"(Parameter.set 'Duration_Stretch {stretch})",
                    str(src),
                    "-o",
                    str(out),
                ],
                capture_output=True,
                timeout=120,
            )
            if done.returncode != 0 or not out.is_file():
                raise VoiceUnavailable(f"festival {voice}: {done.stderr.decode(errors='replace')[-200:]}")
            return _pad(read_wav(out))  # read_wav resamples to 16 kHz (slt is 32 kHz)

    return speak


def _piper(length_scale: float, noise_scale: float) -> Callable[[str], np.ndarray]:
    def speak(text: str) -> np.ndarray:
        return piper(text, length_scale, noise_scale, pad_s=PAD_S)

    return speak


def speakers(family: str) -> list[Speaker]:
    """Every speaker of ``family``; ``VoiceUnavailable`` when its synthesiser is missing."""
    if family == "piper":
        from assistant.voice.piper_tts import piper_missing

        if why := piper_missing("joe"):
            raise VoiceUnavailable(why)
        return [
            Speaker(family, f"joe@length{ls}/noise{ns}", _piper(ls, ns))
            for ls in PIPER_LENGTH_SCALES
            for ns in PIPER_NOISE_SCALES
        ]
    if family == "festival":
        if shutil.which("text2wave") is None:
            raise VoiceUnavailable(
                "festival is not installed (apt-get install festival festvox-us-slt-hts ...)"
            )
        found = [v for v in FESTIVAL_VOICES if any(Path("/usr/share/festival/voices").glob(f"*/{v}"))]
        if not found:
            raise VoiceUnavailable("no Festival voice installed (festvox-us-slt-hts, festvox-kallpc16k, ...)")
        return [Speaker(family, f"{v}@stretch{s}", _festival(v, s)) for v in found for s in FESTIVAL_STRETCH]
    raise ValueError(f"unknown voice family {family!r}")


def cached(
    family: str, key: str, text: str, make: Callable[[], np.ndarray], cache: Path = CACHE
) -> np.ndarray:
    """``make()``'s audio, kept as a .npy file named by family, speaker and text."""
    digest = hashlib.sha256(f"{family}\n{key}\n{text}".encode()).hexdigest()[:24]
    path = cache / family / f"{digest}.npy"
    if path.is_file():
        return np.load(path)
    audio = make().astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, audio)
    tmp.replace(path)
    return audio


def family_audio(family: str, requests: list) -> tuple[list[np.ndarray], list[str]]:
    """Each request spoken by ``family`` (clean), and which speaker said it."""
    if family == "espeak-ng":
        return (
            [
                cached(family, f"{r.voice}@{r.rate}", r.text, lambda r=r: espeak(r.text, r.voice, r.rate))
                for r in requests
            ],
            [f"{r.voice}@{r.rate}" for r in requests],
        )
    pool = speakers(family)
    rng = random.Random(f"{SEED}:{family}")
    chosen = [rng.choice(pool) for _ in requests]
    audio = [
        cached(family, s.key, r.text, lambda s=s, r=r: s.speak(r.text))
        for s, r in zip(chosen, requests, strict=True)
    ]
    return audio, [s.key for s in chosen]


# --- noise beds ----------------------------------------------------------------------------------


def room_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (a fan, a road outside), a 50 Hz hum with harmonics and a few clatters."""
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])  # 1/f power
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n)
    pink /= np.std(pink) + 1e-9
    t = np.arange(n) / SAMPLE_RATE
    hum = sum(0.3 / k * np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.28)) for k in (1, 2, 3))
    clatter = np.zeros(n)
    for _ in range(max(1, n // SAMPLE_RATE)):  # about one a second: cutlery, a door, a step
        at, length = rng.integers(0, n), int(0.08 * SAMPLE_RATE)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (0.015 * SAMPLE_RATE)) * 2.5
        end = min(n, at + length)
        clatter[at:end] += burst[: end - at]
    return (pink + hum + clatter).astype(np.float32)


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """A pop-like loop: triads of harmonic tones, a bass line, a kick and hi-hat, at 100-130 bpm."""
    t = np.arange(n) / SAMPLE_RATE
    beat = 60 / rng.uniform(100, 130)
    out = np.zeros(n)
    roots = [57, 53, 48, 55]  # A F C G: a four-chord song
    rng.shuffle(roots)
    bar = 4 * beat
    for i, root in enumerate(roots * (int(n / SAMPLE_RATE / bar / 4) + 1)):
        start, end = int(i * bar * SAMPLE_RATE), int((i + 1) * bar * SAMPLE_RATE)
        if start >= n:
            break
        seg = t[start : min(end, n)] - t[start]
        for note in (root, root + 4 if i % 2 else root + 3, root + 7, root - 12):
            f = 440 * 2 ** ((note - 69) / 12)
            tone = sum(0.5**h * np.sin(2 * np.pi * f * (h + 1) * seg) for h in range(4))
            out[start : start + len(seg)] += 0.25 * tone * (0.6 + 0.4 * np.exp(-seg / 1.5))
    for k in range(int(n / SAMPLE_RATE / beat) + 1):
        at = int(k * beat * SAMPLE_RATE)
        if at >= n:
            break
        m = min(n - at, int(0.15 * SAMPLE_RATE))
        s = np.arange(m) / SAMPLE_RATE
        out[at : at + m] += 1.2 * np.sin(2 * np.pi * 60 * s) * np.exp(-s / 0.04)  # kick
        h = min(n - at, int(0.05 * SAMPLE_RATE))
        off = at + int(beat * SAMPLE_RATE / 2)
        if off + h <= n:
            out[off : off + h] += 0.3 * rng.standard_normal(h) * np.exp(-np.arange(h) / 200)  # hi-hat
    return out.astype(np.float32)


def mix(speech: np.ndarray, index: int, family: str) -> tuple[np.ndarray, str]:
    """``speech`` with room noise (even ``index``) or music (odd) at its SNR; the bed is drawn
    from a seed of family and index, so it is the same for every model and every run."""
    seed = int.from_bytes(hashlib.sha256(f"{SEED}:{family}:{index}".encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    kind, snr = ("room", ROOM_SNR_DB) if index % 2 == 0 else ("music", MUSIC_SNR_DB)
    bed = (room_noise if kind == "room" else music)(len(speech), rng)
    voiced = speech[np.abs(speech) > 0.02 * np.max(np.abs(speech))]  # speech power, not the padding
    p_speech = float(np.mean(voiced.astype(np.float64) ** 2)) if len(voiced) else 1e-6
    p_bed = float(np.mean(bed.astype(np.float64) ** 2)) or 1e-12
    bed = bed * np.sqrt(p_speech / (p_bed * 10 ** (snr / 10)))
    mixed = speech + bed
    peak = float(np.max(np.abs(mixed)))
    if peak > 0.99:
        mixed = mixed * (0.99 / peak)
    return mixed.astype(np.float32), kind
