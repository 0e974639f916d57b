"""Doubtful transcripts on a dev set: when should the assistant ask again instead of acting?

A misheard request ("lights on" heard as "Light song.") reaches the NLU as a plausible request
for something else. Whisper's mean token log-probability says how sure the decoder was of what
it wrote; the NLU's confidence says how well the text fits an intent. This script measures both
on a dev set and prints, for gates "ask again when the transcript's log-probability is under A
and the NLU's confidence under C", what each would do: in-scope requests still right, asked
again, wrong; out-of-scope requests taken for a request, asked again, declined.

The dev set: requests of the NLU's *training* split (the held-out split and its spoken set stay
the test) that ``models.whisper_adapt`` did not speak when it fine-tuned the decoder (its draw
is replayed with the same seed and left out), spoken by espeak-ng voices at the product's
rates (seed ``--seed``) and transcribed by the product's speech model. The NLU trained on
their typed text, so its confidence on them runs a little high; thresholds chosen here are on
the lenient side for the test set.

``nice python bench/misheard_dev.py [--n 1000] [--seed 5] [--cache PATH] [--show A,C]`` (the
transcripts are kept in ``--cache``, by default one file per ``--n`` and ``--seed`` under /tmp,
so trying other gates does not speak the set again).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.contracts.stages import Parse  # noqa: E402
from assistant.nlu.labels import OUT_OF_SCOPE  # noqa: E402
from assistant.voice.misheard import misheard  # noqa: E402

LOG_PROBS = (-0.9, -0.7, -0.6, -0.5, -0.45, -0.4, -0.35, -0.3, -0.25, -0.2)
CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


def dev_requests(n: int, seed: int) -> list[tuple[str, str, str, int]]:
    """(label, text, voice, rate) for ``n`` training-split requests the decoder never heard."""
    from assistant.nlu.data import load_split
    from assistant.voice.synth import pick_voice
    from models.spoken_data import stratified
    from models.whisper_adapt import REQUESTS, SEED

    typed = [ex for ex in load_split()[0] if ex.source != "own/spoken"]
    rng = random.Random(SEED)  # the decoder's draw, replayed exactly as whisper_adapt.speak makes it
    heard = set()
    for ex in stratified(typed, REQUESTS, rng):
        pick_voice(rng)
        heard.add(ex.text)
    unheard = [ex for ex in typed if ex.text not in heard]
    rng = random.Random(seed)
    rows = []
    for ex in stratified(unheard, n, rng):
        voice, rate = pick_voice(rng)
        rows.append((ex.label, ex.text, voice, rate))
    print(
        f"{len(typed)} typed training requests, {len(unheard)} not spoken to the decoder; {len(rows)} drawn"
    )
    return rows


def speak_as(family: str, seed: int) -> Callable[[str, str, int], tuple[np.ndarray, str]]:
    """How ``family`` says a dev request: espeak-ng with the request's own voice and rate, or
    one of Piper's speakers (``evaluation.voices``) drawn with ``seed``."""
    from assistant.voice.synth import espeak
    from evaluation import voices

    if family == voices.HELD_OUT:
        raise SystemExit(f"{family} is the held-out voice family: nothing is tuned on it")
    if family == "espeak-ng":
        return lambda text, voice, rate: (espeak(text, voice, rate), f"{voice}@{rate}")
    pool, rng = voices.speakers(family), random.Random(f"misheard:{seed}:{family}")

    def speak(text: str, voice: str, rate: int) -> tuple[np.ndarray, str]:
        speaker = rng.choice(pool)
        return speaker.speak(text), speaker.key

    return speak


