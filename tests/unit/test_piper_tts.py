"""The Piper voice (``[tts] voice = "joe"``): its files, the setup check of their sha256, and
the real voice on small sentences (``artifacts``: it loads the wheel's 63 MB model)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assistant.contracts.errors import TextToSpeechError
from assistant.voice import piper_tts
from assistant.voice.piper_tts import PIPER_VOICES, piper_missing

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(piper_missing("joe") is not None, reason=f"{piper_missing('joe')}"),
]


def test_a_model_of_the_wrong_size_is_not_used(monkeypatch):
    wrong = dataclasses.replace(PIPER_VOICES["joe"], model_size=1234)
    monkeypatch.setitem(PIPER_VOICES, "joe", wrong)
    assert "damaged" in (piper_missing("joe") or "") and "expected 1234" in (piper_missing("joe") or "")
    with pytest.raises(TextToSpeechError, match="damaged"):
        piper_tts.PiperSpeech("joe")


def test_setup_checks_the_voice_files_by_sha256_once(monkeypatch, tmp_path: Path):
    from models import voice_weights

    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    assert voice_weights.build() == "joe verified"
    assert voice_weights.build() == "joe up to date"  # size and time unchanged: nothing hashed
    tampered = dataclasses.replace(PIPER_VOICES["joe"], config_sha256="0" * 64)
    monkeypatch.setitem(PIPER_VOICES, "joe", tampered)
    with pytest.raises(RuntimeError, match="en_US-joe-medium.onnx.json has sha256 3d6d5410.*expected 0000"):
        voice_weights.build()


@pytest.fixture(scope="module")
def joe():
    return piper_tts.PiperSpeech("joe")


@pytest.mark.artifacts
def test_a_reply_is_spoken_as_22050_hz_audio(joe):
    audio = joe.synthesize("Here is the news.")
    assert audio.sample_rate == joe.sample_rate == 22050 and audio.samples.dtype == np.float32
    assert 0.6 < len(audio.samples) / audio.sample_rate < 4.0
    assert 0.1 < float(np.abs(audio.samples).max()) <= 1.0


@pytest.mark.artifacts
def test_each_sentence_is_its_own_piece(joe):
    pieces = list(joe.stream("Here is some jazz. It is by Miles Davis. Enjoy."))
    assert len(pieces) == 3 and {p.sample_rate for p in pieces} == {22050}
    assert all(len(p.samples) > 0.3 * 22050 for p in pieces)


@pytest.mark.artifacts
def test_a_long_first_sentence_is_cut_at_a_comma(joe):
    text = (
        "Tomorrow in London it will be cloudy in the morning, with light rain around noon and a high of 14."
    )
    assert len(list(joe.stream(text))) == 2


@pytest.mark.artifacts
@pytest.mark.parametrize("text", ["", "  \n"])
def test_empty_text_is_a_tts_error(joe, text):
    with pytest.raises(TextToSpeechError, match="empty"):
        list(joe.stream(text))
