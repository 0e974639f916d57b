"""Speech-to-text that starts while the endpointer is still waiting out the trailing silence.

The endpointer needs 0.7 s of silence to be sure the user has finished; Whisper needs about
0.35 s for a short command on two cores. Waiting for both one after the other puts the reply
over a second behind the user's last word. So once the user has been quiet for a short pause
(``assistant.voice.endpointing.SPECULATE_AFTER_S``) the voice loop hands the audio so far to
``prefetch``, which transcribes it in a worker thread; semantic endpointing reads the result
with ``peek``. When the endpointer then closes the utterance, ``claim`` keeps
that transcript if no speech came after the pause (the final audio only adds silence); otherwise
the prefetch is dropped and the full utterance is transcribed as usual. The pipeline sees an
ordinary ``SpeechToText``.

A *quick* stage (``assistant.voice.stt.quick_stage``: the same model on a 15 s encoder window with no
second look, 105 ms instead of 346 ms for the full window on a 2.4 s command on two cores) may
make the first transcript of a pause. It is what semantic endpointing reads, and the turn keeps
it only when semantic endpointing ended the turn on it (``accept``: Whisper was confident and
the words make a whole request). Otherwise (``confirm``) the stage itself transcribes the same
audio while the acoustic wait goes on, and that transcript is the turn's: the stage looks again
over the full window when the short one hears badly ("jazz" as "jas") or nothing at all, and is
ready well within the 0.7 s wait.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from assistant.contracts.stages import SpeechToText, Transcript


@dataclass
class _Prefetch:
    voiced_samples: int  # samples up to the last voiced frame: what identifies the speech
    future: Future[Transcript]
    audio: np.ndarray
    trusted: bool = True  # False: the quick stage's transcript, not yet accepted


class SpeculativeSpeechToText:
    """Wraps a ``SpeechToText``; ``prefetch`` / ``claim`` are driven by the voice loop, ``accept``
    / ``confirm`` by semantic endpointing."""

    def __init__(self, stt: SpeechToText, quick: SpeechToText | None = None) -> None:
        self.stt = stt
        self.quick = quick
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-prefetch")
        self._pending: _Prefetch | None = None
        self._claimed: _Prefetch | None = None
        self.hits = 0  # turns answered from a prefetch (reported by the latency bench)

    def prefetch(self, audio: np.ndarray, voiced_samples: int, quick: bool = False) -> None:
        """Start transcribing ``audio`` unless the same speech is already being transcribed;
        ``quick``: with the quick stage, if there is one (see the module doc)."""
        if self._pending is not None:
            same = self._pending.voiced_samples == voiced_samples
            if same and np.array_equal(self._pending.audio[:voiced_samples], audio[:voiced_samples]):
                return  # this speech is being transcribed (not another utterance as long)
            # Speech resumed after the last pause: that decode is stale. Dropped unless it has
            # started already (CTranslate2 cannot be interrupted; the worker then finishes it).
            self._pending.future.cancel()
        stage = self.quick if quick and self.quick is not None else self.stt
        audio = audio.copy()
        self._pending = _Prefetch(
            voiced_samples, self._worker.submit(stage.transcribe, audio), audio, trusted=stage is self.stt
        )

    def accept(self, voiced_samples: int) -> None:
        """Semantic endpointing ends the turn on the transcript ``peek`` gave: keep it."""
        pending = self._pending
        if pending is not None and pending.voiced_samples == voiced_samples:
            pending.trusted = True

    def confirm(self, voiced_samples: int) -> None:
        """The quick transcript did not end the turn: transcribe the same audio with the stage.

        A stage that can start from the quick transcript (``look_again``: the quick stage's
        decode is its own first decode) only adds its second look, if any: a full new decode
        followed by a second look did not fit in the 0.7 s acoustic wait ("suggest a good
        thriller" answered 1.10 s after the last word, against 0.76 s)."""
        pending = self._pending
        if pending is None or pending.voiced_samples != voiced_samples or pending.trusted:
            return
        look_again = getattr(self.stt, "look_again", None)
        quick = pending.future
        if look_again is not None and quick.done() and quick.exception() is None:
            pending.future = self._worker.submit(look_again, pending.audio, quick.result(), self.quick)
        else:
            pending.future = self._worker.submit(self.stt.transcribe, pending.audio)
        pending.trusted = True

    def peek(self, voiced_samples: int) -> Transcript | None:
        """The finished prefetch of exactly this speech, or None (still running, other speech)."""
        pending = self._pending
        if pending is None or pending.voiced_samples != voiced_samples or not pending.future.done():
            return None
        if pending.future.exception() is not None:
            return None
        return pending.future.result()

    def claim(self, voiced_samples: int) -> bool:
        """The utterance is final: keep the prefetch if it holds all of its speech."""
        pending, self._pending = self._pending, None
        kept = pending is not None and pending.voiced_samples == voiced_samples and pending.trusted
        self._claimed = pending if kept else None
        return self._claimed is not None

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """The prefetched transcript when the utterance was claimed, else a fresh transcription."""
        claimed, self._claimed = self._claimed, None
        if claimed is not None:
            self.hits += 1
            return claimed.future.result()  # re-raises the stage's own SpeechToTextError
        return self.stt.transcribe(audio)

    def close(self) -> None:
        """Stop the prefetch worker without waiting for it."""
        self._worker.shutdown(wait=False, cancel_futures=True)
