"""A real sound stack with no sound card, for tests and the latency bench.

``VirtualAudio`` starts a private PulseAudio server (its own runtime folder, so it never meets
another one on the machine) with two null sinks: ``speaker`` (the default output; its monitor
is what the assistant "said") and ``micsink``, whose monitor is remapped into the source ``mic``
(the default input). ``paplay`` into ``micsink`` is someone talking to the assistant.
PortAudio reaches the server through the ALSA ``pulse`` plugin, driven by ``PULSE_SERVER``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.voice.wavfile import read_wav, write_wav

TOOLS = ("pulseaudio", "pactl", "paplay", "parec", "espeak-ng")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def espeak_wav(text: str, path: Path, words_per_minute: int = 150) -> Path:
    """Speech from ``espeak-ng -w`` (22050 Hz mono WAV)."""
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-w", str(path), text], check=True)
    return path


class VirtualAudio:
    """Use as a context manager; sets ``PULSE_SERVER`` for this process while it runs."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="assistant-pulse-"))
        self.socket = self.root / "native"
        self.server = f"unix:{self.socket}"
        self._daemon: subprocess.Popen | None = None
        self._saved_env: dict[str, str | None] = {}
        self._recorders: list[subprocess.Popen] = []

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PULSE_SERVER=self.server,
            PULSE_RUNTIME_PATH=str(self.root),
            XDG_RUNTIME_DIR=str(self.root),
            HOME=str(self.root),  # keeps the cookie and state files out of the real home
        )
        return env

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self._env(), capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def start(self) -> VirtualAudio:
        # -n: none of the system's default.pa (no auto-detected devices); running as root needs
        # no --system here because the server is private to this runtime folder.
        self._daemon = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--log-target=stderr",
                "--log-level=error",
                "-L",
                f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
                "-L",
                "module-null-sink sink_name=speaker rate=22050 channels=1",
                "-L",
                "module-null-sink sink_name=micsink rate=16000 channels=1",
                "-L",
                "module-remap-source source_name=mic master=micsink.monitor",
            ],
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._daemon.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {self._daemon.stderr.read().decode()[-500:]}")
            try:
                self.pactl("info")
                break
            except RuntimeError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("pulseaudio did not start within 10 s")
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", "mic")
        for key, value in self._env().items():
            if key.startswith(("PULSE_", "XDG_RUNTIME")):
                self._saved_env[key] = os.environ.get(key)
                os.environ[key] = value
        return self

    def stop(self) -> None:
        for rec in self._recorders:
            if rec.poll() is None:
                rec.kill()
                rec.wait()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self._daemon is not None and self._daemon.poll() is None:
            self._daemon.send_signal(signal.SIGTERM)
            try:
                self._daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._daemon.kill()
                self._daemon.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtualAudio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- talking to the assistant and hearing it ------------------------------------------
    def say_into_mic(self, wav: Path, wait: bool = False, lead_silence_s: float = 0.0) -> subprocess.Popen:
        """Play ``wav`` into the virtual microphone (in the background unless ``wait``)."""
        if lead_silence_s:
            padded = self.root / f"padded-{wav.name}"
            audio = read_wav(wav)
            write_wav(padded, np.concatenate([np.zeros(int(16000 * lead_silence_s), np.float32), audio]))
            wav = padded
        proc = subprocess.Popen(["paplay", "--device=micsink", str(wav)], env=self._env())
        if wait:
            proc.wait(timeout=60)
        return proc

    def record_speaker(self, device: str = "speaker.monitor") -> SpeakerRecording:
        """Start capturing what the assistant plays (the speaker sink's monitor), or another
        PulseAudio source (``micsink.monitor``: what is said into the microphone)."""
        path = self.root / f"{device}-{len(self._recorders)}.raw"
        proc = subprocess.Popen(
            [
                "parec",
                f"--device={device}",
                "--rate=16000",
                "--channels=1",
                "--format=s16le",
                "--latency-msec=20",
                "--raw",
                str(path),
            ],
            env=self._env(),
        )
        self._recorders.append(proc)
        return SpeakerRecording(proc, path)


class SpeakerRecording:
    def __init__(self, proc: subprocess.Popen, path: Path) -> None:
        self.proc, self.path = proc, path

    def stop(self) -> np.ndarray:
        """Stop recording; the captured 16 kHz mono audio."""
        time.sleep(0.2)  # let the last buffer reach the file
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        raw = self.path.read_bytes() if self.path.exists() else b""
        raw = raw[: len(raw) - len(raw) % 2]
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
