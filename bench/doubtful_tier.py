"""How long a whole request Whisper doubts a little should wait before the turn ends.

The replay behind ``assistant.voice.endpointing.DOUBTFUL_PAUSE_S`` and ``MIN_DOUBTFUL_LOGPROB``:
training-split requests that name something (``bench/voice_latency.hesitation_set(dev=True)``),
each spoken whole and cut before the name, by the espeak-ng voice the set draws and by a Piper
joe setting (Festival, the held-out family, is not used), are decoded by the quick stage as
semantic endpointing reads them after the last word. For each pause and log-probability floor it
prints how many more whole requests would end early and how many more hesitations (0.4-0.6 s,
drawn as the latency bench draws them) would be cut, against the rule without the tier. A second
table asks the same of a "second look" that was measured and not adopted: ending a request the
quick stage heard unfinished when the stage's own look at the audio (``look_again``, as
``SpeculativeSpeechToText.confirm`` asks it during the acoustic wait) reads it whole.

    nice .venv/bin/python bench/doubtful_tier.py [--n 300]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAUSES = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
FLOORS = (None, -1.0, -0.8)
SECOND_LOOK_FLOORS = (-0.8, -0.6, -0.45, -0.3)


def judged(n: int) -> list[dict]:
    """Per request and voice: the hesitation's length, and (log-probability, reads whole) of
    the part before the name and of the whole request."""
    from assistant.nlu import load_nlu
    from assistant.voice.endpointing import is_complete
    from assistant.voice.stt import load_stt, quick_stage
    from assistant.voice.synth import espeak
    from bench.voice_latency import hesitation_set, item_nouns, name_cues, trailing, trimmed
    from evaluation.voices import cached, speakers

    stt = load_stt("tiny.en", engine="faster-whisper")
    quick, parse = quick_stage(stt) or stt, load_nlu().parse
    nouns, cues, trail = item_nouns(), name_cues(), trailing()
    pipers, rng, pauses = speakers("piper"), random.Random(5), np.random.default_rng(16)

    def reads(heard) -> tuple[float, bool]:
        whole = is_complete(
            heard.text, parse(heard.text), item_nouns=nouns, trailing_slots=trail, name_cues=cues
        )
        return heard.avg_logprob, whole

    def judge(audio: np.ndarray) -> dict[str, tuple[float, bool]]:
        """The quick stage's reading, and the stage's own (its second look at the same audio,
        as ``SpeculativeSpeechToText.confirm`` asks it while the acoustic wait goes on)."""
        padded = np.concatenate([np.zeros(4800, np.float32), trimmed(audio), np.zeros(2400, np.float32)])
        heard = quick.transcribe(padded)
        again = stt.look_again(padded, heard, quick) if hasattr(stt, "look_again") else heard
        return {"quick": reads(heard), "stage": reads(again), "heard": (heard.text, again.text)}

    rows = []
    for first, second, voice, rate in hesitation_set(n, dev=True):
        pause, piper = float(pauses.uniform(0.4, 0.6)), rng.choice(pipers)
        voices = {
            "espeak-ng": lambda text, v=voice, r=rate: espeak(text, v, r, pad_s=0.0),
            "piper": lambda text, p=piper: cached("piper", p.key, text, lambda: p.speak(text)),
        }
        for family, say in voices.items():
            rows.append(
                {
                    "family": family,
                    "pause": pause,
                    "head": judge(say(first)),
                    "whole": judge(say(f"{first} {second}")),
                }
            )
    return rows


def report(rows: list[dict]) -> None:
    from assistant.voice.endpointing import MIN_AVG_LOGPROB, MIN_DOUBTFUL_LOGPROB

    def confident(judgement: tuple[float, bool]) -> bool:
        logprob, whole = judgement
        return whole and logprob >= MIN_AVG_LOGPROB

    def tiered(judgement: tuple[float, bool], floor: float | None) -> bool:
        logprob, whole = judgement
        return whole and logprob < MIN_AVG_LOGPROB and (floor is None or logprob >= floor)

    def unfinished(judgement: tuple[float, bool]) -> bool:  # the quick reading, as the rule has it
        return not (confident(judgement) or tiered(judgement, MIN_DOUBTFUL_LOGPROB))

    def second_look(said: dict, floor: float) -> bool:
        """Quick reading unfinished; the stage's own look reads whole with ``floor`` or better."""
        logprob, whole = said["stage"]
        return unfinished(said["quick"]) and whole and logprob >= floor

    early = sum(confident(r["whole"]["quick"]) for r in rows)
    cut = sum(confident(r["head"]["quick"]) for r in rows)
    print(f"{len(rows)} requests: without the tier {early} whole requests end early, {cut} hesitations cut")
    print("doubtful tier (the quick reading whole but doubted)")
    print("pause   floor   more whole requests ended early   more hesitations cut")
    for pause in PAUSES:
        for floor in FLOORS:
            gained = sum(tiered(r["whole"]["quick"], floor) for r in rows)
            cuts = sum(tiered(r["head"]["quick"], floor) and r["pause"] >= pause for r in rows)
            print(f"{pause:5.2f}  {'none' if floor is None else floor:>6}  {gained:32d}  {cuts:20d}")
    # Measured, not adopted (docs/speech.md, 2026-12-08): a tier that would end a request the
    # quick stage heard unfinished when the stage's own look reads it whole.
    print("second look (the quick reading unfinished, the stage's own look whole), on top of the tier")
    print("pause   floor   more whole requests ended early   more hesitations cut")
    for pause in PAUSES:
        for floor in SECOND_LOOK_FLOORS:
            gained = sum(second_look(r["whole"], floor) for r in rows)
            cuts = sum(second_look(r["head"], floor) and r["pause"] >= pause for r in rows)
            print(f"{pause:5.2f}  {floor:>6}  {gained:32d}  {cuts:20d}")
    for r in rows:
        for part in ("whole", "head"):
            if second_look(r[part], MIN_AVG_LOGPROB):
                quick_text, stage_text = r[part]["heard"]
                print(f"  {part} ({r['family']}, {r['pause']:.2f} s): {quick_text!r} -> {stage_text!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="training-split requests (each in two voices)")
    args = parser.parse_args(argv)
    os.environ["ASSISTANT_LLM"] = "off"
    report(judged(args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
