"""Wake word and speaker identification, measured on our own spoken sets.

Wake word (``assistant.voice.wake``, streaming with its VAD gate and each detection checked by Whisper
(``assistant.voice.wake_check``), exactly as the microphone loop runs it; the network alone beside it):

- recall: "okay nabu" spoken by espeak-ng, 6 accents x 5 voice variants x 3 rates, alone and
  followed by a request ("okay nabu, play some jazz"), and alone with another voice reading a
  headline 20 dB and 10 dB below it (television in the background);
- false wakes per hour: at least an hour of other speech streamed as one recording -- LibriVox
  read speech from Debian's pocketsphinx-testdata, espeak-ng reading news headlines with their
  summaries and chart titles (data/news, data/music) in many voices; near misses ("okay, nab
  useless", "okay now boo") are counted on their own;
- CPU: process time per second of audio for the whole stream (one core = 100 %), beside the
  network alone without the gate (the same-run baseline).

Held out (``heldout_wake``): the cutoffs were chosen on espeak-ng voices only; here Piper's joe
(six length / noise scales) and Festival's three voices (two speeds each) say the wake phrase
alone and before a request, and the false wakes are counted on ``--heldout-hours`` of other
speech from those families (the test half of the headlines) after the human recordings. Printed
after the espeak-ng figures of the same run.

Speaker identification: ``bench/speaker_id.py`` (six enrolled espeak-ng "people", six unknown
voices and the real LibriVox speakers; the d-vector alone as the same-run baseline; then the
held-out households of Festival and Piper voices, today's settings beside this version's), run
from here.

Wake-word cutoffs and views (``assistant.voice.wake.CUTOFFS`` / ``STRETCHES``) and the check's
``MIN_SIMILARITY`` were chosen with ``--tune``: the same measures on a dev split only (other voice
variants and rates, the other half of the headlines, no LibriVox), printed as a recall /
false-wake curve per cutoff and the check's similarity for every detection at a low cutoff.

``nice python bench/wake_speaker.py [--word default|all|okay_nabu|...] [--hours 1.0] [--skip-wake]
[--skip-speaker] [--skip-heldout] [--heldout-hours 1.0] [--stt-model M]``; ``--tune [--dev-hours 3] [--stretches 1,1.2] [--window 3]`` for the dev curves.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.voice.synth import ACCENTS, espeak  # noqa: E402
from assistant.voice.wavfile import read_wav  # noqa: E402
from bench.speaker_id import TESTDATA, heldout_bench, speaker_bench, speaker_pairs  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SR = 16000
WAKE_VARIANTS = ("", "+m3", "+f2", "+f4", "+m7")
WAKE_RATES = (140, 165, 185)
REQUESTS = ("play some jazz", "what's the weather tomorrow", "tell me the news", "suggest a comedy")
PHRASES = {
    "okay_nabu": "okay nabu",
    "hey_jarvis": "hey jarvis",
    "hey_mycroft": "hey mycroft",
    "alexa": "alexa",
}
NEAR_MISSES = (
    "okay, nab useless",
    "okay now boo",
    "okay, no, boo",
    "hey nabil",
    "okay, na, bullets",
    "cocoa nabob",
    "okay navy",
    "okay, nope",
    "oak and a bull",
)
NEG_VARIANTS = ("", "+m1", "+m2", "+m4", "+m6", "+f1", "+f3", "+f5", "+Andy", "+Annie")
# The dev split (cutoffs are chosen on it, never on the test split above): other variants
# saying the wake phrase, other rates, and the other half of the headlines in named voices.
DEV_VARIANTS = ("+m1", "+m2", "+m4", "+f1", "+f3", "+f5")
DEV_RATES = (150, 175)
DEV_NEG_VARIANTS = ("+m3", "+m7", "+f2", "+f4", "+Alicia", "+Denis", "+Hugo", "+linda")
KINDS = ("alone", "with a request", "television 20 dB below", "television 10 dB below")
CURVE = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assistant-bench"


def cpu() -> float:
    return time.process_time()


def stream(detector, audio: np.ndarray, block: int = 480) -> list[float]:
    """Feed ``audio`` like a microphone does; the stream times (s) of every detection."""
    hits = []
    for start in range(0, len(audio), block):
        if detector.feed(audio[start : start + block]):
            hits.append((start + block) / SR)
    return hits


def stream_probabilities(detector, audio: np.ndarray) -> np.ndarray:
    """Every smoothed probability the gated stream computes, as rows of (stream time s, p).

    The detector never fires meanwhile (cutoff above 1), so one pass gives the whole
    recall / false-wake curve; ``events_above`` then applies the refractory time."""
    rows: list[tuple[float, float]] = []
    original, cutoff = detector._probabilities, detector.cutoff

    def logged(chunk):
        for prob in original(chunk):
            rows.append((detector.heard_s, prob))
            yield prob

    detector._probabilities, detector.cutoff = logged, 1.1
    try:
        detector.reset()
        detector.heard_s = 0.0
        stream(detector, audio)
    finally:
        detector._probabilities, detector.cutoff = original, cutoff
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def events_above(probs: np.ndarray, cutoff: float, refractory_s: float = 1.0) -> int:
    count, last = 0, -1e9
    for t, p in probs:
        if p > cutoff and t - last > refractory_s:
            count, last = count + 1, t
    return count


def headlines(rng: random.Random, split: str = "test") -> list[str]:
    """News headlines with summaries and chart titles; "test" and "dev" take disjoint halves."""
    texts = []
    with (REPO / "data/news/huffpost/huffpost_headlines_merged_dedup.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts.append(f"{row['headline']}. {row['short_description']}")
    with (REPO / "data/music/billboard/hot100_songs_aggregated.csv").open(encoding="utf-8") as f:
        titles = [f"{row['title']} by {row['artist']}" for row in csv.DictReader(f)]
    # Titles in runs of five, like a radio presenter's list.
    texts += [". ".join(titles[i : i + 5]) for i in range(0, len(titles), 5)]
    texts = texts[(split == "dev") :: 2]
    rng.shuffle(texts)
    return texts


def other_speech(hours: float, rng: random.Random, split: str = "test") -> tuple[np.ndarray, float]:
    """One long recording of speech that is not the wake word; (audio, seconds of it).

    The test half starts with the real human LibriVox recordings; the dev half (used only to
    choose cutoffs) is espeak-ng reading the other half of the headlines, in other voices."""
    cache = CACHE / f"other-{split}-{hours:g}h.npy"
    if cache.exists():
        audio = np.load(cache)
        return audio, len(audio) / SR
    parts = [read_wav(p) for p in sorted(TESTDATA.glob("*/*.wav"))] if split == "test" else []
    total = sum(len(p) for p in parts) / SR
    variants = NEG_VARIANTS if split == "test" else DEV_NEG_VARIANTS
    for text in headlines(rng, split):
        if total >= hours * 3600:
            break
        voice = rng.choice(ACCENTS) + rng.choice(variants)
        clip = espeak(text[:400], voice, rng.choice((140, 160, 180)), pad_s=rng.uniform(0.1, 0.8))
        parts.append(clip)
        total += len(clip) / SR
    return _kept(cache, parts)


def _kept(cache: Path, parts: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """The parts as one recording, saved at ``cache`` for the next run, and its seconds."""
    audio = np.concatenate(parts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cache, audio)
    return audio, len(audio) / SR


def wake_clips(word: str, split: str, rng: random.Random) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The spoken wake phrase of ``split``: (label, clip) lists per condition."""
    said = PHRASES[word]
    variants, rates = (WAKE_VARIANTS, WAKE_RATES) if split == "test" else (DEV_VARIANTS, DEV_RATES)
    tv = espeak(
        "Stocks fell sharply today as investors worried about interest rates and the price of oil",
        "en-gb-x-rp+m2",
        170,
    )
    kinds: dict[str, list[tuple[str, np.ndarray]]] = {k: [] for k in KINDS}
    for accent, variant, rate in itertools.product(ACCENTS, variants, rates):
        voice, label = accent + variant, f"{accent + variant}@{rate}"
        alone = espeak(said, voice, rate, pad_s=1.0)
        kinds["alone"].append((label, alone))
        request = rng.choice(REQUESTS)
        kinds["with a request"].append((label, espeak(f"{said}, {request}", voice, rate, pad_s=1.0)))
        if split == "test":
            for db in (20, 10):
                noisy = alone + 10 ** (-db / 20) * np.resize(tv, len(alone))
                kinds[f"television {db} dB below"].append((label, np.clip(noisy, -1, 1)))
    return {k: v for k, v in kinds.items() if v}


