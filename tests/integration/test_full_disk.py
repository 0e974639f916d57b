"""A full disk: the data directory on a 2 MB tmpfs that fills up mid-session.

Each turn still gets its answer, with a short note that it will not be remembered; no turn is
half-written (all of its rows or none, and its log lines only with its row); the database
passes ``PRAGMA integrity_check``; and once space returns, recording resumes in the same
process, with the session logs and the log file catching up.

Mounting needs root (or CAP_SYS_ADMIN): elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.contracts.errors import HistoryNotRecordedError
from assistant.pipeline.runner import Pipeline, TurnResult
from assistant.pipeline.session_log import SessionLog, read_log

pytestmark = pytest.mark.timeout(60)

NOTE = HistoryNotRecordedError.user_message
SCRIPT = ["suggest a tea", "another", "i like that", "why", "green tea", "not this one", "thanks"]


@contextlib.contextmanager
def small_disk(where: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where``; the test is skipped where mounting is refused."""
    where.mkdir(parents=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a small file system for the data directory: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)


def fill(disk: Path) -> Path:
    """Write a filler file until the file system refuses another byte."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        block = b"\0" * 4096
        try:
            while True:
                f.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        with contextlib.suppress(OSError):  # the last part-block
            while True:
                f.write(b"\0")
    return filler


def fake_pipeline_in(home: Path) -> Pipeline:
    from assistant.app import open_store
    from tests.support.fakes import KeywordNLU, ToneSpeech, fake_skills

    return Pipeline(KeywordNLU(), open_store(home), home, fake_skills(), Settings(), tts=ToneSpeech())


def rows_of(db: Path, session_id: str) -> dict[int, tuple[int, int]]:
    """Turn number -> (offers, feedback) rows stored for it, read on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        found = conn.execute(
            "SELECT t.seq, (SELECT count(*) FROM offers o WHERE o.turn_id = t.id), "
            "(SELECT count(*) FROM feedback f WHERE f.turn_id = t.id) FROM turns t WHERE session_id = ?",
            [session_id],
        ).fetchall()
        return {seq: (offers, feedback) for seq, offers, feedback in found}
    finally:
        conn.close()


def offered(result: TurnResult) -> int:
    """How many offers a turn's own events say it made (each one an ``offers`` row)."""
    return sum(len(e.items) for e in result.events if e.type == "skill-end")


