"""Terminal chat in a real pseudo-terminal: prompt_toolkit and rich see a TTY, as a person's
shell gives them; /quit and Ctrl-D leave with exit status 0 and no error."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(240)]
REPO_ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][0-9A-B]|\r")


class Terminal:
    def __init__(self, home: Path) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "ASSISTANT_HOME": str(home), "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # nothing here answers cursor-position requests
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "run_assistant.py"), "--text", "--seed", "1"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.screen = ""
        self.read_to = 0  # what earlier expectations consumed, in the cleaned screen

    def expect(self, pattern: str, timeout: float = 120.0) -> str:
        """Wait until ``pattern`` appears after what the last expectation matched."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            clean = ANSI.sub("", self.screen)
            match = re.compile(pattern).search(clean, self.read_to)
            if match:
                self.read_to = match.end()
                return match.group(0)
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    break
                self.screen += chunk.decode("utf-8", "replace")
        raise AssertionError(f"no {pattern!r} on the screen:\n{ANSI.sub('', self.screen)[-2000:]}")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code


@pytest.mark.parametrize("leave", ["/quit\r", "\x04"], ids=["quit", "ctrl-d"])
def test_one_turn_then_leave_exits_zero(tmp_path, leave):
    term = Terminal(tmp_path / "home")
    # A new data directory: greeted once, with what it can do and what is not set up (rich wraps it).
    term.expect(r"assistant> Hello! I can play music[\s\S]*?Not\s+set\s+up:[\s\S]*?details\.")
    term.expect(r"default>")
    term.send("what's the news\r")
    term.expect(r"assistant> .*(headlines|news)")
    term.expect(r"default>")
    term.send(leave)
    code = term.finish()
    screen = ANSI.sub("", term.screen)
    assert code == 0, screen[-2000:]
    assert "error" not in screen.lower().split("assistant>")[-1]
    logs = list((tmp_path / "home" / "sessions" / "default").glob("*.jsonl"))
    assert len(logs) == 1 and logs[0].read_text().count('"session-end"') == 1
