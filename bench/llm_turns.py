"""Open requests with and without the local language model, in one run.

    .venv/bin/python bench/llm_turns.py [--model qwen2.5-1.5b] [--threads 2] [--timeout 4]
        [--skip open,oos,grammar,picks,why,voice,startup]

Sections, each printed beside a same-run baseline:

- **open requests**: every request of ``data/llm/open_requests.jsonl`` (written for this bench;
  see its README) is said once, in a fresh session of a new user, to three pipelines sharing the
  real classifier and skills: the classifier alone (the baseline), with the model as second
  opinion, and with the model as it was asked before 2026-12-07
  (``evaluation.spoken.AskedAsBefore``). A turn is handled right when the skill that answered,
  and the first film offered, meet the line's ``expect``. Then confident simple requests, which
  must not get slower.
- **out of scope** (``oos``): the NLU's hand-written out-of-scope requests
  (``data/nlu/examples_oos.csv``, typed) the same way: how many each pipeline declines, how many
  a skill answered, and how often the model was asked.
- **where a model call's time goes**: llama.cpp's own timings of every call: prompt tokens read
  after the cached system prompt, their time, tokens generated and the time per token, the rest
  (template, grammar set-up, queue); and (``grammar``) a few calls without the grammar, to show
  what constraining each token costs.
- **picks** (``data/llm/picks.jsonl``): a person with likes asks an open request, so the model
  picks among the skill's candidates; then "why?". Picks right (vs the recommender's own first
  film), picked items not in the catalog, and explanation claims not in the evidence.
- **why**: twenty offers, each followed by "why?": how often the model's sentence is said and
  how often the checks refuse it (a name or number not in the evidence, or who did what:
  ``assistant.llm.grounding.misattributed``), the stored reason being said instead.
- **voice** first audio: with espeak synthesis and the "Let me think" filler of voice mode, the
  time from the transcript to the first audio (the filler, or the answer when no filler is due),
  for model turns. Speech recognition and endpointing come before it (bench/voice_latency.py).
- **startup**: ``run_assistant.py --text`` started afresh, with the model and with
  ``ASSISTANT_LLM=off``: time to the first prompt ("/help" answered), to the first answer (a
  simple request typed at once), and to the answer of an open request typed with it (the
  model's weights load and its prompts are read in the background).

The machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.app import open_store  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.contracts.stages import OUT_OF_SCOPE  # noqa: E402
from assistant.llm import prompts  # noqa: E402
from assistant.llm.grounding import misattributed, ungrounded_claims  # noqa: E402
from assistant.llm.runtime import Completion, LlamaModel  # noqa: E402
from assistant.llm.weights import DEFAULT_MODEL, MODELS, model_path  # noqa: E402
from assistant.nlu import load_nlu  # noqa: E402
from assistant.nlu.data import load_all  # noqa: E402
from assistant.pipeline.runner import Pipeline, TurnResult  # noqa: E402
from assistant.skill_sdk.plugins import SkillRegistry  # noqa: E402
from assistant.storage.history import FeedbackRecord, TurnRecord  # noqa: E402
from evaluation.spoken import AskedAsBefore  # noqa: E402

DATA = REPO / "data" / "llm"
NOW = 1_700_000_000.0
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


class TimedModel:
    """The real model, keeping every call's ``Completion`` (with llama.cpp's timings)."""

    def __init__(self, model: LlamaModel) -> None:
        self.model, self.name = model, model.name
        self.calls: list[tuple[str, Completion, dict[str, Any]]] = []

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        completion = self.model.complete(system, user, schema, max_tokens, timeout_s)
        task = "pick" if system == prompts.PICK_SYSTEM_PROMPT else "understand"
        task = "explain" if system == prompts.EXPLAIN_SYSTEM_PROMPT else task
        self.calls.append((task, completion, schema))
        return completion


def rss_mb() -> tuple[float, float]:
    status = Path(f"/proc/{os.getpid()}/status").read_text()
    fields = {k: v.split()[0] for k, _, v in (ln.partition(":") for ln in status.splitlines()) if v.split()}
    return int(fields["VmRSS"]) / 1024, int(fields["VmHWM"]) / 1024


def handled_right(result: TurnResult, expect: dict, skills: SkillRegistry) -> bool:
    owner = skills.owner(result.intent or "")
    domain = owner.name if owner is not None else None
    if expect.get("out_of_scope"):
        return domain is None and not result.items
    if domain not in (expect.get("domain_any") or [expect["domain"]]):
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


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def p50_95(values: list[float]) -> str:
    return f"{pct(values, 50):6.0f} / {pct(values, 95):<6.0f}"


def load_line(label: str) -> None:
    load = os.getloadavg()
    print(f"\n== {label} (load average {load[0]:.2f} {load[1]:.2f}, {os.cpu_count()} cores)")


def say(pipeline: Pipeline, user: str, text: str, seed: int) -> TurnResult:
    session = pipeline.start_session(user, seed=seed)
    result = pipeline.run_turn(session, text=text, wall_time=NOW)
    pipeline.end_session(session)
    return result


def open_requests(
    args, plain: Pipeline, helped: Pipeline, before: Pipeline, timed: TimedModel, skills
) -> None:
    cases = [json.loads(line) for line in (DATA / "open_requests.jsonl").read_text().splitlines() if line]
    cases = cases[: args.limit] if args.limit else cases
    right = {"plain": 0, "helped": 0, "before": 0}
    model_ms: list[float] = []
    other_ms: list[float] = []
    baseline_ms: list[float] = []
    statuses: dict[str, int] = {}
    for i, case in enumerate(cases):
        for label, pipeline in (("plain", plain), ("before", before), ("helped", helped)):
            result = say(pipeline, f"user{i}", case["text"], i)
            ok = handled_right(result, case["expect"], skills)
            right[label] += ok
            if label == "plain":
                baseline_ms.append(result.elapsed_ms)
            if label != "helped":
                continue
            calls = [e for e in result.events if e.type == "llm-call"]
            for event in calls:
                statuses[event.status] = statuses.get(event.status, 0) + 1
            (model_ms if result.llm_ms > 0 else other_ms).append(result.elapsed_ms)
            if args.show:
                item = result.items[0] if result.items else None
                got = (
                    f"{item.title} {item.meta.get('year', '')} {item.meta.get('genres', '')}" if item else ""
                )
                print(
                    f"{'ok ' if ok else 'BAD'} {result.elapsed_ms:6.0f} ms {case['text'][:44]:44s} -> {got[:50]}"
                )
                for event in calls:
                    print(f"      {event.task} {event.status} {event.ms:.0f} ms: {event.output[:100]}")
    simple = {"plain": [], "helped": []}
    for i, text in enumerate(SIMPLE * 2):
        for label, pipeline in (("helped", helped), ("plain", plain)):
            result = say(pipeline, f"simple{i}", text, i)
            if i >= len(SIMPLE):  # the second round: every catalog and cache is warm
                simple[label].append(result.elapsed_ms)
            if label == "helped" and result.llm_ms > 0:
                print(f"note: {text!r} waited for the model ({result.llm_ms:.0f} ms)")
    n = len(cases)
    load_line(f"open requests: {n} (data/llm/open_requests.jsonl), new users")
    print(f"{'':34s}{'classifier only':>16s}{'with model':>18s}{'asked as before':>18s}")
    print(
        f"{'handled right':34s}{right['plain'] / n:>15.0%} {right['helped'] / n:>17.0%}"
        f" {right['before'] / n:>17.0%}"
    )
    print(f"{'all open-request turns p50 / p95 ms':34s} {p50_95(baseline_ms)}  {p50_95(model_ms + other_ms)}")
    print(f"{'  model turns p50 / p95 ms':34s} {'':15s}  {p50_95(model_ms)} ({len(model_ms)} turns)")
    print(f"{'simple requests p50 / p95 ms':34s} {p50_95(simple['plain'])}  {p50_95(simple['helped'])}")
    print(f"model calls by outcome: {json.dumps(statuses, sort_keys=True)}")


def out_of_scope(plain: Pipeline, helped: Pipeline, before: Pipeline, skills, show: bool) -> None:
    """The hand-written out-of-scope requests: declined by each pipeline, or answered by a skill."""
    texts = [ex.text for ex in load_all() if ex.source == "own/examples_oos" and ex.label == OUT_OF_SCOPE]
    declined = {"plain": 0, "helped": 0, "before": 0}
    asked = {"helped": 0, "before": 0}
    model_ms: dict[str, list[float]] = {"helped": [], "before": []}
    for i, text in enumerate(texts):
        for label, pipeline in (("plain", plain), ("before", before), ("helped", helped)):
            result = say(pipeline, f"oos{i}", text, i)
            owner = skills.owner(result.intent or "")
            declined[label] += owner is None and not result.items
            if label in asked and result.llm_ms > 0:
                asked[label] += 1
                model_ms[label].append(result.elapsed_ms)
            if show and label != "plain" and owner is not None:
                print(f"{label:7s} answered by {owner.name:8s}: {text}")
    n = len(texts)
    load_line(f"out of scope: {n} (data/nlu/examples_oos.csv, typed), new users")
    print(f"{'':34s}{'classifier only':>16s}{'with model':>18s}{'asked as before':>18s}")
    print(
        f"{'declined':34s}{declined['plain'] / n:>15.1%} {declined['helped'] / n:>17.1%}"
        f" {declined['before'] / n:>17.1%}"
    )
    print(f"{'model asked':34s}{'':>15s} {asked['helped']:>17d} {asked['before']:>17d}")
    print(
        f"{'  model turns p50 / p95 ms':34s}{'':>15s}  {p50_95(model_ms['helped'])}  {p50_95(model_ms['before'])}"
    )


def where_time_goes(calls: list[tuple[str, Completion, dict[str, Any]]]) -> None:
    load_line("where a model call's time goes: llama.cpp's timings of every call above")
    for task in ("understand", "pick", "explain"):
        done = [c for t, c, _ in calls if t == task and c.status == "ok"]
        if not done:
            continue
        med = {
            "new prompt tokens": np.median([c.new_prompt_tokens for c in done]),
            "cached tokens": np.median([c.cached_tokens for c in done]),
            "prompt ms": np.median([c.prompt_ms for c in done]),
            "output tokens": np.median([c.output_tokens for c in done]),
            "ms / output token": np.median([c.generate_ms / max(c.output_tokens, 1) for c in done]),
            "generate ms": np.median([c.generate_ms for c in done]),
            "rest ms": np.median([c.ms - c.prompt_ms - c.generate_ms for c in done]),
            "call ms": np.median([c.ms for c in done]),
        }
        print(f"  {task} calls ({len(done)}), medians: " + ", ".join(f"{k} {v:.0f}" for k, v in med.items()))


def grammar_cost(model: LlamaModel, skills: SkillRegistry) -> None:
    """The same requests with and without the grammar: time per generated token."""
    system, schema = (
        prompts.understanding_system_prompt(skills.specs),
        prompts.understanding_schema(skills.specs),
    )
    texts = ["a movie about sharks", "a cowboy film from the fifties", "something sad to cry to", "hello"]
    per_token: dict[bool, list[float]] = {True: [], False: []}
    for text in texts:
        for constrained in (True, False):
            user = prompts.understanding_user_prompt(text, [], "")
            c = model.complete(system, user, schema, 12, 60, constrained=constrained)
            per_token[constrained].append(c.generate_ms / max(c.output_tokens, 1))
    load_line("grammar cost: 4 understanding calls, 12 tokens at most")
    print(
        f"ms per generated token: with grammar {np.median(per_token[True]):.0f}, "
        f"without {np.median(per_token[False]):.0f} (medians)"
    )


def record_likes(pipeline: Pipeline, user: str, titles: list[str]) -> list[str]:
    """Each title as offered and liked in an earlier session (what the history store keeps)."""
    video = pipeline.skills.skill("video")
    session = pipeline.start_session(user, seed=0)
    liked = []
    for title in titles:
        item = video.lookup({"title": title})
        if item is None:
            print(f"warning: {title!r} is not in the catalog")
            continue
        session.turns += 1
        pipeline.store.record_turn(
            TurnRecord(
                session_id=session.id, user=user, seq=session.turns, ts=NOW - 3600, source="text",
                text=f"something like {title}", response=item.title, events=[], intent="recommend_video",
                act="recommend", domain="video", items=[item],
                feedback=[FeedbackRecord("video", item.id, "like")],
            )
        )  # fmt: skip
        liked.append(item.title)
    pipeline.end_session(session)
    return liked


# Offers of every skill that explains, each followed by "why?" (section ``why``).
WHY_REQUESTS = [
    "suggest a comedy",
    "a film with lots of singing and dancing",
    "play some jazz",
    "suggest a horror movie",
    "something like Alien",
    "play some relaxing music",
    "a romantic film for date night",
    "play Shape of You",
    "a cowboy movie from the fifties",
    "suggest a thriller",
    "play some rock music",
    "a kids cartoon with talking animals",
    "something the whole family can watch",
    "play something by Queen",
    "a war movie",
    "suggest a documentary",
    "play some classical music",
    "a space adventure from the eighties",
    "suggest a drama",
    "play some hip hop",
]


def why_answers(plain: Pipeline, helped: Pipeline, show: bool) -> None:
    """ "Why?" after an offer: the model's sentence said, or the stored reason (the baseline's)
    when the check refused it, and why it refused it."""
    said, wrong, refused, failed = 0, 0, {}, 0
    for i, text in enumerate(WHY_REQUESTS):
        answers = []
        for pipeline in (plain, helped):
            session = pipeline.start_session(f"why{i}", seed=i)
            pipeline.run_turn(session, text=text, wall_time=NOW)
            answers.append(pipeline.run_turn(session, text="why?", wall_time=NOW + 10))
            pipeline.end_session(session)
        stored, why = answers
        calls = [e for e in why.events if e.type == "llm-call" and e.task == "explain"]
        if why.response != stored.response:
            said += 1
            wrong += bool(misattributed(why.response, stored.response))
        elif calls and calls[-1].status == "ungrounded":
            reason = calls[-1].error.removeprefix("not in the evidence: ")
            refused[reason] = refused.get(reason, 0) + 1
        else:
            failed += 1  # no answer, a fragment, cut off, or the model did not answer in time
        if show:
            print(f"  {text} -> {why.response}")
    load_line(f'"why?" after an offer: {len(WHY_REQUESTS)} offers, new users')
    print(
        f"model sentence said {said} (who did what wrong in {wrong}: the person as the one who "
        f"suggested, the assistant's own experience, an untold like); refused by the checks "
        f"{sum(refused.values())}: {json.dumps(refused)}"
    )
    print(f"no usable sentence (empty, cut off, timeout) {failed}; the stored reason said instead")


def picks(plain: Pipeline, helped: Pipeline, timed: TimedModel, skills: SkillRegistry, show: bool) -> None:
    cases = [json.loads(line) for line in (DATA / "picks.jsonl").read_text().splitlines() if line]
    catalog = {str(i) for i in skills.skill("video").catalog.index}
    right = {"plain": 0, "helped": 0}
    picked = outside = ungrounded = explained = 0
    for i, case in enumerate(cases):
        for label, pipeline in (("plain", plain), ("helped", helped)):
            user = f"fan{i}"
            likes = record_likes(pipeline, user, case["likes"])
            before = len(timed.calls)
            session = pipeline.start_session(user, seed=i)
            result = pipeline.run_turn(session, text=case["text"], wall_time=NOW)
            right[label] += handled_right(result, case["expect"], skills)
            outside += sum(item.id not in catalog for item in result.items if item.domain == "video")
            why = pipeline.run_turn(session, text="why?", wall_time=NOW)
            pipeline.end_session(session)
            if label == "plain":
                continue
            calls = timed.calls[before:]
            picked += any(t == "pick" and c.status == "ok" for t, c, _ in calls)
            explained += any(t == "explain" and c.status == "ok" for t, c, _ in calls)
            if result.items:
                evidence = prompts.explain_evidence(result.items[0], likes)
                # The spoken answer opens with the core's own words around the title and reason.
                missing = ungrounded_claims(why.response, evidence + "\ni picked: i chose it")
                ungrounded += len(missing)
            if show:
                print(f"  {case['text']} -> {[i.title for i in result.items]} | why: {why.response}")
    n = len(cases)
    load_line(f"picks: {n} open requests by people with likes (data/llm/picks.jsonl)")
    print(f"{'picks handled right':34s}{right['plain'] / n:>15.0%} {right['helped'] / n:>17.0%}")
    print(f"model picks made {picked} of {n}; model explanations used or checked {explained}")
    print(f"items not in the catalog: {outside}; explanation claims not in the evidence: {ungrounded}")


def voice_first_audio(helped: Pipeline, skills: SkillRegistry, timed: TimedModel, n: int) -> None:
    from assistant.voice.tts import load_tts, voice_name

    tts = load_tts(helped.settings.tts_voice)  # the configured voice, as voice mode loads it
    voiced = Pipeline(helped.nlu, helped.store, helped.data_dir, skills, helped.settings, tts=tts, llm=timed)
    assert voiced.advisor is not None
    filler = tts.synthesize(voiced.nlg.render("thinking", random.Random(0)))  # as voice mode does
    heard: list[float] = []
    voiced.advisor.on_thinking = lambda: heard.append(time.perf_counter())
    cases = [json.loads(line) for line in (DATA / "open_requests.jsonl").read_text().splitlines() if line]
    first_audio: list[float] = []
    answer: list[float] = []
    for i, case in enumerate(cases):
        if len(first_audio) >= n:
            break
        heard.clear()
        session = voiced.start_session(f"voice{i}", mode="voice", seed=i)
        started = time.perf_counter()
        result = voiced.run_turn(session, text=case["text"], speak=True, wall_time=NOW)
        done = time.perf_counter()
        voiced.end_session(session)
        if result.llm_ms <= 0:
            continue
        first = heard[0] if heard else done
        first_audio.append((first - started) * 1000)
        answer.append((done - started) * 1000)
    load_line(f"voice: {len(first_audio)} model turns, {voice_name(tts)} synthesis, from the transcript")
    print(f"filler {len(filler.samples) / filler.sample_rate:.2f} s of audio, synthesised at start-up")
    print(f"first audio (filler or answer) p50 / p95 ms {p50_95(first_audio)}")
    # A streaming voice (Piper) hands the answer over once its first sentence is ready.
    print(f"answer ready to play         p50 / p95 ms {p50_95(answer)}")
    tts.close()


def startup(model: str, threads: int) -> None:
    """Start the text assistant afresh and time its first answers, with and without the model.

    Typed at once: "/help" (answered as soon as the assistant reads input: start-up to the first
    prompt), a simple request (first answer) and an open request (it waits for the model's
    background warm-up, at most ``advisor.WARM_WAIT_S``, then its own call)."""
    rows = []
    for llm in ("off", "on"):
        home = Path(tempfile.mkdtemp(prefix="llm-startup-"))
        (home / "config.toml").write_text(f'[llm]\nmodel = "{model}"\nthreads = {threads}\n')
        env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_LLM": llm}
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "run_assistant.py"), "--text"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"/help\nplay some jazz\na movie about sharks\n")
        proc.stdin.flush()
        times, lines = [], []
        for _ in range(3):
            lines.append(proc.stdout.readline().decode("utf-8", "replace").strip())
            times.append(time.perf_counter() - started)
        proc.kill()  # the model's warm-up may still run: nothing more is needed from it
        proc.wait()
        shutil.rmtree(home, ignore_errors=True)
        rows.append((llm, times, lines[2]))
    load_line("startup: run_assistant.py --text, '/help', a simple and an open request typed at once")
    for llm, times, answer in rows:
        print(
            f"ASSISTANT_LLM={llm:3s}: first prompt (/help answered) {times[0]:5.1f} s; first answer "
            f"{times[1]:5.1f} s; 'a movie about sharks' {times[2]:5.1f} s: {answer[:60]!r}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    parser.add_argument("--threads", type=int, default=Settings().llm_threads)
    parser.add_argument("--batch-threads", type=int, default=0, help="prompt threads (default: --threads)")
    parser.add_argument("--timeout", type=float, default=Settings().llm_timeout_s)
    parser.add_argument("--limit", type=int, default=0, help="only the first N open requests")
    parser.add_argument("--voice-turns", type=int, default=8)
    parser.add_argument(
        "--skip", default="", help="sections to leave out: open,oos,grammar,picks,why,voice,startup"
    )
    parser.add_argument("--show", action="store_true", help="print every turn")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    nlu = load_nlu()
    skills = SkillRegistry.discover()
    for spec in skills.specs:
        skills.skill(spec.name)
    started = time.perf_counter()
    model = LlamaModel(model_path(args.model), args.model, args.threads, args.batch_threads)
    load_s = time.perf_counter() - started
    timed = TimedModel(model)
    settings = Settings(llm_timeout_s=args.timeout)
    tmp = Path(tempfile.mkdtemp(prefix="llm-bench-"))
    plain = Pipeline(nlu, open_store(tmp / "plain"), tmp / "plain", skills, settings)
    helped = Pipeline(nlu, open_store(tmp / "llm"), tmp / "llm", skills, settings, llm=timed)
    before = Pipeline(nlu, open_store(tmp / "before"), tmp / "before", skills, settings, llm=timed)
    assert helped.advisor is not None
    before.advisor = AskedAsBefore(timed, skills, before.store, settings.llm_timeout_s)
    started = time.perf_counter()
    helped.advisor.warm()
    warm_s = time.perf_counter() - started
    timed.calls.clear()  # the warm-up's calls are not turns
    print(
        f"model {args.model}, {args.threads} thread(s) (prompt {args.batch_threads or args.threads}), "
        f"timeout {args.timeout:.1f} s; load {load_s:.1f} s; system prompts read into the cache {warm_s:.1f} s"
    )
    if "open" not in skip:
        open_requests(args, plain, helped, before, timed, skills)
    if "oos" not in skip:
        out_of_scope(plain, helped, before, skills, args.show)
    if "grammar" not in skip:
        grammar_cost(model, skills)
    if "picks" not in skip:
        picks(plain, helped, timed, skills, args.show)
    if "why" not in skip:
        why_answers(plain, helped, args.show)
    if "voice" not in skip:
        voice_first_audio(helped, skills, timed, args.voice_turns)
    where_time_goes(timed.calls)
    rss, peak = rss_mb()
    print(f"\nresident memory {rss:.0f} MB (peak {peak:.0f} MB), classifier + skills + model in one process")
    for pipeline in (plain, helped, before):
        pipeline.store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    if "startup" not in skip:
        startup(args.model, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
