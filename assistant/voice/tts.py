"""Text to speech: the one factory for the configured voice, and the espeak-ng voice.

``load_tts(voice)`` is what everything that speaks uses (voice mode's replies and its filler,
enrolment prompts, ``assistant serve``): ``"joe"``, the default, is the Piper voice
(``assistant.voice.piper_tts``); ``"espeak"`` is espeak-ng, which is also what a missing Piper
voice or package falls back to, with one warning per process.

espeak-ng runs through pyttsx3's espeak driver (Debian ``espeak-ng``) in a worker process:
pyttsx3 can hang on repeated ``runAndWait`` and espeak initialises once per process, so the
synthesis runs in one long-lived worker process: each request writes a 22050 Hz WAV and the
parent reads it back as ``SpokenAudio``. A request that takes longer than ``timeout_s`` kills
the worker; the next request starts a fresh one.
"""

from __future__ import annotations

import atexit
import ctypes.util
import logging
import multiprocessing as mp
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from assistant.contracts.errors import TextToSpeechError
from assistant.contracts.stages import SpokenAudio, TextToSpeech
from assistant.voice.wavfile import read_wav

log = logging.getLogger(__name__)

ESPEAK_RATE = 22050  # espeak-ng's native output rate; pyttsx3 writes WAVs at it
MAX_TEXT_CHARS = 2000  # a spoken reply is a few sentences; anything longer is cut
INSTALL_HINT = "install it with: apt-get install espeak-ng"
DEFAULT_VOICE = "joe"  # Piper en_US-joe-medium; see assistant.voice.piper_tts
ESPEAK_VOICE = "espeak"
VOICES = (DEFAULT_VOICE, ESPEAK_VOICE)  # what ``[tts] voice`` may say
_warned: set[str] = set()  # fallbacks already reported by this process


def espeak_available() -> bool:
    """Whether the espeak-ng (or espeak) library is installed."""
    return any(ctypes.util.find_library(name) for name in ("espeak-ng", "espeak"))


