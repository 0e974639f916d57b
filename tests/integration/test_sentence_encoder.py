"""The skills' shared sentence encoder: the exported network the assistant runs, against torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from skills import embeddings

TEXTS = [
    "music",
    "something mellow for a rainy sunday",
    "Scientists find water ice near the lunar south pole",
    "80s synth pop",
    "an old black and white classic",
    "",
]


@pytest.mark.artifacts
@pytest.mark.timeout(120)
def test_the_exported_encoder_gives_torchs_vectors() -> None:
    folder = embeddings.exported()
    assert folder is not None, "setup exports the encoder with the music and news indexes"
    got = embeddings.OnnxEncoder(folder).embed(TEXTS, embeddings.MAX_TOKENS)
    want = embeddings.TorchEncoder().embed(TEXTS, embeddings.MAX_TOKENS)
    assert got.shape == (len(TEXTS), embeddings.EMBEDDING_DIM)
    assert np.abs(got - want).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # A shorter budget cuts the same way in both (the news index embeds 40 word pieces).
    long = ["word " * 80]
    cut = embeddings.OnnxEncoder(folder).embed(long, 40) - embeddings.TorchEncoder().embed(long, 40)
    assert np.abs(cut).max() < 1e-4


@pytest.mark.artifacts
def test_a_second_build_leaves_the_exports_alone() -> None:
    from models import nlu_export
    from skills.embeddings_export import ensure_exported

    assert ensure_exported() == "sentence encoder up to date"
    assert nlu_export.build().startswith("up to date")


@pytest.mark.artifacts
@pytest.mark.timeout(120)
def test_a_query_is_embedded_without_torch() -> None:
    """The first music or news request loads the encoder: onnxruntime only, no torch import."""
    code = (
        "import sys; from skills.embeddings import encode_query; v = encode_query('jazz for a dinner party'); "
        "print(v.shape[0], sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=100, check=True
    )
    assert out.stdout.split() == [str(embeddings.EMBEDDING_DIM), "[]"]


@pytest.mark.artifacts
@pytest.mark.timeout(120)
def test_without_the_export_the_encoder_falls_back_to_torch(tmp_path, monkeypatch) -> None:
    """Before setup has exported it (an older installation), queries still work, through torch."""
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    assert embeddings.exported() is None
    code = "from skills.embeddings import _model, encode_query; encode_query('news'); print(type(_model()).__name__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=100, check=True
    )
    assert out.stdout.strip() == "TorchEncoder"