def tune_wake(
    words: list[str], hours: float, window: int | None = None, stretches=None, stt_model: str = "tiny.en"
) -> None:
    """Recall and false wakes per cutoff on the dev split only (how ``wake.CUTOFFS`` was chosen)."""
    from assistant.voice.wake import load_wake_word

    negatives, seconds = other_speech(hours, random.Random(17), "dev")
    print(f"dev split: {seconds / 3600:.2f} h of other speech; voices {', '.join(DEV_VARIANTS)}")
    for word in words:
        ww = load_wake_word(word, check=False, window=window, stretches=stretches)
        clips = wake_clips(word, "dev", random.Random(17))
        peaks = [stream_probabilities(ww, c)[:, 1].max(initial=0.0) for v in clips.values() for _, c in v]
        probs = stream_probabilities(ww, negatives)
        print(
            f"  {word} (model cutoff {ww._model.probability_cutoff:.2f}, window {ww._model.sliding_window_size}, views {ww.stretches}):"
        )
        for cutoff in CURVE:
            wakes = events_above(probs, cutoff) / (seconds / 3600)
            print(
                f"    cutoff {cutoff:.2f}: recall {np.mean(np.array(peaks) > cutoff):6.1%}, {wakes:.2f} false/h"
            )
        tune_check(word, clips, negatives, seconds, stt_model=stt_model)


