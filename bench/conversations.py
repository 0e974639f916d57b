"""Multi-turn conversations judged turn by turn, for this tree and today's dialogue (a baseline).

Each conversation (JSONL, one a line: ``{"id", "kinds", "turns": [{"say", "expect"}]}``) runs
through the real pipeline in a fresh data directory, with the clock pinned as the golden
conversation tests pin it. A turn is right when its domain and act are the expected ones, the
first item offered meets every expected ``item`` constraint, and an expected ``reference`` is
resolved; frame accuracy asks whether the dialogue still holds the expected constraints after
the turn, and "frame exact" whether it holds nothing more (what a correction or a fresh start
should have dropped; ``{}`` expects nothing in force). ``bench/conversation_judge.py`` has the
rules.

The baseline is the dialogue as it was at commit 117ead4, run in the same invocation from a
git worktree (``build/baseline-117ead4``, made once) that shares this tree's built models, so
the two figures differ only by the code. The runs go one after the other: on two cores, side
by side they would slow each other's latencies.

    .venv/bin/python bench/conversations.py [--set heldout|dev|dev2|dev3|dev4|dev5|PATH] [--skip-baseline]
        [--failures N] [--llm]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversation_judge import Verdict, judge_conversation  # noqa: E402

BASELINE_COMMIT = "117ead4"
SETS = {
    "heldout": ROOT / "data" / "dialogue" / "heldout_conversations.jsonl",
    "dev": ROOT / "data" / "dialogue" / "dev_conversations.jsonl",
    "dev2": ROOT / "data" / "dialogue" / "dev2_conversations.jsonl",
    "dev3": ROOT / "data" / "dialogue" / "dev3_conversations.jsonl",
    "dev4": ROOT / "data" / "dialogue" / "dev4_conversations.jsonl",
    "dev5": ROOT / "data" / "dialogue" / "dev5_conversations.jsonl",
}
WORKER = ROOT / "bench" / "_conversations_worker.py"
OUT_DIR = ROOT / "build" / "conversations"


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def baseline_tree(commit: str) -> Path:
    """The worktree at ``commit`` (made once, then reused), its models/artifacts this tree's."""
    tree = ROOT / "build" / f"baseline-{commit}"
    if not (tree / "assistant").is_dir():
        # Other sessions commit in this repository meanwhile: a held lock is worth a few retries.
        for attempt in range(5):
            try:
                git("worktree", "add", "--detach", str(tree), commit)
                break
            except subprocess.CalledProcessError as exc:
                if attempt == 4:
                    raise RuntimeError(f"git worktree add failed: {exc.stderr}") from exc
                time.sleep(2 + attempt)
    head = git("rev-parse", "HEAD", cwd=tree)
    if not head.startswith(git("rev-parse", commit)):
        raise RuntimeError(f"{tree} is at {head[:9]}, not {commit}")
    link = tree / "models" / "artifacts"
    if not link.is_symlink() and not link.exists():
        # The same built models for both trees: the difference measured is the code's.
        link.symlink_to(ROOT / "models" / "artifacts", target_is_directory=True)
    return tree


def run_worker(tree: Path, conversations: Path, label: str, llm: bool) -> tuple[list[dict[str, Any]], float]:
    """The worker's records for one tree (one dict a conversation) and its wall time."""
    out = OUT_DIR / f"{conversations.stem}-{label}.jsonl"
    cmd = [sys.executable, str(WORKER), "--tree", str(tree), "--conversations", str(conversations)]
    cmd += ["--out", str(out)] + (["--llm"] if llm else [])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the worker picks the tree
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{label} worker failed ({done.returncode}):\n{done.stderr[-4000:]}")
    records = [json.loads(line) for line in out.read_text().split("\n") if line.strip()]
    return records, seconds


# --- summaries --------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.right = self.turns = self.frame_right = self.frames = self.frame_exact = 0

    def add(self, verdict: Verdict) -> None:
        self.turns += 1
        self.right += verdict.right
        if verdict.frame_right is not None:
            self.frames += 1
            self.frame_right += verdict.frame_right
            self.frame_exact += bool(verdict.frame_exact)

    def turns_text(self) -> str:
        return f"{100 * self.right / self.turns:5.1f} % ({self.right}/{self.turns})" if self.turns else "-"

    def frames_text(self) -> str:
        if not self.frames:
            return "-"
        return f"{100 * self.frame_right / self.frames:5.1f} % ({self.frame_right}/{self.frames})"

    def exact_text(self) -> str:
        if not self.frames:
            return "-"
        return f"{100 * self.frame_exact / self.frames:5.1f} % ({self.frame_exact}/{self.frames})"


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Run:
    """One tree's records judged against the conversations."""

    def __init__(
        self, label: str, conversations: list[dict[str, Any]], records: list[dict[str, Any]]
    ) -> None:
        self.label = label
        by_id = {r["id"]: r for r in records}
        self.total = Tally()
        self.kinds: dict[str, Tally] = defaultdict(Tally)
        self.domains: dict[str, Tally] = defaultdict(Tally)
        self.latencies: list[float] = []
        self.failed: list[tuple[dict[str, Any], int, Verdict, dict[str, Any] | None]] = []
        self.broken = 0  # conversations the worker could not finish
        for conv in conversations:
            row = by_id.get(conv["id"], {"turns": [], "failure": "not run"})
            self.broken += bool(row.get("failure"))
            turns = row["turns"]
            self.latencies += [t["elapsed_ms"] for t in turns]
            for index, verdict in enumerate(judge_conversation(conv, turns)):
                expect = conv["turns"][index].get("expect") or {}
                self.total.add(verdict)
                for kind in conv.get("kinds") or ["(none)"]:
                    self.kinds[kind].add(verdict)
                domain = expect.get("domain", "(any)")
                self.domains["(none)" if domain is None else str(domain)].add(verdict)
                if not verdict.right or verdict.frame_exact is False:
                    self.failed.append((conv, index, verdict, turns[index] if index < len(turns) else None))


