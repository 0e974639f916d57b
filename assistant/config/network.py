"""The one switch for everything that reaches the network: ``ASSISTANT_OFFLINE``, and
``[network] enabled`` in config.toml folded into it for this process."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from assistant.config.variables import environment

if TYPE_CHECKING:
    from assistant.config.settings import Settings


def network_allowed(settings: Settings | None = None) -> bool:
    """Whether online features may reach the network: not with ``ASSISTANT_OFFLINE``, nor with
    ``[network] enabled = false`` in ``settings`` (skills read the switch after
    ``apply_network_switch``, which folds the setting into the environment)."""
    return not environment().offline and (settings is None or settings.network_enabled)


def network_off_reason(settings: Settings | None = None) -> str:
    """Why the network is off ("" when it is allowed), in words for ``assistant status``."""
    if settings is not None and not settings.network_enabled:  # first: it also sets the variable
        return "[network] enabled = false"
    if environment().offline:
        return "ASSISTANT_OFFLINE is set"
    return ""


def apply_network_switch(settings: Settings) -> None:
    """``[network] enabled = false`` counts as ``ASSISTANT_OFFLINE`` for this process and what it
    starts: a skill gets only its own settings section, so the environment is the one switch
    every skill reads (``network_allowed()``), as replays already use it."""
    if not settings.network_enabled:
        os.environ["ASSISTANT_OFFLINE"] = "1"
