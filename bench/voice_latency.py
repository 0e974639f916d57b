"""Voice latency: end of the user's speech to the first sample of the spoken reply.

Runs the real voice loop (microphone, endpointing, Whisper, NLU, skills, espeak, playback) on a
private PulseAudio virtual microphone and speaker, over espeak-generated requests, and prints
p50 / p95 latency, each stage's share (from the pipeline's events) and resident memory.

``python bench/voice_latency.py [--model tiny.en-requests|tiny.en|base] [--rounds N] [--engine E] [--no-baseline]
[--hesitations N] [--only-hesitations] [--voice joe|espeak] [--only-tts] [--speakers espeak-ng piper festival]``

The voices on their own (``bench/_tts_voices.py``): first audio of a 30-word answer after its
text is ready, real-time factor and resident memory, for the configured voice and espeak-ng
in the same run; printed at the end of a full run, or alone with ``--only-tts``.

"Latency" counts from the last voiced frame; the endpointer must first wait out the trailing
silence (0.7 s by default), so it is also reported without that wait ("after endpoint").
Semantic endpointing (``assistant.voice.endpointing``) ends a complete request after a 0.25 s
pause; the same run repeats the requests with it off (the baseline), then plays requests with a
0.4-0.6 s hesitation inside them and counts how many were cut at the hesitation.

Early cuts are also counted offline, without the sound stack, on ``--hesitations`` (400; the
held-out split has 396 after the first 100) requests from the NLU's held-out split that name
something, spoken by random espeak-ng voices with the hesitation placed before the first name
("play the album ... Abbey Road"), through the same ``Endpointer`` and ``SemanticEndpointing``
code (``--only-hesitations`` runs just that).
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

from bench._tts_voices import rss_mb  # noqa: E402  (one reader of /proc for both benches)

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


# Requests with a hesitation: (before the pause, after it). People hesitate before the word
# they are looking for, so the first part ends on an article, preposition or verb.
PAUSED = [
    ("play some songs by", "the rolling stones"),
    ("what's the weather like in", "chicago tomorrow"),
    ("recommend a", "funny movie"),
    ("tell me the news about", "climate change"),
    ("play something by", "elton john"),
    ("can you suggest a", "good thriller"),
    ("what's the forecast for", "the weekend"),
    ("play the album", "abbey road"),
    ("I want to listen to", "some jazz"),
    ("who sings", "shape of you"),
    ("find me a movie like", "alien"),
    ("turn the volume", "down a bit"),
    ("what did I listen to", "yesterday"),
    ("play some music for", "studying"),
    ("news about", "the elections please"),
    ("is it going to rain in", "london on friday"),
    ("suggest something to watch with", "my kids"),
    ("play my", "workout playlist"),
    ("what's happening in", "sports today"),
    ("recommend some", "relaxing piano music"),
]


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


# Who says the requests: espeak-ng's en-us voice (the bench's own since it began), and with
# ``--speakers`` one speaker of each other voice family (``evaluation.voices``), so the ears are
# not judged on one synthesiser: Piper joe at its own speed (length scale 1.0, noise scale 0.4)
# and Festival's slt (a little quick; the family nothing is tuned on). Each family's turns are
# also summarised on their own.
SPEAKERS = ("espeak-ng", "piper", "festival")


def request_wavs(root: Path, families: list[str]) -> list[tuple[str, str, Path]]:
    """(family, request, wav) for every request in every family, in that order."""
    from assistant.voice.wavfile import write_wav
    from evaluation import voices
    from testkit.audio_stack import espeak_wav

    rows = []
    for family in families:
        speaker = None if family == "espeak-ng" else voices.speakers(family)[0 if family == "festival" else 2]
        for i, text in enumerate(REQUESTS):
            wav = root / f"req-{family}-{i}.wav"
            if speaker is None:
                espeak_wav(text, wav, 160)
            else:
                write_wav(wav, trimmed(speaker.speak(text)))
            rows.append((family, text, wav))
    return rows


def run_requests(loop, sound, mic, wavs: list[tuple[str, str, Path]], rounds: int) -> list[dict]:
    rows = []
    for _ in range(rounds):
        for family, text, wav in wavs:
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
                    "family": family,
                    "said": text,
                    "heard": turn.result.text,
                    "ended_by": u.ended_by,
                    "latency": turn.latency_s,
                    "after_endpoint": pb.first_sample_at - u.detected_at,
                    "wait": u.detected_at - u.speech_end_at,
                    **stage_seconds(turn.result.events),
                }
            )
            print(
                f"  {rows[-1]['latency']:.3f}s  {u.ended_by:8s} {family:9s} {text!r} -> {turn.result.text!r}"
            )
    return rows


def summary(title: str, rows: list[dict]) -> None:
    lat = np.array([r["latency"] for r in rows])
    after = np.array([r["after_endpoint"] for r in rows])
    semantic = sum(r["ended_by"] == "semantic" for r in rows)
    print(f"\n{title}: {len(rows)} turns, {semantic} ended by semantic endpointing")
    print(
        f"end of speech -> first reply sample: p50 {np.percentile(lat, 50):.3f} s, p95 {np.percentile(lat, 95):.3f} s"
    )
    print(f"  after the endpoint: p50 {np.percentile(after, 50):.3f} s, p95 {np.percentile(after, 95):.3f} s")
    total = float(np.sum(lat))
    keys = ["wait", "stt", "nlu", "dialogue+skill+nlg", "tts"]
    for key in keys:
        share = float(np.sum([r[key] for r in rows]))
        print(f"  {key:20s} mean {share / len(rows):.3f} s  share {share / total:5.1%}")
    rest = total - sum(float(np.sum([r[k] for r in rows])) for k in keys)
    print(f"  {'playback start etc':20s} mean {rest / len(rows):.3f} s  share {rest / total:5.1%}")
    waited = [r for r in rows if r["ended_by"] != "semantic"]
    if waited:  # the turns over the p95 line: what follows their 0.7 s wait
        parts = ", ".join(f"{k} {np.mean([r[k] for r in waited]):.3f}" for k in keys[1:])
        latencies = ", ".join(f"{r['latency']:.3f}" for r in waited)
        after = np.mean([r["after_endpoint"] for r in waited])
        print(
            f"  {len(waited)} turns waited out the acoustic silence: latency {latencies} s;"
            f" after the endpoint mean {after:.3f} s ({parts})"
        )
    families = list(dict.fromkeys(r["family"] for r in rows))
    for family in families if len(families) > 1 else []:
        mine = np.array([r["latency"] for r in rows if r["family"] == family])
        ended = sum(r["ended_by"] == "semantic" for r in rows if r["family"] == family)
        print(
            f"  requests said by {family:9s}: p50 {np.percentile(mine, 50):.3f} s, p95"
            f" {np.percentile(mine, 95):.3f} s, {ended}/{len(mine)} ended by semantic endpointing"
        )


def trimmed(audio: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """Without espeak-ng's own leading and trailing silence: the pause is exactly the one made."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio


