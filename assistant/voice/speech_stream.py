"""A spoken reply that plays while the rest of it is still being synthesised.

``SpeechStream`` runs a voice's ``stream(text)`` (``StreamingTextToSpeech``) on a thread of its
own and hands the pieces on as they come: the loudspeaker (``assistant.voice.audio.Speaker``)
starts on the first sentence while the next ones are synthesised, and barge-in ``cancel()``s
what has not been synthesised yet. A voice that cannot stream (espeak-ng) gives one piece.

``speech_pieces`` decides where the pieces end. The Piper voice synthesises a piece in one
call, so the first sound waits for the whole first piece: measured on the 2-core machine (one
onnxruntime thread), 7 words took 0.09-0.11 s and a 34-word sentence 0.36-0.43 s before its
first sample, while a loaded machine doubles those (issue 30: 12 words 0.24 s). The first
piece is therefore at most ``FIRST_PIECE_WORDS`` words where the text allows, cut after a
sentence, at a comma (or ; : -) or before an aside in brackets, never inside the brackets or
a title ("Mad Max: Fury Road"); the voice reads those places as a pause either way. Piper's
time grows with the piece, about 15 ms a word and 15 ms more (idle: 4 words 58 ms, 6 words
85 ms, 10 words 155 ms), and the first piece is most of the time from the end of a request to
the first sound, so it is kept to 6 words: ``bench/first_piece.py`` has the figures. Later
pieces are cut the same way at ``PIECE_WORDS``, for memory: onnxruntime keeps the largest
buffers it has needed. Ten voice-mode replies (the voice bench's requests, text in, speech
joined) took the process from 1.1 GB after warm-up to 1.9 GB with whole sentences, the news
skill's one-sentence list of three headlines (665 characters) doing all of it; 1.57 GB with
pieces of 24 words, 1.43 GB with 16. Turning onnxruntime's memory arena off instead (1.40 GB at 24 words, 1.23 GB at 16)
made every piece 30-40 % slower, the first one included.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from assistant.contracts.errors import TextToSpeechError
from assistant.contracts.stages import SpokenAudio, TextToSpeech
from assistant.voice.wavfile import resample

log = logging.getLogger(__name__)

FIRST_PIECE_WORDS = 6  # see the module doc: about 0.09 s of synthesis on an idle 2-core machine
PIECE_WORDS = 16  # later pieces (memory; see the module doc)
HARD_PIECE_WORDS = 36  # a clause longer than this, with no comma in it, is cut between words
MIN_CLAUSE_WORDS = 3  # "Sure," alone is not worth a piece of its own
FIRST_TIMEOUT_S = 30.0  # the first piece of a reply: longer is a hung engine
# How far synthesis and the device's feed run ahead of what is heard. Piper makes a 16-word
# piece (about 4 s of speech) in 0.2-1.1 s on 2 cores, so two pieces and 3 s of samples keep
# the sound going on a loaded machine; more is work thrown away when "stop" cuts the reply
# (the barge-in test: all 32 sentences of a 110 s answer were made in its first 2 s).
PIECES_AHEAD = 2
FEED_AHEAD_S = 3.0
# Where a piece may end: after a comma, semicolon, colon or dash, before an aside in brackets,
# or after a sentence when the next one starts with a capital ("Sept. 17" and "4.5" are not
# ends). Not after a list's "1:", nor after a colon that goes on with a capital: that is a
# title ("Mad Max: Fury Road", "Captain America: Civil War"); the skills' own colons go on in
# lower case ("a popular jazz track: it has ...") or with a number ("the news: 1: ...").
_CUT = re.compile(
    r"[,;]\s+|(?<!\d):\s+(?![A-Z])|\s+[-\u2013\u2014]\s+|\s+(?=\()|[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z])"
)


def speech_pieces(text: str) -> list[str]:
    """``text`` in the pieces a streaming voice synthesises one at a time (see the module doc)."""
    # Not inside brackets: "Deadpool (2016, comedy and action)" is one aside.
    ends = [
        m.end() for m in _CUT.finditer(text) if text.count("(", 0, m.start()) <= text.count(")", 0, m.start())
    ]
    ends.append(len(text))
    pieces: list[str] = []
    start = 0
    while start < len(text):
        limit = PIECE_WORDS if pieces else FIRST_PIECE_WORDS
        usable = [e for e in ends if e > start and _words(text[start:e]) >= MIN_CLAUSE_WORDS] or [len(text)]
        fitting = [e for e in usable if _words(text[start:e]) <= limit]
        end = fitting[-1] if fitting else usable[0]
        if _words(text[start:end]) > HARD_PIECE_WORDS:
            end = _after_words(text, start, PIECE_WORDS)
        if text[start:end].strip():
            pieces.append(text[start:end].strip())
        start = end
    return pieces


def _after_words(text: str, start: int, count: int) -> int:
    """The position just after the ``count``-th word from ``start``."""
    words = list(re.finditer(r"\S+", text[start:]))
    return start + words[min(count, len(words)) - 1].end()


def _words(text: str) -> int:
    return len(text.split())


class SpeechStream:
    """The pieces of one spoken reply, synthesised on a thread while earlier pieces play.

    Iterate it for the pieces as they become ready; ``first()`` waits for the first one (and
    raises ``TextToSpeechError`` when synthesis failed before any); ``cancel()`` stops the
    synthesis after the piece in progress; ``join()`` is the whole reply as one ``SpokenAudio``.
    """

    def __init__(self, pieces: Iterable[SpokenAudio]) -> None:
        self._pieces = pieces
        self._ready: list[SpokenAudio] = []  # every piece made so far, in order
        self._changed = threading.Condition()  # a piece was added, or the synthesis ended
        self._cancelled = threading.Event()
        self._finished = False
        self._error: BaseException | None = None
        self._wanted = 0  # the highest piece a reader has asked for
        self._thread = threading.Thread(target=self._produce, name="speech-stream", daemon=True)
        self._thread.start()

    @classmethod
    def of(cls, speech: SpokenAudio | SpeechStream) -> SpeechStream:
        """``speech`` as a stream (a whole ``SpokenAudio`` is a stream of one piece)."""
        return speech if isinstance(speech, SpeechStream) else cls([speech])

    def _produce(self) -> None:
        try:
            for piece in self._pieces:
                with self._changed:  # no further ahead of the reader than PIECES_AHEAD
                    self._changed.wait_for(
                        lambda: self._cancelled.is_set() or len(self._ready) <= self._wanted + PIECES_AHEAD
                    )
                if self._cancelled.is_set():
                    break
                if len(piece.samples):
                    with self._changed:
                        self._ready.append(piece)
                        self._changed.notify_all()
        except BaseException as exc:  # handed to whoever reads the stream
            self._error = exc
        finally:
            close = getattr(self._pieces, "close", None)
            if callable(close):  # a generator: let it clean up now, on this thread
                close()
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _piece(self, index: int, timeout: float | None) -> SpokenAudio | None:
        """Piece ``index`` once it is made; None when the synthesis ended before it.
        ``TimeoutError`` when neither happened within ``timeout``."""
        with self._changed:
            if index > self._wanted:
                self._wanted = index
                self._changed.notify_all()
            if not self._changed.wait_for(lambda: len(self._ready) > index or self._finished, timeout):
                raise TimeoutError
            return self._ready[index] if len(self._ready) > index else None

    def first(self, timeout: float = FIRST_TIMEOUT_S) -> SpokenAudio:
        """The first piece, once synthesised; when there is none, ``TextToSpeechError`` or the
        exception the synthesis raised."""
        try:
            piece = self._piece(0, timeout)
        except TimeoutError:
            self.cancel()
            raise TextToSpeechError(f"no speech after {timeout:.0f} s") from None
        if piece is None:
            self._raise_error()
            raise TextToSpeechError("the voice produced no audio")
        return piece

    def __iter__(self) -> Iterator[SpokenAudio]:
        """Every piece in order, each as soon as it is ready; a failure after the first piece
        ends the reply early (logged) rather than raising in the middle of playback."""
        index = 0
        while (piece := self._piece(index, None)) is not None:
            index += 1
            yield piece
        if self._error is not None:
            if index == 0:
                self._raise_error()
            log.warning("speech synthesis stopped after %d pieces: %s", index, self._error)

    def _raise_error(self) -> None:
        """The synthesis's own exception, as it was raised (the pipeline's stage names a bug
        by it); a voice's expected failure is already a ``TextToSpeechError``."""
        if self._error is not None:
            raise self._error

    @property
    def sample_rate(self) -> int:
        """The rate of the reply's samples (the first piece's: a voice keeps one rate)."""
        return self.first().sample_rate

    @property
    def finished(self) -> bool:
        """Whether synthesis has ended (done, failed or cancelled)."""
        return self._finished

    def cancel(self) -> None:
        """Synthesise nothing more after the piece in progress (barge-in)."""
        self._cancelled.set()
        with self._changed:
            self._changed.notify_all()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel()`` was called."""
        return self._cancelled.is_set()

    def join(self) -> SpokenAudio:
        """The whole reply as one ``SpokenAudio`` (waits for the synthesis to end)."""
        pieces = list(self)
        if not pieces:
            raise TextToSpeechError("the voice produced no audio")
        rate = pieces[0].sample_rate
        return SpokenAudio(np.concatenate([np.asarray(p.samples, np.float32) for p in pieces]), rate)


class SampleFeed:
    """The samples between a ``SpeechStream`` and a sound device's output callback: filled piece
    by piece (resampled to the device's rate) on a thread, read a block at a time by the callback
    (``assistant.voice.audio.Speaker.play``)."""

    GRACE_S = 2.0  # no sample taken for this long after the speech ended: the device stopped

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pieces: deque[np.ndarray] = deque()
        self._offset = 0  # samples of the first piece already read
        self.position = 0  # samples handed to the device
        self.total = 0  # samples received so far
        self._filled_at: float | None = None  # when the last piece arrived
        self._moved_at = time.monotonic()  # when the device last took samples

    def fill(self, speech: SpeechStream, rate: int) -> None:
        """Take every piece of ``speech`` (on the feeder thread) until it ends or is cancelled."""
        try:
            for piece in speech:
                samples = resample(np.asarray(piece.samples, np.float32), piece.sample_rate, rate)
                with self._lock:
                    self._pieces.append(samples)
                    self.total += len(samples)
                # Taken no further than FEED_AHEAD_S ahead of the device, so that the stream's
                # own look-ahead follows what is heard.
                # A device that stopped taking samples does not hold the feed up (``overdue``).
                while (
                    self.total - self.position > FEED_AHEAD_S * rate
                    and not speech.cancelled
                    and time.monotonic() - self._moved_at < self.GRACE_S
                ):
                    time.sleep(0.02)
                if speech.cancelled:
                    break
        finally:
            with self._lock:
                self._filled_at = time.monotonic()

    def read(self, frames: int) -> tuple[np.ndarray, bool]:
        """Up to ``frames`` samples, and whether the speech has ended with them."""
        out = []
        wanted = frames
        with self._lock:
            while wanted and self._pieces:
                piece = self._pieces[0]
                take = piece[self._offset : self._offset + wanted]
                out.append(take)
                wanted -= len(take)
                self._offset += len(take)
                if self._offset >= len(piece):
                    self._pieces.popleft()
                    self._offset = 0
            if wanted < frames:
                self.position += frames - wanted
                self._moved_at = time.monotonic()
            ended = self._filled_at is not None and not self._pieces
        chunk = np.concatenate(out) if out else np.zeros(0, np.float32)
        return chunk, ended and len(chunk) < frames

    @property
    def complete(self) -> bool:
        """Every sample received was played and no more will come."""
        return self._filled_at is not None and self.position >= self.total

    def overdue(self) -> bool:
        """The speech has ended but the device has taken no samples for ``GRACE_S``."""
        with self._lock:
            if self._filled_at is None:
                return False
            return time.monotonic() > max(self._filled_at, self._moved_at) + self.GRACE_S


def speak(tts: TextToSpeech, text: str) -> SpeechStream:
    """``text`` spoken by ``tts``: streamed piece by piece when the voice can, else in one piece."""
    stream = getattr(tts, "stream", None)
    if callable(stream):
        return SpeechStream(stream(text))
    return SpeechStream(_whole(tts, text))


def _whole(tts: TextToSpeech, text: str) -> Iterator[SpokenAudio]:
    yield tts.synthesize(text)
