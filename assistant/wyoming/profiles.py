"""Whose profile a Wyoming request speaks for.

Home Assistant sends a ``context`` with each request (``conversation_id``, and where it knows
them ``satellite_id`` and ``device_id``). The ``[satellites]`` table of ``config.toml`` maps
such a name to a user::

    [satellites]
    "assist_satellite.kitchen" = "alice"
    living_room = "bob"

Order of precedence: a speaker identified from the voice, then the first context name found
in the table, then ``default_user``.

Speaker identification does not exist yet; ``SpeakerIdentifier`` is where it plugs in
(``WyomingServer(speaker_id=...)``). Note for whoever adds it: Home Assistant sends the audio
(asr program) and the words (handle program) on separate connections, and its ``transcribe``
carries no context, so nothing passes audio to ``user_for`` yet: identifying a Home Assistant
turn needs a link between its two requests (a satellite id on both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

# Context keys that name where a request came from, most specific first. ``satellite`` and
# ``name`` are for clients other than Home Assistant that name themselves.
CONTEXT_NAME_KEYS = ("satellite_id", "device_id", "satellite", "name")


class SpeakerIdentifier(Protocol):
    """The hook for speaker identification: a user from a request's 16 kHz mono audio."""

    def identify(self, audio: np.ndarray, context: Mapping[str, Any]) -> str | None:
        """The speaking user, or None when unsure (the satellite table decides then)."""
        ...


class ProfileResolver:
    """Maps a request's context (and, once speaker identification exists, its voice) to a user."""

    def __init__(
        self,
        satellites: Mapping[str, str],
        default_user: str,
        speaker_id: SpeakerIdentifier | None = None,
    ) -> None:
        self.table = {str(k).casefold(): str(v).strip().lower() for k, v in satellites.items() if v}
        self.default_user = default_user
        self.speaker_id = speaker_id

    def user_for(self, context: Mapping[str, Any] | None, audio: np.ndarray | None = None) -> str:
        """The user a request is for: the recognised voice, else the satellite's mapped name, else the default."""
        context = context if isinstance(context, Mapping) else {}
        if audio is not None and self.speaker_id is not None:
            speaker = self.speaker_id.identify(audio, context)
            if speaker:
                return speaker.strip().lower()
        for key in CONTEXT_NAME_KEYS:
            value = context.get(key)
            if isinstance(value, str) and value.casefold() in self.table:
                return self.table[value.casefold()]
        return self.default_user
