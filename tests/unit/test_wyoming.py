"""``assistant serve``: the Wyoming server, driven by the ``wyoming`` library's own client.

Fast tier: the real server, pipeline, dialogue, NLG and SQLite store around the fakes of
``tests.support.fakes`` (keyword NLU, tea skill, tone TTS) and a speech-to-text stand-in that reports
what audio it was given; the server listens on loopback, on a free port. The ``artifacts``
tier runs the real NLU, skills, Whisper tiny.en and espeak-ng, and ``assistant serve`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.intent import Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.tts import Synthesize, SynthesizeVoice

from assistant.config import Settings, load_settings
from assistant.contracts.errors import SpeechToTextError
from assistant.contracts.stages import Transcript as SpeechTranscript
from assistant.pipeline.runner import Pipeline
from assistant.storage.history import HistoryStore
from assistant.wyoming.limits import Limits
from assistant.wyoming.server import WyomingServer, parse_uri
from tests.conftest import REPO_ROOT
from tests.support.fakes import SentenceTones, ToneSpeech

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.1"
# Short enough that the idle and audio limits are tested in well under a second each.
FAST_LIMITS = Limits(idle_timeout_s=0.5, max_audio_s=1.0, write_timeout_s=2.0)
REPLY_TYPES = {"handled", "not-handled", "transcript", "intent", "not-recognized", "info", "error", "pong"}


class LengthSpeech:
    """A ``SpeechToText`` that says what it was given: ``"<samples> <rms>"``; silence raises."""

    def __init__(self) -> None:
        self.calls: list[np.ndarray] = []

    def transcribe(self, audio: np.ndarray) -> SpeechTranscript:
        assert audio.dtype == np.float32 and audio.ndim == 1
        self.calls.append(audio)
        if audio.size == 0 or float(np.abs(audio).max()) < 1e-4:
            raise SpeechToTextError("no speech in the recording")
        rms = float(np.sqrt(np.mean(audio**2)))
        return SpeechTranscript(f"{audio.size} {rms:.2f}", duration_s=audio.size / 16000)


class SlowNLU:
    """The keyword NLU, ``delay_s`` slower: a turn that is still running when a client leaves."""

    def __init__(self, delay_s: float) -> None:
        from tests.support.fakes import KeywordNLU

        self.inner, self.delay_s = KeywordNLU(), delay_s
        self.started = threading.Event()  # set when the first parse begins

    def parse(self, text: str):
        self.started.set()
        time.sleep(self.delay_s)
        return self.inner.parse(text)

    async def running(self) -> None:
        """Wait until a turn is inside the NLU."""
        assert await asyncio.get_running_loop().run_in_executor(None, self.started.wait, 10.0)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def fake_factory(
    home: Path, satellites: dict[str, str] | None = None, nlu: object = None, tts: object = True
) -> Callable[[], Pipeline]:
    """Builds the fake pipeline on the server's dialogue worker (which owns its SQLite store).
    ``tts``: True for the tone voice, False for none, or the stage itself."""

    def build() -> Pipeline:
        from assistant.app import open_store
        from tests.support.fakes import KeywordNLU, ToneSpeech, fake_skills

        settings = Settings()
        settings.satellites = dict(satellites or {})
        return Pipeline(
            nlu or KeywordNLU(),
            open_store(home),
            home,
            fake_skills(),
            settings,
            stt=LengthSpeech(),
            tts=ToneSpeech() if tts is True else (tts or None),
        )

    return build


@contextlib.asynccontextmanager
async def serving(
    home: Path, limits: Limits = FAST_LIMITS, **options: object
) -> AsyncIterator[WyomingServer]:
    factory_options = {k: options.pop(k) for k in ("satellites", "nlu", "tts_stage") if k in options}
    if "tts_stage" in factory_options:
        factory_options["tts"] = factory_options.pop("tts_stage")
    options.setdefault("voices", {})  # the pipeline's voice only, whatever this machine has installed
    server = WyomingServer(fake_factory(home, **factory_options), f"tcp://{HOST}:0", limits=limits, **options)
    async with server:
        yield server


def client(server: WyomingServer, read_timeout: float = 10.0) -> AsyncTcpClient:
    return AsyncTcpClient(HOST, server.port, connect_timeout=5.0, read_timeout=read_timeout)


async def reply(c: AsyncTcpClient, types: set[str] = REPLY_TYPES) -> Event:
    while True:
        event = await c.read_event()
        assert event is not None, "the server closed the connection"
        if event.type in types:
            return event


async def say(c: AsyncTcpClient, text: str, context: dict | None = None) -> Event:
    await c.write_event(Transcript(text=text, context=context).event())
    return await reply(c)


async def say_once(server: WyomingServer, text: str, context: dict | None = None) -> Event:
    """The Home Assistant way: one connection per request."""
    async with client(server) as c:
        return await say(c, text, context)


def turns(home: Path) -> list[dict]:
    store = HistoryStore(home / "history.db")
    try:
        return store.turns()
    finally:
        store.close()


def sessions(home: Path) -> list[dict]:
    store = HistoryStore(home / "history.db")
    try:
        return list(store.db.query("SELECT * FROM sessions ORDER BY started"))
    finally:
        store.close()


def sine(rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def pcm(samples: np.ndarray, width: int, channels: int) -> bytes:
    """Interleaved PCM as Wyoming clients send it (8-bit unsigned, 16/32-bit signed)."""
    frames = np.repeat(samples[:, None], channels, axis=1).reshape(-1)
    if width == 1:
        return (np.clip(frames, -1, 1) * 127 + 128).astype(np.uint8).tobytes()
    scale = 2 ** (8 * width - 1) - 1
    return (np.clip(frames, -1, 1) * scale).astype(f"<i{width}").tobytes()


def audio_events(samples: np.ndarray, rate: int, width: int, channels: int, chunk_s: float = 0.05):
    yield AudioStart(rate=rate, width=width, channels=channels).event()
    step = int(rate * chunk_s)
    for i in range(0, len(samples), step):
        data = pcm(samples[i : i + step], width, channels)
        yield AudioChunk(rate=rate, width=width, channels=channels, audio=data).event()
    yield AudioStop().event()


async def raw_connection(server: WyomingServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(HOST, server.port)


async def read_error_then_eof(reader: asyncio.StreamReader, timeout: float = 5.0) -> tuple[str, bool]:
    """The ``error`` event's code, and whether the server then closed the connection."""
    from wyoming.event import async_read_event

    event = await asyncio.wait_for(async_read_event(reader), timeout)
    assert event is not None and event.type == "error", event
    code = Error.from_event(event).code or ""
    try:
        rest = await asyncio.wait_for(reader.read(), timeout)
    except ConnectionError:
        rest = b""
    return code, rest == b""