def test_a_full_disk_costs_the_record_not_the_answer(tmp_path: Path) -> None:
    from assistant.logs import setup_logging

    with small_disk(tmp_path / "disk") as disk:
        home = disk / "home"
        setup_logging(home)  # the log file on the small disk too
        pipeline = fake_pipeline_in(home)
        try:
            session = pipeline.start_session("dana", seed=7)
            before = [pipeline.run_turn(session, text="suggest a tea")]
            assert NOTE not in before[0].response and "tea" in before[0].response.lower()

            filler = fill(disk)
            logging.getLogger("assistant.test").warning("a line the full disk refuses")
            during: list[tuple[int, TurnResult]] = []
            for text in SCRIPT * 4:
                result = pipeline.run_turn(session, text=text)
                during.append((session.turns, result))
            # A session that starts while the disk is full works too (its row comes later).
            late = pipeline.start_session("erin", seed=8)
            late_result = pipeline.run_turn(late, text="suggest a tea")

            # Every turn was answered; the ones not kept say so after the answer itself.
            unrecorded = {seq for seq, r in during if NOTE in r.response}
            assert unrecorded, "the disk never filled: nothing was refused"
            for _, r in during:
                assert r.response and r.error is None
                if r.response.endswith(NOTE):
                    assert r.response != NOTE, "the answer itself is kept, the note follows it"
            answered = [r for seq, r in during if seq in unrecorded and r.items]
            assert answered and all(r.items[0].title in r.response for r in answered)
            assert NOTE in late_result.response and late_result.items

            # All of a turn or none of it: recorded turns are exactly the answers without a note.
            stored = rows_of(home / "history.db", session.id)
            assert set(stored) == {1} | {seq for seq, _ in during if seq not in unrecorded}
            for seq, r in during:
                if seq in stored:
                    assert stored[seq][0] == offered(r)
            assert pipeline.store.integrity_ok()

            # Space returns: the same process records again, session logs catch up.
            filler.unlink()
            after = [pipeline.run_turn(session, text=t) for t in ("suggest a tea", "i like that")]
            after_late = pipeline.run_turn(late, text="another")
            assert all(NOTE not in r.response for r in [*after, after_late])
            stored = rows_of(home / "history.db", session.id)
            assert {session.turns - 1, session.turns} <= set(stored)
            assert rows_of(home / "history.db", late.id) == {2: (1, 1)}  # an offer and its skip
            assert pipeline.store.db.execute(
                "SELECT count(*) FROM sessions WHERE id = ?", [late.id]
            ).fetchone()[0]
            logging.getLogger("assistant.test").warning("a line after the disk has room again")
            pipeline.end_session(session)
            pipeline.end_session(late)
        finally:
            pipeline.store.close()

        # The log agrees with the database: whole turns, each once, only the recorded ones.
        logged = [e.event.turn for e in read_log(session_log(home, session.id)) if e.event.type == "turn-end"]
        assert logged == sorted(stored)
        conn = sqlite3.connect(home / "history.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        assert "a line after the disk has room again" in (home / "assistant.log").read_text()
        setup_logging(tmp_path / "elsewhere")  # let go of the file on the small disk


def session_log(home: Path, session_id: str) -> Path:
    [path] = (home / "sessions").rglob(f"{session_id}.jsonl")
    return path


def test_a_session_log_write_the_disk_refuses_leaves_whole_turns(tmp_path: Path) -> None:
    """A turn's block that only partly fits is cut off again and written whole later."""
    from assistant.contracts.events import TurnEnd, TurnStart

    with small_disk(tmp_path / "disk", size="64k") as disk:
        log = SessionLog(disk / "s.jsonl")
        turn = [
            TurnStart(turn=1, t=0.0, user="dana", text="x" * 30_000),
            TurnEnd(turn=1, t=0.1, elapsed_ms=1.0),
        ]
        assert log.append(turn)
        filler = fill(disk)
        second = [
            TurnStart(turn=2, t=0.2, user="dana", text="y" * 30_000),
            TurnEnd(turn=2, t=0.3, elapsed_ms=1.0),
        ]
        assert not log.append(second) and log.pending == 1
        lines = (disk / "s.jsonl").read_text().splitlines()
        assert [json.loads(line)["turn"] for line in lines] == [1, 1]  # no torn line
        filler.unlink()
        third = [TurnStart(turn=3, t=0.4, user="dana", text="z"), TurnEnd(turn=3, t=0.5, elapsed_ms=1.0)]
        assert log.append(third) and log.pending == 0
        log.close()
        assert [e.event.turn for e in read_log(disk / "s.jsonl")] == [1, 1, 2, 2, 3, 3]


@pytest.mark.artifacts
def test_jazz_asked_on_a_full_disk_is_still_jazz(nlu, tmp_path: Path) -> None:
    """The real NLU and music skill: the answer is the usual one, the note follows it."""
    from assistant.app import open_store, skill_for

    with small_disk(tmp_path / "disk") as disk:
        home = disk / "home"
        pipeline = Pipeline(nlu, open_store(home), home, skill_for, Settings())
        try:
            session = pipeline.start_session("dana", seed=3)
            filler = fill(disk)
            result = pipeline.run_turn(session, text="play some jazz")
            assert result.response.endswith(NOTE) and result.items
            assert result.items[0].domain == "music" and result.items[0].title in result.response
            filler.unlink()
            assert NOTE not in pipeline.run_turn(session, text="play some jazz").response
            assert [t["seq"] for t in pipeline.store.turns(session_id=session.id)] == [2]
        finally:
            pipeline.store.close()
