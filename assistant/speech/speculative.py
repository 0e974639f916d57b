"""Speech-to-text that starts while the endpointer is still waiting out the trailing silence.

The endpointer needs 0.7 s of silence to be sure the user has finished; Whisper needs about
0.35 s for a short command on two cores. Waiting for both one after the other puts the reply
over a second behind the user's last word. So once the user has been quiet for a short pause
(``assistant.speech.endpointing.SPECULATE_AFTER_S``) the voice loop hands the audio so far to
``prefetch``, which transcribes it in a worker thread; semantic endpointing reads the result
with ``peek``. When the endpointer then closes the utterance, ``claim`` keeps
that transcript if no speech came after the pause (the final audio only adds silence); otherwise
the prefetch is dropped and the full utterance is transcribed as usual. The pipeline sees an
ordinary ``SpeechToText``.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from assistant.stages import SpeechToText, Transcript


@dataclass
class _Prefetch:
    voiced_samples: int  # samples up to the last voiced frame: what identifies the speech
    future: Future[Transcript]


class SpeculativeSpeechToText:
    """Wraps a ``SpeechToText``; ``prefetch`` / ``claim`` are driven by the voice loop."""

    def __init__(self, stt: SpeechToText) -> None:
        self.stt = stt
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-prefetch")
        self._pending: _Prefetch | None = None
        self._claimed: _Prefetch | None = None
        self.hits = 0  # turns answered from a prefetch (reported by the latency bench)

    def prefetch(self, audio: np.ndarray, voiced_samples: int) -> None:
        """Start transcribing ``audio`` unless the same speech is already being transcribed."""
        if self._pending is not None:
            if self._pending.voiced_samples == voiced_samples:
                return
            # Speech resumed after the last pause: that decode is stale. Dropped unless it has
            # started already (CTranslate2 cannot be interrupted; the worker then finishes it).
            self._pending.future.cancel()
        self._pending = _Prefetch(voiced_samples, self._worker.submit(self.stt.transcribe, audio.copy()))

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
        self._claimed = pending if pending and pending.voiced_samples == voiced_samples else None
        return self._claimed is not None

    def transcribe(self, audio: np.ndarray) -> Transcript:
        claimed, self._claimed = self._claimed, None
        if claimed is not None:
            self.hits += 1
            return claimed.future.result()  # re-raises the stage's own SpeechToTextError
        return self.stt.transcribe(audio)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
