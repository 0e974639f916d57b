"""Assembles a pipeline from the installed parts: NLU, skills, history store, optional voice."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assistant.config import Settings, data_dir, ensure_private_dir, load_settings
from assistant.errors import SkillFailedError
from assistant.history import HistoryStore
from assistant.pipeline import Pipeline
from assistant.session import purge_old_recordings
from skills.base import Skill

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def skill_for(domain: str) -> Skill:
    """The registered skill for a domain; a catalog that is not built becomes a clear reply."""
    from skills.registry import load_skill

    try:
        return load_skill(domain)
    except Exception as exc:
        raise SkillFailedError(
            f"cannot load the {domain} skill: {exc}",
            user_message=f"Sorry, my {domain} catalog is not available right now. "
            "Running ./setup.sh rebuilds it.",
        ) from exc


def open_store(home: Path) -> HistoryStore:
    ensure_private_dir(home)
    return HistoryStore(home / "history.db")


def build_pipeline(
    home: Path | None = None,
    settings: Settings | None = None,
    stt_model: str | None = None,
    speak: bool = False,
) -> Pipeline:
    """The text pipeline; ``stt_model`` adds speech-to-text, ``speak`` adds text-to-speech."""
    from transformers.utils import logging as hf_logging

    from assistant.nlu import load_nlu

    hf_logging.disable_progress_bar()  # chat output stays clean; setup shows the bars

    home = home or data_dir()
    settings = settings or load_settings(home / "config.toml")
    purge_old_recordings(home, settings.retention_days)
    stt = tts = None
    if stt_model:
        from assistant.stt import load_stt

        stt = load_stt(stt_model)
    if speak:
        from assistant.errors import TextToSpeechError
        from assistant.tts import EspeakSpeech

        try:
            tts = EspeakSpeech()
        except TextToSpeechError as exc:  # answers are still printed
            print(f"speech output unavailable: {exc}", file=sys.stderr)
    return Pipeline(load_nlu(), open_store(home), home, skill_for, settings, stt=stt, tts=tts)


def warm_up(pipeline: Pipeline) -> None:
    """Load every skill and run each model once, so the first spoken request is not the slow one."""
    import numpy as np

    from skills.registry import all_domains

    for domain in all_domains():
        try:
            skill_for(domain)
        except SkillFailedError as exc:  # that domain answers with the same message later
            print(f"warning: {exc}", file=sys.stderr)
    pipeline.nlu.parse("play some music")
    if pipeline.stt is not None:
        noise = np.random.default_rng(0).normal(0.0, 0.01, 16000).astype(np.float32)
        pipeline.stt.transcribe(noise)
