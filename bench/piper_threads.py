"""The Piper voice's first audio with one onnxruntime thread or two, spinning or not.

    .venv/bin/python bench/piper_threads.py [--busy]

Times the first chunk of two texts (a clause and a 34-word sentence), median of 5, for each
setting; ``--busy`` keeps one core busy with another process meanwhile, as a machine running
something else would. Chose ``PiperSpeech``'s two non-spinning threads (assistant/voice/piper_tts.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.voice.piper_tts import voice_files  # noqa: E402

TEXTS = {
    "clause": "It looks like light rain tomorrow in London,",
    "34 words": "The forecast for London tomorrow says light rain in the morning turning to sunny spells in "
    "the afternoon with a high of twelve degrees and a gentle breeze from the south west later on",
}
SETTINGS = {"1 thread": (1, True), "2 threads, spinning": (2, True), "2 threads, no spinning": (2, False)}


def voice(threads: int, spin: bool) -> object:
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    model, config = voice_files("joe")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(config=PiperConfig.from_dict(json.loads(config.read_text())), session=session)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        for name, (threads, spin) in SETTINGS.items():
            piper = voice(threads, spin)
            for label, text in TEXTS.items():
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    next(iter(piper.synthesize(text)))
                    times.append(time.perf_counter() - start)
                print(f"{name:24} {label:9} first audio {np.median(times):.3f} s")
    finally:
        if busy is not None:
            busy.kill()


if __name__ == "__main__":
    main()
