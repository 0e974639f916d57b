"""Kept for callers outside the project: the module moved to ``assistant.voice.speaker_id``."""

from assistant.voice.speaker_id import *  # noqa: F403
from assistant.voice.speaker_id import load_speaker_id  # noqa: F401
