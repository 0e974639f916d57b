"""Command line: one argparse tree of commands, ``assistant --help`` lists them.

assistant [chat] [--json] [--user NAME] [--seed N] [--now TIME]  terminal chat (the default)
assistant listen [--push-to-talk] [--no-tts] [--wake] [--user NAME] [--seed N]   the microphone
assistant replay FILE [--replay-text]               re-run a recorded session, report differences
assistant enroll NAME [--no-tts]                    teach it NAME's voice (three spoken phrases)
assistant export --user NAME [--out FILE]           everything stored about a user, as JSON
assistant serve [--uri URI] [--no-asr] [--no-tts] ...  Home Assistant's Wyoming protocol
assistant status [--json]                           what is built, in use, online and found
assistant web [--host H] [--port P] [--set-password]  the household's web page (127.0.0.1:8700)
assistant COMMAND ARGS...                           a skill's command (``library scan``)

``--debug`` (before the command, or after chat/listen/replay/serve) also prints logged errors.
This module parses the command line and runs chat and listen; ``assistant.cli_commands`` runs
replay, export, serve, status, web and the skills' commands. The first interactive start with a new
data directory greets the person (``assistant.status.first_start_greeting``); a scripted chat
(standard input not a terminal, or ``--json``) never prints it, so its standard output stays a
line a turn.
Skill commands come from the skill registry (``SkillSpec.commands``), never from this module:
their words reach the skill's handler untouched (``library --help`` is the skill's own help) and
the handler's docstring's first line is its ``--help`` line. Core command names win.

The older flag spellings keep working: when the first word (after any ``--debug``) is an option
other than -h/--help, the old flat parser reads the arguments and ``normalise`` rewrites them as
``--text ...`` -> ``chat ...``, ``--mic ...`` -> ``listen ...``, ``--replay FILE ...`` -> ``replay
FILE ...``, and no mode flag (``--json``, ``--seed 3``) -> ``chat``. Options the mode never used
(``--text --no-tts``) are accepted and dropped, as before.

``chat --now TIME`` is for tests and replays: with it and ``--seed``, ``--json`` prints the same
bytes on every machine on every day (tests/integration/test_golden_cli.py checks it). The clock
stands at TIME: turn N runs at TIME plus N minutes (as golden conversations and replays pin
``wall_time``), and the ``--json`` timings (``elapsed_ms``, ``llm_ms``) read 0. The session log
still records the real timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from assistant import cli_commands
from assistant.cli_commands import (
    SkillHandler,
    export_main,
    replay_main,
    run_skill_command,
    serve_main,
    status_main,
    web_main,
)
from assistant.config import Settings, data_dir
from assistant.logs import setup_logging
from assistant.pipeline.runner import Pipeline, Session, TurnResult
from assistant.web import DEFAULT_HOST as WEB_HOST
from assistant.web import DEFAULT_PORT as WEB_PORT
from assistant.wyoming import DEFAULT_URI

CORE_COMMANDS = ("chat", "listen", "replay", "enroll", "export", "serve", "status", "web")
DEBUG_HELP = "also print logged errors, with tracebacks"
SkillCommand = tuple[str, SkillHandler]  # (skill name, handler)


def build_parser(skill_commands: Mapping[str, SkillCommand] | None = None) -> argparse.ArgumentParser:
    """The command tree: the core's commands, then ``skill_commands`` (see ``skill_commands()``)."""
    p = argparse.ArgumentParser(
        prog="assistant",
        description="Offline voice assistant that recommends. With no command: terminal chat.",
        epilog="The older spellings --text, --mic and --replay FILE still work (chat, listen, replay).",
    )
    p.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands", required=True)

    def command(name: str, summary: str, description: str = "", debug: bool = True):
        c = sub.add_parser(name, help=summary, description=description or summary[:1].upper() + summary[1:])
        if debug:  # absent unless given here, so that it does not undo a --debug before the command
            c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        return c

    def user_and_seed(c: argparse.ArgumentParser) -> None:
        c.add_argument("--user", metavar="NAME", help="whose profile to use (default from config)")
        c.add_argument("--seed", metavar="N", type=int, help="random seed (recorded in the session log)")

    chat = command("chat", "terminal chat, the default (one turn a line when stdin is not a terminal)")
    chat.add_argument("--json", action="store_true", help="print one JSON object per turn")
    user_and_seed(chat)
    now_help = "for tests: turn N runs at TIME (ISO 8601) plus N minutes; --json timings read 0"
    chat.add_argument("--now", metavar="TIME", type=_iso_time, help=now_help)
    listen = command("listen", "listen on the microphone and speak answers")
    listen.add_argument("--push-to-talk", action="store_true", help="press Enter before each utterance")
    listen.add_argument("--no-tts", action="store_true", help="print answers instead of speaking them")
    listen.add_argument("--wake", action="store_true", help="wait for the wake word ([wake] word)")
    user_and_seed(listen)
    replay = command("replay", "re-run a recorded session log and report the turns that differ")
    replay.add_argument("replay", metavar="FILE", type=Path, help="a session log (sessions/USER/ID.jsonl)")
    replay.add_argument("--replay-text", action="store_true", help="replay recorded transcripts, not audio")
    enroll = command("enroll", "teach the assistant a voice (three spoken phrases)", debug=False)
    enroll.add_argument("name", metavar="NAME", help="whose voice (the profile name)")
    enroll.add_argument("--no-tts", action="store_true", help="print the prompts instead of speaking them")
    export = command("export", "export one user's data as JSON", debug=False)
    export.add_argument("--user", metavar="NAME", required=True, help="whose data")
    export.add_argument("--out", metavar="FILE", type=Path, help="file to write (default: standard output)")
    serve = command(
        "serve",
        "serve Home Assistant over the Wyoming protocol",
        "Serve the assistant to Home Assistant over the Wyoming protocol: conversation agent, speech "
        "to text and text to speech. Wyoming has no authentication: bind to a network address "
        "(--uri tcp://0.0.0.0:10700) on a trusted network only.",
    )
    uri_help = f"where to listen (default {DEFAULT_URI}; or unix://PATH)"
    serve.add_argument("--uri", type=_uri, default=DEFAULT_URI, help=uri_help)
    stt_help = "speech model: tiny.en-requests, tiny.en or base (default from config)"
    serve.add_argument("--stt-model", metavar="MODEL", help=stt_help)
    serve.add_argument("--no-asr", action="store_true", help="do not offer speech to text")
    serve.add_argument("--no-tts", action="store_true", help="do not offer text to speech")
    serve.add_argument("--intent", action="store_true", help="also advertise intent recognition (recognize)")
    serve.add_argument("--no-web", action="store_true", help="do not serve the household web page")
    web_where(serve, "--web-host", "--web-port")
    status = command(
        "status",
        "what is built and missing, the models in use, online features, sound devices, data directory",
        "What is built and what is missing, the speech, voice and language models in use, which "
        "online features are on and whether their services answer, the sound devices found, each "
        "skill's own facts (a library's size) and the data directory. Exit status 0 "
        "whatever it finds.",
    )
    status.add_argument("--json", action="store_true", help="print the report as one JSON object")
    timeout_help = "seconds to wait for each online service (default 2; 0 checks none)"
    status.add_argument("--timeout", metavar="S", type=float, default=2.0, help=timeout_help)
    web = command(
        "web",
        f"the household's web page: what plays, talk, people, settings (http://{WEB_HOST}:{WEB_PORT})",
        "Serve the household's web page: what is playing, typed requests, what the assistant knows "
        "of each person (and deleting it), and the settings. Loopback only unless a household "
        "password is set (--set-password, or ASSISTANT_WEB_PASSWORD).",
    )
    web_where(web, "--host", "--port")
    set_help = "store a household password (asked for; needed to serve beyond loopback) and stop"
    web.add_argument("--set-password", action="store_true", help=set_help)
    for name, (skill, handler) in (skill_commands or {}).items():
        doc = (handler.__doc__ or "").strip().partition("\n")[0].rstrip(".")
        summary = f"{doc[:1].lower()}{doc[1:]} ({skill} skill)" if doc else f"a command of the {skill} skill"
        # No option prefix: every word, --help included, reaches the skill's own parser as given.
        c = sub.add_parser(name, help=summary, add_help=False, prefix_chars="\0")
        c.add_argument("args", nargs=argparse.REMAINDER)
        c.set_defaults(skill=skill, handler=handler)
    return p


