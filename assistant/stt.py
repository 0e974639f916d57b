"""Kept for callers outside the project: the module moved to ``assistant.voice.stt``."""

from assistant.voice.stt import *  # noqa: F403
from assistant.voice.stt import load_stt  # noqa: F401