def collect(n: int, seed: int, cache: Path, family: str = "espeak-ng") -> list[dict]:
    if cache.is_file():
        with cache.open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    from tqdm import tqdm

    from assistant.config import Settings
    from assistant.nlu import load_nlu
    from assistant.voice.stt import load_stt

    stt, nlu, speak = load_stt(Settings().stt_model), load_nlu(), speak_as(family, seed)
    out = []
    for label, text, voice, rate in tqdm(dev_requests(n, seed), desc=f"speaking ({family})", unit="utt"):
        audio, speaker = speak(text, voice, rate)
        heard = stt.transcribe(audio)
        parse = nlu.parse(heard.text)
        out.append(
            {
                "label": label,
                "text": text,
                "family": family,
                "voice": speaker,
                "rate": rate,
                "heard": heard.text,
                "avg_logprob": round(heard.avg_logprob, 4),
                "intent": parse.intent,
                "confidence": round(parse.confidence, 4),
            }
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    return out


def curve(rows: list[dict]) -> None:
    gold = [r["label"] for r in rows]
    got = [r["intent"] for r in rows]
    lp = np.array([float(r["avg_logprob"]) for r in rows])
    conf = np.array([float(r["confidence"]) for r in rows])
    in_scope = np.array([g != OUT_OF_SCOPE for g in gold])
    right = np.array([g == p for g, p in zip(gold, got, strict=True)])
    taken = np.array([p != OUT_OF_SCOPE for p in got])
    n_in, n_oos = int(in_scope.sum()), int((~in_scope).sum())

    def net(asked: np.ndarray) -> int:
        """Wrong actions the gate stops (a misheard request, an out-of-scope one taken) minus
        right requests it asks again: the gate pays while this is above zero."""
        stopped = (asked & in_scope & ~right).sum() + (asked & ~in_scope).sum()
        return int(stopped - (asked & in_scope & right).sum())

    print(f"{n_in} in scope, {n_oos} out of scope")
    print(
        f"{'gate':>22} | {'in: right':>9} {'asked':>6} {'wrong':>6} | {'oos: taken':>10} {'asked':>6} {'declined':>8}"
    )
    for a in (None, *LOG_PROBS):
        for c in (None,) if a is None else CONFIDENCES:
            asked = np.zeros(len(rows), bool) if a is None else (lp < a) & (conf < c) & taken
            label = "none" if a is None else f"lp < {a} & conf < {c}"
            ins, oos = in_scope & ~asked, ~in_scope & ~asked
            print(
                f"{label:>22} | {100 * (right & ins).sum() / n_in:8.1f}% {(in_scope & asked).sum():6d}"
                f" {(~right & ins).sum():6d} | {(taken & oos).sum():10d} {(~in_scope & asked).sum():6d}"
                f" {(~taken & oos).sum():8d}  oos not acted on {100 * (~in_scope & ~(taken & ~asked)).sum() / n_oos:.1f}%"
                f"  net {net(asked):+d}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="default: /tmp/misheard_dev-FAMILY-MODEL-N-SEED.csv")
    parser.add_argument(
        "--families",
        default="espeak-ng,piper",
        help="development voice families, comma-separated (default espeak-ng,piper; the held-out "
        "family is refused)",
    )
    parser.add_argument("--show", metavar="A,C", help="list the requests this gate asks again")
    args = parser.parse_args(argv)
    from assistant.config import Settings

    model = Settings().stt_model
    rows = []
    for family in args.families.split(","):
        cache = args.cache or Path(f"/tmp/misheard_dev-{family}-{model}-{args.n}-{args.seed}.csv")
        family_rows = collect(args.n, args.seed, cache, family)
        print(f"\n== {family}, speech model {model}")
        curve(family_rows)
        rows += family_rows
    if len(args.families.split(",")) > 1:
        print(f"\n== all of {args.families}, speech model {model}")
        curve(rows)
    if args.show:
        a, c = map(float, args.show.split(","))
        for r in rows:
            parse = Parse(r["intent"], float(r["confidence"]))
            if misheard(float(r["avg_logprob"]), parse, below_logprob=a, below_confidence=c):
                print(
                    f"  {r['label']:>16} -> {r['intent']:<16} {float(r['avg_logprob']):6.2f} "
                    f"{float(r['confidence']):.2f} {r['text']!r} heard {r['heard']!r}"
                )


if __name__ == "__main__":
    main()
