"""Build-time: NLU requests as the recogniser hears them.

Typed training text is clean; what Whisper writes for a spoken request is not ("play some jazz"
comes back as "Play some jazz." or "play sum jazz"). This script speaks requests from the NLU
*training* split (``assistant.nlu.data.load_split``, so no held-out utterance leaks) with
espeak-ng voices at several rates, transcribes them with the product's own speech-to-text
(``assistant.voice.stt.load_stt``), and writes

- ``data/nlu/spoken.csv``: ``label;utterance`` like ``data/nlu/examples.csv``. A transcript is
  written with its slots marked again (``[artist : queen]``) when every slot value of the
  typed example is found in it, plain when the example has no slots, and left out when it
  adds nothing (identical to the typed text after cleaning) or has more than ``MAX_WER`` of
  its words wrong.
- ``data/nlu/spoken_unaligned.csv``: transcripts whose slot values were misheard; the NLU
  trains its intent head on them, not its slot tagger (``assistant.nlu.data.load_spoken``).
- ``data/speech/spoken_heldout.csv``: our own spoken held-out set, from the held-out split:
  ``label;text;voice;rate;transcript`` (the audio recipe: espeak-ng voice and words per minute).
  ``python -m evaluation.speech`` re-synthesises and scores it.

``nice python -m models.spoken_data [--train N] [--held-out N] [--seed S] [--add] [--model M]
[--oos-train N] [--family espeak-ng|piper]``
(``--add`` keeps the rows already written and adds this run's: a second seed speaks other
requests; ``--model tiny.en-requests`` transcribes them with the product's fine-tuned decoder,
whose mistakes differ from stock tiny.en's; ``--family piper`` speaks the training requests with
the Piper joe voice at speaking rates and noise scales of its own (``PIPER_TRAINING``), not the
ones ``evaluation.voices`` tests with: Whisper mishears a natural voice differently from
espeak-ng, and the held-out voice family, Festival, is still never spoken here).
(about 15 minutes of CPU for the defaults on two shared cores). The default engine is
faster-whisper: the same tiny.en weights as openai-whisper, a quarter of the CPU.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from operator import attrgetter

import jiwer
from tqdm import tqdm

from assistant.nlu.data import (
    REPO_ROOT,
    SPOKEN_FILE,
    SPOKEN_INTENT_ONLY_FILE,
    Example,
    clean_text,
    load_split,
)
from assistant.nlu.labels import OUT_OF_SCOPE
from assistant.voice.stt import BEAM_SIZE
from assistant.voice.synth import espeak, pick_voice, piper
from assistant.voice.whisper_checkpoints import SPEECH_MODELS

HELDOUT_CSV = REPO_ROOT / "data" / "speech" / "spoken_heldout.csv"
SEED = 16
# A transcript that got more than this share of the words wrong is dropped from training: on
# the 20-utterance trial a third of those were unrelated phrases ("that's one game for" for
# "thanks"), which teach the classifier nothing but noise.
MAX_WER = 0.6
FAMILIES = ("espeak-ng", "piper")
# Piper joe's (length_scale, noise_scale) for training requests: quicker and slower than its
# own 1.0 and steadier and more varied than its own 0.667, none of them the pairs the voice
# families' test set speaks with (``evaluation.voices.PIPER_LENGTH_SCALES`` / ``_NOISE_SCALES``).
PIPER_TRAINING = tuple((ls, ns) for ls in (0.8, 0.92, 1.1, 1.3) for ns in (0.3, 0.6, 1.0))


def stratified(
    examples: list[Example], n: int, rng: random.Random, key: Callable[[Example], str] = attrgetter("label")
) -> list[Example]:
    """About ``n`` examples, every group (label, or ``key``) represented, larger groups capped."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_label[key(ex)].append(ex)
    per_label = max(1, n // len(by_label))
    chosen = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        chosen += group[:per_label]
    rng.shuffle(chosen)
    return chosen[:n]


def annotate(transcript: str, example: Example) -> str | None:
    """The clean transcript with the example's slot values marked; None when one is missing."""
    text = clean_text(transcript)
    for slot, value in example.slots().items():
        value = clean_text(value)
        match = re.search(rf"(?<![\w']){re.escape(value)}(?![\w'])", text) if value else None
        if match is None or "[" in text[: match.start()].rsplit("]", 1)[-1]:
            return None
        text = f"{text[: match.start()]}[{slot} : {value}]{text[match.end() :]}"
    return text


def transcribe_all(
    examples: list[Example],
    rng: random.Random,
    desc: str,
    engine: str,
    model: str = "tiny.en",
    family: str = "espeak-ng",
) -> list[tuple[Example, str, int | float, str]]:
    """(example, voice, rate, transcript) for each example spoken by ``family``: an espeak-ng
    voice and words per minute, or Piper joe's noise scale ("joe@noiseN") and length scale."""
    from assistant.voice.stt import load_stt

    stt = load_stt(model, engine=engine)
    rows = []
    for ex in tqdm(examples, desc=desc, unit="utt"):
        if family == "piper":
            length_scale, noise_scale = rng.choice(PIPER_TRAINING)
            voice, rate = f"joe@noise{noise_scale}", length_scale
            audio = piper(ex.text, length_scale, noise_scale)
        else:
            voice, rate = pick_voice(rng)
            audio = espeak(ex.text, voice, rate)
        rows.append((ex, voice, rate, stt.transcribe(audio).text))
    return rows


def _header(what: str, n: int, seconds: float, engine: str) -> list[str]:
    return [
        f"# {what}",
        "# Made by models/spoken_data.py (this repository): requests spoken by espeak-ng (accents",
        "# en-us, en, en-gb-scotland, en-029, en-gb-x-rp, en-us-nyc; variants m1 m3 m7 f1-f4;",
        f"# 140-185 words per minute; seed {SEED}) and transcribed by the product's Whisper tiny.en",
        f"# ({engine} engine); {n} utterances, {seconds / 60:.0f} min of CPU. Source texts: assistant/nlu/data.py load_split().",
    ]


def write_held_out(held_out: list[Example], n: int, rng: random.Random, engine: str) -> None:
    started = time.process_time()
    held_rows = transcribe_all(stratified(held_out, n, rng), rng, "held-out", engine)
    HELDOUT_CSV.parent.mkdir(parents=True, exist_ok=True)
    lines = _header(
        "Spoken held-out requests: label;text;voice;rate;transcript",
        len(held_rows),
        time.process_time() - started,
        engine,
    )
    lines += _rows(held_rows)
    HELDOUT_CSV.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(held_rows)} held-out rows -> {HELDOUT_CSV}")


