"""A failure in each stage of a turn: the error event names the stage by its stable code, the
user gets a polite reply, the turn is still recorded and the session goes on.

The real pipeline, dialogue, NLG and SQLite store with the fast tier's fakes (tests/support/fakes.py);
each test breaks one stage the way it breaks in use: a component's own error, or a bug.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from assistant.contracts.errors import (
    AssistantError,
    AudioError,
    DialogueError,
    HistoryError,
    NlgError,
    NluError,
    SkillFailedError,
    SpeechToTextError,
    Stage,
    TextToSpeechError,
)
from assistant.contracts.events import ErrorEvent, event_from_json
from assistant.pipeline.runner import Pipeline, Session, TurnResult
from tests.support.fakes import ScriptedModel, ScriptedSpeech

pytestmark = pytest.mark.timeout(60)
WALL = 1_795_000_000.0
GENERIC = AssistantError.user_message
TONE = np.sin(np.linspace(0, 400, 16000)).astype(np.float32)


def errors_of(result: TurnResult) -> list[ErrorEvent]:
    return [e for e in result.events if isinstance(e, ErrorEvent)]


def failed_turn(pipeline: Pipeline, session: Session, code: str, reply: str, **turn) -> TurnResult:
    """Run one turn that must fail with ``code``: one error event, the polite reply, one history
    row with that reply, and the next turn answered as usual."""
    result = pipeline.run_turn(session, wall_time=WALL, **turn)
    [error] = errors_of(result)
    assert error.code == code, error
    assert result.response == reply
    assert [e.type for e in result.events][-2:] == ["response", "turn-end"]
    [row] = pipeline.store.turns(session_id=session.id)
    assert row["response"] == reply and row["error"] == type(result.error).__name__
    after = pipeline.run_turn(session, text="suggest a tea", wall_time=WALL + 1)
    assert after.items and not errors_of(after)  # one turn lost, not the session
    return result


def test_every_stage_has_one_error_class_with_a_stable_code():
    classes = [
        AudioError,
        SpeechToTextError,
        NluError,
        DialogueError,
        SkillFailedError,
        NlgError,
        TextToSpeechError,
        HistoryError,
    ]
    assert [c.stage for c in classes] == list(Stage)
    assert [c.code for c in classes] == [f"{stage.value}-failed" for stage in Stage]


def test_a_bug_wrapped_in_a_stages_error_keeps_its_class_and_gets_the_general_apology():
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        error = SpeechToTextError.wrapping(exc)
    assert error.code == "stt-failed" and error.bug == "ZeroDivisionError"
    assert str(error) == "ZeroDivisionError: division by zero" and error.user_message == GENERIC
    assert SpeechToTextError("no speech").bug is None


def test_unclear_speech_is_an_stt_error(fake_pipeline: Pipeline):
    fake_pipeline.stt = ScriptedSpeech([])
    session = fake_pipeline.start_session("dana", seed=1)
    silent = np.zeros(16000, np.float32)
    result = failed_turn(fake_pipeline, session, "stt-failed", "Sorry, I did not catch that.", audio=silent)
    [error] = errors_of(result)
    assert (error.stage, error.error) == ("stt", "SpeechToTextError")
    assert [e.type for e in result.events][:2] == ["turn-start", "stt-start"]


def test_a_bug_in_speech_to_text_is_an_stt_error_logged_in_full(
    fake_pipeline: Pipeline, caplog: pytest.LogCaptureFixture
):
    class Broken:
        def transcribe(self, audio):
            raise IndexError("beam out of range")

    fake_pipeline.stt = Broken()
    session = fake_pipeline.start_session("dana", seed=1)
    with caplog.at_level(logging.ERROR):
        result = failed_turn(fake_pipeline, session, "stt-failed", GENERIC, audio=TONE)
    [error] = errors_of(result)
    assert error.error == "IndexError" and "beam out of range" in error.message
    [logged] = [r for r in caplog.records if r.exc_info]
    assert "stt stage" in logged.getMessage() and logged.exc_info[0] is IndexError


def test_audio_a_stage_cannot_use_is_an_audio_error(fake_pipeline: Pipeline):
    class Deaf:
        def transcribe(self, audio):
            raise AudioError("the recording is clipped")

    fake_pipeline.stt = Deaf()
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(fake_pipeline, session, "audio-failed", AudioError.user_message, audio=TONE)
    assert errors_of(result)[0].stage == "audio"


def test_audio_with_no_engine_configured_is_an_stt_error(fake_pipeline: Pipeline):
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(fake_pipeline, session, "stt-failed", GENERIC, audio=TONE)
    assert "no stt engine" in errors_of(result)[0].message


def test_a_bug_in_the_classifier_is_an_nlu_error(fake_pipeline: Pipeline):
    real = fake_pipeline.nlu

    class Exploding:
        def parse(self, text):
            if text == "suggest a tea":
                return real.parse(text)
            raise RuntimeError("tokenizer broke")

    fake_pipeline.nlu = Exploding()
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(fake_pipeline, session, "nlu-failed", GENERIC, text="black tea")
    [error] = errors_of(result)
    assert (error.stage, error.error) == ("nlu", "RuntimeError") and "tokenizer broke" in error.message
    assert [e.type for e in result.events] == ["turn-start", "nlu-start", "error", "response", "turn-end"]


def test_a_bug_in_the_dialogue_is_a_dialogue_error(fake_pipeline: Pipeline, monkeypatch):
    respond, calls = fake_pipeline.dialogue.respond, []

    def broken(parse, state, ctx):
        calls.append(ctx.text)
        if len(calls) == 1:
            raise KeyError("pending")
        return respond(parse, state, ctx)

    monkeypatch.setattr(fake_pipeline.dialogue, "respond", broken)
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(fake_pipeline, session, "dialogue-failed", GENERIC, text="black tea")
    assert errors_of(result)[0].error == "KeyError" and isinstance(result.error, DialogueError)
    assert "dialogue-start" in [e.type for e in result.events]


def test_a_bug_in_a_skill_is_a_skill_error(fake_pipeline: Pipeline):
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(
        fake_pipeline, session, "skill-failed", SkillFailedError.user_message, text="break it"
    )
    [error] = errors_of(result)
    assert (error.stage, error.error) == ("skill", "SkillFailedError")
    assert "ZeroDivisionError" in error.message


def test_a_history_read_that_fails_is_a_history_error(fake_pipeline: Pipeline, monkeypatch):
    profile, calls = fake_pipeline.store.profile, []

    def unreadable(user, skill):
        calls.append(user)
        if len(calls) == 1:
            raise HistoryError("database disk image is malformed")
        return profile(user, skill)

    monkeypatch.setattr(fake_pipeline.store, "profile", unreadable)
    session = fake_pipeline.start_session("dana", seed=1)
    failed_turn(fake_pipeline, session, "history-failed", HistoryError.user_message, text="black tea")


def test_a_bug_in_the_reply_is_an_nlg_error(fake_pipeline: Pipeline, monkeypatch):
    respond, calls = fake_pipeline.nlg.respond, []

    def broken(outcome, rng):
        calls.append(outcome)
        if len(calls) == 1:
            raise ValueError("unknown template field")
        return respond(outcome, rng)

    monkeypatch.setattr(fake_pipeline.nlg, "respond", broken)
    session = fake_pipeline.start_session("dana", seed=1)
    result = failed_turn(fake_pipeline, session, "nlg-failed", GENERIC, text="black tea")
    assert errors_of(result)[0].stage == "nlg" and isinstance(result.error, NlgError)
    # The dialogue's work stands: the offer is recorded though its sentence could not be written.
    assert result.items and "dialogue-end" in [e.type for e in result.events]


@pytest.mark.parametrize("failure", [TextToSpeechError("espeak died"), OSError("broken pipe")])
def test_speech_that_fails_leaves_the_answer_as_text(fake_pipeline: Pipeline, failure: Exception):
    class Mute:
        def synthesize(self, text):
            raise failure

    fake_pipeline.tts = Mute()
    session = fake_pipeline.start_session("dana", seed=1)
    result = fake_pipeline.run_turn(session, text="suggest a tea", speak=True, wall_time=WALL)
    [error] = errors_of(result)
    assert (error.stage, error.code) == ("tts", "tts-failed")
    assert error.error == type(failure).__name__
    assert "Sencha" in result.response and result.speech is None and result.error is None
    assert [e.type for e in result.events][-4:] == ["response", "tts-start", "error", "turn-end"]
    [row] = fake_pipeline.store.turns(session_id=session.id)
    assert row["response"] == result.response and row["error"] is None


def test_a_failed_turns_apology_is_spoken(fake_pipeline: Pipeline):
    fake_pipeline.stt = ScriptedSpeech([])
    session = fake_pipeline.start_session("dana", seed=1)
    result = fake_pipeline.run_turn(session, audio=np.zeros(16000, np.float32), speak=True, wall_time=WALL)
    assert result.response == SpeechToTextError.user_message and result.speech is not None
    assert [e.type for e in result.events][-4:] == ["response", "tts-start", "tts-end", "turn-end"]


def test_a_bug_in_the_models_reading_costs_the_second_opinion_not_the_turn(
    assistant_home: Path, monkeypatch, caplog: pytest.LogCaptureFixture
):
    from assistant.app import open_store
    from assistant.config import Settings
    from tests.support.fakes import KeywordNLU, fake_skills

    assistant_home.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(
        KeywordNLU(),
        open_store(assistant_home),
        assistant_home,
        fake_skills(),
        Settings(),
        llm=ScriptedModel(),
    )
    assert pipeline.advisor is not None

    def broken(*args, **kwargs):
        raise AttributeError("no such slot")

    monkeypatch.setattr(pipeline.advisor, "understand", broken)
    session = pipeline.start_session("ann", seed=1)
    with caplog.at_level(logging.ERROR):
        result = pipeline.run_turn(session, text="a warming brew for a rainy evening", wall_time=WALL)
    assert not errors_of(result) and result.understood_by == "classifier"
    assert result.parse is not None and result.intent == result.parse.intent
    assert any(r.exc_info and r.exc_info[0] is AttributeError for r in caplog.records)
    assert pipeline.store.turns(session_id=session.id)[0]["response"] == result.response
    pipeline.store.close()


def test_an_error_event_logged_before_codes_reads_back_without_one():
    line = '{"type": "error", "turn": 1, "t": 0.5, "stage": "skill", "error": "SkillFailedError", "message": "x"}'
    event = event_from_json(line)
    assert isinstance(event, ErrorEvent) and event.code == "" and event.error == "SkillFailedError"
