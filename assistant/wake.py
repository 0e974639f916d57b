"""Kept for callers outside the project: the module moved to ``assistant.voice.wake``."""

from assistant.voice.wake import *  # noqa: F403
from assistant.voice.wake import load_wake_word  # noqa: F401
