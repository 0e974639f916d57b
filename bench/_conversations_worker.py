"""Runs conversations through one source tree's real pipeline; JSON lines out (one a conversation).

Started by ``bench/conversations.py``, once for the tree as it is and once for a baseline
worktree. ``--tree`` goes first on ``sys.path`` before ``assistant`` is imported, so the
baseline's own ``assistant`` and ``skills`` are the ones that run (the editable install's finder
comes after the path entries). This file must therefore run on any tree it is pointed at: it
uses only what the pipeline offered at the baseline commit.

    python bench/_conversations_worker.py --tree ROOT --conversations FILE --out FILE [--llm]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

# The pinned clock of tests/integration/test_conversations.py: "tomorrow" means the same day in every run.
START_WALL_TIME = 1795435200.0
SEED = 7


def _environment(llm: bool, home: Path) -> None:
    """What tests/conftest.py sets, before anything reads it (skills read ASSISTANT_HOME at load)."""
    os.environ["ASSISTANT_HOME"] = str(home)
    os.environ["ASSISTANT_OFFLINE"] = "1"  # no skill probes the network
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if llm:
        os.environ.pop("ASSISTANT_LLM", None)  # Settings' default (on when the weights are built)
    else:
        os.environ["ASSISTANT_LLM"] = "off"
    # Offers read the local clock (a Friday evening): one time zone whatever the machine's.
    os.environ["TZ"] = "UTC"
    time.tzset()


def _plain(value: Any) -> Any:
    """JSON for what items carry in ``meta`` (numpy numbers, sets)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tree", type=Path, required=True, help="the source tree whose assistant runs")
    ap.add_argument("--conversations", type=Path, required=True, help="JSONL conversation file")
    ap.add_argument("--out", type=Path, required=True, help="JSONL results, one line a conversation")
    ap.add_argument("--llm", action="store_true", help="with the local language model")
    args = ap.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    scratch = Path(tempfile.mkdtemp(prefix="conv-bench-"))
    _environment(args.llm, scratch / "worker-home")

    import assistant
    from assistant.app import default_skills, open_store, skill_for
    from assistant.config import Settings
    from assistant.nlu import load_nlu

    try:
        from assistant.contracts.events import DialogueEnd
        from assistant.pipeline.runner import Pipeline
    except ModuleNotFoundError:  # the baseline tree, from before the packages by layer
        from assistant.events import DialogueEnd

        from assistant.pipeline import Pipeline

    loaded_from = Path(assistant.__file__).resolve()
    if loaded_from != tree / "assistant" / "__init__.py":
        print(f"assistant was imported from {loaded_from}, not from {tree}", file=sys.stderr)
        return 2

    settings = Settings()
    llm = None
    if args.llm:
        from assistant.llm.loader import load_language_model

        llm, note = load_language_model(settings)
        if note:
            print(f"warning: {note}", file=sys.stderr)
    nlu = load_nlu()

    def pipeline_in(home: Path) -> Pipeline:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["ASSISTANT_HOME"] = str(home)
        extra = {"llm": llm} if llm is not None else {}
        return Pipeline(nlu, open_store(home), home, skill_for, settings, **extra)

    # Load every skill and run each one's first example once, so the first conversation's
    # latencies are not its loading times (the skills are shared by all conversations).
    warm = pipeline_in(scratch / "warm-up")
    if warm.advisor is not None:
        warm.advisor.warm()
    session = warm.start_session("bench", seed=SEED)
    for spec in default_skills().specs:
        try:
            skill_for(spec.name)
        except Exception as exc:  # as in the app: the skill's turns answer with this message
            print(f"warning: {exc}", file=sys.stderr)
            continue
        # SkillSpec in parts, or flat at the baseline commit (its examples a top-level field).
        examples = spec.phrasing.examples if hasattr(spec, "phrasing") else getattr(spec, "examples", ())
        if examples:
            warm.run_turn(session, text=examples[0], wall_time=START_WALL_TIME)
    warm.end_session(session)
    warm.store.close()

    lines = [json.loads(line) for line in args.conversations.read_text().split("\n") if line.strip()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with args.out.open("w") as out:
        for number, conversation in enumerate(lines):
            home = scratch / f"c{number}"
            pipeline = pipeline_in(home)
            records: list[dict[str, Any]] = []
            failure = None
            try:
                session = pipeline.start_session("bench", seed=SEED)
                for n, turn in enumerate(conversation["turns"], start=1):
                    result = pipeline.run_turn(session, text=turn["say"], wall_time=START_WALL_TIME + 60 * n)
                    end = next((e for e in result.events if isinstance(e, DialogueEnd)), None)
                    errors = [e for e in result.events if e.type == "error"]
                    summary = result.summary()
                    records.append(
                        {
                            "say": turn["say"],
                            "act": end.act if end else None,
                            "domain": end.domain if end else None,
                            "slots": dict(end.slots) if end else {},
                            "intent": end.intent if end else None,
                            "nlu_intent": summary.get("nlu_intent"),
                            "nlu_slots": summary.get("slots") or {},
                            "items": [i.to_dict() for i in result.items],
                            "response": result.response,
                            "state": summary.get("state"),
                            "understood_by": summary.get("understood_by"),
                            "elapsed_ms": result.elapsed_ms,
                            "error": f"{errors[0].error}: {errors[0].message}" if errors else None,
                        }
                    )
                pipeline.end_session(session)
            except Exception:  # the conversation's later turns are judged not run; the rest go on
                failure = traceback.format_exc()
                print(f"{conversation.get('id')}: {failure}", file=sys.stderr)
            finally:
                pipeline.store.close()
                shutil.rmtree(home, ignore_errors=True)
            row = {"id": conversation.get("id"), "turns": records, "failure": failure}
            # ASCII escapes: a response with U+2028 in it would split the line for readers
            # that split on every Unicode line break (str.splitlines).
            out.write(json.dumps(row, default=_plain) + "\n")
            out.flush()
    print(
        json.dumps(
            {
                "tree": str(tree),
                "assistant": str(loaded_from),
                "conversations": len(lines),
                "seconds": round(time.perf_counter() - started, 1),
                "llm": llm is not None,
            }
        ),
        file=sys.stderr,
    )
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