# --- describe, ping -------------------------------------------------------------------------------
def test_describe_advertises_handle_asr_and_tts(assistant_home: Path) -> None:
    async def scenario() -> None:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                await c.write_event(Describe().event())
                info = Info.from_event(await reply(c))
                await c.write_event(Ping(text="hi").event())
                pong = await reply(c)
        assert [p.name for p in info.handle] == ["offline-assistant"]
        assert info.handle[0].installed and info.handle[0].models[0].languages == ["en"]
        assert "tea" in (info.handle[0].description or "")
        assert info.asr and info.asr[0].models[0].languages == ["en"]
        assert info.tts and info.tts[0].voices[0].languages == ["en"]
        assert info.intent == []  # opt-in: Home Assistant would treat the agent as home control
        assert pong.type == "pong" and Pong.from_event(pong).text == "hi"

    asyncio.run(scenario())


def test_describe_leaves_out_what_is_switched_off(assistant_home: Path) -> None:
    async def scenario() -> Info:
        async with serving(assistant_home, asr=False, tts_stage=False, intent=True) as server:
            async with client(server) as c:
                await c.write_event(Describe().event())
                info = Info.from_event(await reply(c))
                await c.write_event(Synthesize(text="hello").event())
                error = Error.from_event(await reply(c))
        assert error.code == "unsupported"
        return info

    info = asyncio.run(scenario())
    assert info.handle and info.intent and not info.asr and not info.tts


def test_uri_must_be_tcp_or_unix() -> None:
    assert parse_uri("tcp://127.0.0.1:10700") == ("tcp", "127.0.0.1", 10700)
    assert parse_uri("unix:///tmp/a.sock") == ("unix", "/tmp/a.sock", None)
    for bad in ("tcp://127.0.0.1", "http://x:1", "stdio://", "tcp://:10700"):
        with pytest.raises(ValueError):
            parse_uri(bad)


def test_a_port_in_use_fails_before_the_models_load() -> None:
    import socket

    built: list[int] = []

    def factory() -> Pipeline:
        built.append(1)
        raise AssertionError("the pipeline must not be built")

    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        server = WyomingServer(factory, f"tcp://{HOST}:{taken.getsockname()[1]}")
        with pytest.raises(OSError):
            asyncio.run(server.start())
    assert built == []