def early_cuts(loop, sound, mic) -> tuple[int, int]:
    """Requests with a 0.4-0.6 s hesitation: how many ended at the hesitation."""
    from assistant.voice.synth import espeak
    from assistant.voice.wavfile import write_wav

    rng = np.random.default_rng(16)
    cuts = 0
    for i, (first, second) in enumerate(PAUSED):
        head = trimmed(espeak(first, "en-us", 160, pad_s=0.0))
        pause = float(rng.uniform(0.4, 0.6))
        tail = trimmed(espeak(second, "en-us", 160, pad_s=0.0))
        audio = np.concatenate(
            [head, np.zeros(int(16000 * pause), np.float32), tail, np.zeros(8000, np.float32)]
        )
        wav = write_wav(sound.root / f"paused-{i}.wav", audio)
        mic.drain()
        sound.say_into_mic(wav, lead_silence_s=0.3)
        utterance = loop.listen()
        # Cut: the speech kept ends before the words after the hesitation. Up to 0.45 s of
        # pre-roll precedes the first word, and the second part holds at least 0.4 s of speech.
        voiced_s = 0.0 if utterance is None else utterance.voiced_samples / 16000
        cut = voiced_s < len(head) / 16000 + pause + 0.1
        cuts += cut
        if loop.stt is not None:
            loop.stt.claim(-1)  # drop the prefetch: this utterance is not answered
        ended = utterance.ended_by if utterance is not None else "nothing heard"
        heard = loop.endpointing.last_transcript if cut and loop.endpointing is not None else ""
        print(f"  {'CUT ' if cut else 'kept'} {first!r} ({pause:.2f} s) {second!r}  [{ended}] {heard}")
        time.sleep(0.5)
    return cuts, len(PAUSED)