def add_held_out_oos(held_out: list[Example], n: int, seed: int, engine: str) -> None:
    """Add ``n`` out-of-scope held-out requests, spread over where they come from (HWU64's
    intents the assistant does not serve, our own), to the spoken held-out file. The set
    ``write_held_out`` draws is stratified by label, so out-of-scope, one label, gets about 9
    requests: too few to measure its recall (one request is 11 points)."""
    rng = random.Random(seed)
    comments, kept = _kept(HELDOUT_CSV)
    in_file = {line.split(";")[1] for line in kept}
    pool = [ex for ex in held_out if ex.label == OUT_OF_SCOPE and ex.text not in in_file]
    started = time.process_time()
    rows = transcribe_all(stratified(pool, n, rng, key=attrgetter("source")), rng, "held-out oos", engine)
    added = (
        f"# Added: {len(rows)} out-of-scope requests (one per source of the held-out split's, seed {seed}), "
        f"{engine} beam {BEAM_SIZE}, {(time.process_time() - started) / 60:.0f} min of CPU."
    )
    lines = [*comments, added, *kept, *_rows(rows)]
    HELDOUT_CSV.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} out-of-scope held-out rows added -> {HELDOUT_CSV}")


def _rows(rows: list[tuple[Example, str, int, str]]) -> list[str]:
    """The held-out file's lines for transcribed requests: label;text;voice;rate;transcript."""
    return [f"{ex.label};{ex.text};{v};{r};{t.replace(';', ',')}" for ex, v, r, t in rows]


