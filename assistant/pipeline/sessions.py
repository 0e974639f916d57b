"""A conversation's life around its turns: a session starts with a log and a history row,
goes on as another person after "this is Alice", and ends with its log closed.

``SessionLifecycle`` is the part of the turn runner (``Pipeline``) that does it; it reads the
runner's ``store``, ``snapshots``, ``settings``, ``data_dir`` and ``clock``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from assistant.contracts.errors import HistoryError
from assistant.contracts.events import EventClock, SessionEnd, SessionStart
from assistant.dialogue import DialogueState
from assistant.pipeline.history_snapshots import HistorySnapshots
from assistant.pipeline.session_log import SessionLog, new_session_id, sessions_dir
from assistant.pipeline.turn import Session, listened_feedback
from assistant.storage.history import HistoryStore

log = logging.getLogger(__name__)


class SessionLifecycle:
    """Starting, switching and ending sessions (mixed into ``Pipeline``)."""

    store: HistoryStore
    snapshots: HistorySnapshots
    settings: Settings
    data_dir: Path
    clock: Callable[[], float]

    def start_session(
        self, user: str, mode: str = "text", seed: int | None = None, session_id: str | None = None
    ) -> Session:
        """Begin a session for ``user``, with a log and a history row unless the user is the guest."""
        user = user.strip().lower() or self.settings.default_user
        seed = random.randrange(2**31) if seed is None else seed
        session_id = session_id or new_session_id()
        clock = EventClock()
        session = Session(session_id, user, seed, mode, DialogueState(user=user), clock, None)
        session.started = self.clock()
        if session.records:
            self._open_log(session)
        return session

    def _open_log(self, session: Session) -> None:
        user = session.user
        folder = sessions_dir(self.data_dir, user)
        history, history_file = self.snapshots.record(folder, session.id, user, session.started)
        log_path = folder / f"{session.id}.jsonl"
        session.log = SessionLog(log_path)  # a full disk: its lines wait in memory (SessionLog)
        try:
            session.store_row(self.store)
        except HistoryError as exc:  # a full disk: the first turn the store takes writes it
            log.warning("%s", exc)
        session.log.append(
            [
                SessionStart(
                    turn=session.turns,
                    t=session.clock(),
                    session_id=session.id,
                    user=user,
                    seed=session.seed,
                    mode=session.mode,
                    started_at=session.started,
                    history=history,
                    history_file=history_file,
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
        session.started, session.stored = self.clock(), False
        if session.records:
            self._open_log(session)

    def end_session(self, session: Session) -> None:
        """Close the session's log; ending a session twice is harmless."""
        listened = listened_feedback(None)
        if listened and session.records:  # tracks that ended after the last turn
            rows = [(f.domain, f.item_id, f.kind, None, self.clock()) for f in listened]
            try:
                self.store.import_feedback(session.user, rows)
            except HistoryError as exc:  # a full disk: the session still ends
                log.warning("%s", exc)
        if session.log is not None:
            session.log.append([SessionEnd(turn=session.turns, t=session.clock(), turns=session.turns)])
            session.log.close()
            session.log = None
