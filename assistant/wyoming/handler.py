"""One Wyoming connection: events in, answers out.

- ``describe`` -> ``info``; ``ping`` -> ``pong``;
- handle program: ``transcript`` -> ``handled`` with the reply, or ``not-handled`` with the
  polite reply when the request is out of scope (or failed);
- asr program: ``transcribe``, ``audio-start``, ``audio-chunk``..., ``audio-stop`` ->
  ``transcript``. When the speaker pauses, what has arrived is transcribed at once (a
  speculation); if no speech follows before ``audio-stop``, that transcript is the answer, so
  the wait after ``audio-stop`` is what is left of it, not a whole Whisper decode;
- tts program: ``synthesize`` (optionally naming one of the voices ``describe`` lists) ->
  ``audio-start``, ``audio-chunk``..., ``audio-stop``, sent sentence by sentence as the voice
  synthesises them (``assistant.wyoming.voices``);
- intent program: ``recognize`` -> ``intent`` with entities, or ``not-recognized``.

Events are handled one at a time per connection; the blocking work runs on the ``Workers``.
A broken stream (not JSON, a limit passed, idle too long, an unusable audio format) is answered
with an ``error`` event and the connection is closed; a malformed or unknown event is answered
with an ``error`` and the connection stays open. Nothing a client does reaches another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, Eventable
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize

from assistant.contracts.errors import SpeechToTextError, TextToSpeechError
from assistant.contracts.stages import MAX_INPUT_CHARS, OUT_OF_SCOPE, Parse
from assistant.contracts.stages import Transcript as SpeechTranscript
from assistant.pipeline.runner import Pipeline
from assistant.voice.wavfile import resample
from assistant.wyoming.audio import AudioBuffer, check_format
from assistant.wyoming.conversations import Conversations, conversation_key
from assistant.wyoming.limits import Limits, ProtocolError, read_event
from assistant.wyoming.profiles import ProfileResolver
from assistant.wyoming.voices import Voices, audio_chunks, audio_start, audio_stop, streamed
from assistant.wyoming.workers import BusyError, Workers

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Eventable)

# Wyoming events this server reads and drops: program selection (each program type has one
# program here), streaming text for synthesis (not advertised; Home Assistant then sends a
# plain ``synthesize``), and what satellites say in passing.
IGNORED_EVENTS = frozenset(
    {
        "select-program",
        "synthesize-start",
        "synthesize-chunk",
        "synthesize-stop",
        "pong",
        "run-satellite",
        "pause-satellite",
        "satellite-connected",
        "satellite-disconnected",
    }
)


@dataclass
class Backend:
    """What every connection of one server shares."""

    pipeline: Pipeline
    workers: Workers
    conversations: Conversations
    profiles: ProfileResolver
    limits: Limits
    info: Event
    asr: bool
    tts: bool
    speculate: bool = True  # start transcribing at a pause in the speech
    voices: Voices | None = None  # what ``synthesize`` speaks with (None: no text to speech)


class _ClientGone(Exception):
    """Writing to the client failed or timed out: stop serving this connection."""


def _parse(cls: type[E], event: Event) -> E:
    try:
        parsed = cls.from_event(event)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError("bad-event", f"malformed {event.type!r} event ({exc!r})", fatal=False) from None
    return parsed  # type: ignore[return-value]


def _text(value: object, event_type: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError("bad-event", f"{event_type!r}: 'text' must be a string", fatal=False)
    return value


def _context(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


class ConnectionHandler(AsyncEventHandler):
    """Serves one Wyoming client connection, one event at a time (see the module doc)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, backend: Backend, number: int
    ) -> None:
        super().__init__(reader, writer)
        self.backend = backend
        self.number = number
        self.limits = backend.limits
        self._audio: AudioBuffer | None = None
        # (voiced samples it covers, its transcription) for the speech up to the last pause
        self._speculation: tuple[int, Future[SpeechTranscript]] | None = None
        self._asr_context: dict[str, Any] | None = None
        self._own_conversation = False  # a turn without a conversation id used this connection's
        self._dispatch: dict[str, Callable[[Event], Awaitable[bool]]] = {
            "describe": self._on_describe,
            "ping": self._on_ping,
            "transcript": self._on_transcript,
            "recognize": self._on_recognize,
            "transcribe": self._on_transcribe,
            "audio-start": self._on_audio_start,
            "audio-chunk": self._on_audio_chunk,
            "audio-stop": self._on_audio_stop,
            "synthesize": self._on_synthesize,
        }

    # --- the connection ------------------------------------------------------------------
    async def run(self) -> None:
        """Read and handle events until the client leaves, breaks a limit, or the server stops."""
        self._is_running = True
        try:
            while self._is_running:
                try:
                    event = await asyncio.wait_for(
                        read_event(self.reader, self.limits), timeout=self.limits.idle_timeout_s
                    )
                except TimeoutError:
                    await self._error("idle-timeout", f"no event for {self.limits.idle_timeout_s:g} s")
                    break
                except ProtocolError as exc:
                    await self._error(exc.code, exc.text)
                    break
                if event is None or not await self.handle_event(event):
                    break
        except (_ClientGone, ConnectionError, OSError):
            pass
        finally:
            await self.disconnect()
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; False closes the connection."""
        try:
            handler = self._dispatch.get(event.type)
            if handler is not None:
                return await handler(event)
            if event.type not in IGNORED_EVENTS:
                await self._error("unknown-event", f"unknown event type {event.type[:100]!r}")
            return True
        except ProtocolError as exc:
            await self._error(exc.code, exc.text)
            return not exc.fatal
        except BusyError as exc:
            await self._error("busy", f"{exc}; try again shortly")
            return False
        except _ClientGone:
            return False
        except Exception as exc:  # a bug costs this request, never the server
            log.exception("wyoming connection %d: %s event failed", self.number, event.type)
            await self._error("internal", f"internal error ({type(exc).__name__})")
            return False

    async def disconnect(self) -> None:
        """End this connection's own conversation, after any turn still running for it."""
        self._audio = None
        self._drop_speculation()
        if self._own_conversation:
            self._own_conversation = False
            try:
                self.backend.workers.submit(
                    "dialogue", self.backend.conversations.end_connection, self.number, bounded=False
                )
            except RuntimeError:  # the workers already stopped: shutdown ended every session
                pass

    async def _send(self, event: Event) -> None:
        try:
            await asyncio.wait_for(self.write_event(event), timeout=self.limits.write_timeout_s)
        except (TimeoutError, ConnectionError, OSError, RuntimeError) as exc:
            raise _ClientGone() from exc

    async def _error(self, code: str, text: str) -> None:
        log.info("wyoming connection %d: %s: %s", self.number, code, text)
        try:
            await self._send(Error(text=text, code=code).event())
        except _ClientGone:
            pass

    # --- describe, ping --------------------------------------------------------------------
    async def _on_describe(self, event: Event) -> bool:
        _parse(Describe, event)
        await self._send(self.backend.info)
        return True

    async def _on_ping(self, event: Event) -> bool:
        await self._send(Pong(text=_parse(Ping, event).text).event())
        return True

    # --- handle: a conversation turn -------------------------------------------------------
    async def _on_transcript(self, event: Event) -> bool:
        request = _parse(Transcript, event)
        text = _text(request.text, event.type)
        context = _context(request.context)
        key = conversation_key(self.number, context)
        user = self.backend.profiles.user_for(context)
        if key[0] == "connection":
            self._own_conversation = True
        result = await self.backend.workers.run("dialogue", self.backend.conversations.turn, key, user, text)
        intent = result.intent or (result.parse.intent if result.parse else OUT_OF_SCOPE)
        if intent == OUT_OF_SCOPE or result.error is not None:
            await self._send(NotHandled(text=result.response, context=context).event())
        else:
            await self._send(Handled(text=result.response, context=context).event())
        return True

    # --- intent: recognition only -----------------------------------------------------------
    async def _on_recognize(self, event: Event) -> bool:
        request = _parse(Recognize, event)
        text = _text(request.text, event.type)
        context = _context(request.context)
        parse, polite = await self.backend.workers.run("dialogue", self._recognize, text)
        if parse.intent == OUT_OF_SCOPE:
            await self._send(NotRecognized(text=polite, context=context).event())
        else:
            entities = [Entity(name=k, value=v) for k, v in parse.slots.items()]
            await self._send(Intent(name=parse.intent, entities=entities, context=context).event())
        return True

    def _recognize(self, text: str) -> tuple[Parse, str]:  # on the dialogue worker
        pipeline = self.backend.pipeline
        parse = pipeline.nlu.parse(text[:MAX_INPUT_CHARS]) if text.strip() else Parse(OUT_OF_SCOPE, 0.0)
        polite = pipeline.nlg.render_outcome(OUT_OF_SCOPE, {}, random.Random(0))
        return parse, polite

    # --- asr: audio in, transcript out ------------------------------------------------------
    def _require_asr(self) -> None:
        if not self.backend.asr:
            raise ProtocolError("unsupported", "speech to text is not enabled on this server")

    async def _on_transcribe(self, event: Event) -> bool:
        self._require_asr()
        request = _parse(Transcribe, event)
        self._asr_context = _context(request.context)
        self._audio = None
        self._drop_speculation()
        return True

    async def _on_audio_start(self, event: Event) -> bool:
        self._require_asr()
        start = _parse(AudioStart, event)
        rate, _, _ = check_format(start.rate, start.width, start.channels)
        self._audio = AudioBuffer(self.limits.max_audio_s, rate)
        self._drop_speculation()
        return True

    async def _on_audio_chunk(self, event: Event) -> bool:
        self._require_asr()
        _parse(AudioChunk, event)
        if self._audio is None:  # no audio-start: the chunk's own format starts the request
            self._audio = AudioBuffer(self.limits.max_audio_s)
        self._audio.add(event.data, event.payload)
        self._speculate(self._audio)
        return True

    def _speculate(self, audio: AudioBuffer) -> None:
        """At a new pause in the speech, start transcribing the audio so far."""
        voiced = audio.pause() if self.backend.speculate else None
        if voiced is None or (self._speculation is not None and self._speculation[0] == voiced):
            return
        self._drop_speculation()
        try:
            future = self.backend.workers.submit("stt", self._transcribe, audio.snapshot())
        except BusyError:  # the workers are full: transcribe at audio-stop as usual
            return
        self._speculation = (voiced, future)

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation[1].cancel()  # only stops one that has not started
            self._speculation = None

    async def _on_audio_stop(self, event: Event) -> bool:
        self._require_asr()
        _parse(AudioStop, event)
        audio, self._audio = self._audio, None
        if audio is None:
            raise ProtocolError("bad-event", "audio-stop without audio", fatal=False)
        context, self._asr_context = self._asr_context, None
        speculation, self._speculation = self._speculation, None
        result: SpeechTranscript | None = None
        if (
            speculation is not None
            and speculation[0] == audio.voiced_samples
            and not speculation[1].cancelled()
        ):
            try:  # no speech since the pause: the speculation heard all of it
                result = await asyncio.shield(asyncio.wrap_future(speculation[1]))
            except Exception:
                log.exception("wyoming connection %d: speculative transcription failed", self.number)
        elif speculation is not None:
            speculation[1].cancel()
        if result is None:
            result = await self.backend.workers.run("stt", self._transcribe, audio.snapshot())
        await self._send(Transcript(text=result.text, language="en", context=context).event())
        return True

    def _transcribe(self, samples: Callable[[], np.ndarray]) -> SpeechTranscript:  # on the stt worker
        stt = self.backend.pipeline.stt
        assert stt is not None
        try:
            return stt.transcribe(samples())
        except SpeechToTextError as exc:  # silence, noise: nothing was said
            log.info("wyoming connection %d: %s", self.number, exc)
            return SpeechTranscript(text="")

    # --- tts: text in, audio out ------------------------------------------------------------
    async def _on_synthesize(self, event: Event) -> bool:
        voices = self.backend.voices
        if not self.backend.tts or voices is None:
            raise ProtocolError("unsupported", "text to speech is not enabled on this server")
        request = _parse(Synthesize, event)
        text = _text(request.text, event.type)
        name = request.voice.name if request.voice is not None else None
        if name and name not in voices.names:
            offered = ", ".join(voices.names)
            raise ProtocolError("unknown-voice", f"no voice {name!r} here (voices: {offered})", fatal=False)
        if not text.strip():
            await self._send(AudioStart(rate=16000, width=2, channels=1, timestamp=0).event())
            await self._send(AudioStop(timestamp=0).event())
            return True
        rate, sent = 0, 0
        submit = partial(self.backend.workers.submit, "tts")
        try:
            async with contextlib.aclosing(streamed(submit, voices, name, text)) as pieces:
                async for piece in pieces:  # each sentence goes out as soon as it is synthesised
                    samples = np.asarray(piece.samples, np.float32)
                    if not rate:
                        rate = int(piece.sample_rate)
                        await self._send(audio_start(rate))
                    elif piece.sample_rate != rate:
                        samples = resample(samples, piece.sample_rate, rate)
                    for chunk in audio_chunks(samples, rate, sent):
                        await self._send(chunk)
                    sent += len(samples)
        except (TextToSpeechError, KeyError) as exc:
            raise ProtocolError("tts-failed", f"speech synthesis failed: {exc}") from None
        if not rate:
            raise ProtocolError("tts-failed", "speech synthesis produced no audio")
        await self._send(audio_stop(rate, sent))
        return True