# --- handle: conversations ------------------------------------------------------------------------
def test_multi_turn_conversation_on_one_connection(assistant_home: Path) -> None:
    async def scenario() -> list[Event]:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                return [await say(c, text) for text in ("suggest a tea", "another", "why")]

    first, second, why = asyncio.run(scenario())
    assert [e.type for e in (first, second, why)] == ["handled"] * 3
    texts = [Handled.from_event(e).text or "" for e in (first, second, why)]
    assert texts[0] != texts[1]
    assert "nothing to explain" not in texts[2]
    rows = turns(assistant_home)
    assert [r["text"] for r in rows] == ["suggest a tea", "another", "why"]
    assert len({r["session_id"] for r in rows}) == 1 and [r["seq"] for r in rows] == [1, 2, 3]
    (session,) = sessions(assistant_home)
    assert session["mode"] == "wyoming" and session["user"] == "default"
    # The connection closed, so its session ended: the log's last line says so.
    last = Path(session["log_path"]).read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last)["type"] == "session-end"


def test_a_conversation_id_carries_the_conversation_across_connections(assistant_home: Path) -> None:
    async def scenario() -> tuple[list[Event], Event]:
        async with serving(assistant_home) as server:
            ctx = {"conversation_id": "01HA", "device_id": "d1"}
            replies = [await say_once(server, t, ctx) for t in ("suggest a tea", "another", "why")]
            fresh = await say_once(server, "why", {"conversation_id": "01HB"})
            return replies, fresh

    replies, fresh = asyncio.run(scenario())
    assert [e.type for e in replies] == ["handled"] * 3
    assert replies[0].data["context"]["conversation_id"] == "01HA"  # the context comes back
    assert "nothing to explain" not in (Handled.from_event(replies[2]).text or "")
    assert "nothing to explain" in (Handled.from_event(fresh).text or "")  # another conversation
    rows = turns(assistant_home)
    assert len({r["session_id"] for r in rows[:3]}) == 1 and rows[3]["session_id"] != rows[0]["session_id"]


def test_contexts_within_one_connection_are_separate_conversations(assistant_home: Path) -> None:
    async def scenario() -> list[Event]:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                a, b = {"conversation_id": "a"}, {"conversation_id": "b"}
                return [
                    await say(c, "suggest a tea", a),
                    await say(c, "why", b),
                    await say(c, "why", a),
                    await say(c, "why"),  # no context: the connection's own conversation
                ]

    a1, b1, a2, own = asyncio.run(scenario())
    assert "nothing to explain" in (Handled.from_event(b1).text or "")
    assert "nothing to explain" not in (Handled.from_event(a2).text or "")
    assert "nothing to explain" in (Handled.from_event(own).text or "")
    assert len({r["session_id"] for r in turns(assistant_home)}) == 3


def test_out_of_scope_is_not_handled_with_a_polite_reply(assistant_home: Path) -> None:
    async def scenario() -> Event:
        async with serving(assistant_home) as server:
            return await say_once(server, "what time is it")

    event = asyncio.run(scenario())
    assert event.type == "not-handled"
    assert "suggest a tea" in (NotHandled.from_event(event).text or "")


def test_satellite_table_chooses_whose_profile(assistant_home: Path) -> None:
    async def scenario() -> None:
        satellites = {"assist_satellite.kitchen": "Alice", "bedroom": "bob"}
        async with serving(assistant_home, satellites=satellites) as server:
            await say_once(
                server, "suggest a tea", {"conversation_id": "1", "satellite_id": "assist_satellite.kitchen"}
            )
            await say_once(server, "suggest a tea", {"conversation_id": "2", "satellite": "Bedroom"})
            await say_once(server, "suggest a tea", {"conversation_id": "3", "satellite_id": "elsewhere"})

    asyncio.run(scenario())
    assert [r["user"] for r in turns(assistant_home)] == ["alice", "bob", "default"]


def test_profile_order_voice_then_satellite_then_default() -> None:
    from assistant.wyoming.profiles import ProfileResolver

    class Voice:  # the speaker-identification hook
        def identify(self, audio, context):
            return "Carol" if audio.size else None

    resolver = ProfileResolver({"Kitchen": "alice"}, "default", Voice())
    assert resolver.user_for({"device_id": "x", "satellite_id": "kitchen"}) == "alice"
    assert resolver.user_for({"satellite_id": "kitchen"}, audio=np.ones(10, np.float32)) == "carol"
    assert resolver.user_for({"satellite_id": "kitchen"}, audio=np.zeros(0, np.float32)) == "alice"
    assert resolver.user_for(None) == resolver.user_for({"satellite_id": 5}) == "default"


