"""The protocols each pipeline stage implements, and the values that flow between them.

Data flows one way: audio -> stt -> nlu -> dialogue -> skill -> nlg -> tts. A stage only sees
the value the previous stage produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000  # what the microphone, the VAD and Whisper all use
OUT_OF_SCOPE = "out_of_scope"  # the label for anything no skill and no core handler answers
# The most characters of one typed or transcribed request that the assistant reads; the rest is
# dropped and the reply says so. 400 characters is about 70 words, what 30 seconds of speech (one
# Whisper window) comes to at a normal pace, and already more than the NLU's 48-token window
# (about 250 characters of English) reads: a longer text is pasted text, not a request.
MAX_INPUT_CHARS = 400


@dataclass
class Transcript:
    """What speech-to-text heard, with the decoder's confidence."""

    text: str
    language: str = "en"
    # Mean token log-probability from the decoder; lower means less sure.
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    duration_s: float = 0.0


@dataclass
class Parse:
    """What the NLU understood: one of the design's intent labels, its confidence and slots."""

    intent: str
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)
    text: str = ""


@dataclass
class SpokenAudio:
    """Synthesised speech: mono float32 samples and their rate."""

    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int


class SpeechToText(Protocol):
    """The speech-to-text stage: audio in, a ``Transcript`` out."""

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """``audio``: 16 kHz mono float32. Raises ``SpeechToTextError``."""
        ...


class IntentParser(Protocol):
    """The NLU stage: text in, a ``Parse`` out."""

    def parse(self, text: str) -> Parse:
        """Never raises on odd text: empty or garbage gives ``out_of_scope``."""
        ...


class TextToSpeech(Protocol):
    """The text-to-speech stage: text in, ``SpokenAudio`` out."""

    def synthesize(self, text: str) -> SpokenAudio:
        """Raises ``TextToSpeechError``."""
        ...


class StreamingTextToSpeech(TextToSpeech, Protocol):
    """A voice that can hand its speech over a piece at a time (the Piper voice), so that the
    first sentence plays while the rest is synthesised (``assistant.voice.speech_stream``)."""

    def stream(self, text: str) -> Iterator[SpokenAudio]:
        """The speech of ``text`` in order, piece by piece. Raises ``TextToSpeechError``."""
        ...
