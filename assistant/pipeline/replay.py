"""Replay a recorded session through the current build and report what changed.

The session log's ``session-start`` event carries the seed and the user's history at the time
(inline, or in the day's history file it names: ``history_snapshots``), so replaying into an
empty data directory reproduces the session exactly when nothing changed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.contracts.events import EventFormatError, NluEnd, Response, SessionStart, SttEnd, TurnStart
from assistant.pipeline.history_snapshots import read_history
from assistant.pipeline.runner import Pipeline
from assistant.pipeline.session_log import read_log


@dataclass
class RecordedTurn:
    """One turn as the session log recorded it: its start and what was heard, understood and said."""

    number: int
    line: int
    start: TurnStart
    stt_text: str | None = None
    intent: str | None = None
    response: str | None = None


@dataclass
class TurnDiff:
    """How one replayed turn differs from the recording: per field, (recorded, replayed)."""

    turn: int
    said: str
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass
class ReplayReport:
    """The outcome of a replay: how many turns ran and which differed."""

    turns: int
    diffs: list[TurnDiff]

    @property
    def identical(self) -> bool:
        """Whether every replayed turn matched the recording."""
        return not self.diffs


def load_recording(path: Path) -> tuple[SessionStart, list[RecordedTurn]]:
    """The session start and the recorded turns of the session log at ``path``."""
    start: SessionStart | None = None
    turns: dict[int, RecordedTurn] = {}
    for entry in read_log(path):
        ev = entry.event
        if isinstance(ev, SessionStart) and start is None:
            start = ev
        elif isinstance(ev, TurnStart):
            turns[ev.turn] = RecordedTurn(ev.turn, entry.number, ev)
        elif ev.turn in turns:
            rec = turns[ev.turn]
            if isinstance(ev, SttEnd):
                rec.stt_text = ev.text
            elif isinstance(ev, NluEnd):
                rec.intent = ev.intent
            elif isinstance(ev, Response):
                rec.response = ev.text
    if start is None:
        raise EventFormatError(f"{path}: no session-start event, so this is not a session log")
    return start, [turns[k] for k in sorted(turns)]


def read_recording(path: Path) -> np.ndarray:
    """16 kHz mono float32 from a recorded WAV; a damaged file names itself."""
    from assistant.contracts.errors import AudioError
    from assistant.voice.wavfile import read_wav

    try:
        return read_wav(path)
    except AudioError as exc:
        raise EventFormatError(str(exc)) from None


def replay_session(
    log_path: Path,
    build: Callable[[Path], Pipeline],
    home: Path | None = None,
    use_audio: bool = True,
    on_turn: Callable[[RecordedTurn, str, str, TurnDiff | None], None] | None = None,
) -> ReplayReport:
    """Feed a recorded session's inputs through a fresh pipeline built by ``build(home)``."""
    start, turns = load_recording(log_path)
    with tempfile.TemporaryDirectory(prefix="assistant-replay-") as tmp:
        pipeline = build(home or Path(tmp))
        history = start.history
        if start.history_file:
            history = read_history(log_path.parent / start.history_file, start.session_id)
        if history:
            pipeline.store.import_user(history)
        session = pipeline.start_session(start.user, mode="replay", seed=start.seed)
        diffs: list[TurnDiff] = []
        for rec in turns:
            audio = None
            if rec.start.audio and use_audio:
                wav = log_path.parent / rec.start.audio
                if not wav.exists():
                    raise EventFormatError(
                        f"{log_path}, line {rec.line}: recording {rec.start.audio} is missing"
                    )
                audio = read_recording(wav)
            text = rec.start.text if rec.start.text is not None else rec.stt_text
            result = pipeline.run_turn(
                session, text=text, audio=audio, audio_name=rec.start.audio, wall_time=rec.start.wall_time
            )
            now_intent = result.parse.intent if result.parse else None
            diff = TurnDiff(rec.number, result.text)
            if now_intent != rec.intent:
                diff.fields["intent"] = (rec.intent, now_intent)
            if result.response != rec.response:
                diff.fields["response"] = (rec.response, result.response)
            if audio is not None and rec.stt_text is not None and result.text != rec.stt_text:
                diff.fields["transcript"] = (rec.stt_text, result.text)
            found = diff if diff.fields else None
            if found:
                diffs.append(found)
            if on_turn:
                on_turn(rec, result.text, result.response, found)
        pipeline.end_session(session)
        pipeline.store.close()
    return ReplayReport(len(turns), diffs)
