"""The Piper voice's first piece: how long the first sound of a reply waits for synthesis.

The voice loop plays a reply as soon as the Piper voice has made its first piece
(``assistant.voice.speech_stream.speech_pieces``), so that piece's synthesis is most of the
time between the end of the request and the first sound once the turn has ended (in
``bench/voice_latency.py``: 0.169 s of the 0.192 s median after the endpoint). This bench takes
the replies the assistant really gives (every turn of the development conversations,
``data/dialogue/dev_conversations.jsonl``, through the real pipeline in text mode, model off),
cuts each into pieces by this tree's rule and by the rule at ``--baseline-commit`` (its
``speech_stream.py`` read from git, same run), and times the Piper voice synthesising each
first piece, alternating the two rules reply by reply so that the machine's load falls on both.

A shorter first piece must not make the reply harder to follow. ``--heard N`` speaks the first N
replies whole, piece by piece by each rule and joined as the speaker plays them, and has Whisper
(stock tiny.en) write down what it hears: the word error rate of each rule against the reply's
text, as a stand-in for a listener.

    .venv/bin/python bench/first_piece.py [--baseline-commit REV] [--set dev|heldout] [--limit N] [--heard N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = {
    "dev": ROOT / "data" / "dialogue" / "dev_conversations.jsonl",
    "heldout": ROOT / "data" / "dialogue" / "heldout_conversations.jsonl",
}


def replies(conversations: Path) -> list[str]:
    """Every reply the pipeline gives to the conversations' turns (bench/_conversations_worker.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "_conversations_worker.py"),
                "--tree",
                str(ROOT),
                "--conversations",
                str(conversations),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return [t["response"] for row in rows for t in row["turns"] if t.get("response")]


def baseline_pieces(commit: str):
    """``speech_pieces`` as it was at ``commit``."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:assistant/voice/speech_stream.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("speech_stream_baseline", f.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.speech_pieces


def first_audio_s(voice, piece: str) -> float:
    """Seconds until the voice hands over the first audio of ``piece`` (what the loop waits for)."""
    started = time.perf_counter()
    next(voice._sentences(piece))
    return time.perf_counter() - started


def heard_wer(voice, texts: list[str], rules: dict) -> dict[str, float]:
    """Whisper's word error rate on each reply spoken piece by piece by each rule's pieces."""
    from assistant.contracts.stages import SAMPLE_RATE
    from assistant.voice.stt import load_stt
    from assistant.voice.wavfile import resample
    from evaluation.wer import word_error_rate

    stt = load_stt("tiny.en", engine="faster-whisper")
    heard: dict[str, list[str]] = {name: [] for name in rules}
    for text in texts:
        for name, pieces in rules.items():
            audio = [a for piece in pieces(text) for a in voice._sentences(piece)]
            samples = np.concatenate([a.samples for a in audio])
            heard[name].append(stt.transcribe(resample(samples, audio[0].sample_rate, SAMPLE_RATE)).text)
    return {name: word_error_rate(texts, hyps) for name, hyps in heard.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-commit", default="aa1b3f4", help="the rule to compare with")
    parser.add_argument("--set", default="dev", choices=sorted(SETS))
    parser.add_argument("--limit", type=int, default=0, help="only the first N replies (0: all)")
    parser.add_argument("--heard", type=int, default=0, help="Whisper's WER on the first N replies spoken")
    args = parser.parse_args(argv)

    from assistant.voice.piper_tts import PiperSpeech
    from assistant.voice.speech_stream import FIRST_PIECE_WORDS, speech_pieces

    texts = [" ".join(t.split()) for t in replies(SETS[args.set])]
    texts = texts[: args.limit] if args.limit else texts
    rules = {
        "this tree": speech_pieces,
        f"baseline {args.baseline_commit}": baseline_pieces(args.baseline_commit),
    }
    voice = PiperSpeech("joe")
    for text in texts[:5]:  # warm-up: onnxruntime's first runs allocate
        first_audio_s(voice, speech_pieces(text)[0])
    seconds: dict[str, list[float]] = {name: [] for name in rules}
    words: dict[str, list[int]] = {name: [] for name in rules}
    for i, text in enumerate(texts):
        order = list(rules) if i % 2 == 0 else list(reversed(rules))
        for name in order:
            head = rules[name](text)[0]
            words[name].append(len(head.split()))
            seconds[name].append(first_audio_s(voice, head))
    print(f"{len(texts)} replies of the {args.set} conversations; Piper joe, first piece of each")
    print(f"this tree: first piece up to {FIRST_PIECE_WORDS} words where the text allows")
    for name in rules:
        s = np.array(seconds[name])
        print(
            f"  {name:18s} first audio p50 {np.percentile(s, 50):.3f} s, p95 {np.percentile(s, 95):.3f} s,"
            f" mean {s.mean():.3f} s; first piece {statistics.median(words[name]):.0f} words median,"
            f" {max(words[name])} at most"
        )
    changed = sum(a != b for a, b in zip(*(words[n] for n in rules), strict=True))
    print(f"  replies whose first piece changed: {changed} of {len(texts)}")
    if args.heard:
        wer = heard_wer(voice, texts[: args.heard], rules)
        shown = ", ".join(f"{name} {value:.2%}" for name, value in wer.items())
        print(
            f"the first {min(args.heard, len(texts))} replies spoken whole, as Whisper tiny.en hears them: WER {shown}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
