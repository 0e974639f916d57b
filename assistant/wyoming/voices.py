"""The voices ``assistant serve`` offers Home Assistant, and how a ``synthesize`` is spoken.

Home Assistant reads only the first text-to-speech program a Wyoming server lists, and offers
the voices inside it, so both voices are one program here: the configured one (the pipeline's
own stage) first, then every other voice that can speak on this machine (``[tts] voice``'s
choices, ``assistant.voice.tts.VOICES``), each loaded the first time a request names it.

A ``synthesize`` goes out as it is synthesised: ``audio-start`` once the first sentence is
ready, that sentence's ``audio-chunk`` events, the next sentence's, and ``audio-stop``. A
voice that cannot stream (espeak-ng) sends its whole reply in chunks the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import Attribution, TtsProgram, TtsVoice

from assistant.contracts.stages import SpokenAudio, TextToSpeech
from assistant.voice.wavfile import to_int16

OUT_WIDTH = 2  # what the synthesised reply is sent as: 16-bit mono
SAMPLES_PER_CHUNK = 2048  # about 0.1 s at the voices' 22050 Hz
PROGRAM = "offline-assistant-tts"
LANGUAGES = ["en"]
PIPER = Attribution(name="Piper (Open Home Foundation)", url="https://github.com/OHF-Voice/piper1-gpl")
ESPEAK = Attribution(name="eSpeak NG", url="https://github.com/espeak-ng/espeak-ng")
_END = object()


def default_loaders() -> dict[str, Callable[[], TextToSpeech]]:
    """A loader for every voice that can speak here (``assistant.voice.tts``)."""
    from assistant.voice.tts import VOICES, load_tts, voice_missing

    return {name: (lambda name=name: load_tts(name)) for name in VOICES if voice_missing(name) is None}


def describe(name: str) -> tuple[Attribution, str]:
    """Who made voice ``name`` and how ``describe`` words it."""
    from assistant.voice.piper_tts import PIPER_VOICES

    if name in PIPER_VOICES:
        return PIPER, PIPER_VOICES[name].description
    if name == "espeak":
        return ESPEAK, "eSpeak NG, English (robotic, small)"
    return Attribution(name="offline-assistant", url=""), name


class Voices:
    """The voices one server speaks with: ``default`` (the pipeline's stage, under its name)
    and the others by name, each loaded on its first request (on the tts worker)."""

    def __init__(
        self,
        default: TextToSpeech,
        loaders: Mapping[str, Callable[[], TextToSpeech]] | None = None,
    ) -> None:
        from assistant.voice.tts import voice_name

        self.default_name = voice_name(default) or str(getattr(default, "name", "default"))
        loaders = default_loaders() if loaders is None else loaders
        self.names = [self.default_name, *(n for n in loaders if n != self.default_name)]
        self._loaders = dict(loaders)
        self._loaded: dict[str, TextToSpeech] = {self.default_name: default}
        self._lock = threading.Lock()

    def get(self, name: str | None) -> TextToSpeech:
        """Voice ``name`` (None: the default), loaded when first asked for; ``KeyError`` for a
        name this server does not offer."""
        with self._lock:
            if not name:
                return self._loaded[self.default_name]
            if name not in self._loaded:
                self._loaded[name] = self._loaders[name]()
            return self._loaded[name]

    def program(self, version: str | None) -> TtsProgram:
        """The one text-to-speech program of ``describe``, the default voice first."""
        voices = []
        for name in self.names:
            attribution, description = describe(name)
            voices.append(
                TtsVoice(
                    name=name,
                    attribution=attribution,
                    installed=True,
                    description=description,
                    version=None,
                    languages=LANGUAGES,
                )
            )
        first = voices[0].attribution
        return TtsProgram(
            name=PROGRAM,
            attribution=first,
            installed=True,
            description=f"Offline voices: {', '.join(self.names)}",
            version=version,
            voices=voices,
        )

    def close(self) -> None:
        """Stop every voice loaded here but the default (the pipeline closes its own)."""
        for name, tts in self._loaded.items():
            close = getattr(tts, "close", None)
            if name != self.default_name and callable(close):
                close()


def pieces(tts: TextToSpeech, text: str) -> Iterator[SpokenAudio]:
    """``text`` spoken by ``tts`` a piece at a time when it can stream, else in one piece."""
    stream = getattr(tts, "stream", None)
    if callable(stream):
        yield from stream(text)
    else:
        yield tts.synthesize(text)


async def streamed(
    submit: Callable[[Callable[[], None]], object], voices: Voices, name: str | None, text: str
) -> AsyncIterator[SpokenAudio]:
    """The pieces of ``text`` in voice ``name``, synthesised by the job ``submit`` queues (the tts
    worker) and yielded here as each is ready. Leaving the loop early (the client went away)
    stops the synthesis after the piece in progress; a failure is raised here."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def job() -> None:  # on the tts worker
        try:
            for piece in pieces(voices.get(name), text):
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(ready.put_nowait, piece)
        except BaseException as exc:  # raised again on the event loop
            loop.call_soon_threadsafe(ready.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(ready.put_nowait, _END)

    submit(job)
    try:
        while (item := await ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, SpokenAudio)
            yield item
    finally:
        stop.set()


def audio_start(rate: int) -> Event:
    """``audio-start`` for a reply at ``rate``."""
    return AudioStart(rate=rate, width=OUT_WIDTH, channels=1, timestamp=0).event()


def audio_chunks(samples: np.ndarray, rate: int, offset: int) -> Iterator[Event]:
    """``samples`` as 16-bit mono ``audio-chunk`` events; ``offset``: samples sent before them."""
    pcm = to_int16(np.asarray(samples, dtype=np.float32).reshape(-1)).tobytes()
    step = SAMPLES_PER_CHUNK * OUT_WIDTH
    for start in range(0, len(pcm), step):
        timestamp = (offset + start // OUT_WIDTH) * 1000 // rate
        yield AudioChunk(
            rate=rate, width=OUT_WIDTH, channels=1, audio=pcm[start : start + step], timestamp=timestamp
        ).event()


def audio_stop(rate: int, samples: int) -> Event:
    """``audio-stop`` after ``samples`` samples at ``rate``."""
    return AudioStop(timestamp=samples * 1000 // rate).event()
