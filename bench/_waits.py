"""Waits the benches share: a server's "ready" line on its output, a player's first sample."""

from __future__ import annotations

import subprocess
import time


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


def wait_first_sample(player, since: float, timeout: float = 5.0) -> float | None:
    """When the player's first sample after ``since`` reached the output (monotonic), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = player.first_sample_at()
        if first is not None and first >= since:
            return first
        time.sleep(0.002)
    return None