def tune_check(
    word: str, clips, negatives: np.ndarray, seconds: float, cutoff: float = 0.3, stt_model: str = "tiny.en"
) -> None:
    """How ``wake_check.MIN_SIMILARITY`` was chosen: the check's phoneme similarity for every
    network detection at a low cutoff, on the dev wake phrases and the dev other speech."""
    from assistant.voice.stt import load_stt
    from assistant.voice.wake import load_wake_word

    ww = load_wake_word(word, stt=load_stt(stt_model), cutoff=cutoff)
    ww.min_similarity = 0.0  # record every check
    best = []
    for _, clip in (item for items in clips.values() for item in items):
        ww.reset()
        ww.checks.clear()
        stream(ww, clip)
        best.append(max((c.similarity for c in ww.checks), default=0.0))
    ww.reset()
    ww.checks.clear()
    stream(ww, negatives)
    other = [c.similarity for c in ww.checks]
    print(f"  the check at network cutoff {cutoff}: phoneme similarity to {ww.phrase!r}")
    print(
        f"    dev wake phrases ({len(best)}): lowest {min(best):.0f}, 5th percentile {np.percentile(best, 5):.0f}"
    )
    print(
        f"    other speech ({len(other)} detections in {seconds / 3600:.1f} h): highest {max(other, default=0):.0f}"
    )


