"""Word error rate and real-time factor of the speech-to-text stage on real human speech.

The test set is Debian's ``pocketsphinx-testdata``: LibriVox read speech and spoken card names,
16 kHz WAVs with reference transcripts. Hypotheses and references both go through Whisper's
``EnglishTextNormalizer`` (so "10" and "ten", "Mr." and "mister" compare equal) and ``jiwer``
scores the whole corpus at once.

``python -m assistant.speech.evaluate [--model tiny.en|base] [--prompt TEXT] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import jiwer

from assistant.speech.wavfile import read_wav

TESTDATA = Path(os.environ.get("POCKETSPHINX_TESTDATA", "/usr/share/pocketsphinx/test/data"))
# Sphinx transcription line: "<s> words </s> (utterance id)"
_TRANSCRIPTION = re.compile(r"^\s*(?:<s>)?(?P<text>.*?)(?:</s>)?\s*\((?P<id>[^()]+)\)\s*$")


@dataclass
class Utterance:
    id: str
    wav: Path
    reference: str


@dataclass
class Scored:
    id: str
    reference: str
    hypothesis: str
    audio_s: float
    seconds: float


def load_testset(root: Path = TESTDATA) -> list[Utterance]:
    """Every utterance that has both a WAV and a reference transcript."""
    sets = [("librivox", "transcription"), ("cards", "cards.transcription")]
    found: list[Utterance] = []
    for folder, name in sets:
        path = root / folder / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _TRANSCRIPTION.match(line)
            if not match:
                continue
            wav = root / folder / f"{match['id']}.wav"
            if wav.is_file():
                found.append(Utterance(match["id"], wav, " ".join(match["text"].split())))
    if not found:
        raise FileNotFoundError(
            f"no utterances under {root}; install them with: apt-get install pocketsphinx-testdata"
        )
    return found


def normalizer():  # -> whisper.normalizers.EnglishTextNormalizer
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    norm = normalizer()
    refs = [norm(r) for r in references]
    hyps = [norm(h) for h in hypotheses]
    # jiwer rejects empty references; an utterance whose reference normalises to nothing is skipped.
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def evaluate(model: str = "tiny.en", prompt: str | None = None, root: Path = TESTDATA) -> dict:
    from assistant.stt import load_stt

    testset = load_testset(root)
    stt = load_stt(model, initial_prompt=prompt)
    stt.transcribe(read_wav(testset[0].wav))  # warm-up: first-call allocations are not speech time
    scored: list[Scored] = []
    for utt in testset:
        audio = read_wav(utt.wav)
        started = time.perf_counter()
        transcript = stt.transcribe(audio)
        seconds = time.perf_counter() - started
        scored.append(Scored(utt.id, utt.reference, transcript.text, len(audio) / 16000, seconds))
    audio_s = sum(s.audio_s for s in scored)
    return {
        "model": model,
        "prompt": prompt,
        "utterances": len(scored),
        "audio_s": round(audio_s, 2),
        "wer": round(word_error_rate([s.reference for s in scored], [s.hypothesis for s in scored]), 4),
        "rtf": round(sum(s.seconds for s in scored) / audio_s, 4),
        "cpu_load_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "details": [asdict(s) for s in scored],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--prompt", default=None, help="initial prompt to bias decoding")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.model, args.prompt)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for d in result["details"]:
        print(f"{d['id']:45s} {d['seconds'] / d['audio_s']:5.2f}x  {d['hypothesis']}")
    print(
        f"model {result['model']}: WER {result['wer']:.2%} over {result['utterances']} utterances "
        f"({result['audio_s']:.1f} s of speech), real-time factor {result['rtf']:.3f} "
        f"(load average {result['cpu_load_1min']} on {result['cpus']} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
