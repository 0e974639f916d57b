"""tiny.en-requests: the fine-tuned decoder is written into a CTranslate2 folder faster-whisper reads."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from assistant.artifacts import ArtifactMissingError
from assistant.config import Settings
from assistant.voice.stt import engine_serving, load_stt
from assistant.voice.whisper_checkpoints import ADAPTED, ct2_folder, serving_model
from evaluation.speech import runs
from models import whisper_adapt, whisper_convert


def stock_decoder() -> dict:
    """tiny.en's decoder parameters as openai-whisper names them, read from the stock CT2 file."""
    with (ct2_folder("tiny.en") / "model.bin").open("rb") as f:
        variables = whisper_convert.read_ct2(f)
    state = whisper_convert.to_state_dict(variables, whisper_convert.dims_from_tensors(variables))
    return {k.removeprefix("decoder."): v for k, v in state.items() if k.startswith("decoder.")}


def test_an_unchanged_decoder_writes_the_stock_model_byte_for_byte(tmp_path):
    stock = ct2_folder("tiny.en")
    whisper_adapt.write_ct2(stock, tmp_path / "out", whisper_adapt.ct2_decoder(stock_decoder(), 4))
    assert (tmp_path / "out" / "model.bin").read_bytes() == (stock / "model.bin").read_bytes()
    assert (tmp_path / "out" / "config.json").read_text() == (stock / "config.json").read_text()


def test_a_changed_tensor_lands_under_its_ct2_name_and_a_misfit_is_refused(tmp_path):
    decoder = stock_decoder()
    decoder["ln.bias"] = decoder["ln.bias"] + 0.5
    tensors = whisper_adapt.ct2_decoder(decoder, 4)
    whisper_adapt.write_ct2(ct2_folder("tiny.en"), tmp_path / "changed", tensors)
    with (tmp_path / "changed" / "model.bin").open("rb") as f:
        written = whisper_convert.read_ct2(f)
    np.testing.assert_allclose(
        written["decoder/layer_norm/beta"], tensors["decoder/layer_norm/beta"], atol=1e-3
    )
    with pytest.raises(ValueError, match="does not fit"):
        whisper_adapt.write_ct2(
            ct2_folder("tiny.en"), tmp_path / "bad", {"decoder/layer_norm/beta": np.zeros(3)}
        )
    assert not (tmp_path / "bad" / "model.bin").exists()  # nothing half-written


def test_training_targets_are_written_as_whisper_writes_speech():
    assert whisper_adapt.whisper_style("what's the weather in paris") == "What's the weather in paris?"
    assert whisper_adapt.whisper_style("play something i like") == "Play something I like."


def test_the_adapted_model_runs_on_faster_whisper_and_names_its_build_when_missing(tmp_path, monkeypatch):
    assert engine_serving(ADAPTED, "faster-whisper") == "faster-whisper"
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError, match="models.whisper_adapt"):
        load_stt(ADAPTED)


def test_a_speaker_whose_adapted_model_is_not_built_hears_with_stock_tiny_en(tmp_path, monkeypatch, caplog):
    # The default is stock tiny.en (docs/speech.md): tiny.en-requests is an opt-in build.
    assert Settings().stt_model == "tiny.en"
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="assistant.voice.whisper_checkpoints"):
        assert serving_model(ADAPTED) == "tiny.en"
    assert "python -m models.whisper_adapt" in caplog.text  # the log says how to build it
    assert serving_model("base") == "base"
    # openai-whisper has no files for the fine-tuned decoder: faster-whisper serves it
    assert engine_serving(ADAPTED, "openai-whisper") == "faster-whisper"


def test_the_evaluation_compares_engines_on_shared_weights_then_scores_the_products_model():
    assert runs(ADAPTED, "both") == [
        ("tiny.en", "openai-whisper"),
        ("tiny.en", "faster-whisper"),
        (ADAPTED, "faster-whisper"),
    ]
    assert runs("tiny.en", "both") == [("tiny.en", "openai-whisper"), ("tiny.en", "faster-whisper")]
    assert runs("base", "both") == [("base", "openai-whisper")]
    assert runs(ADAPTED, "openai-whisper") == [(ADAPTED, "faster-whisper")]


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_a_pipeline_that_opts_in_hears_a_spoken_request_with_the_adapted_decoder(tmp_path, monkeypatch):
    from assistant.app import build_pipeline
    from assistant.voice.synth import espeak

    try:
        ct2_folder(ADAPTED)
    except ArtifactMissingError:
        pytest.skip(
            f"{ADAPTED} is an opt-in build, not built here: python -m models.build --only whisper-requests"
        )
    monkeypatch.setenv("ASSISTANT_LLM", "off")
    pipeline = build_pipeline(tmp_path, Settings(), stt_model=ADAPTED)
    assert (pipeline.stt.model_name, pipeline.stt.engine) == (ADAPTED, "faster-whisper")
    heard = pipeline.stt.transcribe(espeak("what's the weather like tomorrow", "en-us+m3", 160)).text
    assert "weather" in heard.lower()
    assert pipeline.nlu.parse(heard).intent == "weather_query"


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_fine_tuning_on_spoken_requests_lowers_the_decoders_loss():
    import torch
    import whisper

    from assistant.voice.whisper_checkpoints import checkpoint_path

    torch.manual_seed(0)
    model = whisper.load_model(str(checkpoint_path("tiny.en")), device="cpu")
    before = {n: p.detach().clone() for n, p in model.decoder.named_parameters()}
    features, targets = whisper_adapt.speak(model, 8, seed=5)
    assert features.shape[1:] == (1500, 384) and len(targets) == len(features)
    losses = whisper_adapt.fine_tune(model, features, targets, epochs=3, lr=1e-3, batch_size=4)
    assert losses[-1] < losses[0]
    changed = {n for n, p in model.decoder.named_parameters() if not torch.equal(p, before[n])}
    assert "blocks.0.cross_attn.query.weight" in changed
    # Only how the decoder reads the audio is trained: its language model and vocabulary stay.
    assert all(".cross_attn" in n for n in changed)
