"""Open requests with and without the local language model, in one run.

    .venv/bin/python bench/llm_turns.py [--model qwen2.5-1.5b] [--threads 1] [--timeout 4]

Every request of ``data/llm/open_requests.jsonl`` (written for this bench; see its README) is
said once, in a fresh session of a new user, to two pipelines that share the real classifier
and skills: one with the classifier alone (the baseline), one with the model as second opinion.
A turn is handled right when the skill that answered, and the first film offered, meet the
line's ``expect``. Then a set of confident simple requests runs through the model's pipeline:
those are classifier turns and must not get slower. Printed side by side: task success,
end-to-end latency p50/p95 of model turns and of classifier turns, the model's load time and
the process's resident memory. The machine is shared: the load average is printed beside the
figures, since another process's work slows every token.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.app import open_store  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.llm.runtime import LlamaModel  # noqa: E402
from assistant.llm.weights import DEFAULT_MODEL, MODELS, model_path  # noqa: E402
from assistant.nlu import load_nlu  # noqa: E402
from assistant.pipeline import Pipeline, TurnResult  # noqa: E402
from assistant.plugins import SkillRegistry  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data" / "llm" / "open_requests.jsonl"
SIMPLE = [
    "play some jazz",
    "suggest a comedy",
    "what's the news",
    "what's the weather in london",
    "play Shape of You",
    "suggest a horror movie",
    "news about climate",
    "something like Alien",
    "will it rain tomorrow in chicago",
    "play some rock music",
]


def rss_mb() -> tuple[float, float]:
    status = Path(f"/proc/{os.getpid()}/status").read_text()
    fields = {
        k: v.split()[0] for k, _, v in (line.partition(":") for line in status.splitlines()) if v.split()
    }
    return int(fields["VmRSS"]) / 1024, int(fields["VmHWM"]) / 1024


def handled_right(result: TurnResult, expect: dict, skills: SkillRegistry) -> bool:
    intent = result.intent or ""
    owner = skills.owner(intent)
    domain = owner.name if owner is not None else None
    if expect.get("out_of_scope"):
        return domain is None and not result.items
    wanted = expect.get("domain_any") or [expect["domain"]]
    if domain not in wanted:
        return False
    if domain != "video" or not any(k.startswith(("genres", "year")) for k in expect):
        return True
    if not result.items:
        return False
    meta = result.items[0].meta
    genres, year = set(meta.get("genres") or []), meta.get("year")
    if "genres_any" in expect and not genres & set(expect["genres_any"]):
        return False
    if "genres_all" in expect and not set(expect["genres_all"]) <= genres:
        return False
    if genres & set(expect.get("genres_none", [])):
        return False
    if "year_min" in expect and (year is None or year < expect["year_min"]):
        return False
    return not ("year_max" in expect and (year is None or year > expect["year_max"]))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-threads", type=int, default=0, help="prompt threads (default: --threads)")
    parser.add_argument("--timeout", type=float, default=Settings().llm_timeout_s)
    parser.add_argument("--limit", type=int, default=0, help="only the first N requests")
    parser.add_argument("--show", action="store_true", help="print every turn")
    args = parser.parse_args()
    cases = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    cases = cases[: args.limit] if args.limit else cases

    nlu = load_nlu()
    skills = SkillRegistry.discover()
    for spec in skills.specs:
        skills.skill(spec.name)
    started = time.perf_counter()
    model = LlamaModel(model_path(args.model), args.model, args.threads, args.batch_threads)
    load_s = time.perf_counter() - started
    settings = Settings(llm_timeout_s=args.timeout)
    tmp = Path(tempfile.mkdtemp(prefix="llm-bench-"))
    plain = Pipeline(nlu, open_store(tmp / "plain"), tmp / "plain", skills, settings)
    helped = Pipeline(nlu, open_store(tmp / "llm"), tmp / "llm", skills, settings, llm=model)
    assert helped.advisor is not None
    started = time.perf_counter()
    helped.advisor.warm()
    warm_s = time.perf_counter() - started

    right = {"classifier only": 0, "with model": 0}
    model_ms: list[float] = []
    classifier_ms: list[float] = []
    baseline_ms: list[float] = []
    statuses: dict[str, int] = {}
    for i, case in enumerate(cases):
        for label, pipeline in (("classifier only", plain), ("with model", helped)):
            session = pipeline.start_session(f"user{i}", seed=i)
            result = pipeline.run_turn(session, text=case["text"], wall_time=1_700_000_000.0)
            pipeline.end_session(session)
            ok = handled_right(result, case["expect"], skills)
            right[label] += ok
            if label == "with model":
                for event in result.events:
                    if event.type == "llm-call":
                        statuses[event.status] = statuses.get(event.status, 0) + 1
                (model_ms if result.llm_ms > 0 else classifier_ms).append(result.elapsed_ms)
            else:
                baseline_ms.append(result.elapsed_ms)
            if args.show:
                item = result.items[0] if result.items else None
                got = (
                    f"{item.title} {item.meta.get('year', '')} {item.meta.get('genres', '')}" if item else ""
                )
                print(
                    f"{'ok ' if ok else 'BAD'} {label:15s} {result.elapsed_ms:7.0f} ms "
                    f"{result.understood_by:10s} {case['text'][:45]:45s} -> {result.intent} {got[:60]}",
                    flush=True,
                )
                for event in result.events:
                    if event.type == "llm-call":
                        print(
                            f"      {event.task} {event.status} {event.ms:.0f} ms, prompt {event.prompt_tokens}"
                            f" tokens ({event.cached_tokens} cached): {event.output[:110]}"
                        )
    simple_with: list[float] = []
    simple_without: list[float] = []
    for i, text in enumerate(SIMPLE * 2):
        for pipeline, times in ((helped, simple_with), (plain, simple_without)):
            session = pipeline.start_session(f"simple{i}", seed=i)
            result = pipeline.run_turn(session, text=text, wall_time=1_700_000_000.0)
            pipeline.end_session(session)
            if i >= len(SIMPLE):  # the second round: every catalog and cache is warm
                times.append(result.elapsed_ms)
            if pipeline is helped and result.llm_ms > 0:
                print(f"note: {text!r} waited for the model ({result.llm_ms:.0f} ms)")
    rss, peak = rss_mb()
    for pipeline in (plain, helped):
        pipeline.store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    n = len(cases)
    print(
        f"\nmodel {args.model}, {args.threads} thread(s) (prompt {args.batch_threads or args.threads}), "
        f"timeout {args.timeout:.1f} s, {n} open requests; load average now {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores"
    )
    print(f"model load {load_s:.1f} s; system prompts read into the cache {warm_s:.1f} s")
    print(f"{'':34s}{'classifier only':>18s}{'with model':>14s}")
    print(f"{'handled right':34s}{right['classifier only'] / n:>17.0%} {right['with model'] / n:>13.0%}")
    print(
        f"{'open-request turns p50 / p95 ms':34s}{percentile(baseline_ms, 50):>8.0f} / {percentile(baseline_ms, 95):<7.0f}"
        f"{percentile(model_ms + classifier_ms, 50):>6.0f} / {percentile(model_ms + classifier_ms, 95):.0f}"
    )
    print(
        f"{'  of them model turns p50 / p95':34s}{'':>18s}{percentile(model_ms, 50):>6.0f} / {percentile(model_ms, 95):.0f}"
        f"  ({len(model_ms)} turns)"
    )
    print(
        f"{'simple requests p50 / p95 ms':34s}{percentile(simple_without, 50):>8.1f} / {percentile(simple_without, 95):<7.1f}"
        f"{percentile(simple_with, 50):>6.1f} / {percentile(simple_with, 95):.1f}"
    )
    print(f"model calls by outcome: {json.dumps(statuses, sort_keys=True)}")
    print(f"resident memory {rss:.0f} MB (peak {peak:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
