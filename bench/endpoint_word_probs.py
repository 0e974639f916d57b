"""Whisper's word probabilities as an early-cut cue: tried for semantic endpointing, not kept.

A hesitation is cut early when the transcript of the words before it already reads as a whole,
confident request; some of those transcripts are the decoder completing the speaker ("is there
any new ..." heard "Is there any news?"). This script asks whether the completed word gives
itself away. Each request of ``bench/voice_latency.py``'s hesitation set is spoken whole and as
its prefix (the words before the hesitation), with 0.12 s of silence after it, as the quick stage
sees it at the pause; the quick stage's model decodes it with ``word_timestamps=True`` (beam 5,
temperature 0). Of the transcripts ``endpointing`` would end the turn on, it prints how many
prefixes (cuts) and whole requests (right early ends) each gate would send to the acoustic
0.7 s wait. docs/speech.md ("Early cuts on a larger draw") has the figures and why no gate was
kept.

``nice python bench/endpoint_word_probs.py [--n 300] [--held-out]`` (training-split draw by
default, as the endpointing rules are worked on; about 4 minutes for 300 on two cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voice_latency import hesitation_set, item_nouns, name_cues, trailing, trimmed  # noqa: E402

SILENCE_BEFORE_S = 0.3
SILENCE_AFTER_S = 0.12  # SPECULATE_AFTER_S: the quick decode starts at the first short silence


def words_heard(stage, audio: np.ndarray) -> tuple[str, float, list]:
    """Transcript, mean token log-probability and words (with probability and end time) of
    ``audio`` by ``stage``'s model on the stage's own window."""
    stage.model.window_frames = stage.window_frames(len(audio))
    segments, _ = stage.model.transcribe(
        audio,
        language="en",
        beam_size=5,
        best_of=5,
        temperature=[0.0],
        condition_on_previous_text=False,
        without_timestamps=True,
        word_timestamps=True,
    )
    segments = list(segments)
    text = "".join(s.text for s in segments).strip()
    logprob = float(np.mean([s.avg_logprob for s in segments])) if segments else 0.0
    return text, logprob, [w for s in segments for w in (s.words or [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests of the hesitation set")
    parser.add_argument(
        "--held-out", action="store_true", help="the held-out draw instead of the training split's"
    )
    args = parser.parse_args(argv)

    from assistant.config import Settings
    from assistant.nlu import load_nlu
    from assistant.voice import endpointing
    from assistant.voice.stt import load_stt, quick_stage
    from assistant.voice.synth import espeak

    stt = load_stt(Settings().stt_model)
    stage = quick_stage(stt) or stt
    parse, nouns, trailing_after, cues = load_nlu().parse, item_nouns(), trailing(), name_cues()
    before = np.zeros(int(16000 * SILENCE_BEFORE_S), np.float32)
    after = np.zeros(int(16000 * SILENCE_AFTER_S), np.float32)
    # (prefix?, last word's probability, lowest word probability, last word's end after the speech)
    ended: list[tuple[bool, float, float, float]] = []
    for first, second, voice, rate in hesitation_set(args.n, dev=not args.held_out):
        for is_prefix, text in ((True, first), (False, f"{first} {second}")):
            speech = trimmed(espeak(text, voice, rate, pad_s=0.0))
            heard, logprob, words = words_heard(stage, np.concatenate([before, speech, after]))
            complete = (
                words
                and logprob >= endpointing.MIN_AVG_LOGPROB
                and endpointing.is_complete(
                    heard,
                    parse(heard),
                    item_nouns=nouns,
                    trailing_slots=trailing_after,
                    name_cues=cues,
                )
            )
            if not complete:
                continue
            speech_end = (len(before) + len(speech)) / 16000
            last = words[-1]
            ended.append(
                (is_prefix, last.probability, min(w.probability for w in words), last.end - speech_end)
            )
            if is_prefix:
                shown = ", ".join(f"{w.word.strip()} {w.probability:.2f}" for w in words)
                print(f"  prefix read as whole: {first!r} ... {second!r} heard {heard!r} [{shown}]")

    rows = np.array(ended, dtype=float).reshape(-1, 4)
    prefix, last_p, lowest_p, end_gap = rows.T
    whole = prefix == 0
    print(
        f"{args.n} {'held-out' if args.held_out else 'training-split'} requests: "
        f"{int(whole.sum())} whole and {int((~whole).sum())} prefixes read as complete and confident"
    )
    gates = [(f"last word's probability < {t}", last_p < t) for t in (0.3, 0.5, 0.7)]
    gates += [(f"lowest word probability < {t}", lowest_p < t) for t in (0.2, 0.3)]
    gates += [("last word ends > 0.1 s after the speech", end_gap > 0.1)]
    for name, waits in gates:
        print(
            f"  wait when {name}: prefixes caught {int((waits & ~whole).sum())}/{int((~whole).sum())}, "
            f"whole requests delayed {int((waits & whole).sum())}/{int(whole.sum())}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