def _worker_main(conn: Connection, rate_wpm: int | None, voice: str | None) -> None:
    """The worker loop: one ``(text, path)`` request in, one ``(status, detail)`` reply out."""
    import sys

    sys.stdout = open(os.devnull, "w")  # pyttsx3 prints "Audio saved to ..." for every file
    try:
        import pyttsx3

        engine = pyttsx3.init("espeak")
        if rate_wpm:
            engine.setProperty("rate", rate_wpm)
        if voice:
            engine.setProperty("voice", voice)
    except Exception as exc:  # reported to the parent, which raises TextToSpeechError
        conn.send(("error", f"cannot start espeak ({type(exc).__name__}: {exc}); {INSTALL_HINT}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the parent went away
            return
        if request is None:
            return
        text, path = request
        try:
            engine.save_to_file(text, path)
            engine.runAndWait()
            conn.send(("ok", None))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _NoAudioFileError(Exception):
    """The worker said it synthesised, but the WAV it wrote is missing or unreadable."""


class EspeakSpeech:
    """A ``TextToSpeech`` stage. ``rate_wpm``: speaking rate in words per minute."""

    name = ESPEAK_VOICE
    sample_rate = ESPEAK_RATE

    def __init__(
        self, timeout_s: float = 10.0, rate_wpm: int | None = None, voice: str | None = None
    ) -> None:
        if not espeak_available():
            raise TextToSpeechError(f"the espeak-ng speech library is not installed; {INSTALL_HINT}")
        self.timeout_s = timeout_s
        self._options = (rate_wpm, voice)
        self._ctx = mp.get_context("spawn")  # never fork a process that holds torch threads
        self._process: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._lock = threading.Lock()
        self._tmp = Path(tempfile.mkdtemp(prefix="assistant-tts-"))
        self._count = 0
        self.restarts = 0
        atexit.register(self.close)
        self._start()  # warm up now so the first answer is not slowed by the process start

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._process = self._ctx.Process(
            target=_worker_main, args=(child, *self._options), name="espeak-worker", daemon=True
        )
        self._process.start()
        child.close()
        self._conn, self._ready = parent, False

    def _stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=2)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def _receive(self, what: str) -> tuple[str, str | None]:
        assert self._conn is not None
        try:
            if not self._conn.poll(self.timeout_s):
                self._stop()
                self.restarts += 1
                raise TextToSpeechError(f"speech synthesis {what} took longer than {self.timeout_s:.0f} s")
            return self._conn.recv()
        except (EOFError, OSError):
            self._stop()
            self.restarts += 1
            raise TextToSpeechError(f"the speech worker stopped during {what}") from None

    def _ensure_ready(self) -> None:
        if self._process is None or not self._process.is_alive():
            self._stop()
            self._start()
        if not self._ready:
            status, detail = self._receive("start-up")
            if status != "ready":
                self._stop()
                raise TextToSpeechError(detail or "the speech worker failed to start")
            self._ready = True

    def synthesize(self, text: str) -> SpokenAudio:
        """``text`` spoken by espeak-ng (whitespace folded, at most ``MAX_TEXT_CHARS``)."""
        text = " ".join(str(text).split())[:MAX_TEXT_CHARS]
        if not text:
            raise TextToSpeechError("nothing to say: the text is empty")
        with self._lock:
            try:
                samples = self._synthesize_once(text)
            except _NoAudioFileError:
                # pyttsx3's espeak loop now and then returns from runAndWait at once, without
                # writing the file (seen once in a CI run: no file, 11 ms after the request);
                # a fresh worker gets past it.
                self._stop()
                self.restarts += 1
                try:
                    samples = self._synthesize_once(text)
                except _NoAudioFileError as exc:
                    raise TextToSpeechError(f"espeak wrote no usable audio ({exc.__cause__})") from exc
        if samples.size == 0:
            raise TextToSpeechError(f"espeak produced no audio for {text[:40]!r}")
        return SpokenAudio(samples=samples, sample_rate=ESPEAK_RATE)

    def _synthesize_once(self, text: str) -> np.ndarray:
        self._ensure_ready()
        self._count += 1
        path = self._tmp / f"reply-{self._count}.wav"
        assert self._conn is not None
        self._conn.send((text, str(path)))
        status, detail = self._receive("of the reply")
        if status != "ok":
            raise TextToSpeechError(f"espeak failed: {detail}")
        try:
            samples = read_wav(path, ESPEAK_RATE)
        except Exception as exc:
            raise _NoAudioFileError() from exc
        finally:
            path.unlink(missing_ok=True)
        if samples.size == 0:
            # The same hiccup as a missing file, seen in a full test run on a loaded machine: a
            # file with a header and no samples. A fresh worker gets past it too.
            raise _NoAudioFileError() from ValueError("the file holds no samples")
        return samples

    def close(self) -> None:
        """Stop the worker and remove temporary files (also run at interpreter exit)."""
        if self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(timeout=1)
            except (OSError, BrokenPipeError):
                pass
        self._stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> EspeakSpeech:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def voice_missing(voice: str) -> str | None:
    """Why ``voice`` cannot speak here, or None when it can (nothing is loaded)."""
    if voice == ESPEAK_VOICE:
        return (
            None if espeak_available() else f"the espeak-ng speech library is not installed; {INSTALL_HINT}"
        )
    from assistant.voice.piper_tts import piper_missing

    return piper_missing(voice)


def load_tts(voice: str = DEFAULT_VOICE, on_fallback: Callable[[str], None] | None = None) -> TextToSpeech:
    """The ``TextToSpeech`` stage for ``voice`` (``[tts] voice``).

    A Piper voice that cannot load (package or wheel missing, a damaged model) falls back to
    espeak-ng: the reason is logged, and passed to ``on_fallback``, once per process (a server
    loads its voices more than once). ``TextToSpeechError`` when espeak-ng is missing too.
    """
    if voice != ESPEAK_VOICE:
        try:
            from assistant.voice.piper_tts import PiperSpeech

            return PiperSpeech(voice)
        except TextToSpeechError as exc:
            message = f"the {voice!r} voice cannot speak ({exc}); espeak-ng speaks instead"
            if message not in _warned:
                _warned.add(message)
                log.warning("%s", message)
                if on_fallback is not None:
                    on_fallback(message)
    return EspeakSpeech()


def voice_name(tts: object) -> str | None:
    """Which of ``VOICES`` a stage from ``load_tts`` speaks with; None for another stage (a test's)."""
    name = getattr(tts, "name", None)
    return name if name in VOICES else None
