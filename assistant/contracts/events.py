"""Typed pipeline events: the one format for session logs, replay input, latency metrics and
golden conversation tests.

Every event is a dataclass with a ``type`` tag, the turn number and a monotonic timestamp ``t``
(seconds since the session started). ``to_json`` gives one JSON line; ``event_from_json``
reads one back and names what is wrong with a malformed line.

A turn's events follow its stages (``assistant/pipeline/runner.py``): ``turn-start``, then for
each stage that runs a ``*-start`` and its end (``stt-end``, ``nlu-end``, ``llm-call`` per model
call, ``dialogue-end`` and ``skill-end``, ``response`` for the reply, ``tts-end``), an ``error``
where a stage failed, and ``turn-end``. A start event's ``t`` against its end's is the stage's
time. Logs written before the start events existed, or before ``error`` carried a ``code``,
read the same: a field a line lacks takes its default.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


class EventFormatError(ValueError):
    """A JSON line that is not a valid event (the message says what is wrong)."""


_EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass
class Event:
    """Base of every pipeline event: its type tag, turn number and time since the session started."""

    type: ClassVar[str] = "event"
    turn: int = 0
    t: float = 0.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _EVENT_TYPES[cls.type] = cls

    def to_dict(self) -> dict[str, Any]:
        """The event as a dict with its ``type`` tag first."""
        return {"type": self.type, **asdict(self)}

    def to_json(self) -> str:
        """The event as one JSON line."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)


@dataclass
class SessionStart(Event):
    """A session began: who, with which seed and mode, and the user's history at that moment."""

    type: ClassVar[str] = "session-start"
    session_id: str = ""
    user: str = ""
    seed: int = 0
    mode: str = "text"
    started_at: float = 0.0  # wall clock, unix seconds
    # The user's history when the session began, for replay to restore into an empty data
    # directory: in the file ``history_file`` names (relative to the log's folder; written once
    # per user per day, then what each session added: assistant/pipeline/history_snapshots.py),
    # or inline in ``history`` (logs written before that file existed, or when it could not be
    # written); neither when the user was new.
    history: dict[str, Any] | None = None
    history_file: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class TurnStart(Event):
    """A turn began, from typed text or from a recording."""

    type: ClassVar[str] = "turn-start"
    user: str = ""
    text: str | None = None  # typed input; None when the turn starts from audio
    audio: str | None = None  # recording file name, relative to the session log
    wall_time: float = 0.0


@dataclass
class SttStart(Event):
    """Speech-to-text began on a recording of ``audio_s`` seconds."""

    type: ClassVar[str] = "stt-start"
    audio_s: float = 0.0


@dataclass
class SttEnd(Event):
    """Speech-to-text finished: the transcript and how sure the decoder was."""

    type: ClassVar[str] = "stt-end"
    text: str = ""
    avg_logprob: float = 0.0
    audio_s: float = 0.0


@dataclass
class NluStart(Event):
    """The NLU began reading ``text``: the turn's text as the classifier is given it (normalised,
    at most ``MAX_INPUT_CHARS``)."""

    type: ClassVar[str] = "nlu-start"
    text: str = ""


@dataclass
class NluEnd(Event):
    """The NLU finished: intent, confidence and slots."""

    type: ClassVar[str] = "nlu-end"
    intent: str = ""
    confidence: float = 0.0
    slots: dict[str, str] = field(default_factory=dict)


@dataclass
class LlmCall(Event):
    """One call to the local language model (assistant/llm): what it was asked and answered."""

    type: ClassVar[str] = "llm-call"
    task: str = ""  # understand | pick | explain
    model: str = ""
    prompt_chars: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0  # of the prompt, read from llama.cpp's cache
    output: str = ""
    ms: float = 0.0
    status: str = ""  # ok | timeout | error | unparsable | ungrounded
    error: str = ""


@dataclass
class DialogueStart(Event):
    """The dialogue manager was given a reading to act on: the classifier's, or the language
    model's second reading when it was asked (``nlu-end`` has the classifier's)."""

    type: ClassVar[str] = "dialogue-start"
    intent: str = ""
    slots: dict[str, str] = field(default_factory=dict)


