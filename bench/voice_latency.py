"""Voice latency: end of the user's speech to the first sample of the spoken reply.

Runs the real voice loop (microphone, endpointing, Whisper, NLU, skills, espeak, playback) on a
private PulseAudio virtual microphone and speaker, over espeak-generated requests, and prints
p50 / p95 latency, each stage's share (from the pipeline's events) and resident memory.

``python bench/voice_latency.py [--model tiny.en|base] [--rounds N]``

"Latency" counts from the last voiced frame; the endpointer must first wait out the trailing
silence (0.7 s by default), so it is also reported without that wait ("after endpoint").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REQUESTS = [
    "play some jazz music",
    "recommend a comedy movie",
    "tell me the latest news",
    "what's the weather like tomorrow",
    "skip this song",
    "I like this one",
    "play something relaxing",
    "suggest a good thriller",
    "what did I listen to yesterday",
    "turn the volume down",
]


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stage_seconds(events: list) -> dict[str, float]:
    t = {}
    for e in events:
        t.setdefault(e.type, e.t)
    start = t.get("turn-start", 0.0)
    stt = t.get("stt-end", start)
    nlu = t.get("nlu-end", stt)
    response = t.get("response", nlu)
    tts = t.get("tts-end", response)
    return {"stt": stt - start, "nlu": nlu - stt, "dialogue+skill+nlg": response - nlu, "tts": tts - response}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=["tiny.en", "base"])
    parser.add_argument("--rounds", type=int, default=1, help="passes over the request list")
    args = parser.parse_args(argv)

    from assistant import audio
    from assistant.app import build_pipeline, warm_up
    from assistant.config import Settings
    from assistant.voice import VoiceLoop
    from tests.audio_stack import VirtualAudio, espeak_wav, missing_tools

    if missing_tools():
        print(f"needs: {', '.join(missing_tools())}", file=sys.stderr)
        return 1
    home = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    settings = Settings(stt_model=args.model, followup_window_s=0.3)
    with VirtualAudio() as sound:
        audio.refresh_devices()
        wavs = [espeak_wav(text, sound.root / f"req-{i}.wav", 160) for i, text in enumerate(REQUESTS)]
        pipeline = build_pipeline(home, settings, stt_model=args.model, speak=True)
        warm_up(pipeline)  # as --mic does before it starts listening
        session = pipeline.start_session("bench", mode="voice", seed=7)
        rows = []
        with audio.Microphone() as mic:
            loop = VoiceLoop(pipeline, session, mic, audio.Speaker(), home, out=lambda *_: None)
            for _ in range(args.rounds):
                for text, wav in zip(REQUESTS, wavs, strict=True):
                    mic.drain()
                    sound.say_into_mic(wav, lead_silence_s=0.3)
                    turn = None
                    deadline = time.monotonic() + 30
                    while turn is None and time.monotonic() < deadline:
                        turn = loop.step()
                    if turn is None or turn.latency_s is None:
                        print(f"  no spoken reply for {text!r}", file=sys.stderr)
                        continue
                    u, pb = turn.utterance, turn.playback
                    rows.append(
                        {
                            "said": text,
                            "heard": turn.result.text,
                            "latency": turn.latency_s,
                            "after_endpoint": pb.first_sample_at - u.detected_at,
                            "wait": u.detected_at - u.speech_end_at,
                            **stage_seconds(turn.result.events),
                        }
                    )
                    print(f"  {rows[-1]['latency']:.3f}s  {text!r} -> {turn.result.text!r}")
        prefetched = loop.stt.hits if loop.stt is not None else 0
        worker = getattr(pipeline.tts, "_process", None)
        memory = rss_mb() + (rss_mb(worker.pid) if worker is not None else 0.0)
        pipeline.end_session(session)
        pipeline.tts.close()
    if not rows:
        print("no turns completed", file=sys.stderr)
        return 1
    lat = np.array([r["latency"] for r in rows])
    after = np.array([r["after_endpoint"] for r in rows])
    print(
        f"\nmodel {args.model}, {len(rows)} turns, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"end of speech -> first reply sample: p50 {np.percentile(lat, 50):.3f} s, p95 {np.percentile(lat, 95):.3f} s"
    )
    print(
        f"  after the endpoint (no trailing-silence wait): p50 {np.percentile(after, 50):.3f} s, "
        f"p95 {np.percentile(after, 95):.3f} s"
    )
    total = float(np.sum(lat))
    for key in ["wait", "stt", "nlu", "dialogue+skill+nlg", "tts"]:
        share = float(np.sum([r[key] for r in rows]))
        print(f"  {key:20s} mean {share / len(rows):.3f} s  share {share / total:5.1%}")
    rest = total - sum(
        float(np.sum([r[k] for r in rows])) for k in ["wait", "stt", "nlu", "dialogue+skill+nlg", "tts"]
    )
    print(f"  {'playback start etc':20s} mean {rest / len(rows):.3f} s  share {rest / total:5.1%}")
    print(f"  transcribed during the trailing silence: {prefetched} of {len(rows)} turns")
    print(f"resident memory (assistant + TTS worker): {memory:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
