"""Word error rate as both speech evaluations count it: Whisper's ``EnglishTextNormalizer`` on
reference and hypothesis (so "10" and "ten", "Mr." and "mister" compare equal), then ``jiwer``
over the whole corpus at once."""

from __future__ import annotations

from functools import lru_cache

import jiwer


@lru_cache(maxsize=1)
def normalizer():  # -> whisper.normalizers.EnglishTextNormalizer
    # One instance: building it reads Whisper's spelling table from disk.
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    norm = normalizer()
    refs = [norm(r) for r in references]
    hyps = [norm(h) for h in hypotheses]
    # jiwer rejects empty references; an utterance whose reference normalises to nothing is skipped.
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])