class _DecodeNow:
    """A speculative STT whose prefetch decodes at once: every pause finds its transcript ready,
    which is the worst case for early cuts (a slower decode can only miss a pause)."""

    def __init__(self, stt) -> None:
        from assistant.voice.stt import quick_stage

        self.stt, self._done, self._audio = stt, None, None
        self.quick = quick_stage(stt) or stt  # what the voice loop's semantic endpointing reads

    def prefetch(self, audio: np.ndarray, voiced_samples: int, quick: bool = True) -> None:
        self._audio = audio
        self._done = (voiced_samples, (self.quick if quick else self.stt).transcribe(audio))

    def peek(self, voiced_samples: int):
        return self._done[1] if self._done and self._done[0] == voiced_samples else None

    def accept(self, voiced_samples: int) -> None:
        pass  # the cut is decided by then; which transcript the turn keeps does not matter here

    def confirm(self, voiced_samples: int) -> None:
        """The stage's own transcript of the same speech, at once (a doubted whole request is
        judged again on it)."""
        if self._done and self._done[0] == voiced_samples and self.quick is not self.stt:
            look_again = getattr(self.stt, "look_again", None)  # as the speculative STT asks it
            heard = (
                look_again(self._audio, self._done[1], self.quick)
                if look_again is not None
                else self.stt.transcribe(self._audio)
            )
            self._done = (voiced_samples, heard)


def hesitation_set(n: int, dev: bool = False) -> list[tuple[str, str, str, int]]:
    """(before, after, voice, rate): held-out requests (never trained on) that name something,
    with the hesitation placed before the first name, where people search for the word.
    ``dev``: training-split requests instead, for working on the endpointing rules (they are
    not trained, so the training split is unseen by them and the held-out one stays the test)."""
    import random

    from assistant.nlu.data import load_split
    from assistant.voice.synth import pick_voice

    rng = random.Random(77 if dev else 1616)
    named = [ex for ex in load_split()[0 if dev else 1] if ex.spans and ex.text[: ex.spans[0][0]].strip()]
    rng.shuffle(named)
    rows = []
    # The first 100 of the held-out order were looked at while writing the endpointing word lists.
    start = 0 if dev else 100
    for ex in named[start : start + n]:
        voice, rate = pick_voice(rng)
        cut = ex.spans[0][0]
        rows.append((ex.text[:cut].strip(), ex.text[cut:].strip(), voice, rate))
    return rows


def item_nouns() -> frozenset[str]:
    """What the skills call their items, as the voice loop gives them to semantic endpointing."""
    from assistant.skill_sdk.plugins import discover_specs

    return frozenset(noun for spec in discover_specs() for noun in spec.words.item_nouns)


def name_cues() -> frozenset[str]:
    """The skills' words a name follows, as the voice loop gives them to semantic endpointing."""
    from assistant.skill_sdk.plugins import discover_specs

    return frozenset(cue for spec in discover_specs() for cue in spec.words.name_cues)


def trailing() -> dict[str, frozenset[str]]:
    """What may follow a whole request, as the voice loop gives it to semantic endpointing."""
    from assistant.dialogue import trailing_slots
    from assistant.skill_sdk.plugins import discover_specs

    return trailing_slots(discover_specs())


