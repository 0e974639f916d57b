"""The turn runner: audio or text in, a response (and optionally speech) out, every turn recorded
in one history transaction.

One method per stage, in the order the data flows: ``_stt`` (audio to text), ``_nlu`` (the
classifier's reading), ``_llm`` (the language model's second reading, only with a model
configured and only when the classifier is unsure), ``_dialogue`` (the decision, and the skill it
runs), ``_nlg`` (the reply's words) and ``_tts`` (its speech). Each stage emits its own events
(a ``*-start`` where a stage's time is worth knowing, and its end) and raises only its own error
class (``assistant/contracts/errors.py``): a bug inside a stage is logged with its traceback and
becomes that stage's error, so the error alone says which stage failed. ``run_turn`` has the one
handler: the error event with the stage's code, and a polite reply; the turn is still recorded.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.contracts.errors import (
    AssistantError,
    DialogueError,
    HistoryError,
    HistoryNotRecordedError,
    NlgError,
    NluError,
    SpeechToTextError,
    TextToSpeechError,
)
from assistant.contracts.events import (
    DialogueEnd,
    DialogueStart,
    ErrorEvent,
    LlmCall,
    NluEnd,
    NluStart,
    Response,
    SkillEnd,
    SttEnd,
    SttStart,
    TtsEnd,
    TtsStart,
    TurnEnd,
    TurnStart,
)
from assistant.contracts.stages import (
    MAX_INPUT_CHARS,
    OUT_OF_SCOPE,
    SAMPLE_RATE,
    IntentParser,
    Parse,
    SpeechToText,
    TextToSpeech,
)
from assistant.dialogue import DialogueManager, Outcome, TurnContext
from assistant.llm import LanguageModel, SecondOpinion
from assistant.nlu.data import plain_text
from assistant.pipeline.history_snapshots import HistorySnapshots
from assistant.pipeline.nlg import ResponseGenerator
from assistant.pipeline.retention import apply_retention
from assistant.pipeline.session_log import (
    delete_user_files,
    repair_session_logs,
)
from assistant.pipeline.sessions import SessionLifecycle
from assistant.pipeline.turn import GUEST_USER, Session, Turn, TurnResult, listened_feedback, steer_player
from assistant.skill_sdk.api import Skill
from assistant.skill_sdk.phrasing import join_words
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.history import HistoryStore
from assistant.voice.misheard import misheard
from assistant.voice.speech_stream import speak

log = logging.getLogger(__name__)

# Session, TurnResult and GUEST_USER live in turn.py; they are still imported from here.
__all__ = ["GUEST_USER", "Pipeline", "Session", "TurnResult"]
FORGET_FAILED = "Sorry, I could not delete your history right now; please ask me again later."


@contextmanager
def _stage(error: type[AssistantError]) -> Iterator[None]:
    """One stage's work: an expected failure (any ``AssistantError``) passes on as it is; anything
    else is a bug, logged here with its traceback and raised as this stage's ``error``."""
    try:
        yield
    except AssistantError:
        raise
    except Exception as exc:
        log.exception("unexpected error in the %s stage", error.stage.value)
        raise error.wrapping(exc) from exc


