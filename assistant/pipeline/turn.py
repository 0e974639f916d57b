"""What one turn produces (``TurnResult``), the session it belongs to (``Session``), the turn
while its stages run (``Turn``) and its history row, and what a turn does to the player outside
the pipeline: the dialogue's "stop" and "turn it up" act on it, and what it played since the last
turn is that turn's feedback.

The turn runner (``runner.py``) fills these in stage by stage.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.contracts.errors import AssistantError
from assistant.contracts.events import Event, EventClock, SttEnd
from assistant.contracts.stages import Parse, SpokenAudio
from assistant.dialogue import DialogueState, Outcome
from assistant.llm import LlmTrace
from assistant.pipeline.session_log import SessionLog
from assistant.playback.player import current_player
from assistant.skill_sdk.api import Item
from assistant.storage.history import FeedbackRecord, HistoryStore, TurnRecord
from assistant.voice.speech_stream import SpeechStream

GUEST_USER = "guest"  # records nothing
__all__ = ["GUEST_USER", "Session", "Turn", "TurnResult", "listened_feedback", "steer_player"]


@dataclass
class TurnResult:
    """Everything one turn produced: the text, the parse, the reply, items, speech and its events."""

    text: str
    response: str
    events: list[Event]
    parse: Parse | None = None
    items: list[Item] = field(default_factory=list)
    expects_reply: bool = False
    # The reply's speech: a ``SpeechStream`` whose first piece is ready (it goes on being
    # synthesised while it plays), or a whole ``SpokenAudio`` from a voice that cannot stream.
    speech: SpokenAudio | SpeechStream | None = None
    error: AssistantError | None = None
    intent: str | None = None  # what the assistant acted on (``parse.intent`` is the classifier's)
    elapsed_ms: float = 0.0  # the turn's wall time
    understood_by: str = "classifier"  # or "llm": the language model's reading was acted on
    llm_ms: float = 0.0  # time spent waiting for the language model this turn
    # What the assistant thinks is wanted after the turn: the acted-on skill's frame
    # (domain, constraints, exclude, reference), or None.
    state: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """The ``--json`` line for scripts and integrations."""
        return {
            "text": self.text,
            "intent": self.intent or (self.parse.intent if self.parse else None),
            "nlu_intent": self.parse.intent if self.parse else None,
            "confidence": round(self.parse.confidence, 4) if self.parse else None,
            "slots": self.parse.slots if self.parse else {},
            "response": self.response,
            "items": [{"id": i.id, "title": i.title, "domain": i.domain} for i in self.items],
            "reasons": [i.reason for i in self.items],
            "elapsed_ms": round(self.elapsed_ms, 1),
            "understood_by": self.understood_by,
            "llm_ms": round(self.llm_ms, 1),
            "state": self.state,
        }


@dataclass
class Session:
    """One conversation with one user: its seed, dialogue state, clock and log."""

    id: str
    user: str
    seed: int
    mode: str
    state: DialogueState
    clock: EventClock
    log: SessionLog | None
    turns: int = 0
    # Whether the session's row is in the history; a full disk at its start leaves it for the
    # first turn that can be recorded.
    stored: bool = False
    started: float = 0.0  # wall-clock time of its start (the pipeline's clock)

    @property
    def records(self) -> bool:
        """Whether the session's turns are written to the history (not for the guest)."""
        return self.user != GUEST_USER

    def store_row(self, store: HistoryStore) -> None:
        """The session's row in the history, once; ``HistoryError`` while the store refuses it."""
        if not self.stored:
            log_path = str(self.log.path) if self.log is not None else None
            store.start_session(self.id, self.user, self.seed, self.mode, log_path, self.started)
            self.stored = True


@dataclass
class Turn:
    """One turn while its stages run: its session, its result so far, its number, its seeded
    random generator (replay repeats it), its wall clock, and the language model's calls."""

    session: Session
    result: TurnResult
    n: int
    rng: random.Random
    wall_time: float
    trace: LlmTrace = field(default_factory=LlmTrace)  # across the llm and dialogue stages

    def emit(self, event: Callable[..., Event], **fields: Any) -> None:
        """Add an event of this turn, stamped with the turn's number and the session's clock."""
        self.result.events.append(event(turn=self.n, t=self.session.clock(), **fields))

    def record(
        self, outcome: Outcome | None, audio_name: str | None, listened: list[FeedbackRecord]
    ) -> TurnRecord:
        """The turn's history row: what was said, understood, decided, offered and learnt."""
        session, result, parse = self.session, self.result, self.result.parse
        # "audio" once speech-to-text gave a transcript; a recording it failed on is kept as "text".
        heard = any(isinstance(e, SttEnd) for e in result.events)
        return TurnRecord(
            session_id=session.id,
            user=session.user,
            seq=self.n,
            ts=self.wall_time,
            source="audio" if heard else "text",
            text=result.text,
            response=result.response,
            events=[e.to_dict() for e in result.events],
            intent=parse.intent if parse else None,
            confidence=parse.confidence if parse else None,
            slots=dict(parse.slots) if parse else {},
            act=outcome.act if outcome else None,
            domain=outcome.domain if outcome else None,
            error=type(result.error).__name__ if result.error else None,
            audio_path=audio_name,
            items=list(outcome.items) if outcome else [],
            feedback=(list(outcome.feedback) if outcome else []) + listened,
            preferences=dict(outcome.preferences) if outcome else {},
        )


def steer_player(outcome: Outcome) -> None:
    """ "Stop", "turn it up", "mute": the dialogue's answers act on what the player plays."""
    player = current_player()
    if player is None:
        return
    if outcome.act == "stop":
        player.stop()
    elif outcome.act == "volume" and outcome.response_key == "mute":
        player.mute()
    elif outcome.act == "volume":
        player.set_volume(float(outcome.values.get("level", 5)) / 10)


def listened_feedback(outcome: Outcome | None) -> list[FeedbackRecord]:
    """What the player heard end or be abandoned since the last turn, as feedback ("play",
    "skip"); a skip the turn already records (the user said "skip") is not written twice."""
    player = current_player()
    if player is None:
        return []
    said = {(f.item_id, f.kind) for f in outcome.feedback} if outcome is not None else set()
    return [
        FeedbackRecord(listen.owner, listen.track_id, listen.kind)
        for listen in player.take_listens()
        if (listen.track_id, listen.kind) not in said
    ]
