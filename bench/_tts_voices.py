"""The voices on their own: first audio of an answer after its text is ready, real-time factor
and resident memory, for ``bench/voice_latency.py --only-tts`` (and at the end of its full run).

Each voice runs in a process of its own (``python bench/_tts_voices.py VOICE``, one JSON line
out), so its memory is its own and the two voices never share a core's cache or a warm-up;
the caller runs espeak-ng in the same run as the baseline. "First audio" is what the voice
loop waits for (``SpeechStream.first()``: the Piper voice hands over its first piece while the
rest is synthesised; espeak-ng gives the whole reply at once); with ``--speaker`` it is also
measured to the first sample at the PulseAudio null sink, through ``Speaker.play``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Answers of 30 words, as the skills word them: two sentences (weather), and one sentence with
# its first comma late (music), which the Piper voice cannot cut within 12 words.
ANSWERS = {
    "weather": (
        "Tomorrow in London it will be cloudy in the morning, with light rain around noon. "
        "It clears by evening, with a high of fourteen degrees and a low of eight."
    ),
    "music": (
        "Here is Take Five by the Dave Brubeck Quartet from the album Time Out, a cool jazz "
        "classic in five four time that you played twice last week and liked."
    ),
}
TARGET_FIRST_S = 0.35  # issue 30: first audio of a 30-word answer after its text is ready


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(voice: str, rounds: int, speaker: bool) -> dict:
    """One voice in this process: load, warm, then ``rounds`` syntheses of each answer."""
    import numpy as np

    from assistant.voice.speech_stream import speak
    from assistant.voice.tts import load_tts, voice_name

    before = rss_mb()
    started = time.perf_counter()
    tts = load_tts(voice)
    tts.synthesize("Ready.")  # as warm_up does before the first request
    load_s = time.perf_counter() - started
    result: dict = {"voice": voice_name(tts), "load_s": load_s, "answers": {}}
    for name, text in ANSWERS.items():
        assert len(text.split()) == 30, (name, len(text.split()))
        firsts, totals, audio = [], [], []
        for _ in range(rounds):
            started = time.perf_counter()
            stream = speak(tts, text)
            stream.first()
            firsts.append(time.perf_counter() - started)
            whole = stream.join()
            totals.append(time.perf_counter() - started)
            audio.append(len(whole.samples) / whole.sample_rate)
        result["answers"][name] = {
            "first_s": statistics.median(firsts),
            "first_max_s": max(firsts),
            "rtf": float(np.median(np.array(totals) / np.array(audio))),
            "audio_s": statistics.median(audio),
        }
    if speaker:
        # Three plays are enough for a median: each plays its 8 s of speech in real time.
        result["speaker_first_s"] = first_sample(tts, ANSWERS["weather"], min(rounds, 3))
    worker = getattr(tts, "_process", None)  # espeak-ng speaks in a worker process
    result["rss_mb"] = rss_mb() + (rss_mb(worker.pid) if worker is not None else 0.0)
    result["rss_added_mb"] = result["rss_mb"] - before
    close = getattr(tts, "close", None)
    if callable(close):
        close()
    return result


def first_sample(tts, text: str, rounds: int) -> float | None:
    """Median time from the text to the first sample at the null sink (``Speaker.play``)."""
    from assistant.voice import audio
    from assistant.voice.speech_stream import speak
    from testkit.audio_stack import VirtualAudio, missing_tools

    if missing_tools():
        return None
    times = []
    with VirtualAudio():
        audio.refresh_devices()
        for _ in range(rounds):
            started = time.perf_counter()
            playback = audio.Speaker().play(speak(tts, text))
            if playback.first_sample_at is not None:
                times.append(playback.first_sample_at - started)
    return statistics.median(times) if times else None


def run_voices(voices: list[str], rounds: int, speaker: bool) -> list[dict]:
    """Each voice measured in a child process, in order (the first is the one being judged)."""
    results = []
    for voice in voices:
        command = [sys.executable, __file__, voice, "--rounds", str(rounds)] + ["--speaker"] * speaker
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=dict(os.environ))
        if done.returncode != 0:
            print(f"  {voice}: failed: {done.stderr.strip()[-400:]}", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def report(results: list[dict]) -> None:
    """The table: per voice and answer, first audio, real-time factor; then memory."""
    print(
        f"\nvoices on their own: a 30-word answer, median of the rounds (target first audio <= {TARGET_FIRST_S} s)"
    )
    for r in results:
        name = r["voice"] or "?"
        for answer, m in r["answers"].items():
            ok = "ok" if m["first_s"] <= TARGET_FIRST_S else "OVER"
            print(
                f"  {name:7s} {answer:8s} first audio {m['first_s']:.3f} s (max {m['first_max_s']:.3f}) {ok}"
                f"  real-time factor {m['rtf']:.3f}  ({m['audio_s']:.1f} s of speech)"
            )
        speaker = r.get("speaker_first_s")
        at_speaker = f", first sample at the speaker {speaker:.3f} s" if speaker is not None else ""
        print(
            f"  {name:7s} load + warm-up {r['load_s']:.2f} s{at_speaker}; resident memory {r['rss_mb']:.0f} MB"
            f" ({r['rss_added_mb']:.0f} MB of it the voice)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("voice", choices=["joe", "espeak"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--speaker", action="store_true", help="also time the first sample at the null sink")
    args = parser.parse_args(argv)
    os.environ.setdefault("ASSISTANT_LLM", "off")
    print(json.dumps(measure(args.voice, args.rounds, args.speaker)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
