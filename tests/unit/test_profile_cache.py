"""The profiles kept in memory (``assistant.storage.profile_cache``) are always what the
database holds: after turns recorded here, rows deleted here, and rows written by another
connection, in any order, with timestamps that tie or go back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import assistant.storage.history as history
import assistant.storage.profile_cache as profile_cache
from assistant.skill_sdk.api import Item
from assistant.storage.history import FeedbackRecord, HistoryStore, TurnRecord
from assistant.storage.people import remove_feedback
from assistant.storage.retention import purge_before

USERS = ("alice", "bob")
DOMAINS = ("music", "video")
KINDS = ("like", "dislike", "skip", "play")

turn_op = st.tuples(
    st.just("turn"),
    st.sampled_from(USERS),
    st.integers(0, 5),  # ts: few values, so rows tie and go back in time
    st.lists(st.tuples(st.sampled_from(DOMAINS), st.integers(0, 9)), max_size=3),
    st.lists(st.tuples(st.sampled_from(DOMAINS), st.integers(0, 9), st.sampled_from(KINDS)), max_size=3),
)
other_op = st.tuples(st.just("other"), st.sampled_from(USERS), st.sampled_from(DOMAINS), st.integers(0, 9))
delete_op = st.tuples(st.just("delete"), st.sampled_from(USERS), st.integers(1, 30))
forget_op = st.tuples(st.just("forget"), st.sampled_from(USERS))
purge_op = st.tuples(st.just("purge"), st.integers(0, 5))
read_op = st.tuples(st.just("read"))
ops = st.lists(
    st.one_of(turn_op, turn_op, read_op, read_op, other_op, delete_op, forget_op, purge_op), max_size=25
)


def apply(store: HistoryStore, other: HistoryStore, op: tuple, seq: int) -> None:
    kind = op[0]
    if kind == "turn":
        _, user, ts, offers, feedback = op
        store.record_turn(
            TurnRecord(
                session_id="s1",
                user=user,
                seq=seq,
                ts=1_700_000_000.0 + ts,
                source="text",
                text="play some jazz",
                response="ok",
                events=[],
                items=[Item(f"{d}:{i}", f"Title {i}", d, "") for d, i in offers],
                feedback=[FeedbackRecord(d, f"{d}:{i}", k) for d, i, k in feedback],
            )
        )
    elif kind == "other":
        _, user, domain, item = op
        other.import_feedback(user, [(domain, f"{domain}:{item}", "like", None, 1_700_000_003.0)])
    elif kind == "delete":
        remove_feedback(store, op[1], op[2])
    elif kind == "forget":
        store.forget_user(op[1])
    elif kind == "purge":
        purge_before(store, 1_700_000_000.0 + op[1])


@pytest.mark.timeout(120)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_kept_profiles_are_what_the_database_holds(ops: list[tuple], monkeypatch: pytest.MonkeyPatch):
    # Small limits, so the kept lists are trimmed as the query's LIMIT trims.
    monkeypatch.setattr(history, "PROFILE_OFFER_LIMIT", 3)
    monkeypatch.setattr(history, "PROFILE_FEEDBACK_LIMIT", 4)
    monkeypatch.setattr(profile_cache, "MAX_KEPT", 3)  # of the 4 people-and-skills: one goes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        store = HistoryStore(path)
        other = HistoryStore(path)  # a second writer: the web page, another process
        store.start_session("s1", "alice", seed=1, mode="text", log_path=None)
        # Compared only at reads and at the end: changes pile up between reads as in a session.
        for seq, op in enumerate([*ops, ("read",)], start=1):
            apply(store, other, op, seq)
            if op[0] != "read":
                continue
            for user in USERS:
                for domain in DOMAINS:
                    fresh = HistoryStore(path)  # its own connection and an empty cache
                    assert store.profile(user, domain) == fresh.profile(user, domain), (ops, user, domain)
                    fresh.close()
        store.close()
        other.close()


@pytest.mark.timeout(30)
def test_a_recorded_turn_is_added_and_a_new_session_keeps_it_without_reading_again(tmp_path: Path):
    store = HistoryStore(tmp_path / "history.db")
    store.start_session("s1", "alice", seed=1, mode="text", log_path=None)
    store.profile("alice", "music")  # kept from here on
    reads: list[str] = []
    store.db.conn.set_trace_callback(reads.append)
    store.record_turn(
        TurnRecord(
            session_id="s1",
            user="alice",
            seq=1,
            ts=1_700_000_000.0,
            source="text",
            text="i love this",
            response="noted",
            events=[],
            items=[Item("music:1", "Song", "music", "")],
            feedback=[FeedbackRecord("music", "music:1", "like")],
        )
    )
    store.start_session("s2", "alice", seed=2, mode="text", log_path=None)  # every conversation
    reads.clear()
    profile = store.profile("alice", "music")
    assert [e.item_id for e in profile.offered] == ["music:1"]
    assert [(e.item_id, e.kind) for e in profile.feedback] == [("music:1", "like")]
    assert not any("FROM offers" in sql or "FROM feedback" in sql for sql in reads), reads
    store.close()
