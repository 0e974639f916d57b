"""Biasing the speech decoder (``hotwords``): the candidates ``python -m evaluation.speech --bias``
compares are built only from what the skills declare, and the wake-phrase check is never biased."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.skill_sdk.api import Answers, ModelHints, SkillPhrasing, SkillSpec, SkillWords
from assistant.voice import stt as stt_module
from evaluation.stt_bias import BIASES, bias_text, content_words, example_requests


def spec(
    name: str, rank: int, examples: tuple[str, ...], worked: tuple[str, ...] = (), words: tuple[str, ...] = ()
) -> SkillSpec:
    return SkillSpec(
        name=name,
        load=lambda section: None,
        answers=Answers(offer_intent=f"{name}_query"),
        words=SkillWords(domain_words=words),
        phrasing=SkillPhrasing(examples=examples),
        llm=ModelHints(examples=tuple((text, {}) for text in worked)),
        rank=rank,
    )


TEA = spec(
    "tea",
    20,
    ("make me a cup of tea", "is the kettle on?"),
    worked=("a cup of something warm",),
    words=("tea",),
)
DICE = spec("dice", 10, ("roll a die",), words=("dice", "die"))


@pytest.mark.timeout(10)
def test_each_bias_is_built_from_the_skills_declarations_lowest_rank_first():
    assert bias_text("none", [TEA, DICE]) is None
    assert bias_text("examples", [TEA, DICE]) == "Roll a die. Make me a cup of tea. Is the kettle on?"
    assert bias_text("requests", [TEA, DICE]).endswith("Is the kettle on? A cup of something warm.")
    # content words, most frequent first ("die", "cup", "tea": twice each; ties as first met)
    assert content_words([TEA, DICE])[:4] == ["die", "cup", "tea", "roll"]
    assert {"a", "of", "the", "is"}.isdisjoint(content_words([TEA, DICE]))
    assert example_requests([TEA], worked=False) == ["make me a cup of tea", "is the kettle on?"]
    with pytest.raises(ValueError, match="unknown bias"):
        bias_text("jazz", [TEA])


@pytest.mark.timeout(60)
def test_the_installed_skills_biases_fit_what_whisper_reads_before_a_clip():
    from assistant.skill_sdk.plugins import discover_specs

    specs = discover_specs()
    for kind in BIASES[1:]:
        text = bias_text(kind, specs)
        # Whisper reads at most 223 tokens of previous text; an English word is 1-3 tokens
        assert text and len(text.split()) < 150, kind


class _FakeModel:
    """Stands in for a loaded faster-whisper model: records what each decode was given."""

    window_frames = 3000

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def transcribe(self, samples, **options):
        self.calls.append(options)
        return iter([]), None


@pytest.mark.timeout(10)
def test_the_stage_and_its_quick_stage_decode_with_the_hotwords_the_wake_check_without(monkeypatch):
    model = _FakeModel()
    monkeypatch.setattr(stt_module, "_load_ct2", lambda name: model)
    stage = stt_module.load_stt("tiny.en", engine="faster-whisper", hotwords="Roll a die.")
    speech = (0.1 * np.sin(np.arange(32000) / 5)).astype(np.float32)
    stage.transcribe(speech)
    assert model.calls[0]["hotwords"] == "Roll a die." and model.calls[0]["initial_prompt"] is None
    quick = stt_module.quick_stage(stage)
    assert quick is not None and quick.hotwords == "Roll a die."  # the pause's transcript: the same
    wake = stt_module.full_window_stage(stage)
    assert wake.hotwords is None and wake.initial_prompt is None  # the phrase, not a request
    wake.transcribe(speech)
    assert model.calls[-1]["hotwords"] is None and model.calls[-1]["initial_prompt"] is None
    assert stt_module.load_stt("tiny.en", engine="faster-whisper").hotwords is None


@pytest.mark.timeout(10)
def test_openai_whisper_reads_the_hotwords_as_its_prompt_and_the_wake_check_gets_neither(monkeypatch):
    model = _FakeModel()
    monkeypatch.setattr(stt_module, "_load_model", lambda name: model)
    stage = stt_module.load_stt("tiny.en", engine="openai-whisper", hotwords="Roll a die.")
    assert stt_module._joined(stage.hotwords, stage.initial_prompt) == "Roll a die."
    assert stt_module._joined("Roll a die.", "Dice.") == "Roll a die. Dice."
    assert stt_module._joined(None, " ") is None
    wake = stt_module.full_window_stage(stage)
    assert wake is not stage and wake.model is model and (wake.hotwords, wake.initial_prompt) == (None, None)
    plain = stt_module.load_stt("tiny.en", engine="openai-whisper")
    assert stt_module.full_window_stage(plain) is plain
