"""The ``ASSISTANT_*`` environment variables, and the data directory they point at.

``Environment`` is the one place the ``ASSISTANT_*`` environment variables are read.
``environment()`` reads them anew at each call, so a variable set after import still counts.
All state (history database, session logs, recordings, config) lives in one data directory:
``$ASSISTANT_HOME`` when set, else ``~/.local/share/assistant`` (``data_dir()``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# ASSISTANT_LLM values that switch the language model off, or on, for one run.
LLM_OFF = frozenset({"0", "off", "false", "no", "none"})
LLM_ON = frozenset({"1", "on", "true", "yes"})


class Environment(BaseSettings):
    """The ``ASSISTANT_*`` environment variables; nothing else in the assistant reads them.

    An empty variable counts as unset. Build one with ``environment()`` when the value is needed:
    tests and the replay command set these variables while the process runs.
    """

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True)

    # The data directory (default ~/.local/share/assistant).
    home: Path | None = Field(None, validation_alias="ASSISTANT_HOME")
    # The model artifacts folder (default models/artifacts in the repository): tests' small models.
    artifacts: Path | None = Field(None, validation_alias="ASSISTANT_ARTIFACTS")
    # Any value at all ("1" by convention): skills' "auto" network features stay off (replays, tests).
    offline: bool = Field(False, validation_alias="ASSISTANT_OFFLINE")
    # The language model for this run: off (0, off, false, no, none) or on (1, on, true, yes) over
    # ``[llm] enabled``; None when unset or any other word, and the config decides.
    llm: bool | None = Field(None, validation_alias="ASSISTANT_LLM")
    # Extra language models the build step fetches, comma-separated ("qwen2.5-0.5b").
    llm_models: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="ASSISTANT_LLM_MODELS")
    # The household password of the web page (``assistant web``), over ``[web] password_hash``:
    # for a container or a service manager's secret; needed to serve beyond loopback.
    web_password: str | None = Field(None, validation_alias="ASSISTANT_WEB_PASSWORD")

    @field_validator("offline", mode="before")
    @classmethod
    def _any_value_is_set(cls, value: Any) -> Any:
        return value.strip() != "" if isinstance(value, str) else value

    @field_validator("llm", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        return False if word in LLM_OFF else True if word in LLM_ON else None

    @field_validator("llm_models", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return tuple(n.strip() for n in value.split(",") if n.strip()) if isinstance(value, str) else value


def environment() -> Environment:
    """The ``ASSISTANT_*`` variables as they are now (read at each call: about 0.1 ms)."""
    return Environment()


def data_dir() -> Path:
    """The data directory, created owner-only (0700) on first use."""
    base = environment().home or Path.home() / ".local" / "share" / "assistant"
    base.mkdir(parents=True, exist_ok=True)
    try:
        base.chmod(0o700)
    except OSError:  # a shared folder we do not own: leave its mode alone
        pass
    return base


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` if needed and make it readable by its owner only (where the file system allows)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.chmod(0o700)
    except OSError:
        pass
    return path