def _kept(path) -> tuple[list[str], list[str]]:
    """(comment lines, rows) of a file written earlier; empty when there is none."""
    if not path.exists():
        return [], []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [x for x in lines if x.startswith("#")], [x for x in lines if not x.startswith("#")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1000, help="training requests to speak")
    parser.add_argument(
        "--held-out", type=int, default=200, help="held-out requests to speak (0: keep the file)"
    )
    parser.add_argument(
        "--engine", default="faster-whisper", choices=["faster-whisper", "openai-whisper"], help="STT engine"
    )
    parser.add_argument(
        "--held-out-oos",
        type=int,
        default=0,
        help="add this many out-of-scope held-out requests to the held-out file, then stop",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="picks requests, voices and rates")
    parser.add_argument(
        "--model",
        default="tiny.en",
        choices=SPEECH_MODELS,
        help="speech model of the training transcripts (the held-out file is always tiny.en's)",
    )
    parser.add_argument(
        "--oos-train",
        type=int,
        default=0,
        help="also speak this many out-of-scope training requests, spread over their sources",
    )
    parser.add_argument(
        "--add", action="store_true", help="keep the rows already in the files and add this run's"
    )
    parser.add_argument(
        "--family", default="espeak-ng", choices=FAMILIES, help="who speaks the training requests"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed + 1)  # the held-out set draws from its own generator (SEED)
    train, held_out = load_split()
    train = [ex for ex in train if ex.source != "own/spoken"]  # typed requests only, not old transcripts
    if args.held_out_oos:
        add_held_out_oos(held_out, args.held_out_oos, args.seed, args.engine)
        return 0
    started = time.process_time()
    if args.held_out:
        write_held_out(held_out, args.held_out, random.Random(SEED), args.engine)
    chosen = stratified(train, args.train, rng)
    if args.oos_train:
        # Stratified by label, out of scope (one label of 22) gets about 45 requests of 1,000; the
        # spoken out-of-scope recall trailed the typed one by 10 points, misheard into the domain.
        taken = {ex.text for ex in chosen}
        pool = [ex for ex in train if ex.label == OUT_OF_SCOPE and ex.text not in taken]
        chosen += stratified(pool, args.oos_train, rng, key=attrgetter("source"))
    train_rows = transcribe_all(chosen, rng, "training", args.engine, args.model, args.family)
    seconds = time.process_time() - started
    kept = {path: _kept(path) if args.add else ([], []) for path in (SPOKEN_FILE, SPOKEN_INTENT_ONLY_FILE)}
    aligned, unaligned = list(kept[SPOKEN_FILE][1]), list(kept[SPOKEN_INTENT_ONLY_FILE][1])
    seen = {
        (row.split(";", 1)[0], clean_text(re.sub(r"\[\w+ : ([^\]]*)\]", r"\1", row.split(";", 1)[1])))
        for row in aligned + unaligned
    }
    for ex, _, _, transcript in train_rows:
        plain = clean_text(transcript)
        if not plain or plain == ex.text or (ex.label, plain) in seen:
            continue
        if jiwer.wer(ex.text, plain) > MAX_WER:  # nothing of the request left to learn from
            continue
        seen.add((ex.label, plain))
        marked = annotate(transcript, ex)
        if marked is not None:
            aligned.append(f"{ex.label};{marked}")
        else:
            unaligned.append(f"{ex.label};{plain}")
    titles = {
        SPOKEN_FILE: "label;utterance, NLU training split as heard",
        SPOKEN_INTENT_ONLY_FILE: "label;utterance, slot values misheard (intent only)",
    }
    run = (
        f"# {'Added' if args.add else 'This run'}: {len(train_rows)} utterances, seed {args.seed}, "
        f"spoken by {'Piper joe' if args.family == 'piper' else 'espeak-ng'}, "
        f"{args.model} on {args.engine} beam {BEAM_SIZE}, {seconds / 60:.0f} min of CPU."
    )
    for path, rows in ((SPOKEN_FILE, aligned), (SPOKEN_INTENT_ONLY_FILE, unaligned)):
        header = kept[path][0] or _header(titles[path], len(train_rows), seconds, args.engine)
        path.write_text("\n".join([*header, run, *rows]) + "\n", encoding="utf-8")
    print(f"{len(aligned)} rows -> {SPOKEN_FILE}, {len(unaligned)} -> {SPOKEN_INTENT_ONLY_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
