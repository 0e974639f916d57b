"""The spoken test set's voice families (``evaluation.voices``): noise beds and the audio cache."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from evaluation import voices


def speech_like(seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    pad = np.zeros(4800, np.float32)
    return np.concatenate([pad, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), pad])


@pytest.mark.parametrize(
    ("index", "kind", "snr"), [(0, "room", voices.ROOM_SNR_DB), (1, "music", voices.MUSIC_SNR_DB)]
)
def test_a_noise_bed_is_mixed_at_its_snr_and_the_same_every_run(index, kind, snr):
    speech = speech_like()
    mixed, got = voices.mix(speech, index, "piper")
    again, _ = voices.mix(speech, index, "piper")
    assert got == kind and np.array_equal(mixed, again)  # pinned seeds: every model hears the same
    assert not np.array_equal(mixed, voices.mix(speech, index + 2, "piper")[0])  # another bed
    bed = mixed - speech
    voiced = np.abs(speech) > 0.02 * np.abs(speech).max()
    measured = 10 * np.log10(np.mean(speech[voiced] ** 2) / np.mean(bed**2))
    assert measured == pytest.approx(snr, abs=0.5)
    assert mixed.dtype == np.float32 and np.abs(mixed).max() <= 1.0


def test_synthesised_audio_is_cached_by_family_speaker_and_text(tmp_path):
    made = []

    def make() -> np.ndarray:
        made.append(1)
        return np.ones(10, np.float32)

    first = voices.cached("festival", "kal@1.0", "play jazz", make, cache=tmp_path)
    second = voices.cached("festival", "kal@1.0", "play jazz", make, cache=tmp_path)
    voices.cached("festival", "ked@1.0", "play jazz", make, cache=tmp_path)
    assert np.array_equal(first, second) and len(made) == 2


@pytest.mark.skipif(
    shutil.which("text2wave") is None, reason="festival is not installed (apt-get install festival)"
)
def test_festival_speaks_a_request_as_16_khz_float32():
    pool = voices.speakers("festival")
    assert {s.key.split("@")[0] for s in pool} <= set(voices.FESTIVAL_VOICES)
    audio = pool[0].speak("play some jazz")
    assert audio.dtype == np.float32 and 0.8 < len(audio) / 16000 < 5
    assert np.abs(audio).max() > 0.05
