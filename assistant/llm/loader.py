"""Which language model this run uses, if any: config, the environment and installed weights.

``[llm] enabled`` (default true) turns it on when its weights are built; ``ASSISTANT_LLM=off``
turns it off for one run. A model that is missing or fails to load is reported once and the
assistant runs without it: everything works on the classifier alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.config import Settings, environment
from assistant.llm.runtime import LanguageModel
from assistant.llm.weights import MODELS, installed_models, model_path

log = logging.getLogger(__name__)


def llm_wanted(settings: Settings) -> bool:
    """``ASSISTANT_LLM`` on or off for this run, else ``[llm] enabled``."""
    switch = environment().llm
    return settings.llm_enabled if switch is None else switch


def load_language_model(settings: Settings, home: Path | None = None) -> tuple[LanguageModel | None, str]:
    """The model, or None and a one-line note saying why not ("" when it is simply off).

    With ``home`` (the data directory), its system prompts' caches are kept in files there
    across starts (``slot_cache``): a second start restores them instead of reading them again."""
    if not llm_wanted(settings):
        return None, ""
    name = settings.llm_model
    if name not in MODELS:
        return None, f"unknown [llm] model {name!r} (choose {', '.join(MODELS)}); running without it"
    if name not in installed_models():
        return None, (
            f"the {name} language model is not installed ({model_path(name)}); "
            "./setup.sh fetches it. Running without it."
        )
    try:
        from assistant.llm.runtime import BackgroundLoad, LlamaModel
        from assistant.llm.slot_cache import cache_dir
    except ImportError as exc:  # xllamacpp missing: ./setup.sh installs it
        log.exception("the language model runtime could not be imported")
        return None, f"the language model runtime is missing ({exc}); running without it"
    path, threads = model_path(name), settings.llm_threads
    cache = cache_dir(home) if home is not None else None
    # Loaded on its own thread: the first prompt does not wait for the weights (see BackgroundLoad).
    return BackgroundLoad(lambda: LlamaModel(path, name, threads=threads, cache_dir=cache), name), ""