def wake_bench(hours: float, word: str, stt_model: str = "tiny.en") -> dict[str, float]:
    from assistant.voice.stt import load_stt
    from assistant.voice.wake import load_wake_word

    rng = random.Random(16)
    # as the voice loop runs it: each detection checked by the speech model's full-window decode
    ww = load_wake_word(word, stt=load_stt(stt_model))
    print(
        f"wake word {ww.name!r} ({ww.phrase}), cutoff {ww.cutoff:.2f} (model's own "
        f"{ww.detector._model.probability_cutoff:.2f}), each detection checked by Whisper {stt_model}"
    )
    network_found: dict[str, list[bool]] = {}
    rows: dict[str, list[bool]] = {}
    by_variant: dict[str, list[bool]] = {}
    misses = []
    for kind, clips in wake_clips(word, "test", rng).items():
        for label, clip in clips:
            ww.reset()
            ww.checks.clear()
            found = bool(stream(ww, clip))
            rows.setdefault(kind, []).append(found)
            network_found.setdefault(kind, []).append(bool(ww.checks))
            if kind in ("alone", "with a request"):
                variant = "+" + label.split("@")[0].split("+")[1] if "+" in label else "(plain)"
                by_variant.setdefault(variant, []).append(found)
                if not found:
                    misses.append(f"{label} {kind}")
    for kind, found in rows.items():
        print(f"  recall {kind:24s} {np.mean(found):6.1%}  ({sum(found)}/{len(found)})")
    quiet = rows["alone"] + rows["with a request"]
    print(f"  recall without background      {np.mean(quiet):6.1%}  ({sum(quiet)}/{len(quiet)})")
    network_quiet = network_found["alone"] + network_found["with a request"]
    print(f"  baseline, the network alone:   {np.mean(network_quiet):6.1%}  (same clips, no background)")
    print(
        "  by voice variant (no background): "
        + ", ".join(f"{v} {np.mean(f):.0%}" for v, f in by_variant.items())
    )
    if misses:
        print(f"  missed: {'; '.join(misses[:8])}{' ...' if len(misses) > 8 else ''}")
    near = [(text, voice) for text in NEAR_MISSES for voice in ("en-us", "en+m3")]
    woke = [f"{t!r} ({v})" for t, v in near if ww.detect(espeak(t, v, 160))]
    print(f"  near misses that woke it: {len(woke)}/{len(near)}" + (f": {', '.join(woke)}" if woke else ""))

    started = time.perf_counter()
    audio, seconds = other_speech(hours, rng)
    print(f"other speech: {seconds / 3600:.2f} h ready in {time.perf_counter() - started:.0f} s")
    ww.reset()
    ww.checks.clear()
    network = ww.detector
    network.network_s = network.heard_s = 0.0
    t0 = cpu()
    hits = stream(ww, audio)
    gated_cpu = cpu() - t0
    hours = seconds / 3600
    print(
        f"  false wakes: {len(hits)} in {hours:.2f} h = {len(hits) / hours:.2f} per hour"
        + (f" (at {', '.join(f'{h:.0f} s' for h in hits[:10])})" if hits else "")
    )
    print(
        f"  baseline, the network alone: {len(ww.checks)} in {hours:.2f} h = {len(ww.checks) / hours:.2f} per hour;"
        " Whisper heard: " + "; ".join(f"{c.transcript!r} {c.similarity:.0f}" for c in ww.checks)
    )
    print(
        f"  CPU with the VAD gate and the check: {gated_cpu / seconds:.2%} of one core "
        f"(the network ran on {min(1.0, network.network_s / network.heard_s):.0%} of this all-speech audio)"
    )
    silence = np.random.default_rng(0).normal(0, 0.002, SR * 300).astype(np.float32)  # 5 min room noise
    ww.reset()
    t0 = cpu()
    stream(ww, silence)
    print(f"  CPU idle (5 min of quiet room noise) with the gate: {(cpu() - t0) / 300:.2%} of one core")
    plain = load_wake_word(word, check=False, vad_gate=False)
    sample = audio[: SR * 600]
    t0 = cpu()
    stream(plain, sample)
    print(f"  baseline, network without the gate: {(cpu() - t0) / (len(sample) / SR):.2%} of one core")
    return {"recall": float(np.mean(quiet)), "false_per_hour": len(hits) / (seconds / 3600)}


def heldout_speakers() -> list:
    """(label, speak) for every held-out speaker: Piper joe's six settings, Festival's six."""
    from evaluation.voices import speakers

    return [(s.key, s.speak, s.family) for family in ("piper", "festival") for s in speakers(family)]


def heldout_other_speech(hours: float, rng: random.Random) -> tuple[np.ndarray, float]:
    """The human recordings, then held-out voices reading the test half of the headlines."""
    from evaluation.voices import VoiceUnavailable, cached

    cache = CACHE / f"other-heldout-{hours:g}h.npy"
    if cache.exists():
        audio = np.load(cache)
        return audio, len(audio) / SR
    parts = [read_wav(p) for p in sorted(TESTDATA.glob("*/*.wav"))]
    total = sum(len(p) for p in parts) / SR
    voices = heldout_speakers()
    for i, text in enumerate(headlines(rng, "test")):
        if total >= hours * 3600:
            break
        key, speak, family = voices[i % len(voices)]
        text = re.sub(r"[^A-Za-z0-9 .,;:'?!-]+", " ", text[:400])  # Festival stalls on some symbols
        try:
            clip = cached(family, key, text, lambda speak=speak, text=text: speak(text))
        except (subprocess.TimeoutExpired, VoiceUnavailable):
            continue
        parts.append(clip)
        total += len(clip) / SR
    return _kept(cache, parts)


