"""Decoding audio for the player: ``soundfile`` (libsndfile: WAV, FLAC, Ogg Vorbis/Opus, MP3),
and an ``ffmpeg`` subprocess writing float32 PCM to a pipe for what libsndfile cannot read
(M4A/AAC) and for http(s) streams (with a read timeout, so a dead server ends the track)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Protocol

import numpy as np

BLOCK_FRAMES = 2048  # decode unit; ~46 ms at 44.1 kHz
FFMPEG_RATE, FFMPEG_CHANNELS = 44100, 2
DEFAULT_OPEN_TIMEOUT_S = 5.0  # a stream or decoder that sends nothing this long has failed


class PlaybackError(Exception):
    """A track could not be played; the message says why in words a user understands."""


class Decoder(Protocol):
    """An open audio source that yields float32 frames."""

    samplerate: int
    channels: int

    def read(self, frames: int) -> np.ndarray:
        """Up to ``frames`` frames as (n, channels) float32; empty at the end."""

    def close(self) -> None:
        """Release the source."""


class SoundFileDecoder:
    """libsndfile decoding of a local file, keeping at most the front two channels."""

    def __init__(self, path: Path) -> None:
        import soundfile as sf

        self._file = sf.SoundFile(str(path))
        self.samplerate = int(self._file.samplerate)
        self.channels = min(2, int(self._file.channels))

    def read(self, frames: int) -> np.ndarray:
        """Up to ``frames`` frames as (n, channels) float32; empty at the end."""
        block = self._file.read(frames, dtype="float32", always_2d=True)
        if block.shape[1] > 2:  # surround: keep the front pair
            block = block[:, :2]
        return np.ascontiguousarray(block)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class FfmpegDecoder:
    """``ffmpeg`` decoding a file or URL to 44.1 kHz stereo float32 on its stdout."""

    samplerate, channels = FFMPEG_RATE, FFMPEG_CHANNELS

    def __init__(self, location: str, timeout_s: float = DEFAULT_OPEN_TIMEOUT_S) -> None:
        if shutil.which("ffmpeg") is None:
            raise PlaybackError("ffmpeg is not installed (apt-get install ffmpeg)")
        network = location.startswith(("http://", "https://"))
        cmd = ["ffmpeg", "-nostdin", "-v", "error"]
        if network:  # microseconds: a server that stops answering ends the read
            cmd += ["-rw_timeout", str(int(timeout_s * 1e6))]
        cmd += [
            "-i",
            location,
            "-vn",
            "-f",
            "f32le",
            "-ac",
            str(self.channels),
            "-ar",
            str(self.samplerate),
            "-",
        ]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._pending = b""
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout_s)
        what = "the stream" if network else "the file"
        if not ready:
            self.close()
            raise PlaybackError(f"{what} sent no audio within {timeout_s:g} s")
        first = os.read(self._proc.stdout.fileno(), BLOCK_FRAMES * self.channels * 4)  # type: ignore[union-attr]
        if not first:
            error = self._proc.stderr.read().decode(errors="replace").strip().splitlines()  # type: ignore[union-attr]
            self.close()
            raise PlaybackError(f"{what} could not be decoded ({error[-1] if error else 'no audio'})")
        self._pending = first

    def read(self, frames: int) -> np.ndarray:
        """Up to ``frames`` frames from ffmpeg's output; empty at the end."""
        want = frames * self.channels * 4
        data = self._pending
        self._pending = b""
        while len(data) < want:
            chunk = self._proc.stdout.read(want - len(data))  # type: ignore[union-attr]
            if not chunk:
                break
            data += chunk
        data = data[: len(data) - len(data) % (self.channels * 4)]
        return np.frombuffer(data, dtype="<f4").reshape(-1, self.channels).copy()

    def close(self) -> None:
        """Stop ffmpeg and close its pipes."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()


def open_decoder(location: str, timeout_s: float = DEFAULT_OPEN_TIMEOUT_S) -> Decoder:
    """A decoder for a file or URL; ``PlaybackError`` naming the problem when there is none."""
    if location.startswith(("http://", "https://")):
        return FfmpegDecoder(location, timeout_s)
    path = Path(location)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PlaybackError(f"the file {path.name} cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise PlaybackError(f"the file {path.name} is empty")
    import soundfile as sf

    try:
        return SoundFileDecoder(path)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return FfmpegDecoder(str(path), timeout_s)  # M4A/AAC and anything else libsndfile refuses