def offline_early_cuts(
    stt,
    parse,
    n: int,
    nouns: frozenset[str] = frozenset(),
    dev: bool = False,
    doubtful_pause_s: float | None = None,
) -> tuple[int, int]:
    """The hesitation set through the voice loop's endpointing code without a sound card: the
    ``Endpointer`` fed 30 ms blocks on a simulated clock, ``SemanticEndpointing`` deciding with
    ``Microphone.listen``'s rule. Cut: the utterance ended before the words after the pause.
    ``doubtful_pause_s``: other than the product's (``inf``: no doubtful tier, the rule before it)."""
    from assistant.voice.endpointing import DOUBTFUL_PAUSE_S, SPECULATE_AFTER_S, SemanticEndpointing
    from assistant.voice.synth import espeak
    from assistant.voice.vad import FRAME_S, FRAME_SAMPLES, EndpointConfig, Endpointer

    rng = np.random.default_rng(16)
    trailing_after, cues = trailing(), name_cues()
    cuts = rows = 0
    for first, second, voice, rate in hesitation_set(n, dev):
        head = trimmed(espeak(first, voice, rate, pad_s=0.0))
        pause = float(rng.uniform(0.4, 0.6))
        tail = trimmed(espeak(second, voice, rate, pad_s=0.0))
        silence = np.zeros(int(16000 * 0.3), np.float32)
        audio = np.concatenate(
            [silence, head, np.zeros(int(16000 * pause), np.float32), tail, silence, silence]
        )
        endpointer = Endpointer(EndpointConfig(start_timeout_s=None))
        semantic = SemanticEndpointing(
            _DecodeNow(stt),
            parse,
            clock=lambda e=endpointer: e.frames_seen * FRAME_S,
            item_nouns=nouns,
            trailing_slots=trailing_after,
            name_cues=cues,
            doubtful_pause_s=DOUBTFUL_PAUSE_S if doubtful_pause_s is None else doubtful_pause_s,
        )
        for start in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
            endpointer.feed(audio[start : start + FRAME_SAMPLES])
            if endpointer.new_pause(SPECULATE_AFTER_S):
                semantic.on_pause(endpointer.utterance(), endpointer.voiced_samples)
            if endpointer.silence_s >= SPECULATE_AFTER_S and semantic.end_early(endpointer.voiced_samples):
                endpointer.finish("semantic")
            if endpointer.finished:
                break
        rows += 1
        # Stream time of the last voiced frame kept: before the tail's first 0.1 s means cut.
        cut = (endpointer.speech_end_s or 0.0) < (len(silence) + len(head)) / 16000 + pause + 0.1
        cuts += cut
        if cut:
            print(
                f"  CUT  {first!r} ({pause:.2f} s) {second!r} [{voice} {rate}] heard {semantic.last_transcript!r}"
            )
    return cuts, rows


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings
    from assistant.voice.whisper_checkpoints import SPEECH_MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=Settings().stt_model, choices=SPEECH_MODELS)
    parser.add_argument("--engine", default="faster-whisper", choices=["openai-whisper", "faster-whisper"])
    parser.add_argument("--rounds", type=int, default=1, help="passes over the request list")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the run without semantic endpointing"
    )
    parser.add_argument("--llm", action="store_true", help="load the language model too (default: off)")
    parser.add_argument(
        "--hesitations", type=int, default=400, help="held-out requests with a hesitation, checked offline"
    )
    parser.add_argument(
        "--only-hesitations", action="store_true", help="run the offline hesitation check only (no sound)"
    )
    parser.add_argument(
        "--dev", action="store_true", help="with --only-hesitations: training-split requests (for rule work)"
    )
    parser.add_argument(
        "--voice", default=Settings().tts_voice, choices=["joe", "espeak"], help="the reply voice"
    )
    parser.add_argument(
        "--only-tts", action="store_true", help="the voices on their own only (no microphone)"
    )
    parser.add_argument(
        "--without-doubtful-tier",
        action="store_true",
        help="also run the requests with semantic endpointing as it was before its doubtful tier",
    )
    parser.add_argument(
        "--speakers",
        nargs="+",
        default=["espeak-ng"],
        choices=SPEAKERS,
        help="voice families that say the requests (default: espeak-ng, as the bench always had)",
    )
    args = parser.parse_args(argv)
    from bench._tts_voices import report, run_voices

    voices = list(dict.fromkeys([args.voice, "espeak"]))  # espeak-ng: the same-run baseline
    if args.only_tts:
        report(run_voices(voices, rounds=max(args.rounds, 5), speaker=True))
        return 0
    if not args.llm:  # the targets (latency, memory) are for the assistant without it
        os.environ["ASSISTANT_LLM"] = "off"

    from assistant.app import build_pipeline, warm_up
    from assistant.config import Settings
    from assistant.frontends.voice_loop import VoiceLoop
    from assistant.voice import audio
    from testkit.audio_stack import VirtualAudio, missing_tools

    if args.only_hesitations:
        from assistant.nlu import load_nlu
        from assistant.voice.stt import load_stt

        stt, parse = load_stt(args.model, engine=args.engine), load_nlu().parse
        which = "training-split (dev)" if args.dev else "held-out"
        # The same requests without the doubtful tier: the rule before it, as the same-run baseline.
        for rule, pause in (("this rule", None), ("without the doubtful tier", float("inf"))):
            print(f"{rule}:")
            cuts, rows = offline_early_cuts(stt, parse, args.hesitations, item_nouns(), args.dev, pause)
            print(
                f"early cuts, {which} requests with a hesitation before a name, {rule}: {cuts}/{rows} ="
                f" {cuts / rows:.1%} (load average {os.getloadavg()[0]:.2f})"
            )
        return 0
    if missing_tools():
        print(f"needs: {', '.join(missing_tools())}", file=sys.stderr)
        return 1
    home = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    settings = Settings(
        stt_model=args.model, stt_engine=args.engine, followup_window_s=0.3, tts_voice=args.voice
    )
    with VirtualAudio() as sound:
        audio.refresh_devices()
        wavs = request_wavs(sound.root, args.speakers)
        pipeline = build_pipeline(home, settings, stt_model=args.model, speak=True)
        warm_up(pipeline)  # as --mic does before it starts listening
        print(f"{args.hesitations} held-out requests with a 0.4-0.6 s hesitation before a name (offline):")
        offline = offline_early_cuts(pipeline.stt, pipeline.nlu.parse, args.hesitations, item_nouns())
        session = pipeline.start_session("bench", mode="voice", seed=7)
        with audio.Microphone() as mic:
            loop = VoiceLoop(pipeline, session, mic, audio.Speaker(), home, out=lambda *_: None)
            rows = run_requests(loop, sound, mic, wavs, args.rounds)
            untiered = []
            if args.without_doubtful_tier and loop.endpointing is not None:
                kept, loop.endpointing.doubtful_pause_s = loop.endpointing.doubtful_pause_s, float("inf")
                print("semantic endpointing without its doubtful tier (the rule before it)")
                untiered = run_requests(loop, sound, mic, wavs, args.rounds)
                loop.endpointing.doubtful_pause_s = kept
            baseline = []
            if not args.no_baseline:
                loop.semantic_endpointing = False
                print("baseline: semantic endpointing off")
                baseline = run_requests(loop, sound, mic, wavs, args.rounds)
                loop.semantic_endpointing = True
            print("requests with a hesitation (semantic endpointing on):")
            cuts, paused = early_cuts(loop, sound, mic)
        prefetched = loop.stt.hits if loop.stt is not None else 0
        worker = getattr(pipeline.tts, "_process", None)
        memory = rss_mb() + (rss_mb(worker.pid) if worker is not None else 0.0)
        pipeline.end_session(session)
        pipeline.tts.close()
    if not rows:
        print("no turns completed", file=sys.stderr)
        return 1
    print(
        f"\nmodel {args.model} on {args.engine}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    summary("semantic endpointing on", rows)
    if untiered:
        summary("same run, semantic endpointing without its doubtful tier", untiered)
    if baseline:
        summary("baseline, same run: acoustic endpointing only (0.7 s of silence)", baseline)
    print(f"\nearly cuts at a 0.4-0.6 s hesitation: {cuts}/{paused} = {cuts / paused:.1%}")
    print(
        f"early cuts, held-out requests with a hesitation before a name (offline, decode assumed"
        f" instant): {offline[0]}/{offline[1]} = {offline[0] / max(1, offline[1]):.1%}"
    )
    print(f"transcribed during the trailing silence: {prefetched} turns")
    print(f"resident memory (assistant + TTS worker): {memory:.0f} MB, voice {args.voice}")
    report(run_voices(voices, rounds=5, speaker=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