def heldout_wake(hours: float, word: str, stt_model: str = "tiny.en") -> dict[str, float]:
    """Recall and false wakes per hour on the held-out voice families (see the module doc)."""
    from assistant.voice.stt import load_stt
    from assistant.voice.wake import load_wake_word
    from evaluation.voices import cached

    said = PHRASES[word]
    ww = load_wake_word(word, stt=load_stt(stt_model))
    found, network_found, misses = [], [], []
    for i, (key, speak, family) in enumerate(heldout_speakers()):
        for text in (
            said,
            f"{said}, {REQUESTS[i % len(REQUESTS)]}",
            f"{said}, {REQUESTS[(i + 1) % len(REQUESTS)]}",
        ):
            clip = cached(family, key, text, lambda speak=speak, text=text: speak(text))
            clip = np.concatenate([clip, np.zeros(SR, np.float32)])
            ww.reset()
            ww.checks.clear()
            hit = bool(stream(ww, clip))
            found.append(hit)
            network_found.append(bool(ww.checks))
            if not hit:
                misses.append(f"{family} {key}: {text!r}")
    print(f"held-out voices (Piper joe x6 settings, Festival slt/kal/ked x2 speeds), wake word {ww.name!r}:")
    print(
        f"  recall {np.mean(found):6.1%} ({sum(found)}/{len(found)}); the network alone {np.mean(network_found):.1%}"
    )
    if misses:
        print(f"  missed: {'; '.join(misses[:8])}{' ...' if len(misses) > 8 else ''}")
    started = time.perf_counter()
    audio, seconds = heldout_other_speech(hours, random.Random(30))
    print(
        f"  other speech (humans, then Piper and Festival): {seconds / 3600:.2f} h ready in {time.perf_counter() - started:.0f} s"
    )
    ww.reset()
    ww.checks.clear()
    hits = stream(ww, audio)
    per_hour = len(hits) / (seconds / 3600)
    print(
        f"  false wakes: {len(hits)} in {seconds / 3600:.2f} h = {per_hour:.2f} per hour; the network alone "
        f"{len(ww.checks) / (seconds / 3600):.2f} per hour"
        + (
            " (Whisper heard: "
            + "; ".join(f"{c.transcript!r} {c.similarity:.0f}" for c in ww.checks[:6])
            + ")"
            if ww.checks
            else ""
        )
    )
    return {"recall": float(np.mean(found)), "false_per_hour": per_hour}


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of other speech for false wakes")
    parser.add_argument(
        "--word", default="default", choices=["default", "all", *sorted(PHRASES)], help="wake word to measure"
    )
    parser.add_argument(
        "--tune", action="store_true", help="print the dev-split curves that chose the cutoffs"
    )
    parser.add_argument("--dev-hours", type=float, default=0.35, help="hours of dev other speech for --tune")
    parser.add_argument("--window", type=int, default=None, help="--tune: probabilities averaged (model: 5)")
    parser.add_argument("--stretches", default="", help="--tune: views of the audio, e.g. 1,1.2")
    parser.add_argument("--pairs", action="store_true", help="the alike-voice pairs that chose TIMBRE_MARGIN")
    parser.add_argument("--skip-wake", action="store_true")
    parser.add_argument("--skip-speaker", action="store_true")
    parser.add_argument("--skip-heldout", action="store_true", help="leave out the held-out voice families")
    parser.add_argument(
        "--heldout-hours", type=float, default=1.0, help="hours of held-out other speech for false wakes"
    )
    parser.add_argument(
        "--stt-model", default=Settings().stt_model, help="the speech model that checks each detection"
    )
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    default = Settings().wake_word
    words = sorted(PHRASES) if args.word == "all" else [default if args.word == "default" else args.word]
    if args.pairs:
        speaker_pairs()
        return 0
    if args.tune:
        stretches = tuple(float(x) for x in args.stretches.split(",")) if args.stretches else None
        tune_wake(words, args.dev_hours, args.window, stretches, args.stt_model)
        return 0
    if not args.skip_wake:
        figures = {word: wake_bench(args.hours, word, args.stt_model) for word in words}
        if len(words) > 1:
            print(
                "per model (test split, no background): "
                + "; ".join(
                    f"{w} {f['recall']:.1%} recall, {f['false_per_hour']:.2f} false/h"
                    for w, f in figures.items()
                )
            )
    if not args.skip_wake and not args.skip_heldout:
        heldout = {word: heldout_wake(args.heldout_hours, word, args.stt_model) for word in words}
        print(
            "wake word, espeak-ng test split beside the held-out families: "
            + "; ".join(
                f"{w} {figures[w]['recall']:.1%} / {heldout[w]['recall']:.1%} recall, "
                f"{figures[w]['false_per_hour']:.2f} / {heldout[w]['false_per_hour']:.2f} false/h"
                for w in words
            )
        )
    if not args.skip_speaker:
        speaker_bench()
        if not args.skip_heldout:
            heldout_bench()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
