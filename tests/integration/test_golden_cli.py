"""``assistant --text --json`` prints, byte for byte, the checked-in answer to a fixed conversation.

tests/data/golden_cli/conversation.in is what a person types (music, a "why?", a like, a
situation offer, news and "more about that", weather and "what about tomorrow", films and
"something like it", ``/user bob``, a history question, ``/quit``); conversation.jsonl is the
one ``--json`` line per turn the assistant printed for it. The assistant runs as a process, as a
script would run it: a fresh ASSISTANT_HOME, no language model (ASSISTANT_LLM=off), no network
(ASSISTANT_OFFLINE=1), UTF-8 output.

What could vary is pinned, so the bytes are the same on every machine on every day:

- the random choices: ``--seed 7`` (each turn draws from ``Random(f"{seed}:{turn}")``);
- the clock: ``--now 2026-06-05T18:30:00+00:00`` (a Friday evening): turn N runs at that time
  plus N minutes, so "tomorrow", "what did i listen to today" and the situation offers ("something
  to dance to for a Friday evening") read the pinned time, never today's date;
- the time zone: TZ=UTC (local time decides the day and the part of the day);
- the timings: with ``--now`` the ``elapsed_ms`` and ``llm_ms`` fields read 0.0.

A failure means the assistant now says or understands something else for the same words: an
NLU model rebuilt or retrained (``intent``, ``confidence``, ``slots``), a catalog or recommender
change (``items``, ``reasons``), a dialogue or phrasing change (``response``, ``state``), or a
change to the ``--json`` fields themselves. If the change is meant, regenerate the file and
review its diff like code:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/integration/test_golden_cli.py
    git diff tests/data/golden_cli/

If it is not meant, the first differing turn in the failure message is where to start. A
difference only on some machines would be a nondeterminism that ``--seed``/``--now`` do not pin
(and that ``assistant replay`` would report too).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(300)]
REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = REPO_ROOT / "tests" / "data" / "golden_cli"
ARGS = ["--text", "--json", "--seed", "7", "--now", "2026-06-05T18:30:00+00:00"]


def run_cli(home: Path, said: bytes) -> bytes:
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_LLM": "off",
        "ASSISTANT_OFFLINE": "1",
        "TZ": "UTC",
        "PYTHONIOENCODING": "utf-8",  # "°C" and curly quotes, whatever the locale
    }
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), *ARGS],
        input=said,
        capture_output=True,
        timeout=240,
        cwd=REPO_ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    return done.stdout


def first_difference(want: bytes, got: bytes) -> str:
    """The first turn that differs, field by field, then a unified diff of the lines."""
    old, new = want.decode("utf-8").splitlines(), got.decode("utf-8").splitlines()
    lines = []
    for number, (was, now) in enumerate(zip(old, new, strict=False), start=1):
        if was != now:
            try:
                a, b = json.loads(was), json.loads(now)
            except json.JSONDecodeError:
                lines.append(f"turn {number} differs (not JSON)")
                break
            lines.append(f"turn {number} ({a.get('text')!r}) differs:")
            for key in dict.fromkeys([*a, *b]):
                if a.get(key, "<absent>") != b.get(key, "<absent>"):
                    lines.append(f"  {key}: expected {a.get(key, '<absent>')!r}")
                    lines.append(f"  {' ' * len(key)}       got {b.get(key, '<absent>')!r}")
            break
    if len(old) != len(new):
        lines.append(f"expected {len(old)} lines, got {len(new)}")
    diff = difflib.unified_diff(old, new, "conversation.jsonl", "now", lineterm="", n=0)
    return "\n".join([*lines, "", *list(diff)[:40]])


def test_json_output_is_byte_identical_to_the_golden_file(tmp_path: Path):
    said = (GOLDEN / "conversation.in").read_bytes()
    got = run_cli(tmp_path / "home", said)
    expected = GOLDEN / "conversation.jsonl"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_bytes(got)
        pytest.skip(f"UPDATE_GOLDEN=1: wrote {expected.relative_to(REPO_ROOT)}; review its git diff")
    want = expected.read_bytes()
    assert got == want, "the --json output differs from the golden file:\n" + first_difference(want, got)
    # The file is what a reader expects of it: a line per turn, the pinned timings.
    turns = [json.loads(line) for line in want.decode("utf-8").splitlines()]
    typed = said.decode("utf-8").splitlines()
    assert [t["text"] for t in turns] == [line for line in typed[: typed.index("/quit")] if line[:1] != "/"]
    assert {(t["elapsed_ms"], t["llm_ms"]) for t in turns} == {(0.0, 0.0)}
