"""What one Wyoming connection may send, and a reader that enforces it.

The ``wyoming`` package's own ``async_read_event`` trusts the header: it reads whatever
``data_length`` and ``payload_length`` announce (a gigabyte header makes it wait for, and
buffer, a gigabyte) and answers a line that is not JSON by silently closing. ``read_event``
here checks the header before reading anything it announces, and says what was wrong, so the
server can answer with an ``error`` event before it closes the connection.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event

from assistant.voice.stt import DEFAULT_MAX_AUDIO_S

# One header line: a JSON object of a few hundred bytes (type, version, lengths). Anything
# past this is not a Wyoming client; it is also the stream reader's buffer limit.
MAX_HEADER_BYTES = 64 * 1024
# The ``data`` part of a request: a sentence, a context, a voice name: kilobytes at most.
MAX_DATA_BYTES = 256 * 1024
# One binary payload (only audio chunks carry one): a chunk is tens of milliseconds, a few KB;
# 1 MiB is over five seconds of 48 kHz stereo 16-bit in a single chunk.
MAX_PAYLOAD_BYTES = 1024 * 1024
# One spoken request: Whisper reads one 30-second window, and a voice command is far shorter.
# Audio that goes on past this is a stuck or hostile client, not a request.
MAX_AUDIO_S = DEFAULT_MAX_AUDIO_S
# A connection that sends no complete event for this long is closed. Home Assistant opens a
# connection per request and sends at once; a silent socket only holds a slot.
IDLE_TIMEOUT_S = 30.0
# Writing one event to a client that stops reading (a full socket buffer) gives up after this.
WRITE_TIMEOUT_S = 10.0
# Connections served at once; one more is answered with an error and closed.
MAX_CONNECTIONS = 64
# Jobs (turns, transcriptions, syntheses) waiting for a worker; more are refused as busy.
MAX_QUEUED_JOBS = 32


@dataclass(frozen=True)
class Limits:
    """The limits one server enforces (tests shrink the timeouts)."""

    max_header_bytes: int = MAX_HEADER_BYTES
    max_data_bytes: int = MAX_DATA_BYTES
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_audio_s: float = MAX_AUDIO_S
    idle_timeout_s: float = IDLE_TIMEOUT_S
    write_timeout_s: float = WRITE_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    max_queued_jobs: int = MAX_QUEUED_JOBS


class ProtocolError(Exception):
    """The client broke the protocol or a limit; ``code`` goes into the ``error`` event.

    ``fatal``: the connection is closed after the error (the stream cannot be trusted, or the
    client would otherwise wait forever); otherwise the next event is read as usual.
    """

    def __init__(self, code: str, text: str, fatal: bool = True) -> None:
        super().__init__(text)
        self.code, self.text, self.fatal = code, text, fatal


def _length(header: dict[str, Any], key: str, limit: int, code: str) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError("bad-header", f"{key} must be a non-negative integer, got {value!r}")
    if value > limit:
        raise ProtocolError(code, f"{key} {value} is over the limit of {limit} bytes")
    return value


async def read_event(reader: asyncio.StreamReader, limits: Limits) -> Event | None:
    """The next event, or None when the client closed the connection (mid-event included).

    Raises ``ProtocolError`` for a header that is not a JSON object with a string ``type``, a
    line, data part or payload over its limit, or a data part that is not a JSON object.
    """
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError:
        return None  # closed, possibly half-way through a line
    except asyncio.LimitOverrunError:
        raise ProtocolError(
            "header-too-long", f"header line longer than {limits.max_header_bytes} bytes"
        ) from None
    if len(line) > limits.max_header_bytes:
        raise ProtocolError("header-too-long", f"header line longer than {limits.max_header_bytes} bytes")
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("bad-json", "the header line is not JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str) or not header["type"]:
        raise ProtocolError("bad-header", "the header must be a JSON object with a string 'type'")
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolError("bad-header", "'data' must be a JSON object")
    data_length = _length(header, "data_length", limits.max_data_bytes, "data-too-large")
    payload_length = _length(header, "payload_length", limits.max_payload_bytes, "payload-too-large")
    try:
        if data_length:
            try:
                extra = json.loads(await reader.readexactly(data_length))
            except (UnicodeDecodeError, ValueError):
                raise ProtocolError("bad-json", "the data part is not JSON") from None
            if not isinstance(extra, dict):
                raise ProtocolError("bad-header", "the data part must be a JSON object")
            data = {**data, **extra}
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        return None
    return Event(type=header["type"], data=data, payload=payload)
