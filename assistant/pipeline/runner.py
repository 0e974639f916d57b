"""The turn runner: audio or text in, a response (and optionally speech) out, every stage
emitting typed events, every turn recorded in one history transaction.

A turn can start at audio or at text and stop after NLG or after TTS. Every expected failure
is a stage error that becomes a polite reply; the turn is still recorded.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.contracts.errors import AssistantError, Stage, TextToSpeechError
from assistant.contracts.events import (
    ErrorEvent,
    Event,
    EventClock,
    Response,
    SessionEnd,
    SessionStart,
    SttEnd,
    TtsEnd,
    TurnEnd,
    TurnStart,
)
from assistant.contracts.stages import IntentParser, Parse, SpeechToText, SpokenAudio, TextToSpeech
from assistant.dialogue import DialogueManager, DialogueState, Outcome
from assistant.llm import LanguageModel, SecondOpinion
from assistant.llm.consult import StageFailed, Understanding
from assistant.nlu.data import plain_text
from assistant.pipeline.nlg import ResponseGenerator
from assistant.pipeline.session_log import (
    SessionLog,
    delete_user_files,
    new_session_id,
    repair_session_logs,
    sessions_dir,
)
from assistant.playback.player import current_player
from assistant.skill_sdk.api import Item, Skill
from assistant.skill_sdk.phrasing import join_words
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.history import FeedbackRecord, HistoryStore, TurnRecord

log = logging.getLogger(__name__)

GUEST_USER = "guest"  # records nothing
__all__ = ["Pipeline", "Session", "TurnResult"]


@dataclass
class TurnResult:
    """Everything one turn produced: the text, the parse, the reply, items, speech and its events."""

    text: str
    response: str
    events: list[Event]
    parse: Parse | None = None
    items: list[Item] = field(default_factory=list)
    expects_reply: bool = False
    speech: SpokenAudio | None = None
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

    @property
    def records(self) -> bool:
        """Whether the session's turns are written to the history (not for the guest)."""
        return self.user != GUEST_USER


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


