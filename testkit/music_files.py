"""Real tagged audio files for the library and player tests and the benches.

Tones written by ``soundfile`` (WAV, FLAC, Ogg Vorbis) or ``sox`` (MP3 when its format handler
is installed), then tagged with ``mutagen`` exactly as a music tagger would.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 22050


def tone(seconds: float, freq: float = 440.0, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(path: Path, seconds: float = 2.0, freq: float = 440.0, rate: int = RATE) -> Path:
    """A tone in the format the suffix names (.wav, .flac, .ogg, .opus, .mp3, .m4a)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    samples = tone(seconds, freq, rate)
    if suffix in (".wav", ".flac", ".ogg"):
        subtype = {".ogg": "VORBIS", ".flac": "PCM_16", ".wav": "PCM_16"}[suffix]
        sf.write(str(path), samples, rate, subtype=subtype)
        return path
    wav = path.with_suffix(".src.wav")
    sf.write(str(wav), samples, rate, subtype="PCM_16")
    try:
        if shutil.which("ffmpeg"):
            codec = {".m4a": ["-c:a", "aac"], ".opus": ["-c:a", "libopus", "-ar", "48000"], ".mp3": []}[
                suffix
            ]
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *codec, str(path)]
        else:
            cmd = ["sox", str(wav), str(path)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    finally:
        wav.unlink(missing_ok=True)
    return path


def tag(path: Path, **tags: str) -> Path:
    """Write title/artist/album/genre/date/tracknumber tags the way taggers store them per format."""
    import mutagen
    from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK
    from mutagen.mp4 import MP4
    from mutagen.wave import WAVE

    suffix = path.suffix.lower()
    if suffix in (".mp3", ".wav"):
        frames = {
            "title": TIT2,
            "artist": TPE1,
            "album": TALB,
            "genre": TCON,
            "date": TDRC,
            "tracknumber": TRCK,
        }
        if suffix == ".wav":
            audio = WAVE(str(path))
            if audio.tags is None:
                audio.add_tags()
            target = audio.tags
        else:
            try:
                target = ID3(str(path))
            except mutagen.MutagenError:
                target = ID3()
        for key, value in tags.items():
            target.add(frames[key](encoding=3, text=[value]))
        if suffix == ".wav":
            audio.save()
        else:
            target.save(str(path))
        return path
    if suffix == ".m4a":
        audio = MP4(str(path))
        atoms = {
            "title": "\xa9nam",
            "artist": "\xa9ART",
            "album": "\xa9alb",
            "genre": "\xa9gen",
            "date": "\xa9day",
        }
        for key, value in tags.items():
            if key == "tracknumber":
                audio["trkn"] = [(int(value), 0)]
            else:
                audio[atoms[key]] = [value]
        audio.save()
        return path
    audio = mutagen.File(str(path))
    for key, value in tags.items():
        audio[key] = [value]
    audio.save()
    return path


def make_track(path: Path, seconds: float = 2.0, freq: float = 440.0, **tags: str) -> Path:
    write_audio(path, seconds, freq)
    return tag(path, **tags) if tags else path