@dataclass
class DialogueEnd(Event):
    """The dialogue manager decided what to do with the turn."""

    type: ClassVar[str] = "dialogue-end"
    act: str = ""  # what the dialogue manager decided: recommend, skip, explain, ...
    domain: str | None = None
    slots: dict[str, str] = field(default_factory=dict)  # after carry-over from earlier turns
    intent: str = ""  # what was acted on: a follow-on reads as its skill's intent
    # The acted-on skill's frame after the turn: constraints, what was ruled out, the reference
    # (assistant/dialogue/frame.py); None when no skill's frame is involved.
    frame: dict[str, Any] | None = None
    matcher: str = ""  # the dialogue's matcher that took the turn ("frame_update", "offer", ...)


@dataclass
class SkillEnd(Event):
    """A skill answered: the items it offered and any text it gave."""

    type: ClassVar[str] = "skill-end"
    domain: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


@dataclass
class Response(Event):
    """The reply the user is given."""

    type: ClassVar[str] = "response"
    text: str = ""
    expects_reply: bool = False  # the assistant asked a question


@dataclass
class TtsStart(Event):
    """Text-to-speech began on a reply of ``chars`` characters."""

    type: ClassVar[str] = "tts-start"
    chars: int = 0


@dataclass
class TtsEnd(Event):
    """Text-to-speech has the reply's audio ready: its length; ``streamed``: the length of its
    first piece, which plays while the rest is synthesised (the Piper voice)."""

    type: ClassVar[str] = "tts-end"
    audio_s: float = 0.0
    streamed: bool = False


@dataclass
class ErrorEvent(Event):
    """A stage failed: which one, its stable error code, the exception class and its message."""

    type: ClassVar[str] = "error"
    stage: str = ""
    # The stage's error code ("nlu-failed", "skill-failed": assistant/contracts/errors.py); what
    # scripts should match on. Empty in logs written before it existed.
    code: str = ""
    error: str = ""  # the exception class: the stage's error, or the bug it stands for
    message: str = ""


@dataclass
class TurnEnd(Event):
    """A turn ended: its history row and how long it took."""

    type: ClassVar[str] = "turn-end"
    turn_id: int | None = None  # the history store's row id
    elapsed_ms: float = 0.0


@dataclass
class SessionEnd(Event):
    """A session ended after ``turns`` turns."""

    type: ClassVar[str] = "session-end"
    turns: int = 0


def event_from_dict(data: Any) -> Event:
    """The event a decoded JSON object describes, or ``EventFormatError`` saying what is wrong."""
    if not isinstance(data, dict):
        raise EventFormatError(f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    cls = _EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventFormatError(f"unknown event type {kind!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if not _type_ok(f.type, value):
            raise EventFormatError(f"{kind}: field '{f.name}' has the wrong type ({value!r})")
        kwargs[f.name] = value
    return cls(**kwargs)


def event_from_json(line: str) -> Event:
    """The event one JSON line describes, or ``EventFormatError`` saying what is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EventFormatError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    return event_from_dict(data)


# Field annotations are strings (from __future__); this small table is enough for our fields.
_CHECKS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "str | None": (str, type(None)),
    "int | None": (int, type(None)),
    "dict[str, str]": (dict,),
    "dict[str, Any]": (dict,),
    "dict[str, Any] | None": (dict, type(None)),
    "list[dict[str, Any]]": (list,),
    "str | None = None": (str, type(None)),
}


def _type_ok(annotation: Any, value: Any) -> bool:
    allowed = _CHECKS.get(str(annotation))
    if allowed is None:
        return True
    if isinstance(value, bool) and bool not in allowed:
        return False  # JSON true is not a number here
    return isinstance(value, allowed)


class EventClock:
    """Monotonic seconds since the session started, for the ``t`` of every event."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self) -> float:
        """Seconds since the clock started, rounded to microseconds."""
        return round(time.monotonic() - self._start, 6)
