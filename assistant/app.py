"""Assembles a pipeline from the installed parts: NLU, skills, history store, optional voice."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from assistant.config import Settings, apply_network_switch, data_dir, ensure_private_dir, load_settings
from assistant.contracts.errors import SkillFailedError
from assistant.logs import setup_logging
from assistant.pipeline.runner import Pipeline
from assistant.skill_sdk.api import Skill
from assistant.skill_sdk.plugins import SkillRegistry
from assistant.storage.connection import HISTORY_FILE
from assistant.storage.history import HistoryStore

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@cache
def default_skills() -> SkillRegistry:
    """The installed skills with default settings, shared by the whole process."""
    return SkillRegistry.discover()


def skill_for(name: str) -> Skill:
    """An installed skill with its default settings; a catalog that is not built becomes a clear reply."""
    return default_skills().skill(name)


def open_store(home: Path) -> HistoryStore:
    """The history store in ``home`` (the folder made private first)."""
    ensure_private_dir(home)
    return HistoryStore(home / HISTORY_FILE)


def export_user_data(home: Path, store: HistoryStore, user: str) -> dict[str, Any]:
    """Everything stored about ``user``: their history rows and the names of their files
    (session logs, recordings) in ``home``. ``assistant export`` and the web page both write this."""
    from assistant.pipeline.session_log import recordings_dir, sessions_dir

    user = user.strip().lower()
    data = store.export_user(user)
    data["files"] = [
        str(p.relative_to(home))
        for folder in (sessions_dir(home, user), recordings_dir(home, user))
        if folder.exists()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]
    return data


def build_pipeline(
    home: Path | None = None,
    settings: Settings | None = None,
    stt_model: str | None = None,
    speak: bool = False,
) -> Pipeline:
    """The text pipeline; ``stt_model`` adds speech-to-text, ``speak`` adds text-to-speech."""
    from assistant.llm.loader import load_language_model
    from assistant.llm.runtime import BackgroundLoad

    home = home or data_dir()
    settings = settings or load_settings(home / "config.toml")
    apply_network_switch(settings)  # before any skill loads: they read the one switch
    setup_logging(home)
    llm, note = load_language_model(settings, home)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    if isinstance(llm, BackgroundLoad):
        # First of all: the weights load in the model's own process, on the second core, while
        # the classifier and the skills load here.
        llm.start()

    from assistant.nlu import load_nlu

    stt = tts = None
    if stt_model:
        from assistant.voice.stt import engine_serving, load_stt
        from assistant.voice.whisper_checkpoints import serving_model

        stt_model = serving_model(stt_model)
        stt = load_stt(stt_model, engine=engine_serving(stt_model, settings.stt_engine))
    if speak:
        from assistant.contracts.errors import TextToSpeechError
        from assistant.voice.tts import load_tts

        try:
            tts = load_tts(settings.tts_voice, on_fallback=_warn)
        except TextToSpeechError as exc:  # answers are still printed
            print(f"speech output unavailable: {exc}", file=sys.stderr)
    skills = SkillRegistry.discover(settings.skills)
    pipeline = Pipeline(load_nlu(), open_store(home), home, skills, settings, stt=stt, tts=tts, llm=llm)
    pipeline.housekeeping()  # retention at start-up; `assistant serve` repeats it (housekeeping_s)
    if pipeline.advisor is not None:  # the system prompts are read into the model's cache meanwhile
        pipeline.advisor.start_warming()
    return pipeline


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def warm_up(pipeline: Pipeline) -> None:
    """Load every skill and run each model once, so the first spoken request is not the slow one."""
    import numpy as np

    for spec in pipeline.skills.specs:
        try:
            pipeline.skills.skill(spec.name)
        except SkillFailedError as exc:  # that skill answers with the same message later
            print(f"warning: {exc}", file=sys.stderr)
    for spec in pipeline.skills.specs[:1]:
        pipeline.nlu.parse(spec.phrasing.examples[0] if spec.phrasing.examples else "hello")
    if pipeline.stt is not None:
        noise = np.random.default_rng(0).normal(0.0, 0.01, 16000).astype(np.float32)
        pipeline.stt.transcribe(noise)
    if pipeline.tts is not None:
        # The first synthesis loads the voice's data (espeak-ng's worker: the voice bench's first
        # turn took 1.9 s where the others took 0.4-0.9 s, 1 s of it in speech synthesis; Piper's
        # first onnxruntime run is slower than the next ones too).
        pipeline.tts.synthesize("Ready.")
