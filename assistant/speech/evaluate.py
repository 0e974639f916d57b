"""``python -m assistant.speech.evaluate``: speech recognition per voice family and for humans.

Prints, in one run, the voice families' table of ``evaluation.speech``: for each synthetic
family (espeak-ng, Piper joe, Festival: the held-out family) clean and with room noise or music
mixed in, and for the human recordings (pocketsphinx-testdata), the word error rate and the
spoken in-scope / out-of-scope accuracy of stock tiny.en and of the default model, then the
issue's targets read off the table (the default no worse than stock on human speech, at least
90 % spoken in-scope on the held-out family).

It is ``python -m evaluation.speech --engine faster-whisper --no-baseline --no-spoken``: the
whole-corpus and per-engine sections are left out, and any of that command's options can be
given here too (``--families``, ``--bias``, ``--json``, ``--model``...; a later option wins).
"""

from __future__ import annotations

import sys

# The voice families' table alone: the per-engine WER run and the espeak-ng-only spoken section
# are the older figures (``python -m evaluation.speech`` prints them all).
DEFAULT_OPTIONS = ("--engine", "faster-whisper", "--no-baseline", "--no-spoken")


def main(argv: list[str] | None = None) -> int:
    """Run the voice families' evaluation; ``argv``: more ``evaluation.speech`` options."""
    from evaluation.speech import main as speech_main

    return speech_main([*DEFAULT_OPTIONS, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
