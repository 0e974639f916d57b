"""The Wyoming server: ``assistant serve`` lets Home Assistant use the assistant.

It advertises up to four programs in its ``info``: a conversation agent (handle), speech to
text with the product's Whisper (asr), text to speech with the Piper voice and espeak-ng (tts;
``voices``) and, on request, intent recognition (intent). One asyncio loop reads every
connection; the pipeline, Whisper and the voices run on bounded worker threads (``workers``),
so a slow transcription never stalls another client's event.

Wyoming has no authentication: anyone who can reach the port can talk to the assistant as
any configured user. The default address is loopback; binding to a network is an explicit
``--uri tcp://0.0.0.0:10700``, for trusted networks only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import sys
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlparse

from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
)

from assistant.contracts.stages import TextToSpeech
from assistant.pipeline.runner import Pipeline
from assistant.wyoming import DEFAULT_URI
from assistant.wyoming.conversations import CONVERSATION_IDLE_S, Conversations
from assistant.wyoming.handler import Backend, ConnectionHandler
from assistant.wyoming.limits import Limits
from assistant.wyoming.profiles import ProfileResolver, SpeakerIdentifier
from assistant.wyoming.voices import Voices
from assistant.wyoming.workers import Workers

log = logging.getLogger(__name__)

STOP_GRACE_S = 10.0  # on shutdown, how long running requests get to finish
# Retention between restarts: a server runs for weeks, and start-up alone would let a month's
# recordings and turns pile up past retention_days. Four times a day keeps each pass short.
HOUSEKEEPING_S = 6 * 3600.0
LANGUAGES = ["en"]  # the NLU, the Whisper models and the voice are English
PROJECT = "offline-assistant"


def parse_uri(uri: str) -> tuple[str, str, int | None]:
    """``(scheme, host or socket path, port)`` for ``tcp://HOST:PORT`` or ``unix://PATH``."""
    parsed = urlparse(uri)
    if parsed.scheme == "tcp":
        try:
            port = parsed.port
        except ValueError:
            port = None
        if not parsed.hostname or port is None:
            raise ValueError(f"{uri!r}: a tcp URI needs a host and a port, e.g. {DEFAULT_URI}")
        return "tcp", parsed.hostname, port
    if parsed.scheme == "unix" and parsed.path:
        return "unix", parsed.path, None
    raise ValueError(f"{uri!r}: use tcp://HOST:PORT or unix://PATH")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (localhost, ::1 or 127.x.x.x)."""
    return host in ("localhost", "::1") or host.startswith("127.")


def _version() -> str:
    try:
        return version(PROJECT)
    except PackageNotFoundError:
        return "0"


def build_info(pipeline: Pipeline, asr: bool, voices: Voices | None, intent: bool) -> Info:
    """What ``describe`` answers: the programs this server runs, each with its languages
    (``voices``: the text-to-speech voices, or None when it offers none)."""
    ours = Attribution(name=PROJECT, url="")
    release = _version()
    topics = pipeline.skills_summary()
    info = Info(
        handle=[
            HandleProgram(
                name=PROJECT,
                attribution=ours,
                installed=True,
                description=f"Offline assistant: personal recommendations ({topics})",
                version=release,
                models=[
                    HandleModel(
                        name="assistant",
                        attribution=ours,
                        installed=True,
                        description=f"intent model and skills: {topics}",
                        version=release,
                        languages=LANGUAGES,
                    )
                ],
            )
        ]
    )
    if asr and pipeline.stt is not None:
        model = str(getattr(pipeline.stt, "model_name", "whisper"))
        whisper = Attribution(name="OpenAI", url="https://github.com/openai/whisper")
        info.asr = [
            AsrProgram(
                name="whisper",
                attribution=whisper,
                installed=True,
                description=f"Whisper {model}, offline",
                version=release,
                models=[
                    AsrModel(
                        name=model,
                        attribution=whisper,
                        installed=True,
                        description=f"Whisper {model}",
                        version=None,
                        languages=LANGUAGES,
                    )
                ],
            )
        ]
    if voices is not None:
        info.tts = [voices.program(release)]
    if intent:
        info.intent = [
            IntentProgram(
                name=f"{PROJECT}-intents",
                attribution=ours,
                installed=True,
                description="intent recognition only: the intent and its slots",
                version=release,
                models=[
                    IntentModel(
                        name="assistant-nlu",
                        attribution=ours,
                        installed=True,
                        description="intent and slot model",
                        version=release,
                        languages=LANGUAGES,
                    )
                ],
            )
        ]
    return info


class WyomingServer:
    """``await start()`` builds the pipeline (on the dialogue worker, via ``pipeline_factory``)
    and listens; ``await stop()`` lets running requests finish, ends every session and closes
    the history store.

    ``asr`` / ``tts`` advertise and serve those programs when the pipeline has the stage;
    ``speculate`` starts transcribing at a pause in the speech; ``voices`` (name -> loader)
    replaces the voices offered beside the pipeline's own (default: every voice that can speak
    here, ``assistant.wyoming.voices``); ``intent`` also advertises
    intent recognition (``recognize`` is answered either way). Home Assistant names its
    conversation agent after an advertised intent program and marks it as controlling the
    home, which this assistant does not do; so that is off by default.
    """

    def __init__(
        self,
        pipeline_factory: Callable[[], Pipeline],
        uri: str = DEFAULT_URI,
        *,
        limits: Limits | None = None,
        asr: bool = True,
        tts: bool = True,
        intent: bool = False,
        conversation_idle_s: float = CONVERSATION_IDLE_S,
        speaker_id: SpeakerIdentifier | None = None,
        speculate: bool = True,
        housekeeping_s: float = HOUSEKEEPING_S,
        voices: Mapping[str, Callable[[], TextToSpeech]] | None = None,
    ) -> None:
        self.scheme, self.host, self.port = parse_uri(uri)
        self.housekeeping_s = housekeeping_s
        self._housekeeping: asyncio.Task[None] | None = None
        self.limits = limits or Limits()
        self._factory = pipeline_factory
        self._options = (asr, tts, intent, conversation_idle_s, speaker_id, speculate)
        self._voice_loaders = voices  # None: every voice that can speak here
        self.workers = Workers(self.limits.max_queued_jobs)
        self.backend: Backend | None = None
        self._server: asyncio.AbstractServer | None = None
        self._handlers: dict[asyncio.Task[None], ConnectionHandler] = {}
        self._numbers = itertools.count(1)

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline the server runs its turns on (once started)."""
        assert self.backend is not None, "start() the server first"
        return self.backend.pipeline

    @property
    def uri(self) -> str:
        """Where it listens (with the real port when it was started on port 0)."""
        if self.scheme == "unix":
            return f"unix://{self.host}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    @property
    def connections(self) -> int:
        """How many client connections are open."""
        return len(self._handlers)

    def _build(self) -> Backend:  # on the dialogue worker, which owns the pipeline from now on
        asr, tts, intent, idle_s, speaker_id, speculate = self._options
        pipeline = self._factory()
        settings = pipeline.settings
        voices = Voices(pipeline.tts, self._voice_loaders) if tts and pipeline.tts is not None else None
        return Backend(
            pipeline=pipeline,
            workers=self.workers,
            conversations=Conversations(pipeline, idle_s=idle_s),
            profiles=ProfileResolver(settings.satellites, settings.default_user, speaker_id),
            limits=self.limits,
            info=build_info(pipeline, asr, voices, intent).event(),
            asr=asr and pipeline.stt is not None,
            tts=voices is not None,
            speculate=speculate,
            voices=voices,
        )

    async def start(self) -> None:
        """Bind first (a port in use fails at once, not after the models load), then build the
        pipeline, then accept connections."""
        limit = self.limits.max_header_bytes
        try:
            if self.scheme == "unix":
                Path(self.host).unlink(missing_ok=True)
                self._server = await asyncio.start_unix_server(
                    self._on_connect, path=self.host, limit=limit, start_serving=False
                )
            else:
                self._server = await asyncio.start_server(
                    self._on_connect, host=self.host, port=self.port, limit=limit, start_serving=False
                )
                self.port = self._server.sockets[0].getsockname()[1]
            self.backend = await asyncio.wrap_future(
                self.workers.submit("dialogue", self._build, bounded=False)
            )
            await self._server.start_serving()
            self._housekeeping = asyncio.create_task(self._keep_house())
        except BaseException:
            await self.stop()
            raise

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = next(self._numbers)
        if self.backend is None or len(self._handlers) >= self.limits.max_connections:
            refusal = Error(text="too many connections; try again shortly", code="busy").event()
            await _write_and_close(refusal, writer)
            return
        handler = ConnectionHandler(reader, writer, self.backend, number)
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = handler
        try:
            await handler.run()
        except Exception:
            log.exception("wyoming connection %d failed", number)
        finally:
            self._handlers.pop(task, None)

    async def _keep_house(self) -> None:
        """Retention every ``housekeeping_s``, on the dialogue worker (it owns the store)."""
        while True:
            await asyncio.sleep(self.housekeeping_s)
            backend = self.backend
            if backend is None:
                return
            try:
                await self.workers.run("dialogue", backend.pipeline.housekeeping, bounded=False)
            except Exception:  # the next pass tries again; serving goes on
                log.exception("housekeeping failed")

    async def stop(self) -> None:
        """Stop listening, let running requests finish, end every session, close the store."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            self._housekeeping = None
        if self._server is not None:
            self._server.close()
        handlers = dict(self._handlers)
        for handler in handlers.values():
            await handler.stop()
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=1.0)
            self._server = None
            if self.scheme == "unix":
                Path(self.host).unlink(missing_ok=True)
        await self._close_backend()

    async def _close_backend(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            await asyncio.wrap_future(self.workers.submit("dialogue", _close, backend, bounded=False))
        await asyncio.get_running_loop().run_in_executor(None, self.workers.shutdown)

    async def __aenter__(self) -> WyomingServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _close(backend: Backend) -> None:  # on the dialogue worker: the store's own thread
    backend.conversations.end_all()
    if backend.voices is not None:
        backend.voices.close()
    tts = backend.pipeline.tts
    close_tts = getattr(tts, "close", None)
    if callable(close_tts):
        close_tts()
    backend.pipeline.store.close()


def _print(line: str) -> None:
    print(line, flush=True)  # at once, also when standard output is a pipe (systemd, a test)


async def _write_and_close(event: Event, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(async_write_event(event, writer), timeout=1.0)
    writer.close()


def run_server(
    pipeline_factory: Callable[[], Pipeline],
    uri: str = DEFAULT_URI,
    announce: Callable[[str], None] | None = None,
    on_started: Callable[[WyomingServer], Callable[[], None]] | None = None,
    **options: object,
) -> int:
    """Serve until SIGINT (Ctrl-C) or SIGTERM, then stop cleanly; 0 on a clean stop.

    ``on_started(server)`` runs once the pipeline is built (``assistant serve`` starts the web
    page there, on the same pipeline); what it returns is called first when stopping."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        server = WyomingServer(pipeline_factory, uri, **options)  # type: ignore[arg-type]
        await server.start()
        backend = server.backend
        assert backend is not None
        programs = ["handle"] + ["asr"] * backend.asr + ["tts"] * backend.tts
        (announce or _print)(
            f"Wyoming server listening on {server.uri} ({', '.join(programs)}); Ctrl-C stops it."
        )
        if server.scheme == "tcp" and not is_loopback(server.host):
            print(
                "warning: Wyoming has no authentication: anyone who can reach this port can use the "
                "assistant. Serve trusted networks only.",
                file=sys.stderr,
            )
        stop_also = on_started(server) if on_started is not None else None
        try:
            await stop.wait()
        finally:
            if stop_also is not None:
                await asyncio.to_thread(stop_also)
            await server.stop()

    asyncio.run(main())
    return 0
