"""The dialogue sessions a Wyoming server keeps: one per connection, and one per ``context``.

A request without a ``conversation_id`` in its context belongs to its connection's own
conversation, which ends when the connection closes. Home Assistant opens a new connection for
every request and carries the conversation in ``context.conversation_id``, so a conversation
with an id belongs to the server, spans connections, and ends after ``idle_s`` without a turn
(Home Assistant forgets a conversation after five minutes too) or when more than ``max_open``
are open (the least recently used goes first).

Every method runs on the dialogue worker thread, the only thread that touches the pipeline:
no lock is needed and a session is never in two threads at once.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.pipeline.runner import Pipeline, Session, TurnResult

log = logging.getLogger(__name__)

CONVERSATION_IDLE_S = 300.0  # as long as Home Assistant keeps a conversation id alive
MAX_OPEN_CONVERSATIONS = 256  # each holds a session log file open
MODE = "wyoming"  # the session mode recorded in the history store and the session log
# ("context", conversation id) or ("connection", connection number)
Key = tuple[str, str | int]


@dataclass
class Conversation:
    """An open conversation's session and when its last turn ended."""

    session: Session
    last_turn: float  # monotonic seconds


def conversation_key(connection: int, context: Mapping[str, Any] | None) -> Key:
    """``("context", id)`` for a request that names its conversation, else its connection's."""
    if isinstance(context, Mapping):
        cid = context.get("conversation_id")
        if isinstance(cid, (str, int)) and not isinstance(cid, bool) and str(cid):
            return ("context", str(cid)[:200])
    return ("connection", connection)


class Conversations:
    """The open conversations, by conversation id or connection; idle ones are ended."""

    def __init__(
        self,
        pipeline: Pipeline,
        idle_s: float = CONVERSATION_IDLE_S,
        max_open: int = MAX_OPEN_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pipeline = pipeline
        self.idle_s = idle_s
        self.max_open = max_open
        self.clock = clock
        self._open: OrderedDict[Key, Conversation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def session(self, key: Key, user: str) -> Session:
        """The conversation's session, started (as ``user``) on its first turn."""
        self._expire()
        conversation = self._open.get(key)
        if conversation is None:
            while len(self._open) >= self.max_open:
                _, oldest = self._open.popitem(last=False)
                self.pipeline.end_session(oldest.session)
            session = self.pipeline.start_session(user, mode=MODE)
            conversation = self._open[key] = Conversation(session, self.clock())
        self._open.move_to_end(key)
        return conversation.session

    def turn(self, key: Key, user: str, text: str, wall_time: float | None = None) -> TurnResult:
        """One text turn in the conversation ``key`` (one history transaction)."""
        session = self.session(key, user)
        try:
            return self.pipeline.run_turn(session, text=text, wall_time=wall_time)
        finally:
            self._open[key].last_turn = self.clock()

    def end_connection(self, connection: int) -> None:
        """The connection closed: end its own conversation (those with an id live on)."""
        conversation = self._open.pop(("connection", connection), None)
        if conversation is not None:
            self.pipeline.end_session(conversation.session)

    def end_all(self) -> None:
        """End every open conversation's session (the server is stopping)."""
        while self._open:
            _, conversation = self._open.popitem(last=False)
            self.pipeline.end_session(conversation.session)

    def _expire(self) -> None:
        now = self.clock()
        stale = [
            key for key, c in self._open.items() if key[0] == "context" and now - c.last_turn > self.idle_s
        ]
        for key in stale:
            log.info("conversation %s ended after %.0f s without a turn", key, self.idle_s)
            self.pipeline.end_session(self._open.pop(key).session)
