"""Golden conversations: each fixture is an ordered list of events; the real pipeline must emit
(at least) those events, with those field values, turn by turn.

The session-start line pins the wall clock the conversation was recorded at (``started_at``);
turns run a minute apart from it, as replay does, so "tomorrow" means the same day forever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(300)]
GOLDEN = sorted((Path(__file__).resolve().parents[1] / "data" / "golden").glob("*.jsonl"))


def load_golden(path: Path) -> tuple[dict, list[tuple[str, list[dict]]]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    start, turns = lines[0], []
    assert start["type"] == "session-start"
    for line in lines[1:]:
        if line["type"] == "turn-start":
            turns.append((line["text"], []))
        else:
            turns[-1][1].append(line)
    return start, turns


def matches(expected: dict, actual: dict) -> bool:
    for key, want in expected.items():
        got = actual.get(key)
        if key == "items":
            if len(got) != len(want) or not all(matches(w, g) for w, g in zip(want, got, strict=True)):
                return False
        elif key == "slots":
            if any(got.get(k) is None or got[k].lower() != v.lower() for k, v in want.items()):
                return False
        elif key == "frame":
            if not frame_matches(want, got):
                return False
        elif got != want:
            return False
    return True


def frame_matches(want: dict, got: dict | None) -> bool:
    """The frame holds at least the expected constraints and exclusions (exactly, for each
    constraint named), and the expected reference title; ``"constraints": {}`` asks for none."""
    if got is None:
        return False
    held = got.get("constraints") or {}
    wanted = want.get("constraints")
    if wanted == {} and held:
        return False
    if any(held.get(k, "").lower() != v.lower() for k, v in (wanted or {}).items()):
        return False
    excluded = got.get("exclude") or {}
    if any(not set(v) <= set(excluded.get(k, [])) for k, v in (want.get("exclude") or {}).items()):
        return False
    if "reference" in want:
        ref = got.get("reference")
        title = ref.get("title") if isinstance(ref, dict) else None
        return title == want["reference"]
    return True


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_conversation(pipeline, path: Path):
    start, turns = load_golden(path)
    session = pipeline.start_session(start["user"], seed=start["seed"])
    started_at = float(start["started_at"])
    offered, session_ids = 0, []
    for number, (text, expected) in enumerate(turns, start=1):
        if session.id not in session_ids:
            session_ids.append(session.id)  # "this is Alice" starts a new session
        result = pipeline.run_turn(session, text=text, wall_time=started_at + 60 * number)
        actual = [e.to_dict() for e in result.events]
        assert [e["type"] for e in actual][0] == "turn-start" and actual[-1]["type"] == "turn-end"
        assert not [e for e in actual if e["type"] == "error"], (text, actual)
        cursor = 0
        for want in expected:
            while cursor < len(actual) and not (
                actual[cursor]["type"] == want["type"] and matches(want, actual[cursor])
            ):
                cursor += 1
            assert cursor < len(actual), f"turn {number} ({text!r}): no event matching {want} in {actual}"
        offered += len(result.items)
        assert result.response.strip()
    pipeline.end_session(session)
    # Every turn is a history row, and every item offered is an offers row.
    rows = [r for sid in session_ids for r in pipeline.store.turns(session_id=sid)]
    assert [r["text"] for r in rows] == [t for t, _ in turns]
    users = {r["user"] for r in rows}
    assert sum(len(pipeline.store.offers(u)) for u in users) == offered