def test_satellites_table_in_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[satellites]\nkitchen = "Alice"\n"assist_satellite.den" = "bob"\nbad = 3\n', encoding="utf-8"
    )
    settings = load_settings(path)
    assert settings.satellites == {"kitchen": "alice", "assist_satellite.den": "bob"}
    assert "satellites" not in settings.skills  # not mistaken for a skill's section
    assert any("[satellites] bad" in w for w in settings.warnings)


def test_recognize_answers_intent_with_entities(assistant_home: Path) -> None:
    async def scenario() -> tuple[Event, Event]:
        async with serving(assistant_home, intent=True) as server:
            async with client(server) as c:
                await c.write_event(Recognize(text="some green tea").event())
                known = await reply(c)
                await c.write_event(Recognize(text="what time is it").event())
                return known, await reply(c)

    known, unknown = asyncio.run(scenario())
    intent = Intent.from_event(known)
    assert intent.name == "recommend_tea" and [(e.name, e.value) for e in intent.entities] == [
        ("kind", "green")
    ]
    assert unknown.type == "not-recognized" and NotRecognized.from_event(unknown).text
    assert turns(assistant_home) == []  # recognition records nothing


# --- asr and tts ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rate", "width", "channels"), [(22050, 2, 2), (48000, 4, 1), (8000, 1, 1), (16000, 2, 1)]
)
def test_audio_in_any_format_becomes_16k_mono_transcript(assistant_home: Path, rate, width, channels) -> None:
    async def scenario() -> Event:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                await c.write_event(Transcribe(language="en", context={"conversation_id": "x"}).event())
                for event in audio_events(sine(rate, 0.75), rate, width, channels):
                    await c.write_event(event)
                return await reply(c)

    event = asyncio.run(scenario())
    transcript = Transcript.from_event(event)
    samples, rms = transcript.text.split()
    assert abs(int(samples) - 12000) <= 2  # 0.75 s at 16 kHz
    assert abs(float(rms) - 0.5 / np.sqrt(2)) < 0.03  # the sine kept its level through the conversion
    assert transcript.context == {"conversation_id": "x"}


def test_a_large_chunk_within_the_limit_is_read_whole(assistant_home: Path) -> None:
    async def scenario() -> Event:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                data = pcm(sine(48000, 1.0), 4, 2)  # 384 KB in one chunk, beyond the reader's buffer
                await c.write_event(AudioChunk(rate=48000, width=4, channels=2, audio=data).event())
                await c.write_event(AudioStop().event())
                return await reply(c)

    assert Transcript.from_event(asyncio.run(scenario())).text.split()[0] == "16000"


def test_serves_on_a_unix_socket(assistant_home: Path, tmp_path: Path) -> None:
    from wyoming.client import AsyncUnixClient

    path = tmp_path / "assistant.sock"

    async def scenario() -> Event:
        server = WyomingServer(fake_factory(assistant_home), f"unix://{path}", limits=FAST_LIMITS)
        async with server:
            assert server.uri == f"unix://{path}"
            async with AsyncUnixClient(path, read_timeout=10) as c:
                return await say(c, "suggest a tea")

    assert asyncio.run(scenario()).type == "handled"
    assert not path.exists()


@pytest.mark.parametrize(
    ("parts", "speculate", "heard"),
    [
        # speech, then a pause: the transcription started at the pause is the answer
        ([(0.6, 0.5), (0.6, 0.0)], True, "pause"),
        # speech resumes after the pause: the whole request is transcribed at audio-stop
        ([(0.6, 0.5), (0.4, 0.5), (0.3, 0.0)], True, "all"),
        ([(0.6, 0.5), (0.6, 0.0)], False, "all"),
    ],
)
def test_transcription_starts_at_a_pause_in_the_speech(assistant_home: Path, parts, speculate, heard) -> None:
    # (sound s, amplitude) segments; webrtcvad calls the tone speech and the zeros quiet
    samples = np.concatenate([sine(16000, seconds, level) for seconds, level in parts])

    async def scenario() -> int:
        async with serving(assistant_home, Limits(max_audio_s=5.0), speculate=speculate) as server:
            async with client(server) as c:
                for event in audio_events(samples, 16000, 2, 1):
                    await c.write_event(event)
                return int(Transcript.from_event(await reply(c)).text.split()[0])

    count = asyncio.run(scenario())
    if heard == "all":
        assert count == len(samples)
    else:  # the first speech and the pause that followed it (0.25 s and a frame or two)
        assert 0.6 * 16000 + 0.25 * 16000 <= count <= 0.6 * 16000 + 0.45 * 16000