def print_table(runs: list[Run], n_conversations: int, seconds: dict[str, float]) -> None:
    width = 26
    head = f"{'':24}" + "".join(f"{r.label:>{width}}" for r in runs)
    print(head)
    print("-" * len(head))

    def row(name: str, cells: list[str]) -> None:
        print(f"{name:24}" + "".join(f"{c:>{width}}" for c in cells))

    row("turns right", [r.total.turns_text() for r in runs])
    row("frame accuracy", [r.total.frames_text() for r in runs])
    row("frame exact", [r.total.exact_text() for r in runs])
    row("turns / conversations", [f"{r.total.turns} / {n_conversations}" for r in runs])
    row("conversations broken", [str(r.broken) for r in runs])
    row(
        "turn ms p50 / p95",
        [f"{percentile(r.latencies, 50):.0f} / {percentile(r.latencies, 95):.0f}" for r in runs],
    )
    row("run wall time", [f"{seconds[r.label]:.0f} s" for r in runs])
    for title, attr in (("by kind", "kinds"), ("by domain (expected)", "domains")):
        print(f"\n{title}: turns right | frame accuracy | frame exact")
        keys = sorted({k for r in runs for k in getattr(r, attr)})
        for key in keys:
            tallies = [getattr(r, attr).get(key, Tally()) for r in runs]
            row(f"  {key}", [t.turns_text() for t in tallies])
            if any(t.frames for t in tallies):
                row("    frame", [t.frames_text() for t in tallies])
                row("    frame exact", [t.exact_text() for t in tallies])


def describe_item(item: dict[str, Any]) -> str:
    meta = item.get("meta") or {}
    bits = [str(item.get("title"))]
    if meta.get("genres") or meta.get("styles"):
        bits.append("/".join(map(str, (meta.get("genres") or []) + (meta.get("styles") or [])[:3])))
    for key in ("year", "category", "city"):
        if meta.get(key):
            bits.append(str(meta[key]))
    if item.get("domain") == "music" and item.get("subtitle"):
        bits.append(str(item["subtitle"]))
    return " | ".join(bits)


def print_failures(run: Run, limit: int) -> None:
    print(f"\nfirst {min(limit, len(run.failed))} of {len(run.failed)} wrong turns ({run.label}):")
    for conv, index, verdict, turn in run.failed[:limit]:
        spec = conv["turns"][index]
        print(f"\n[{conv['id']} turn {index + 1}] {spec['say']!r}  kinds={conv.get('kinds')}")
        print(f"  expected: {json.dumps(spec.get('expect'), ensure_ascii=False)}")
        if turn is None:
            print("  not run")
            continue
        print(
            f"  got: act={turn['act']} domain={turn['domain']} intent={turn.get('intent')} "
            f"slots={json.dumps(turn.get('slots'), ensure_ascii=False)}"
        )
        if turn.get("items"):
            print(f"  item: {describe_item(turn['items'][0])}")
        print(f"  response: {turn['response'][:200]}")
        if turn.get("state") is not None:
            print(f"  state: {json.dumps(turn['state'], ensure_ascii=False)}")
        if verdict.misses:
            print(f"  wrong: {'; '.join(verdict.misses)}")
        if verdict.frame_exact is False:
            held = verdict.frame.to_dict() if verdict.frame else {}
            why = verdict.frame_misses + [f"extra {e}" for e in verdict.frame_extras]
            print(f"  frame: {'; '.join(why)}  (held {json.dumps(held)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="dev", help="heldout, dev, or a path to a JSONL file")
    ap.add_argument("--skip-baseline", action="store_true", help="run only this tree")
    ap.add_argument("--failures", type=int, default=0, help="print the first N wrong turns of this tree")
    ap.add_argument("--llm", action="store_true", help="with the local language model (default off)")
    ap.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    args = ap.parse_args()
    path = SETS.get(args.set, Path(args.set)).resolve()  # the workers run in their own trees
    conversations = [json.loads(line) for line in path.read_text().split("\n") if line.strip()]
    print(
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(conversations)} conversations"
    )
    trees: list[tuple[str, Path]] = []
    if not args.skip_baseline:
        trees.append((f"baseline {args.baseline_commit}", baseline_tree(args.baseline_commit)))
    dirty = " +changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    trees.append((f"current {git('rev-parse', '--short', 'HEAD')}{dirty}", ROOT))
    runs, seconds = [], {}
    for label, tree in trees:
        print(f"running {label} ({tree}) ...", flush=True)
        records, seconds[label] = run_worker(tree, path, label.split()[0], args.llm)
        runs.append(Run(label, conversations, records))
    print()
    print_table(runs, len(conversations), seconds)
    if args.failures:
        print_failures(runs[-1], args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
