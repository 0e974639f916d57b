"""The command tree (assistant/cli.py): ``--help`` names every command, skills' commands come
from the registry, the older flag spellings parse to what the commands they stand for parse to,
and a wrong command is exit status 2 with one clear line. No model is loaded (but the last test)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import CORE_COMMANDS, main, parse_args, skill_commands

pytestmark = pytest.mark.timeout(120)
REPO_ROOT = Path(__file__).resolve().parents[2]


def help_text(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_names_every_command(capsys):
    text = help_text(capsys, ["--help"])
    installed = skill_commands()
    assert "library" in installed  # the music skill's, found through the registry
    for name in (*CORE_COMMANDS, *installed):
        assert f"\n    {name} " in text, (name, text)
    for name in CORE_COMMANDS:  # and each command has its own help
        assert f"usage: assistant {name}" in help_text(capsys, [name, "--help"])


@pytest.fixture
def dice_command(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict]]:
    """A skill declaring ``assistant roll`` (and trying to take ``serve``), as the only skill."""
    import assistant.skill_sdk.plugins
    from tests.support.fakes import SPEC

    calls: list[tuple[list[str], dict]] = []

    def roll(argv: list[str], settings) -> int:
        """Roll the dice from the command line.

        More words that stay out of --help.
        """
        calls.append((argv, dict(settings)))
        return 3

    def serve(argv: list[str], settings) -> int:
        raise AssertionError("a skill took a core command")

    spec = dataclasses.replace(SPEC, commands={"roll": roll, "serve": serve})
    monkeypatch.setattr(assistant.skill_sdk.plugins, "discover_specs", lambda: [spec])
    return calls


def test_skill_commands_come_from_the_registry_and_get_their_words_untouched(
    capsys, dice_command, assistant_home: Path
):
    text = help_text(capsys, ["--help"])
    assert "    roll      roll the dice from the command line (tea skill)" in text
    assert "library" not in text and "More words" not in text
    assistant_home.mkdir(parents=True)
    (assistant_home / "config.toml").write_text("[tea]\nstrength = 2\n")
    assert main(["roll", "--help", "2d6", "--debug", "--", "-x"]) == 3
    assert main(["--debug", "roll"]) == 3
    assert dice_command == [
        (["--help", "2d6", "--debug", "--", "-x"], {"strength": 2}),
        ([], {"strength": 2}),
    ]
    assert list(skill_commands()) == ["roll"] and text.count("\n    serve ") == 1  # "serve" stays the core's


OLD_AND_NEW = [
    ([], ["chat"]),
    (["--text"], ["chat"]),
    (["--text", "--json"], ["chat", "--json"]),
    (
        ["--text", "--json", "--user", "ann", "--seed", "4"],
        ["chat", "--json", "--user", "ann", "--seed", "4"],
    ),
    (["--json", "--seed", "4", "--text"], ["chat", "--json", "--seed", "4"]),
    (["--json", "--seed", "-1"], ["chat", "--json", "--seed", "-1"]),
    (
        ["--text", "--json", "--seed", "7", "--now", "2026-06-05T18:30:00+00:00"],
        ["chat", "--json", "--seed", "7", "--now", "2026-06-05T18:30:00+00:00"],
    ),
    (["--text", "--user", ""], ["chat", "--user", ""]),
    (["--debug"], ["chat", "--debug"]),
    (["--text", "--debug"], ["--debug", "chat"]),
    (["--text", "--no-tts", "--wake", "--replay-text"], ["chat"]),  # options the mode never used
    (["--mic"], ["listen"]),
    (["--mic", "--now", "2026-06-05T18:30"], ["listen"]),  # the chat's option, as --mic --json was
    (["--mic", "--push-to-talk", "--no-tts"], ["listen", "--push-to-talk", "--no-tts"]),
    (
        ["--mic", "--wake", "--user", "tester", "--seed", "3"],
        ["listen", "--wake", "--user", "tester", "--seed", "3"],
    ),
    (["--replay", "s.jsonl"], ["replay", "s.jsonl"]),
    (["--replay", "s.jsonl", "--replay-text"], ["replay", "s.jsonl", "--replay-text"]),
    (["--debug", "--replay=-odd.jsonl"], ["replay", "--debug", "--", "-odd.jsonl"]),
]


@pytest.mark.parametrize(
    ("old", "new"), OLD_AND_NEW, ids=[" ".join(old) or "nothing" for old, _ in OLD_AND_NEW]
)
def test_old_spelling_parses_as_the_new_one(old: list[str], new: list[str]):
    was, now = parse_args(old), parse_args(new)
    assert was == now
    assert was.command == next(w for w in new if not w.startswith("-"))


def test_commands_that_were_already_commands_keep_their_options():
    serve = parse_args(
        [
            "serve",
            "--uri",
            "unix:///tmp/a.sock",
            "--stt-model",
            "base",
            "--no-asr",
            "--no-tts",
            "--intent",
            "--debug",
        ]
    )
    assert vars(serve) == {
        "command": "serve",
        "uri": "unix:///tmp/a.sock",
        "stt_model": "base",
        "no_asr": True,
        "no_tts": True,
        "intent": True,
        "debug": True,
        # the household web page beside it (added later; the options above are unchanged)
        "no_web": False,
        "web_host": "127.0.0.1",
        "web_port": 8700,
    }
    web = parse_args(["web", "--host", "0.0.0.0", "--port", "8080"])
    assert (web.command, web.host, web.port, web.set_password) == ("web", "0.0.0.0", 8080, False)
    assert parse_args(["serve"]).uri == "tcp://127.0.0.1:10700" and not parse_args(["serve"]).debug
    export = parse_args(["export", "--user", "alice", "--out", "alice.json"])
    assert (export.command, export.user, export.out) == ("export", "alice", Path("alice.json"))
    enroll = parse_args(["enroll", "alice", "--no-tts"])
    assert (enroll.command, enroll.name, enroll.no_tts) == ("enroll", "alice", True)
    library = parse_args(["library", "scan", "/music", "--help"])
    assert (library.command, library.skill, library.args) == (
        "library",
        "music",
        ["scan", "/music", "--help"],
    )


def test_a_skill_command_help_is_the_skill_own(capsys):
    assert "usage: assistant library" in help_text(capsys, ["library", "--help"])


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--text", "--mic"], "argument --mic: not allowed with argument --text"),
        (["--text", "--verbose"], "unrecognized arguments: --verbose"),
        (["chat", "--mic"], "unrecognized arguments: --mic"),
        (["serve", "--uri", "http://x"], "use tcp://HOST:PORT or unix://PATH"),
        (["export"], "the following arguments are required: --user"),
        (["chat", "--now", "friday"], "argument --now: not an ISO 8601 time: 'friday'"),
        (["replay"], "the following arguments are required: FILE"),
    ],
)
def test_a_wrong_command_line_is_status_2_with_one_clear_line(capsys, argv: list[str], says: str):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert says in capsys.readouterr().err


def test_now_pins_each_turn_wall_time_and_the_json_timings(fake_pipeline, monkeypatch, capsys):
    """``chat --now TIME``: turn N runs at TIME plus N minutes (the session log's ``wall_time``,
    what the skills and the situation read), and ``--json`` prints ``elapsed_ms``/``llm_ms`` as 0."""
    import io

    import assistant.cli_commands

    monkeypatch.setattr(assistant.cli_commands, "build", lambda home, settings, **kwargs: fake_pipeline)
    said = b"what's the news\n/user bob\nwhat's the news\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(said), encoding="utf-8"))
    assert main(["--text", "--json", "--seed", "3", "--now", "2026-06-05T18:30:00Z"]) == 0
    turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(turns) == 2 and {(t["elapsed_ms"], t["llm_ms"]) for t in turns} == {(0.0, 0.0)}
    logs = [
        log for user in ("default", "bob") for log in (fake_pipeline.data_dir / "sessions" / user).glob("*")
    ]
    events = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    start = 1780684200.0  # 2026-06-05 18:30 UTC; the clock goes on across /user
    assert [e["wall_time"] for e in events if e["type"] == "turn-start"] == [start + 60, start + 120]
    assert all(e["elapsed_ms"] > 0 for e in events if e["type"] == "turn-end")  # the log keeps the real ones


def test_unknown_command_from_the_entry_point(assistant_home: Path):
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), "frobnicate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith("assistant: error: argument COMMAND: invalid choice")


@pytest.mark.artifacts
@pytest.mark.timeout(300)
def test_chat_prints_what_text_printed(tmp_path: Path):
    said = "play some jazz\nwhy\n/user bob\nwhat's the weather in chicago\n"

    def run(*argv: str) -> str:  # each in a fresh data directory: the first run's history would count
        done = subprocess.run(
            [sys.executable, str(REPO_ROOT / "run_assistant.py"), *argv],
            input=said,
            capture_output=True,
            text=True,
            timeout=240,
            cwd=REPO_ROOT,
            env={**os.environ, "ASSISTANT_HOME": str(tmp_path / argv[0].strip("-"))},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def turns(out: str) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if k != "elapsed_ms"} for line in out.splitlines()]

    old, new = run("--text", "--json", "--seed", "5"), run("chat", "--json", "--seed", "5")
    assert len(turns(old)) == 3 and turns(old) == turns(new)  # the same but for the timings
