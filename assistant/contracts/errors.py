"""One error class per pipeline stage. The pipeline turns each into a polite reply."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The pipeline stage an error comes from."""

    AUDIO = "audio"
    STT = "stt"
    NLU = "nlu"
    DIALOGUE = "dialogue"
    SKILL = "skill"
    NLG = "nlg"
    TTS = "tts"
    HISTORY = "history"


class AssistantError(Exception):
    """Base of every expected failure; ``user_message`` is what the user hears."""

    stage: Stage = Stage.DIALOGUE
    user_message = "Sorry, something went wrong on my side."

    def __init__(self, detail: str = "", user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        if user_message:
            self.user_message = user_message


class AudioError(AssistantError):
    """The microphone or loudspeaker, or audio given to a stage, cannot be used."""

    stage = Stage.AUDIO
    user_message = "Sorry, I could not use the audio device."


class SpeechToTextError(AssistantError):
    """Speech-to-text failed or was given unusable audio."""

    stage = Stage.STT
    user_message = "Sorry, I did not catch that."


class SkillFailedError(AssistantError):
    """A skill failed to answer a request."""

    stage = Stage.SKILL
    user_message = "Sorry, I could not find anything for that right now."


class TextToSpeechError(AssistantError):
    """Text-to-speech failed; the answer is shown as text instead."""

    stage = Stage.TTS
    user_message = "Sorry, I could not speak the answer; here it is in text."


class HistoryError(AssistantError):
    """The history store could not read or write."""

    stage = Stage.HISTORY
    user_message = "Sorry, I could not save that to your history."
