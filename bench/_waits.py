"""Waits the benches share: an assistant server started and its "ready" line, a player's first sample."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for_server(proc: subprocess.Popen, timeout: float, ready: str, what: str) -> str:
    """The line of ``proc``'s output that says ``ready``; ``RuntimeError`` when it exits or
    ``timeout`` seconds pass first."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if ready in line:
            return line.strip()
    raise RuntimeError(f"{what} did not start in time")


def start_assistant(
    args: list[str], env: dict[str, str] | None, ready: str, timeout: float
) -> tuple[subprocess.Popen, str]:
    """``run_assistant.py ARGS`` started, and its line that says ``ready``; the process is
    stopped again when it does not get there."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run_assistant.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        return proc, wait_for_server(proc, timeout, ready, f"assistant {args[0]}")
    except BaseException:
        proc.terminate()
        proc.wait(timeout=30)
        raise


def wait_first_sample(player, since: float, timeout: float = 5.0) -> float | None:
    """When the player's first sample after ``since`` reached the output (monotonic), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = player.first_sample_at()
        if first is not None and first >= since:
            return first
        time.sleep(0.002)
    return None
