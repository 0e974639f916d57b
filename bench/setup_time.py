"""How long a new user waits: a fresh clone's ``./setup.sh --only``, step by step, then a second run.

The clone is made from this checkout's committed ``HEAD`` into a new folder, with an empty pip
cache (``PIP_CACHE_DIR``) and no ``.venv`` or ``models/artifacts``: every Python package is
downloaded and every model built, as on a new machine. System packages are what this machine
already has (they cannot be removed to time their install; ``apt-get`` is a few minutes on a
fresh machine and is named as not measured). Each line setup prints that starts a step
(``==> ...``) or ends a model build (``[nlu] ... (331.7s)``) is timed as it arrives. Then
``./setup.sh --only`` runs again in the same clone: everything is up to date, so it must be fast.

Targets (the first-run issue): the first run to the prompt <= 12 minutes, a second run <= 30 s.

    .venv/bin/python bench/setup_time.py [--keep] [--clone-to DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_TARGET_S = 12 * 60
SECOND_TARGET_S = 30
STEP = re.compile(r"==> (?P<step>.+?)(?:\x1b\[0m)?$")
BUILT = re.compile(r"^\[(?P<name>[\w-]+)\] (?P<summary>.*) \((?P<seconds>[\d.]+)s\)$")


def timed_setup(clone: Path, env: dict[str, str]) -> tuple[float, list[tuple[str, float]], int]:
    """Run ``./setup.sh --only`` in ``clone``: (total seconds, [(step, seconds)], exit code)."""
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    current, since = "start", started
    process = subprocess.Popen(
        ["./setup.sh", "--only"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip("\n")
        now = time.perf_counter()
        step = STEP.search(line)
        built = BUILT.match(line.strip())
        if step:
            steps.append((current, now - since))
            current, since = step.group("step"), now
            print(f"  {now - started:7.1f} s  {line.strip()}", flush=True)
        elif built:
            print(
                f"  {now - started:7.1f} s    [{built['name']}] {float(built['seconds']):.1f} s", flush=True
            )
            steps.append((f"  model: {built['name']}", float(built["seconds"])))
    code = process.wait()
    end = time.perf_counter()
    steps.append((current, end - since))
    return end - started, steps, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone-to", type=Path, default=None, help="where to clone (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    args = parser.parse_args(argv)
    base = args.clone_to or Path(tempfile.mkdtemp(prefix="setup-time-"))
    clone = base / "assistant"
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True
    ).stdout
    print(f"fresh clone of {head.strip()} in {clone}; empty pip cache; system packages already present")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "VIRTUAL_ENV"))}
    env["PIP_CACHE_DIR"] = str(base / "pip-cache")
    try:
        first, steps, code = timed_setup(clone, env)
        if code != 0:
            print(f"setup failed (exit {code})")
            return 1
        second, _, code = timed_setup(clone, env)
        print(f"\n== {head.strip()}: fresh clone to setup complete, per step (load average {os.getloadavg()[0]:.1f}, "
              f"{os.cpu_count()} cores)")  # fmt: skip
        for name, seconds in steps:
            if name != "start" or seconds >= 1:
                print(f"  {name:<58} {seconds:7.1f} s")
        met = "met" if first <= FIRST_TARGET_S else "NOT met"
        print(
            f"first run   {first / 60:6.1f} min   (target <= {FIRST_TARGET_S // 60} min: {met}; apt-get not measured)"
        )
        met = "met" if second <= SECOND_TARGET_S and code == 0 else "NOT met"
        print(f"second run  {second:6.1f} s     (target <= {SECOND_TARGET_S} s: {met})")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
