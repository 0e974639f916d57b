"""Where the assistant keeps its state, its settings, and the environment it runs in.

All state (history database, session logs, recordings, config) lives in one data directory:
``$ASSISTANT_HOME`` when set, else ``~/.local/share/assistant``. Settings come from
``config.toml`` there and are checked by pydantic models: ``Settings`` for the assistant's own
sections (each field names its ``[section] key``), and a skill's own model
(``SkillSpec.settings_model``) for that skill's section. Nothing in the file stops the assistant
starting: an unreadable file, an unknown section or key, or a value of the wrong type is
reported in ``Settings.warnings`` (naming the file and the key), and the default is used.

One module per concern, every name re-exported here (import from ``assistant.config``):

- ``variables``: ``Environment``, the one place the ``ASSISTANT_*`` environment variables are
  read (``environment()`` reads them anew at each call, so a variable set after import still
  counts), the data directory and private folders;
- ``settings``: the ``Settings`` model and the config.toml keys it reads (``file_keys()``);
- ``loading``: reading config.toml (``load_settings``);
- ``checks``: checking a section against a model (a skill's own), and the warnings' wording;
- ``network``: the network switch (``network_allowed()``, ``ASSISTANT_OFFLINE`` and
  ``[network] enabled``).

Imports: pydantic and pydantic-settings; of the assistant only ``assistant.skill_sdk`` (the
installed skills, whose sections it checks), below it in the layers (pyproject.toml).
"""

from __future__ import annotations

from assistant.config.checks import check_section
from assistant.config.loading import CONFIG_FILE, load_settings
from assistant.config.network import apply_network_switch, network_allowed, network_off_reason
from assistant.config.settings import TABLES, Settings, file_keys
from assistant.config.variables import (
    LLM_OFF,
    LLM_ON,
    Environment,
    data_dir,
    ensure_private_dir,
    environment,
)

__all__ = [
    "CONFIG_FILE",
    "LLM_OFF",
    "LLM_ON",
    "TABLES",
    "Environment",
    "Settings",
    "apply_network_switch",
    "check_section",
    "data_dir",
    "ensure_private_dir",
    "environment",
    "file_keys",
    "load_settings",
    "network_allowed",
    "network_off_reason",
]