def test_silence_gives_an_empty_transcript(assistant_home: Path) -> None:
    async def scenario() -> Event:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                for event in audio_events(np.zeros(8000, np.float32), 16000, 2, 1):
                    await c.write_event(event)
                return await reply(c)

    assert Transcript.from_event(asyncio.run(scenario())).text == ""


def test_synthesize_streams_audio_out(assistant_home: Path) -> None:
    async def scenario() -> list[Event]:
        async with serving(assistant_home) as server:
            async with client(server) as c:
                await c.write_event(Synthesize(text="How about Sencha?").event())
                events = []
                while not events or events[-1].type != "audio-stop":
                    event = await c.read_event()
                    assert event is not None
                    events.append(event)
                return events

    events = asyncio.run(scenario())
    start, *chunks, stop = events
    assert start.type == "audio-start" and stop.type == "audio-stop"
    assert AudioStart.from_event(start).rate == 16000 and AudioStart.from_event(start).width == 2
    audio = b"".join(AudioChunk.from_event(e).audio for e in chunks)
    assert len(audio) == len("How about Sencha?") * 160 * 2  # ToneSpeech: 10 ms a character
    assert {AudioChunk.from_event(e).channels for e in chunks} == {1}


def test_describe_offers_both_voices_in_one_program_the_configured_one_first(assistant_home: Path) -> None:
    # Home Assistant reads the first text-to-speech program only, and offers its voices.
    async def scenario() -> Info:
        voices = {"espeak": lambda: ToneSpeech(16000), "joe": SentenceTones}
        async with serving(assistant_home, tts_stage=SentenceTones(), voices=voices) as server:
            async with client(server) as c:
                await c.write_event(Describe().event())
                return Info.from_event(await reply(c))

    info = asyncio.run(scenario())
    [program] = info.tts
    assert [v.name for v in program.voices] == ["joe", "espeak"]
    assert all(v.installed and v.languages == ["en"] for v in program.voices)
    assert "Piper" in (program.voices[0].description or "") and "Piper" in program.voices[0].attribution.name
    assert "eSpeak" in (program.voices[1].description or "")


async def synthesized(c: AsyncTcpClient, text: str, voice: str | None) -> list[tuple[float, Event]]:
    """The events answering one ``synthesize``, each with the time it arrived."""
    await c.write_event(Synthesize(text=text, voice=SynthesizeVoice(name=voice) if voice else None).event())
    started, events = time.perf_counter(), []
    while not events or events[-1][1].type not in ("audio-stop", "error"):
        event = await c.read_event()
        assert event is not None
        events.append((time.perf_counter() - started, event))
    return events