class Pipeline:
    """The turn runner: text or audio in, a reply (and optionally speech) out, every stage logged."""

    def __init__(
        self,
        nlu: IntentParser,
        store: HistoryStore,
        data_dir: Path,
        skills: SkillRegistry | Callable[[str], Skill],
        settings: Settings | None = None,
        stt: SpeechToText | None = None,
        tts: TextToSpeech | None = None,
        llm: LanguageModel | None = None,
    ) -> None:
        """``skills``: a ``SkillRegistry``, or a ``skill_for(name)`` function over the installed ones.

        ``llm``: a language model for a second opinion (``assistant/llm``); None: classifier only.
        """
        self.nlu = nlu
        self.store = store
        self.data_dir = data_dir
        self.settings = settings or Settings()
        self.stt = stt
        self.tts = tts
        self.skills = SkillRegistry.wrap(skills)
        self.dialogue = DialogueManager(self.skills, store)
        self.nlg = ResponseGenerator(self.skills.specs)
        timeout_s = self.settings.llm_timeout_s
        self.advisor = SecondOpinion(llm, self.skills, store, timeout_s) if llm is not None else None
        # nlu (-> llm) -> dialogue, and the model's picks and explanations: assistant/llm/consult.py
        self.understanding = Understanding(lambda: self.nlu, self.dialogue, self.advisor)
        repair_session_logs(store)

    def skills_summary(self) -> str:
        """ "music, news, weather or a movie": what people can ask for, from the skills' topics."""
        return join_words([s.topic or s.name for s in self.skills.specs], last="or")

    def help_text(self) -> str:
        """The help for a person at the prompt, from the installed skills' declarations."""
        examples = ", ".join(f'"{s.examples[0]}"' for s in self.skills.specs if s.examples)
        return self.nlg.render("help", random.Random(0), topics=self.skills_summary(), examples=examples)

    # --- sessions ----------------------------------------------------------------------
    def start_session(
        self, user: str, mode: str = "text", seed: int | None = None, session_id: str | None = None
    ) -> Session:
        """Begin a session for ``user``, with a log and a history row unless the user is the guest."""
        user = user.strip().lower() or self.settings.default_user
        seed = random.randrange(2**31) if seed is None else seed
        session_id = session_id or new_session_id()
        clock = EventClock()
        session = Session(session_id, user, seed, mode, DialogueState(user=user), clock, None)
        if session.records:
            self._open_log(session)
        return session

    def _open_log(self, session: Session) -> None:
        user = session.user
        history = self.store.export_user(user) if self.store.has_user_data(user) else None
        log_path = sessions_dir(self.data_dir, user) / f"{session.id}.jsonl"
        self.store.start_session(session.id, user, session.seed, session.mode, str(log_path))
        session.log = SessionLog(log_path)
        session.log.append(
            [
                SessionStart(
                    turn=session.turns,
                    t=session.clock(),
                    session_id=session.id,
                    user=user,
                    seed=session.seed,
                    mode=session.mode,
                    started_at=time.time(),
                    history=history,
                    settings=self.settings.to_dict(),
                )
            ]
        )

    def switch_user(self, session: Session, user: str) -> None:
        """Continue the conversation as another person: new profile, new state, new log."""
        self.end_session(session)
        session.user = user.strip().lower() or self.settings.default_user
        session.id = new_session_id()
        session.state = DialogueState(user=session.user)
        session.turns = 0  # turn numbers (and so the per-turn random seeds) restart with the log
        session.log = None
        if session.records:
            self._open_log(session)

    def end_session(self, session: Session) -> None:
        """Close the session's log; ending a session twice is harmless."""
        listened = listened_feedback(None)
        if listened and session.records:  # tracks that ended after the last turn
            rows = [(f.domain, f.item_id, f.kind, None, time.time()) for f in listened]
            self.store.import_feedback(session.user, rows)
        if session.log is not None:
            session.log.append([SessionEnd(turn=session.turns, t=session.clock(), turns=session.turns)])
            session.log.close()
            session.log = None

    # --- one turn ----------------------------------------------------------------------
    def run_turn(
        self,
        session: Session,
        text: str | None = None,
        audio: np.ndarray | None = None,
        audio_name: str | None = None,
        speak: bool = False,
        wall_time: float | None = None,
    ) -> TurnResult:
        """Run one turn from typed ``text`` or recorded ``audio``; expected failures become polite replies."""
        started = time.perf_counter()
        session.turns += 1
        n, clock = session.turns, session.clock
        wall_time = time.time() if wall_time is None else wall_time
        rng = random.Random(f"{session.seed}:{n}")
        # Lone surrogates (from a broken terminal or a fuzzer) cannot be stored as UTF-8.
        text = None if text is None else text.encode("utf-8", "replace").decode("utf-8")
        events: list[Event] = [
            TurnStart(
                turn=n,
                t=clock(),
                user=session.user,
                text=None if audio is not None else (text or ""),
                audio=audio_name,
                wall_time=wall_time,
            )
        ]
        result = TurnResult(text="", response="", events=events)
        outcome: Outcome | None = None
        stage = Stage.STT
        try:
            if audio is not None:
                transcript = self._require(self.stt, Stage.STT).transcribe(audio)
                text = transcript.text
                events.append(
                    SttEnd(
                        turn=n,
                        t=clock(),
                        text=text,
                        avg_logprob=transcript.avg_logprob,
                        audio_s=transcript.duration_s,
                    )
                )
            result.text = plain_text(text or "")
            stage = Stage.DIALOGUE
            outcome = self.understanding.decide(result, session.state, session.user, n, clock, rng, wall_time)
            steer_player(outcome)
            stage = Stage.NLG
            result.response = self._render(outcome, session.state, rng)
        except StageFailed as failed:
            self._fail(result, failed.stage, failed.error, n, clock)
        except Exception as exc:
            self._fail(result, exc.stage if isinstance(exc, AssistantError) else stage, exc, n, clock)
        session.state.last_response = result.response
        events.append(Response(turn=n, t=clock(), text=result.response, expects_reply=result.expects_reply))
        if speak:
            self._speak(result, n, clock)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        events.append(TurnEnd(turn=n, t=clock(), elapsed_ms=round(result.elapsed_ms, 3)))
        self._record(session, result, outcome, wall_time, audio_name)
        if outcome is not None and outcome.forget_user and session.records:
            if session.log is not None:
                session.log.close()
                session.log = None
            self.forget(session.user)
            # Anything said from now on starts a new, empty history (and a new log file).
            self.switch_user(session, session.user)
        elif outcome is not None and outcome.switch_user:
            # The "this is Alice" turn belongs to the profile that was active when it was said.
            self.switch_user(session, outcome.switch_user)
        return result

    def _render(self, outcome: Outcome, state: DialogueState, rng: random.Random) -> str:
        offered = outcome.items or outcome.act != "dislike"  # "I can't stand Titanic" offers nothing
        if outcome.act in ("recommend", "skip", "more", "dislike") and outcome.domain and offered:
            response = self.nlg.offer(
                outcome.domain, outcome.items, outcome.skill_text, rng, followup=outcome.expects_reply
            )
            if not response:
                response = self.nlg.render("nothing_found", rng)
            if outcome.act == "dislike":
                response = self.nlg.render_outcome("dislike", outcome.values, rng) + " " + response
        elif outcome.act == "repeat":
            response = outcome.values.get("text") or self.nlg.render("repeat_nothing", rng)
        elif not outcome.response_key:  # a skill's own answer ("who sings this?")
            response = outcome.skill_text or self.nlg.render("nothing_found", rng)
        else:
            values = {"domain": outcome.domain, **outcome.values} if outcome.domain else outcome.values
            response = self.nlg.render_outcome(outcome.response_key, values, rng)
        if outcome.values.get("long_input"):
            response = self.nlg.render("long_input", rng) + " " + response
        return response

    def _fail(self, result: TurnResult, stage: Stage, exc: BaseException, n: int, clock: EventClock) -> None:
        """One polite reply; the event names the stage that failed; a bug is logged in full."""
        if isinstance(exc, AssistantError):
            error, name = exc, type(exc).__name__
            cause = exc.__cause__
            if cause is not None and not isinstance(cause, AssistantError):
                log.error("%s failed: %s", stage.value, exc, exc_info=cause)
            else:
                log.warning("%s: %s", stage.value, exc)
        else:  # a bug must cost one turn, not the session
            log.exception("unexpected error in the %s stage", stage.value, exc_info=exc)
            error, name = AssistantError(str(exc)), type(exc).__name__
        result.error = error
        result.response = error.user_message
        message = (
            str(exc)
            if isinstance(exc, AssistantError)
            else "".join(traceback.format_exception_only(exc)).strip()
        )
        result.events.append(ErrorEvent(turn=n, t=clock(), stage=stage.value, error=name, message=message))

    def _speak(self, result: TurnResult, n: int, clock: EventClock) -> None:
        if self.tts is None:
            return
        try:
            result.speech = self.tts.synthesize(result.response)
            audio_s = len(result.speech.samples) / result.speech.sample_rate
            result.events.append(TtsEnd(turn=n, t=clock(), audio_s=round(audio_s, 3)))
        except TextToSpeechError as exc:
            result.events.append(
                ErrorEvent(
                    turn=n, t=clock(), stage=exc.stage.value, error=type(exc).__name__, message=str(exc)
                )
            )

    def _record(
        self,
        session: Session,
        result: TurnResult,
        outcome: Outcome | None,
        wall_time: float,
        audio_name: str | None,
    ) -> None:
        listened = listened_feedback(outcome)  # taken for a guest too, and not kept
        if not session.records:
            return
        parse = result.parse
        record = TurnRecord(
            session_id=session.id,
            user=session.user,
            seq=session.turns,
            ts=wall_time,
            source="audio" if result.events and isinstance(result.events[1], SttEnd) else "text",
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
        # The database row is the source of truth; the log line follows it.
        self.store.record_turn(record)
        if session.log is not None:
            session.log.append(result.events)

    def forget(self, user: str) -> dict[str, int]:
        """Delete everything stored about ``user`` (history rows and files); the counts removed."""
        counts = self.store.forget_user(user)
        counts["files"] = delete_user_files(self.data_dir, user)
        return counts

    @staticmethod
    def _require(stage_impl: Any, stage: Stage) -> Any:
        if stage_impl is None:
            raise AssistantError(f"no {stage.value} engine configured")
        return stage_impl
