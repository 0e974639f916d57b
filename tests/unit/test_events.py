from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.contracts.events import (
    DialogueEnd,
    DialogueStart,
    ErrorEvent,
    EventFormatError,
    NluEnd,
    NluStart,
    Response,
    SessionEnd,
    SessionStart,
    SkillEnd,
    SttEnd,
    SttStart,
    TtsEnd,
    TtsStart,
    TurnEnd,
    TurnStart,
    event_from_json,
)
from assistant.pipeline.session_log import SessionLog, read_log

SAMPLES = [
    SessionStart(
        turn=0,
        t=0.0,
        session_id="s1",
        user="alice",
        seed=7,
        mode="text",
        started_at=1.0,
        history={"user": "alice", "turns": []},
        settings={"stt_model": "tiny.en"},
    ),
    TurnStart(turn=1, t=0.1, user="alice", text="play some jazz", wall_time=1700000000.0),
    TurnStart(turn=2, t=0.2, user="alice", text=None, audio="turn-2.wav", wall_time=1.0),
    SttStart(turn=2, t=0.25, audio_s=1.5),
    SttEnd(turn=2, t=0.3, text="play some jazz", avg_logprob=-0.2, audio_s=1.5),
    NluStart(turn=1, t=0.15, text="play some jazz"),
    NluEnd(turn=1, t=0.2, intent="play_music", confidence=0.97, slots={"genre": "jazz"}),
    DialogueStart(turn=1, t=0.205, intent="play_music", slots={"genre": "jazz"}),
    DialogueEnd(turn=1, t=0.21, act="recommend", domain="music", slots={"genre": "jazz"}),
    SkillEnd(turn=1, t=0.3, domain="music", items=[{"id": "fm:1", "title": "So What"}], text=""),
    Response(turn=1, t=0.31, text="Here's So What.", expects_reply=True),
    TtsStart(turn=1, t=0.4, chars=15),
    TtsEnd(turn=1, t=0.5, audio_s=1.2),
    ErrorEvent(
        turn=1, t=0.5, stage="skill", code="skill-failed", error="SkillFailedError", message="catalog missing"
    ),
    TurnEnd(turn=1, t=0.6, elapsed_ms=12.5),
    SessionEnd(turn=1, t=0.7, turns=1),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_event_round_trips_through_json(event):
    line = event.to_json()
    assert json.loads(line)["type"] == event.type
    assert event_from_json(line) == event


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"type": "turn-start", "turn": 1', "not valid JSON"),
        ('{"type": "no-such-event"}', "unknown event type"),
        ('{"type": "nlu-end", "confidence": "high"}', "field 'confidence' has the wrong type"),
        ('{"type": "nlu-end", "turn": true}', "field 'turn' has the wrong type"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_malformed_lines_say_what_is_wrong(line, message):
    with pytest.raises(EventFormatError, match=message):
        event_from_json(line)


def test_session_log_appends_whole_turns_and_names_the_bad_line(tmp_path: Path):
    path = tmp_path / "s.jsonl"
    log = SessionLog(path)
    log.append(SAMPLES[:3])
    log.append(SAMPLES[3:6])
    log.close()
    assert [entry.event for entry in read_log(path)] == SAMPLES[:6]
    assert (path.stat().st_mode & 0o777) == 0o600
    with path.open("a") as f:
        f.write('{"type": "response", "text": 5}\n')
    with pytest.raises(EventFormatError, match=r"s\.jsonl, line 7: response: field 'text'"):
        list(read_log(path))