def web_where(c: argparse.ArgumentParser, host: str, port: str) -> None:
    """The web page's address options (``--host``/``--port``, or ``--web-host``/``--web-port``)."""
    c.add_argument(
        host, metavar="H", default=WEB_HOST, help=f"address to serve the web page on (default {WEB_HOST})"
    )
    c.add_argument(port, metavar="P", type=int, default=WEB_PORT, help=f"its port (default {WEB_PORT})")


def _iso_time(text: str) -> float:
    """``--now``: an ISO 8601 time (local time when it names no offset) as unix seconds."""
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


def _uri(text: str) -> str:
    from assistant.wyoming.server import parse_uri

    try:
        parse_uri(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def skill_commands() -> dict[str, SkillCommand]:
    """Command verb -> (skill, handler) for every command the installed skills declare.

    The lowest-ranked skill keeps a verb two skills declare; a core command's name is never a skill's.
    """
    from assistant.skill_sdk.plugins import discover_specs

    found: dict[str, SkillCommand] = {}
    for spec in discover_specs():
        for name, handler in spec.commands.items():
            if name not in CORE_COMMANDS:
                found.setdefault(name, (spec.name, handler))
    return found


def _flag_parser() -> argparse.ArgumentParser:
    """The flat parser of the flag spellings, as it was before the command tree (help aside)."""
    p = argparse.ArgumentParser(prog="assistant", add_help=False)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--text", action="store_true")
    mode.add_argument("--mic", action="store_true")
    mode.add_argument("--replay", metavar="FILE")
    p.add_argument("--user", default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--now", default=None)
    for flag in ("--json", "--no-tts", "--push-to-talk", "--wake", "--replay-text", "--debug"):
        p.add_argument(flag, action="store_true")
    p.add_argument("-h", "--help", action="store_true")
    return p


def normalise(argv: list[str]) -> list[str]:
    """``argv`` in the command spelling: the flag spellings rewritten (see the module docstring)."""
    first = next((i for i, word in enumerate(argv) if word != "--debug"), len(argv))
    if first == len(argv):
        return [*argv, "chat"]
    if not argv[first].startswith("-") or argv[first] in ("-h", "--help"):
        return argv
    old = _flag_parser().parse_args(argv)

    def given(*names: str) -> list[str]:
        return ["--" + name.replace("_", "-") for name in names if getattr(old, name)]

    if old.replay is not None:  # the file goes last, after "--": it may begin with "-"
        return ["replay", *given("replay_text", "debug", "help"), "--", old.replay]
    new = ["listen", *given("push_to_talk", "no_tts", "wake")] if old.mic else ["chat", *given("json")]
    new += [f"--user={old.user}"] if old.user is not None else []
    new += [f"--seed={old.seed}"] if old.seed is not None else []
    new += [f"--now={old.now}"] if old.now is not None and not old.mic else []
    return new + given("debug", "help")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command and its options; a flag spelling gives what the command it stands for gives."""
    argv = normalise(list(argv))
    word = next((w for w in argv if w != "--debug"), None)
    # Skills are imported only when the arguments may name one of their commands (or ask for help).
    return build_parser({} if word in CORE_COMMANDS else skill_commands()).parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "export":
        return export_main(args)
    if args.command == "serve":
        return serve_main(args)
    if args.command == "web":
        return web_main(args)
    if args.command == "status":
        if args.timeout <= 0:
            args.timeout = None
        return status_main(args)
    if args.command == "enroll":
        from assistant.frontends.enrol import enroll_main

        return enroll_main(args)
    if args.command not in CORE_COMMANDS:
        return run_skill_command(args.skill, args.handler, args.args, debug=args.debug)
    home = data_dir()
    setup_logging(home, debug=args.debug)
    settings = cli_commands.settings_for(home)
    try:
        if args.command == "replay":
            return replay_main(args, home)
        if args.command == "listen":
            return voice_main(args, home, settings)
        return text_main(args, home, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # start-up failures: one clear line, not a traceback
        if cli_commands.is_startup_failure(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


def text_main(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """``assistant chat``: a prompt on a terminal, else a turn a line of standard input."""
    pipeline = cli_commands.build(home, settings)
    session = pipeline.start_session(args.user or settings.default_user, mode="text", seed=args.seed)
    try:
        as_json = getattr(args, "json", False)  # listen falls back to chat, without --json or --now
        now = getattr(args, "now", None)
        if sys.stdin.isatty() and not as_json:
            _interactive(
                pipeline, session, home, now, greeting=_greeting(home, settings, pipeline.skills.specs)
            )
        else:
            _scripted(pipeline, session, as_json, now)
    finally:
        pipeline.end_session(session)
        if pipeline.advisor is not None:
            # The model keeps every prompt read by now for the next start (written at exit): a
            # one-shot start that ended mid warm-up left the next start prompts to read while its
            # first request waited (LLM warm-up, assistant/llm/advisor.py).
            pipeline.advisor.finish_warming()
    return 0


def _handle_command(line: str, pipeline: Pipeline, session: Session) -> tuple[Session, str | None]:
    """Slash commands; returns the (possibly new) session and a message, or None to quit."""
    cmd, _, arg = line[1:].partition(" ")
    if cmd in ("quit", "exit", "q"):
        return session, None
    if cmd == "help":
        return session, pipeline.help_text()
    if cmd == "user":
        name = arg.strip()
        if not name:
            return session, f"You are '{session.user}'. Use /user NAME to switch."
        pipeline.switch_user(session, name)
        note = " Guest mode: nothing is recorded." if not session.records else ""
        return session, f"Hello {session.user}.{note}"
    return session, f"Unknown command /{cmd}. Try /help."


def _wall_times(now: float | None) -> Iterator[float | None]:
    """Each turn's wall time: ``--now`` plus a minute a turn, or None (the machine's clock)."""
    return (None if now is None else now + 60 * n for n in itertools.count(1))


def turn_json(result: TurnResult, timings: bool = True) -> str:
    """The ``--json`` line of a turn; without ``timings`` (``--now``) ``elapsed_ms`` and ``llm_ms`` read 0."""
    summary = result.summary()
    if not timings:
        summary.update(elapsed_ms=0.0, llm_ms=0.0)
    return json.dumps(summary, ensure_ascii=False)


def _scripted(pipeline: Pipeline, session: Session, as_json: bool, now: float | None = None) -> None:
    wall_times = _wall_times(now)
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("/"):
            session, message = _handle_command(line, pipeline, session)
            if message is None:
                break
            if not as_json:
                print(message, flush=True)
            continue
        result = pipeline.run_turn(session, text=line, wall_time=next(wall_times))
        print(turn_json(result, timings=now is None) if as_json else result.response, flush=True)


def _greeting(home: Path, settings: Settings, specs: list) -> str | None:
    """The first start's greeting (None after it, and None when it cannot be worked out: a
    greeting must never stop the assistant from starting)."""
    from assistant.status import first_start_greeting

    try:
        return first_start_greeting(home, settings, specs)
    except Exception:
        logging.getLogger(__name__).exception("the first start's greeting failed")
        return None


def _interactive(
    pipeline: Pipeline, session: Session, home: Path, now: float | None = None, greeting: str | None = None
) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from rich.console import Console

    console = Console()
    wall_times = _wall_times(now)
    prompt = PromptSession(history=FileHistory(str(home / "prompt_history")))
    console.print(
        f"[bold]Offline assistant[/bold] — you are [cyan]{session.user}[/cyan]. /help for help, /quit to leave."
    )
    if greeting:
        from rich.markup import escape

        console.print(f"[green]assistant>[/green] {escape(greeting)}")
    while True:
        try:
            line = prompt.prompt(f"{session.user}> ")
        except EOFError:
            break
        if line.startswith("/"):
            session, message = _handle_command(line.strip(), pipeline, session)
            if message is None:
                break
            console.print(message)
            continue
        _print_turn(console, pipeline.run_turn(session, text=line, wall_time=next(wall_times)))


def _print_turn(console, result: TurnResult) -> None:
    from rich.markup import escape

    console.print(f"[green]assistant>[/green] {escape(result.response)}")
    if result.parse is not None:
        parse = result.parse
        slots = ", ".join(f"{k}={v}" for k, v in parse.slots.items())
        acted = result.intent or parse.intent
        heard = (
            f"{acted} ({parse.confidence:.2f})"
            if acted == parse.intent
            else (f"{acted} (read as a follow-on; the classifier said {parse.intent} {parse.confidence:.2f})")
        )
        console.print(f"[dim]  {escape(heard)} {escape(slots)}[/dim]")


def voice_main(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """``assistant listen``: voice mode, or the chat when no microphone or speech model can be had."""
    try:
        from assistant.frontends.voice_loop import VoiceUnavailableError, run_voice
    except ImportError:
        print("error: voice mode is not installed in this build; use chat", file=sys.stderr)
        return 1
    from assistant.skill_sdk.plugins import discover_specs

    greeting = _greeting(home, settings, discover_specs())
    if greeting:  # a person at a terminal reads it; a script reading standard output does not get it
        print(greeting, file=sys.stdout if sys.stdout.isatty() else sys.stderr, flush=True)
    try:
        return run_voice(args, home, settings)
    except VoiceUnavailableError as exc:
        print(f"voice mode unavailable: {exc}. Falling back to text chat.", file=sys.stderr)
        return text_main(args, home, settings)
