"""The spoken NLU training data (``models.spoken_data``): requests spoken by espeak-ng or Piper
and transcribed by the product's own speech-to-text."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.nlu.data import clean_text, parse_annotation
from assistant.voice.synth import piper
from evaluation.voices import PIPER_LENGTH_SCALES, PIPER_NOISE_SCALES
from evaluation.wer import word_error_rate
from models import spoken_data


def test_piper_speaks_slower_with_a_longer_length_scale():
    quick = piper("play some jazz by miles davis", length_scale=0.8, noise_scale=0.3)
    slow = piper("play some jazz by miles davis", length_scale=1.3, noise_scale=0.3)
    assert quick.dtype == np.float32 and np.abs(quick).max() > 0.05
    pad = 2 * int(0.3 * 16000)  # the silence each side is not stretched
    assert 1.25 < (len(slow) - pad) / (len(quick) - pad) < 1.9


def test_piper_training_settings_are_not_the_test_sets():
    tested = {(ls, ns) for ls in PIPER_LENGTH_SCALES for ns in PIPER_NOISE_SCALES}
    assert not tested & set(spoken_data.PIPER_TRAINING)


@pytest.mark.artifacts
def test_training_requests_spoken_by_piper_come_back_as_transcripts():
    examples = [
        parse_annotation("play something by [artist : queen]", "play_music"),
        parse_annotation("what's the weather like tomorrow", "weather_query"),
    ]
    rows = spoken_data.transcribe_all(examples, random.Random(3), "test", "faster-whisper", family="piper")
    lengths = {ls for ls, _ in spoken_data.PIPER_TRAINING}
    for example, (ex, voice, rate, transcript) in zip(examples, rows, strict=True):
        assert ex is example and voice.startswith("joe@noise") and rate in lengths
        assert word_error_rate([example.text], [clean_text(transcript)]) <= 0.25
    assert spoken_data.annotate(rows[0][3], examples[0]) == "play something by [artist : queen]"
