"""Time from "play X" to the first audio sample of X, through the real pipeline and the virtual
PulseAudio stack (testkit/audio_stack.py), for files in the user's library.

Each run is one text turn ("play <title>") through the real NLU, dialogue and music skill, which
starts the player; the time stops when PortAudio reports the first sample of the track reaching
the null sink (the callback's output DAC time). Baseline, same run and same files: decoding the
first block with soundfile and opening a sounddevice stream directly, to its first sample: the
floor of what any player on this stack can do. Target: p50 <= 300 ms.

    .venv/bin/python bench/playback_latency.py [--runs 15] [--llm]

The local language model (assistant/llm) is off unless ``--llm``: it answers some turns before
the classifier and has its own latency bench; this one times the playback path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._waits import wait_first_sample  # noqa: E402

TITLES = ["Blue Hour Reverie", "Smoky Room", "Thunder Road Trip", "Engine Heart", "Quiet Harbour Lights"]
TARGET_MS = 300.0


def make_library(folder: Path) -> None:
    from testkit.music_files import make_track

    genres = ["Jazz", "Jazz", "Rock", "Rock", "Folk"]
    for n, (title, genre) in enumerate(zip(TITLES, genres, strict=True)):
        make_track(folder / f"{n:02d}.flac", 20.0, 300 + 60 * n, title=title, artist=f"Bench Artist {n}",
                   album="Bench", genre=genre)  # fmt: skip


def baseline(paths: list[Path], runs: int) -> list[float]:
    import sounddevice as sd
    import soundfile as sf

    out = []
    for i in range(runs):
        started = time.perf_counter()
        with sf.SoundFile(str(paths[i % len(paths)])) as f:
            block = f.read(2048, dtype="float32", always_2d=True)
            rate = f.samplerate
        first: list[float] = []
        done = threading.Event()

        def callback(outdata, frames, time_info, status, block=block, first=first, done=done):
            n = min(frames, len(block))
            outdata[:n] = block[:n]
            outdata[n:] = 0
            if not first:
                first.append(
                    time.perf_counter() + max(0.0, time_info.outputBufferDacTime - time_info.currentTime)
                )
                done.set()

        with sd.OutputStream(samplerate=rate, channels=1, dtype="float32", latency=0.1, callback=callback):
            done.wait(5)
        out.append((first[0] - started) * 1000)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument(
        "--llm", action="store_true", help="keep the local language model on (its own bench times it)"
    )
    args = p.parse_args()
    if not args.llm:
        os.environ["ASSISTANT_LLM"] = "off"
    from testkit.audio_stack import VirtualAudio, missing_tools

    if missing_tools():
        print(f"missing tools: {missing_tools()}")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="playback-bench-"))
    music, home = tmp / "Music", tmp / "home"
    make_library(music)
    home.mkdir()
    (home / "config.toml").write_text(f'[music]\nlibrary = ["{music}"]\n')
    os.environ["ASSISTANT_HOME"] = str(home)
    os.environ["ASSISTANT_OFFLINE"] = "1"
    with VirtualAudio():
        from assistant.app import build_pipeline, warm_up
        from assistant.config import load_settings
        from assistant.playback.player import default_player
        from assistant.voice.audio import refresh_devices

        refresh_devices()
        pipeline = build_pipeline(home, load_settings(home / "config.toml"))
        warm_up(pipeline)
        session = pipeline.start_session("bench", seed=0)
        player = default_player()
        # One untimed turn: PortAudio's first device scan and the first stream are one-off costs.
        pipeline.run_turn(session, text=f"play {TITLES[-1]}")
        turn_ms, first_ms, nlu_ms, after_ms, missed = [], [], [], [], 0
        for i in range(args.runs):
            title = TITLES[i % (len(TITLES) - 1)]
            started = time.perf_counter()
            result = pipeline.run_turn(session, text=f"play {title}")
            first = wait_first_sample(player, started)
            if first is None or not result.response.startswith("Playing") or title not in result.response:
                missed += 1
                print(f"  run {i}: no audio for {title!r}: {result.response!r}")
                continue
            turn_ms.append(result.elapsed_ms)
            first_ms.append((first - started) * 1000)
            times = {e.to_dict()["type"]: e.t for e in result.events}
            nlu_ms.append((times["nlu-end"] - times["turn-start"]) * 1000)
            after_ms.append(first_ms[-1] - nlu_ms[-1])
        player.stop()
        base = baseline(sorted(music.glob("*.flac")), args.runs)
        pipeline.end_session(session)
    p50 = statistics.median(first_ms) if first_ms else float("nan")
    print(
        f'"play X" -> first audio sample of X, {len(first_ms)} runs through the pipeline ({missed} missed):'
    )
    print(f"  pipeline   p50 {p50:7.1f} ms   p90 {sorted(first_ms)[int(0.9 * (len(first_ms) - 1))]:7.1f} ms"
          f"   (turn itself p50 {statistics.median(turn_ms):.1f} ms)")  # fmt: skip
    print(f"    of which the NLU classifier p50 {statistics.median(nlu_ms):7.1f} ms; understood -> first sample"
          f" p50 {statistics.median(after_ms):7.1f} ms (dialogue, skill, player)")  # fmt: skip
    print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"  baseline   p50 {statistics.median(base):7.1f} ms   (soundfile decode + sounddevice open, no assistant)"
    )
    print(f"  target     p50 <= {TARGET_MS:.0f} ms: {'met' if p50 <= TARGET_MS else 'NOT met'}")
    return 0 if p50 <= TARGET_MS and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