class Pipeline(SessionLifecycle):
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
        self.snapshots = HistorySnapshots(store)
        self.data_dir = data_dir
        self.settings = settings or Settings()
        self.stt = stt
        self.tts = tts
        self.skills = SkillRegistry.wrap(skills)
        self.dialogue = DialogueManager(self.skills, store)
        self.nlg = ResponseGenerator(self.skills.specs)
        timeout_s = self.settings.llm_timeout_s
        self.advisor = SecondOpinion(llm, self.skills, store, timeout_s) if llm is not None else None
        # The wall clock of sessions and turns; a test of weeks of use sets its own.
        self.clock: Callable[[], float] = time.time
        repair_session_logs(store)

    def skills_summary(self) -> str:
        """ "music, news, weather or a movie": what people can ask for, from the skills' topics."""
        return join_words([s.phrasing.topic or s.name for s in self.skills.specs], last="or")

    def help_text(self) -> str:
        """The help for a person at the prompt, from the installed skills' declarations."""
        examples = ", ".join(f'"{s.phrasing.examples[0]}"' for s in self.skills.specs if s.phrasing.examples)
        return self.nlg.render("help", random.Random(0), topics=self.skills_summary(), examples=examples)

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
        wall_time = self.clock() if wall_time is None else wall_time
        rng = random.Random(f"{session.seed}:{session.turns}")
        turn = Turn(session, TurnResult(text="", response="", events=[]), session.turns, rng, wall_time)
        result = turn.result
        # Lone surrogates (from a broken terminal or a fuzzer) cannot be stored as UTF-8.
        text = None if text is None else text.encode("utf-8", "replace").decode("utf-8")
        typed = None if audio is not None else (text or "")
        turn.emit(TurnStart, user=session.user, text=typed, audio=audio_name, wall_time=wall_time)
        outcome: Outcome | None = None
        try:
            if audio is not None:
                text = self._stt(turn, audio)
            result.text = plain_text(text or "")
            parse = self._nlu(turn)
            outcome = self._unheard(turn, parse)
            if outcome is None:  # something to act on
                ctx = TurnContext(
                    user=session.user, text=result.text[:MAX_INPUT_CHARS], rng=rng, now=wall_time
                )
                outcome = self._dialogue(turn, self._llm(turn, parse, ctx), parse, ctx)
            result.response = self._nlg(outcome, rng)
        except AssistantError as error:
            self._fail(turn, error)
        session.state.last_response = result.response
        turn.emit(Response, text=result.response, expects_reply=result.expects_reply)
        if speak and self.tts is not None:
            try:  # after the reply, so that a failed turn's polite reply is spoken too
                self._tts(turn)
            except TextToSpeechError as error:
                self._fail(turn, error)
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        turn.emit(TurnEnd, elapsed_ms=round(result.elapsed_ms, 3))
        self._record(turn, outcome, audio_name, speak)
        if outcome is not None and outcome.forget_user and session.records:
            if session.log is not None:
                session.log.close()
                session.log = None
            try:
                self.forget(session.user)
            except HistoryError as exc:  # a full disk refuses even a delete: say so, not "done"
                log.warning("%s", exc)
                result.response = FORGET_FAILED
            # Anything said from now on starts a new, empty history (and a new log file).
            self.switch_user(session, session.user)
        elif outcome is not None and outcome.switch_user:
            # The "this is Alice" turn belongs to the profile that was active when it was said.
            self.switch_user(session, outcome.switch_user)
        return result

    # --- the stages, in data-flow order --------------------------------------------------
    def _stt(self, turn: Turn, audio: np.ndarray) -> str:
        """Speech to text: the transcript of the recording."""
        if self.stt is None:  # a setup fault, not unclear speech: the general apology
            raise SpeechToTextError("no stt engine configured", user_message=AssistantError.user_message)
        turn.emit(SttStart, audio_s=round(len(audio) / SAMPLE_RATE, 3))
        with _stage(SpeechToTextError):
            heard = self.stt.transcribe(audio)
        turn.emit(SttEnd, text=heard.text, avg_logprob=heard.avg_logprob, audio_s=heard.duration_s)
        return heard.text

    def _nlu(self, turn: Turn) -> Parse:
        """The classifier's reading of the turn's text: its first ``MAX_INPUT_CHARS`` only."""
        text = turn.result.text[:MAX_INPUT_CHARS]
        turn.emit(NluStart, text=text)
        parse = Parse(OUT_OF_SCOPE, 0.0, {}, "")
        if text:
            with _stage(NluError):
                parse = self.nlu.parse(text)
        turn.result.parse = parse
        confidence = round(parse.confidence, 6)
        turn.emit(NluEnd, intent=parse.intent, confidence=confidence, slots=dict(parse.slots))
        return parse

    def _unheard(self, turn: Turn, parse: Parse) -> Outcome | None:
        """Nothing to act on: no words, or a transcript too doubtful to act on; else None."""
        result = turn.result
        if not result.text:
            return Outcome("empty_input", "empty_input")
        heard = next((e for e in result.events if isinstance(e, SttEnd)), None)
        if heard is None or not misheard(heard.avg_logprob, parse):
            return None
        # Asked again, nothing acted on and no model asked: the dialogue's state (a pending
        # question, the active skill) stays as it was for the repeat.
        result.expects_reply = True
        turn.emit(DialogueEnd, act="misheard")
        heard_text = result.text[:MAX_INPUT_CHARS].rstrip(" .!?")
        return Outcome("misheard", "misheard", {"heard": heard_text}, expects_reply=True)

    def _llm(self, turn: Turn, parse: Parse, ctx: TurnContext) -> Parse:
        """The language model's second reading when the classifier is unsure, else the classifier's.

        Only with a model configured. Its failure costs the second opinion, not the turn: a bug
        is logged with its traceback and the classifier's reading is acted on.
        """
        if self.advisor is None:
            return parse
        state, reading = turn.session.state, None
        try:
            # A refinement of the active skill's frame, a feeling told, a louder or quieter: read
            # by their own words, they never wait for the model.
            by_words = self.dialogue.reads_by_its_words(parse, state, ctx.text)
            if not by_words and self.advisor.should_understand(parse, ctx.text, state):
                reading = self.advisor.understand(parse, ctx.text, state, ctx.user, turn.trace)
        except Exception:
            log.exception("the language model's reading failed; keeping the classifier's")
        finally:
            self._model_calls(turn, 0)
        return reading if reading is not None else parse

    def _dialogue(self, turn: Turn, reading: Parse, parse: Parse, ctx: TurnContext) -> Outcome:
        """The dialogue decides what to do with ``reading`` and runs the skill that answers it;
        with a model, it may pick among the skill's candidates and explain from the evidence.

        A skill's failure is the skill's (``SkillFailedError``); any other here, the dialogue's.
        ``parse`` (the classifier's reading) names the intent when the outcome names none.
        """
        result, state = turn.result, turn.session.state
        turn.emit(DialogueStart, intent=reading.intent, slots=dict(reading.slots))
        asked = len(turn.trace.calls)  # the second reading's calls are in the events already
        with _stage(DialogueError):
            try:
                outcome = self.dialogue.respond(reading, state, ctx)
                if self.advisor is not None:
                    self.advisor.pick(outcome, state, ctx, turn.trace)
                    self.advisor.explain(outcome, ctx, turn.trace)
            finally:  # what the model was asked is logged even when the turn fails
                self._model_calls(turn, asked)
            result.intent = outcome.intent or parse.intent
            turn.emit(
                DialogueEnd,
                act=outcome.act,
                domain=outcome.domain,
                slots=dict(outcome.slots),
                intent=result.intent,
                frame=outcome.frame,
                matcher=outcome.matcher,
            )
            if outcome.skill_ran:
                items = [i.to_dict() for i in outcome.items]
                turn.emit(SkillEnd, domain=outcome.domain or "", items=items, text=outcome.skill_text)
            result.items, result.state = outcome.items, outcome.frame
            result.expects_reply = outcome.expects_reply
            if len(result.text) > MAX_INPUT_CHARS:
                outcome.values["long_input"] = True  # the reply says only the beginning was read
            steer_player(outcome)
        return outcome

    @staticmethod
    def _model_calls(turn: Turn, since: int) -> None:
        """The language model's calls from ``since`` on as events, and its share of the turn."""
        trace = turn.trace
        turn.result.understood_by, turn.result.llm_ms = trace.understood_by, trace.ms
        for call in trace.calls[since:]:
            turn.emit(LlmCall, **call)

    def _nlg(self, outcome: Outcome, rng: random.Random) -> str:
        """The reply's words for the dialogue's outcome. Its end event is the turn's ``response``,
        which ``run_turn`` writes, so that a failed turn's polite reply has one too."""
        with _stage(NlgError):
            return self.nlg.respond(outcome, rng)

    def _tts(self, turn: Turn) -> None:
        """Text to speech: the reply as audio, for the caller to play. A voice that streams
        (``StreamingTextToSpeech``) is waited for only until its first piece is ready; the
        rest is synthesised while that plays (``assistant.voice.speech_stream``)."""
        assert self.tts is not None  # run_turn asks for speech only when an engine is configured
        turn.emit(TtsStart, chars=len(turn.result.response))
        streams = callable(getattr(self.tts, "stream", None))
        with _stage(TextToSpeechError):
            if streams:
                stream = speak(self.tts, turn.result.response)
                speech = stream.first()
                turn.result.speech = stream
            else:
                speech = turn.result.speech = self.tts.synthesize(turn.result.response)
        turn.emit(TtsEnd, audio_s=round(len(speech.samples) / speech.sample_rate, 3), streamed=streams)

    def _fail(self, turn: Turn, error: AssistantError) -> None:
        """The turn's one error handler: an ``error`` event with the stage's code, and the polite
        reply in place of the answer (unless the answer still stands, as when speech fails)."""
        cause = error.__cause__
        if error.bug is None and cause is not None and not isinstance(cause, AssistantError):
            # A component turned an exception into its stage's error: keep how it happened.
            log.error("%s: %s", error.code, error, exc_info=cause)
        else:  # expected, or a bug the stage it happened in has logged in full
            log.warning("%s: %s", error.code, error)
        if error.replaces_reply:
            turn.result.error = error
            turn.result.response = error.user_message
        name = error.bug or type(error).__name__  # as before: a bug is named by its own class
        turn.emit(ErrorEvent, stage=error.stage.value, code=error.code, error=name, message=str(error))

    # --- after the turn ------------------------------------------------------------------
    def _record(self, turn: Turn, outcome: Outcome | None, audio_name: str | None, speak: bool) -> None:
        """The turn's row in one transaction, then its log lines. A store that refuses it (a full
        disk) costs the record, not the answer: the reply gets a short note, and the next turn
        that the store takes is recorded as usual, without a restart."""
        listened = listened_feedback(outcome)  # taken for a guest too, and not kept
        session, result = turn.session, turn.result
        if not session.records:
            return
        try:
            session.store_row(self.store)
            self.store.record_turn(turn.record(outcome, audio_name, listened))
        except HistoryError as exc:
            # Expected while the disk is full: one line, no traceback, each turn.
            log.warning("%s: %s", HistoryNotRecordedError.code, exc)
            note = HistoryNotRecordedError.user_message
            result.response = f"{result.response} {note}".strip()
            if speak and self.tts is not None and result.speech is not None:
                try:  # the note is heard too, not only shown
                    result.speech = self.tts.synthesize(result.response)
                except Exception:
                    log.exception("could not speak the reply with its note")
            return  # the log follows the database: a turn the database lacks is not logged
        # The database row is the source of truth; the log line follows it.
        if session.log is not None:
            session.log.append(result.events)

    def housekeeping(self, now: float | None = None) -> dict[str, int]:
        """Retention (``[privacy] retention_days``): recordings, session logs and turns older
        than that go, and the database gives the space back; counts of what went."""
        return apply_retention(self.data_dir, self.store, self.settings.retention_days, now or self.clock())

    def forget(self, user: str) -> dict[str, int]:
        """Delete everything stored about ``user`` (history rows and files); the counts removed."""
        counts = self.store.forget_user(user)
        counts["files"] = delete_user_files(self.data_dir, user)
        self.snapshots.forget(user)
        return counts
