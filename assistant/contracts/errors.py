"""One error class per pipeline stage, each with a stable ``code``. The pipeline turns each into
a polite reply and an ``error`` event that carries the code.

A stage's error names the stage that failed: the turn runner wraps an unexpected exception (a
bug) in the error class of the stage it ran in (``wrapping``), and an expected failure is raised
as its own stage's class wherever it happens (a skill's failure inside the dialogue stage is a
``SkillFailedError``). The codes are written to session logs, which scripts and replay read,
so a code never changes once released.
"""

from __future__ import annotations

import traceback
from enum import StrEnum
from typing import ClassVar, Self


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
    """Base of every expected failure; ``user_message`` is what the user hears.

    Raised bare it counts as a dialogue failure (as it always has); raise a stage's own class.
    """

    stage: ClassVar[Stage] = Stage.DIALOGUE
    code: ClassVar[str] = "dialogue-failed"
    # False where the turn's answer still stands though this stage failed (a reply that cannot
    # be spoken is shown as text).
    replaces_reply: ClassVar[bool] = True
    user_message = "Sorry, something went wrong on my side."

    def __init__(self, detail: str = "", user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        if user_message:
            self.user_message = user_message
        # The class of the unexpected exception this error stands for (``wrapping``), else None.
        self.bug: str | None = None

    @classmethod
    def wrapping(cls, exc: BaseException) -> Self:
        """This stage's error for an unexpected exception: ``raise Error.wrapping(exc) from exc``.

        A bug gets the general apology (a stage's own message, "I did not catch that", would
        mislead); the detail is the bug's class and message, as the error event has always had.
        """
        detail = "".join(traceback.format_exception_only(exc)).strip()
        error = cls(detail, user_message=AssistantError.user_message)
        error.bug = type(exc).__name__
        return error


class AudioError(AssistantError):
    """The microphone or loudspeaker, or audio given to a stage, cannot be used."""

    stage = Stage.AUDIO
    code = "audio-failed"
    user_message = "Sorry, I could not use the audio device."


class SpeechToTextError(AssistantError):
    """Speech-to-text failed or was given unusable audio."""

    stage = Stage.STT
    code = "stt-failed"
    user_message = "Sorry, I did not catch that."


class NluError(AssistantError):
    """The intent classifier failed to read the text."""

    stage = Stage.NLU
    code = "nlu-failed"


class DialogueError(AssistantError):
    """The dialogue manager (or the language model's pick or explanation) failed to decide."""

    stage = Stage.DIALOGUE
    code = "dialogue-failed"


class SkillFailedError(AssistantError):
    """A skill failed to answer a request."""

    stage = Stage.SKILL
    code = "skill-failed"
    user_message = "Sorry, I could not find anything for that right now."


class NlgError(AssistantError):
    """The reply could not be written from the dialogue's outcome."""

    stage = Stage.NLG
    code = "nlg-failed"


class TextToSpeechError(AssistantError):
    """Text-to-speech failed; the answer is shown as text instead."""

    stage = Stage.TTS
    code = "tts-failed"
    replaces_reply = False
    user_message = "Sorry, I could not speak the answer; here it is in text."


class HistoryError(AssistantError):
    """The history store could not read or write."""

    stage = Stage.HISTORY
    code = "history-failed"
    user_message = "Sorry, I could not save that to your history."


class HistoryNotRecordedError(HistoryError):
    """The turn was answered but the history could not record it (a full disk, a locked
    file): the answer stands, with a short note that it will not be remembered."""

    replaces_reply = False
    user_message = "I can't remember this right now."
