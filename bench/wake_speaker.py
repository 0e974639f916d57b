"""Wake word and speaker identification, measured on our own spoken sets.

Wake word (``assistant.wake``, streaming with its VAD gate, exactly as the microphone loop runs it):

- recall: "okay nabu" spoken by espeak-ng, 6 accents x 5 voice variants x 3 rates, alone and
  followed by a request ("okay nabu, play some jazz"), and alone with another voice reading a
  headline 20 dB and 10 dB below it (television in the background);
- false wakes per hour: at least an hour of other speech streamed as one recording -- LibriVox
  read speech from Debian's pocketsphinx-testdata, espeak-ng reading news headlines with their
  summaries and chart titles (data/news, data/music) in many voices; near misses ("okay, nab
  useless", "okay now boo") are counted on their own;
- CPU: process time per second of audio for the whole stream (one core = 100 %), beside the
  network alone without the gate (the same-run baseline).

Speaker identification (``assistant.speaker``): six espeak-ng "people" (accent + voice variant)
enrol with three phrases at 160 words per minute; five other requests each at three other rates
are identified. Unknown voices: six other variants plus the real human LibriVox/cards speakers.
The threshold was set on separate tuning voices (espeak-ng's named variants), printed here too.

``nice python bench/wake_speaker.py [--word okay_nabu] [--hours 1.0] [--skip-wake] [--skip-speaker]``
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.speech.synth import ACCENTS, espeak  # noqa: E402
from assistant.speech.wavfile import read_wav  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TESTDATA = Path("/usr/share/pocketsphinx/test/data")
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

ENROL_PHRASES = (
    "my name is on the list and I would like to be remembered",
    "the quick brown fox jumps over the lazy dog",
    "please learn my voice so you know who is talking",
)
TEST_PHRASES = (
    "play some jazz for me please",
    "what is the weather going to be like tomorrow",
    "tell me the latest news about science",
    "recommend a funny movie for tonight",
    "I really like this song, play another one",
)
PEOPLE = {  # enrolled test speakers
    "alice": "en+f2",
    "bob": "en-us+m3",
    "carol": "en-029+f4",
    "dave": "en-gb-scotland+m7",
    "erin": "en-us-nyc+f1",
    "frank": "en-gb-x-rp+m1",
}
STRANGERS = ("en-us+f3", "en+m2", "en-029+m4", "en-gb-scotland+f5", "en-us-nyc+m6", "en-gb-x-rp+m8")
TUNING_PEOPLE = {"t1": "en-us+Alicia", "t2": "en+Denis", "t3": "en-029+Hugo", "t4": "en-us-nyc+linda"}
TUNING_STRANGERS = ("en+Andy", "en-us+Annie", "en-gb-scotland+Gene", "en-029+belinda", "en-us+edward")


def cpu() -> float:
    return time.process_time()


def stream(detector, audio: np.ndarray, block: int = 480) -> list[float]:
    """Feed ``audio`` like a microphone does; the stream times (s) of every detection."""
    hits = []
    for start in range(0, len(audio), block):
        if detector.feed(audio[start : start + block]):
            hits.append((start + block) / SR)
    return hits


def headlines(rng: random.Random) -> list[str]:
    texts = []
    with (REPO / "data/news/huffpost/huffpost_headlines_merged_dedup.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts.append(f"{row['headline']}. {row['short_description']}")
    with (REPO / "data/music/billboard/hot100_songs_aggregated.csv").open(encoding="utf-8") as f:
        titles = [f"{row['title']} by {row['artist']}" for row in csv.DictReader(f)]
    rng.shuffle(texts)
    rng.shuffle(titles)
    # Titles in runs of five, like a radio presenter's list.
    texts += [". ".join(titles[i : i + 5]) for i in range(0, len(titles), 5)]
    rng.shuffle(texts)
    return texts


def other_speech(hours: float, rng: random.Random) -> tuple[np.ndarray, float]:
    """One long recording of speech that is not the wake word; (audio, seconds of it)."""
    parts = [read_wav(p) for p in sorted(TESTDATA.glob("*/*.wav"))]
    total = sum(len(p) for p in parts) / SR
    for text in headlines(rng):
        if total >= hours * 3600:
            break
        voice = rng.choice(ACCENTS) + rng.choice(NEG_VARIANTS)
        clip = espeak(text[:400], voice, rng.choice((140, 160, 180)), pad_s=rng.uniform(0.1, 0.8))
        parts.append(clip)
        total += len(clip) / SR
    return np.concatenate(parts), total


def wake_bench(hours: float, word: str) -> None:
    from assistant.wake import load_wake_word

    rng = random.Random(16)
    ww = load_wake_word(word)
    said = PHRASES[word]
    print(f"wake word {ww.name!r} ({ww.phrase}), cutoff {ww.cutoff:.2f}")
    kinds = ("alone", "with a request", "television 20 dB below", "television 10 dB below")
    rows: dict[str, list[bool]] = {kind: [] for kind in kinds}
    by_variant: dict[str, list[bool]] = {}
    misses = []
    tv = espeak(
        "Stocks fell sharply today as investors worried about interest rates and the price of oil",
        "en-gb-x-rp+m2",
        170,
    )
    for accent, variant, rate in itertools.product(ACCENTS, WAKE_VARIANTS, WAKE_RATES):
        voice = accent + variant
        request = rng.choice(REQUESTS)
        alone = espeak(said, voice, rate, pad_s=1.0)
        clips = {
            "alone": alone,
            "with a request": espeak(f"{said}, {request}", voice, rate, pad_s=1.0),
            "television 20 dB below": alone + 10 ** (-20 / 20) * np.resize(tv, len(alone)),
            "television 10 dB below": alone + 10 ** (-10 / 20) * np.resize(tv, len(alone)),
        }
        for kind, clip in clips.items():
            ww.reset()
            found = bool(stream(ww, np.clip(clip, -1, 1)))
            rows[kind].append(found)
            if kind in ("alone", "with a request"):
                by_variant.setdefault(variant or "(plain)", []).append(found)
                if not found:
                    misses.append(f"{voice}@{rate} {kind}")
    for kind, found in rows.items():
        print(f"  recall {kind:24s} {np.mean(found):6.1%}  ({sum(found)}/{len(found)})")
    quiet = rows["alone"] + rows["with a request"]
    print(f"  recall without background      {np.mean(quiet):6.1%}  ({sum(quiet)}/{len(quiet)})")
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
    print(f"other speech: {seconds / 3600:.2f} h built in {time.perf_counter() - started:.0f} s")
    ww.reset()
    ww.network_s = ww.heard_s = 0.0
    t0 = cpu()
    hits = stream(ww, audio)
    gated_cpu = cpu() - t0
    print(
        f"  false wakes: {len(hits)} in {seconds / 3600:.2f} h = {len(hits) / (seconds / 3600):.2f} per hour"
        + (f" (at {', '.join(f'{h:.0f} s' for h in hits[:10])})" if hits else "")
    )
    print(
        f"  CPU with the VAD gate: {gated_cpu / seconds:.2%} of one core "
        f"(the network ran on {min(1.0, ww.network_s / ww.heard_s):.0%} of this all-speech audio)"
    )
    silence = np.random.default_rng(0).normal(0, 0.002, SR * 300).astype(np.float32)  # 5 min room noise
    ww.reset()
    t0 = cpu()
    stream(ww, silence)
    print(f"  CPU idle (5 min of quiet room noise) with the gate: {(cpu() - t0) / 300:.2%} of one core")
    plain = load_wake_word(word, vad_gate=False)
    sample = audio[: SR * 600]
    t0 = cpu()
    stream(plain, sample)
    print(f"  baseline, network without the gate: {(cpu() - t0) / (len(sample) / SR):.2%} of one core")


def _row(label: str, match) -> tuple[str, str | None, float, float]:
    return label, match.name, match.score, match.runner_up


def speaker_bench() -> None:
    from assistant.speaker import load_speaker_id

    def enrol_and_test(people: dict[str, str], strangers, sid) -> tuple[list, list, list]:
        for name, voice in people.items():
            sid.enroll(name, [espeak(p, voice, 160) for p in ENROL_PHRASES])
        known, unknown = [], []
        for name, voice in people.items():
            for phrase, rate in itertools.product(TEST_PHRASES, (140, 175, 190)):
                known.append(_row(name, sid.match(espeak(phrase, voice, rate))))
        for voice in strangers:
            for phrase, rate in itertools.product(TEST_PHRASES, (140, 175)):
                unknown.append(_row(voice, sid.match(espeak(phrase, voice, rate))))
        humans = [_row(p.name, sid.match(read_wav(p))) for p in sorted(TESTDATA.glob("*/*.wav"))]
        return known, unknown, humans

    sid = load_speaker_id(threshold=0.0, margin=0.0)
    known, unknown, _ = enrol_and_test(TUNING_PEOPLE, TUNING_STRANGERS, sid)
    print("tuning voices (enrolled accepted as themselves / unknown accepted as someone):")
    for threshold, margin in itertools.product((0.75, 0.8, 0.85, 0.9), (0.0, 0.03)):
        own = np.mean([g == n and s >= threshold and s - r >= margin for n, g, s, r in known])
        other = np.mean([s >= threshold and s - r >= margin for _, _, s, r in unknown])
        print(f"  threshold {threshold:.2f} margin {margin:.2f}: {own:6.1%} / {other:6.1%}")
    started = time.perf_counter()
    sid = load_speaker_id()
    known, unknown, humans = enrol_and_test(PEOPLE, STRANGERS, sid)
    correct = sum(name == got for name, got, *_ in known)
    wrong = sum(got is not None and got != name for name, got, *_ in known)
    accepted = sum(got is not None for _, got, *_ in unknown)
    humans_accepted = sum(got is not None for _, got, *_ in humans)
    print(f"speaker identification, threshold {sid.threshold:.2f}, margin {sid.margin:.2f}:")
    print(
        f"  enrolled voices: {correct}/{len(known)} = {correct / len(known):.1%} identified correctly, "
        f"{wrong} given another person's name, {len(known) - correct - wrong} left unknown"
    )
    print(
        f"  unknown espeak-ng voices accepted as someone: {accepted}/{len(unknown)} = {accepted / len(unknown):.1%}"
    )
    print(
        f"  real human speakers (pocketsphinx-testdata) accepted as someone: {humans_accepted}/{len(humans)}"
    )
    n = len(known) + len(unknown) + len(humans)
    print(f"  {n} identifications in {time.perf_counter() - started:.0f} s (with synthesis)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of other speech for false wakes")
    parser.add_argument("--word", default="okay_nabu", choices=sorted(PHRASES), help="wake word to measure")
    parser.add_argument("--skip-wake", action="store_true")
    parser.add_argument("--skip-speaker", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_wake:
        wake_bench(args.hours, args.word)
    if not args.skip_speaker:
        speaker_bench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