def test_synthesize_with_the_piper_voice_streams_sentence_by_sentence(assistant_home: Path) -> None:
    text = "How about Sencha? It is a green tea. It comes from Japan."
    voice = SentenceTones(delay_s=0.3)  # each sentence takes 0.3 s to "synthesise"

    async def scenario() -> list[tuple[float, Event]]:
        async with serving(assistant_home, tts_stage=voice, voices={}) as server:
            async with client(server) as c:
                return await synthesized(c, text, "joe")

    events = asyncio.run(scenario())
    (start_at, start), *chunks, (stop_at, stop) = events
    assert start.type == "audio-start" and stop.type == "audio-stop" and chunks
    assert (AudioStart.from_event(start).rate, AudioStart.from_event(start).width) == (22050, 2)
    # The first sentence goes out before the others are synthesised.
    assert start_at < 0.6 < stop_at and chunks[0][0] < 0.6
    audio = [AudioChunk.from_event(e) for _, e in chunks]
    sentences = ("How about Sencha?", "It is a green tea.", "It comes from Japan.")
    assert sum(len(a.audio) for a in audio) == sum(len(s) * 22050 // 100 for s in sentences) * 2
    assert all(len(a.audio) <= 2048 * 2 and a.rate == 22050 and a.channels == 1 for a in audio)
    stamps = [a.timestamp for a in audio]
    assert stamps == sorted(stamps) and stamps[0] == 0
    assert (
        AudioStop.from_event(stop).timestamp == sum(len(s) * 22050 // 100 for s in sentences) * 1000 // 22050
    )


def test_synthesize_with_the_other_voice_and_with_one_not_offered(assistant_home: Path) -> None:
    async def scenario() -> tuple[list[tuple[float, Event]], Event, Event]:
        voices = {"espeak": lambda: ToneSpeech(16000)}
        async with serving(assistant_home, tts_stage=SentenceTones(), voices=voices) as server:
            async with client(server) as c:
                other = await synthesized(c, "Hello there.", "espeak")
                unknown = (await synthesized(c, "Hello there.", "bob"))[-1][1]
                await c.write_event(Ping(text="still here").event())
                return other, unknown, await reply(c)

    other, unknown, pong = asyncio.run(scenario())
    assert AudioStart.from_event(other[0][1]).rate == 16000 and other[-1][1].type == "audio-stop"
    error = Error.from_event(unknown)
    assert error.code == "unknown-voice" and "joe, espeak" in (error.text or "")
    assert pong.type == "pong"


# --- many at once ---------------------------------------------------------------------------------
def test_four_clients_at_once_each_keep_their_conversation(assistant_home: Path) -> None:
    texts = ["suggest a tea", "another", "why", "another", "thanks"]

    async def one_client(server: WyomingServer) -> list[str]:
        async with client(server) as c:
            return [(await say(c, text)).type for text in texts]

    async def scenario() -> list[list[str]]:
        async with serving(assistant_home) as server:
            return await asyncio.gather(*(one_client(server) for _ in range(4)))

    results = asyncio.run(scenario())
    assert results == [["handled"] * 5] * 4
    rows = turns(assistant_home)
    assert len(rows) == 20
    by_session: dict[str, list[int]] = {}
    for r in rows:
        by_session.setdefault(r["session_id"], []).append(r["seq"])
    assert sorted(by_session.values()) == [[1, 2, 3, 4, 5]] * 4


def test_disconnect_mid_turn_records_the_turn_exactly_once(assistant_home: Path) -> None:
    async def scenario() -> Event:
        nlu = SlowNLU(0.3)
        async with serving(assistant_home, nlu=nlu) as server:
            reader, writer = await raw_connection(server)
            writer.write(b'{"type": "transcript", "data": {"text": "suggest a tea"}}\n')
            await writer.drain()
            await nlu.running()
            writer.close()
            answer = await say_once(server, "why")  # another client is served meanwhile
            await asyncio.sleep(0.4)
            return answer

    answer = asyncio.run(scenario())
    assert answer.type == "handled"
    rows = turns(assistant_home)
    assert sorted(r["text"] for r in rows) == ["suggest a tea", "why"]
    left = next(r for r in rows if r["text"] == "suggest a tea")
    log_path = next(s["log_path"] for s in sessions(assistant_home) if s["id"] == left["session_id"])
    lines = [json.loads(line) for line in Path(log_path).read_text(encoding="utf-8").splitlines()]
    assert [e["type"] for e in lines].count("turn-end") == 1 and lines[-1]["type"] == "session-end"


def test_stopping_the_server_lets_a_running_turn_finish(assistant_home: Path) -> None:
    async def scenario() -> None:
        nlu = SlowNLU(0.3)
        server = WyomingServer(fake_factory(assistant_home, nlu=nlu), f"tcp://{HOST}:0", limits=FAST_LIMITS)
        await server.start()
        reader, writer = await raw_connection(server)
        writer.write(
            b'{"type": "transcript", "data": {"text": "suggest a tea", "context": {"conversation_id": "c"}}}\n'
        )
        await writer.drain()
        await nlu.running()
        await server.stop()
        writer.close()

    asyncio.run(scenario())
    rows = turns(assistant_home)
    assert [r["text"] for r in rows] == ["suggest a tea"]
    (session,) = sessions(assistant_home)
    last = Path(session["log_path"]).read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last)["type"] == "session-end"


def test_a_full_queue_answers_busy(assistant_home: Path) -> None:
    async def scenario() -> tuple[Event, Event]:
        limits = Limits(idle_timeout_s=5.0, max_queued_jobs=1)
        nlu = SlowNLU(0.4)
        async with serving(assistant_home, limits=limits, nlu=nlu) as server:
            first = asyncio.ensure_future(say_once(server, "suggest a tea"))
            await nlu.running()
            second = await say_once(server, "suggest a tea")
            return await first, second

    first, second = asyncio.run(scenario())
    assert first.type == "handled"
    assert second.type == "error" and Error.from_event(second).code == "busy"


def test_too_many_connections_are_refused(assistant_home: Path) -> None:
    async def scenario() -> tuple[str, bool, str]:
        async with serving(assistant_home, limits=Limits(max_connections=2, idle_timeout_s=5.0)) as server:
            held = [await raw_connection(server) for _ in range(2)]
            await until(lambda: server.connections == 2)
            reader, _ = await raw_connection(server)
            code, closed = await read_error_then_eof(reader)
            for _, w in held:
                w.close()
            await until(lambda: server.connections == 0)
            again = await say_once(server, "suggest a tea")  # slots come back when clients leave
            return code, closed, again.type

    assert asyncio.run(scenario()) == ("busy", True, "handled")


# --- bad input ------------------------------------------------------------------------------------
def test_bad_input_is_answered_and_other_clients_keep_being_served(assistant_home: Path) -> None:
    async def misbehave(server: WyomingServer, data: bytes) -> tuple[str, bool]:
        reader, writer = await raw_connection(server)
        writer.write(data)
        await writer.drain()
        try:
            return await read_error_then_eof(reader)
        finally:
            writer.close()

    async def endless_audio(server: WyomingServer) -> tuple[str, bool]:
        async with client(server) as c:
            await c.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            chunk = AudioChunk(rate=16000, width=2, channels=1, audio=pcm(sine(16000, 0.1), 2, 1)).event()
            with contextlib.suppress(ConnectionError):
                for _ in range(30):  # 3 s of audio against a 1 s limit, and no audio-stop
                    await c.write_event(chunk)
            assert c._reader is not None
            return await read_error_then_eof(c._reader)

    async def silent(server: WyomingServer) -> tuple[str, bool]:
        reader, writer = await raw_connection(server)
        started = time.monotonic()
        result = await read_error_then_eof(reader)
        assert time.monotonic() - started < 3.0
        writer.close()
        return result

    async def leaves_mid_audio(server: WyomingServer) -> str:
        reader, writer = await raw_connection(server)
        writer.write(b'{"type": "audio-start", "data": {"rate": 16000, "width": 2, "channels": 1}}\n')
        writer.write(
            b'{"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1}, "payload_length": 3200}\n'
        )
        writer.write(b"\x01\x00" * 800)  # half the payload, then gone
        await writer.drain()
        writer.close()
        return "left"

    async def good_client(server: WyomingServer) -> list[str]:
        async with client(server) as c:
            types = []
            for text in ("suggest a tea", "another", "why", "another", "thanks"):
                types.append((await say(c, text)).type)
                await asyncio.sleep(0.05)
            return types

    async def unknown_then_describe(server: WyomingServer) -> tuple[str | None, str]:
        async with client(server) as c:
            await c.write_event(Event(type="frobnicate", data={"x": 1}))
            error = Error.from_event(await reply(c))
            await c.write_event(Event(type="transcript", data={"no": "text"}))  # malformed
            malformed = Error.from_event(await reply(c))
            await c.write_event(Describe().event())  # the connection is still served
            info = await reply(c)
            return f"{error.code},{malformed.code}", info.type

    async def scenario() -> dict[str, object]:
        async with serving(assistant_home) as server:
            jobs = {
                "good": good_client(server),
                "not json": misbehave(server, b"this is not json\n"),
                "not an object": misbehave(server, b"[1, 2, 3]\n"),
                "gigabyte": misbehave(
                    server, b'{"type": "audio-chunk", "data": {}, "payload_length": 1073741824}\n'
                ),
                "huge data": misbehave(server, b'{"type": "transcript", "data_length": 1073741824}\n'),
                "negative": misbehave(server, b'{"type": "audio-chunk", "payload_length": -5}\n'),
                "long line": misbehave(server, b"{" + b" " * (FAST_LIMITS.max_header_bytes + 10)),
                "bad format": misbehave(
                    server, b'{"type": "audio-start", "data": {"rate": 0, "width": 3, "channels": 1}}\n'
                ),
                "endless audio": endless_audio(server),
                "silent": silent(server),
                "leaves mid-audio": leaves_mid_audio(server),
                "unknown": unknown_then_describe(server),
            }
            results = dict(zip(jobs, await asyncio.gather(*jobs.values()), strict=True))
            await until(lambda: server.connections == 0)
            results["connections left"] = server.connections
            results["after"] = (await say_once(server, "suggest a tea")).type
            return results

    started = time.monotonic()
    results = asyncio.run(scenario())
    assert results == {
        "good": ["handled"] * 5,
        "not json": ("bad-json", True),
        "not an object": ("bad-header", True),
        "gigabyte": ("payload-too-large", True),
        "huge data": ("data-too-large", True),
        "negative": ("bad-header", True),
        "long line": ("header-too-long", True),
        "bad format": ("bad-audio-format", True),
        "endless audio": ("audio-too-long", True),
        "silent": ("idle-timeout", True),
        "leaves mid-audio": "left",
        "unknown": ("unknown-event,bad-event", "info"),
        "connections left": 0,
        "after": "handled",
    }
    assert time.monotonic() - started < 15
    rows = turns(assistant_home)
    assert len(rows) == 6 and len({(r["session_id"], r["seq"]) for r in rows}) == 6


# --- the real models ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory):
    """The real pipeline (NLU, skills, Whisper tiny.en, espeak-ng) served from a thread of its own."""
    import threading

    from assistant.app import build_pipeline

    home = tmp_path_factory.mktemp("wyoming-home")
    loop = asyncio.new_event_loop()
    server = WyomingServer(
        lambda: build_pipeline(home, Settings(), stt_model="tiny.en", speak=True), f"tcp://{HOST}:0"
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=240)
    yield server, home
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_real_describe(real_server) -> None:
    server, _ = real_server

    async def scenario() -> Info:
        async with client(server) as c:
            await c.write_event(Describe().event())
            return Info.from_event(await reply(c))

    info = asyncio.run(scenario())
    assert info.handle and info.asr and info.tts
    assert info.asr[0].models[0].name == "tiny.en"
    assert [v.name for v in info.tts[0].voices] == ["joe", "espeak"]  # the configured voice first
    assert "music" in (info.handle[0].description or "")


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_real_music_conversation(real_server) -> None:
    server, home = real_server
    ctx = {"conversation_id": "real-1"}

    async def scenario() -> list[Event]:
        return [await say_once(server, t, ctx) for t in ("play some jazz", "another one", "why?")]

    replies = asyncio.run(scenario())
    assert [e.type for e in replies] == ["handled"] * 3
    texts = [Handled.from_event(e).text or "" for e in replies]
    assert texts[0] != texts[1] and all(texts)
    rows = [r for r in turns(home) if r["text"] in ("play some jazz", "another one", "why?")]
    assert [r["domain"] for r in rows][:1] == ["music"]
    assert len({r["session_id"] for r in rows}) == 1


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_real_audio_in_and_speech_out(real_server) -> None:
    server, _ = real_server

    async def scenario() -> tuple[str, list[Event]]:
        from assistant.voice.tts import EspeakSpeech

        # espeak-ng says the request: it says it the same way every time, where Piper's voice
        # varies, and tiny.en heard its "play some jazz" as "place some jest" once in four runs.
        with EspeakSpeech() as espeak:
            speech = espeak.synthesize("play some jazz")  # 22050 Hz mono
        assert speech.sample_rate == 22050
        samples = np.concatenate([np.zeros(4410, np.float32), speech.samples, np.zeros(8820, np.float32)])
        async with client(server, read_timeout=60) as c:
            await c.write_event(Transcribe(language="en").event())
            for event in audio_events(samples, 22050, 2, 2):  # stereo 16-bit: converted on the server
                await c.write_event(event)
            heard = Transcript.from_event(await reply(c)).text
        replies = []
        async with client(server, read_timeout=60) as c:
            for voice in (None, "joe", "espeak"):  # Home Assistant's default, then each by name
                replies.append(await synthesized(c, "Here is some jazz for you. Enjoy it.", voice))
        return heard, replies

    heard, replies = asyncio.run(scenario())
    assert "jazz" in heard.lower()
    for events in replies:
        out = [e for _, e in events]
        start = AudioStart.from_event(out[0])
        chunks = [AudioChunk.from_event(e) for e in out if e.type == "audio-chunk"]
        audio = b"".join(c.audio for c in chunks)
        assert (start.rate, start.width, start.channels) == (22050, 2, 1) and out[-1].type == "audio-stop"
        assert len(audio) / 2 / start.rate > 0.5 and len(chunks) > 5  # over half a second, in chunks
    # The default is the Piper voice: the same speech as asking for "joe" (Piper varies its
    # timing a little from one synthesis to the next, so the lengths are close, not equal).
    lengths = [
        sum(len(AudioChunk.from_event(e).audio) for _, e in r if e.type == "audio-chunk") for r in replies
    ]
    assert abs(lengths[0] - lengths[1]) < 0.25 * lengths[1]


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_assistant_serve_command_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "run_assistant.py"),
            "serve",
            "--uri",
            f"tcp://{HOST}:{port}",
            "--no-asr",
            "--no-tts",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.search(rf"listening on tcp://{HOST}:{port}", line), (
            line,
            proc.stderr.read() if proc.poll() else "",
        )

        async def scenario() -> tuple[Info, Event]:
            async with AsyncTcpClient(HOST, port, read_timeout=30) as c:
                await c.write_event(Describe().event())
                info = Info.from_event(await reply(c))
                return info, await say(c, "play some jazz")

        info, answer = asyncio.run(scenario())
        assert info.handle and not info.asr and not info.tts
        assert answer.type == "handled"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
