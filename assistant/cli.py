"""Command line: terminal chat (--text), voice (--mic), replay (--replay) and data export.

assistant --text [--json] [--user NAME]      chat; scripted when stdin is not a terminal
assistant --mic [--push-to-talk] [--no-tts]  talk through the microphone
assistant --mic --wake                       ... answering only after the wake word ("okay nabu")
assistant enroll NAME                        teach it NAME's voice (three spoken phrases)
assistant --replay FILE [--replay-text]      re-run a recorded session, report differences
assistant export --user NAME [--out FILE]    write everything stored about a user as JSON
assistant serve [--uri tcp://127.0.0.1:10700] serve Home Assistant over the Wyoming protocol
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from assistant.config import Settings, data_dir, load_settings
from assistant.contracts.events import EventFormatError
from assistant.logs import setup_logging
from assistant.pipeline.runner import Pipeline, Session, TurnResult


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="assistant", description="Offline voice assistant that recommends.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--text", action="store_true", help="terminal chat (the default)")
    mode.add_argument("--mic", action="store_true", help="listen on the microphone and speak answers")
    mode.add_argument("--replay", metavar="FILE", type=Path, help="replay a recorded session log")
    p.add_argument("--json", action="store_true", help="print one JSON object per turn")
    p.add_argument("--user", default=None, help="whose profile to use (default from config)")
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in the session log)")
    p.add_argument("--no-tts", action="store_true", help="print answers instead of speaking them")
    p.add_argument("--push-to-talk", action="store_true", help="press Enter before each utterance")
    p.add_argument("--wake", action="store_true", help="--mic: wait for the wake word ([wake] word)")
    p.add_argument("--replay-text", action="store_true", help="replay recorded transcripts, not audio")
    p.add_argument("--debug", action="store_true", help="also print logged errors, with tracebacks")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["export"]:
        return export_main(argv[1:])
    if argv[:1] == ["serve"]:
        return serve_main(argv[1:])
    if argv[:1] == ["enroll"]:
        from assistant.frontends.enrol import enroll_main

        return enroll_main(argv[1:])
    if argv and not argv[0].startswith("-"):
        command = skill_command(argv[0])
        if command is not None:
            return run_skill_command(*command, argv[1:])
    args = parse_args(argv)
    home = data_dir()
    setup_logging(home, debug=args.debug)
    settings = load_settings(home / "config.toml")
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        if args.replay:
            return replay_main(args, home)
        if args.mic:
            return voice_main(args, home, settings)
        return text_main(args, home, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # start-up failures: one clear line, not a traceback
        from assistant.artifacts import ArtifactMissingError

        if isinstance(exc, (ArtifactMissingError, OSError)) or type(exc).__name__.endswith("Error"):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


def skill_command(name: str):
    """(skill name, handler) for a command verb an installed skill declares, or None."""
    from assistant.skill_sdk.plugins import discover_specs

    for spec in discover_specs():
        if name in spec.commands:
            return spec.name, spec.commands[name]
    return None


def run_skill_command(skill: str, handler, argv: list[str]) -> int:
    """A skill's own command (``assistant library scan``) with that skill's settings section."""
    home = data_dir()
    setup_logging(home)
    settings = load_settings(home / "config.toml")
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return int(handler(argv, settings.skill_settings(skill)) or 0)


def _build(home: Path, settings, **kwargs) -> Pipeline:
    from assistant.app import build_pipeline

    return build_pipeline(home, settings, **kwargs)


def text_main(args: argparse.Namespace, home: Path, settings) -> int:
    pipeline = _build(home, settings)
    session = pipeline.start_session(args.user or settings.default_user, mode="text", seed=args.seed)
    try:
        if sys.stdin.isatty() and not args.json:
            _interactive(pipeline, session, home)
        else:
            _scripted(pipeline, session, args.json)
    finally:
        pipeline.end_session(session)
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


def _scripted(pipeline: Pipeline, session: Session, as_json: bool) -> None:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("/"):
            session, message = _handle_command(line, pipeline, session)
            if message is None:
                break
            if not as_json:
                print(message, flush=True)
            continue
        result = pipeline.run_turn(session, text=line)
        print(json.dumps(result.summary(), ensure_ascii=False) if as_json else result.response, flush=True)


def _interactive(pipeline: Pipeline, session: Session, home: Path) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from rich.console import Console

    console = Console()
    prompt = PromptSession(history=FileHistory(str(home / "prompt_history")))
    console.print(
        f"[bold]Offline assistant[/bold] — you are [cyan]{session.user}[/cyan]. /help for help, /quit to leave."
    )
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
        _print_turn(console, pipeline.run_turn(session, text=line))


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


def replay_main(args: argparse.Namespace, home: Path) -> int:
    from assistant.pipeline.replay import replay_session

    # A fresh configuration, not this machine's config.toml: a replay must not reach the network
    # or change with the user's settings. Only the recorded speech model is kept.
    os.environ["ASSISTANT_OFFLINE"] = "1"  # skills' "auto" network features stay off
    settings = Settings()
    settings.stt_model = _recorded_stt_model(args.replay) or settings.stt_model
    stt_model = None if args.replay_text else settings.stt_model

    def build(tmp_home: Path) -> Pipeline:
        return _build(tmp_home, settings, stt_model=stt_model if _has_audio(args.replay) else None)

    def show(rec, said, response, diff) -> None:
        if diff is None:
            print(f"turn {rec.number}: same   | {said}")
            return
        print(f"turn {rec.number}: DIFFERS | {said}")
        for name, (was, now) in diff.fields.items():
            print(f"    {name}: recorded {was!r}\n    {' ' * len(name)}  now      {now!r}")

    try:
        report = replay_session(args.replay, build, use_audio=not args.replay_text, on_turn=show)
    except EventFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verdict = "identical" if report.identical else f"{len(report.diffs)} of {report.turns} turns differ"
    print(f"replayed {report.turns} turns: {verdict}")
    return 0 if report.identical else 1


def _recorded_stt_model(path: Path) -> str | None:
    from assistant.pipeline.replay import load_recording

    try:
        start, _ = load_recording(path)
    except EventFormatError:
        return None
    model = start.settings.get("stt_model")
    return model if isinstance(model, str) and model else None


def _has_audio(path: Path) -> bool:
    from assistant.pipeline.replay import load_recording

    try:
        _, turns = load_recording(path)
    except EventFormatError:
        return False
    return any(t.start.audio for t in turns)


def voice_main(args: argparse.Namespace, home: Path, settings) -> int:
    try:
        from assistant.frontends.voice_loop import VoiceUnavailableError, run_voice
    except ImportError:
        print("error: voice mode is not installed in this build; use --text", file=sys.stderr)
        return 1
    try:
        return run_voice(args, home, settings)
    except VoiceUnavailableError as exc:
        print(f"voice mode unavailable: {exc}. Falling back to text chat.", file=sys.stderr)
        return text_main(args, home, settings)


def export_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="assistant export", description="Export one user's data as JSON.")
    p.add_argument("--user", required=True)
    p.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    args = p.parse_args(argv)
    from assistant.app import open_store
    from assistant.pipeline.session_log import recordings_dir, sessions_dir

    home = data_dir()
    store = open_store(home)
    user = args.user.strip().lower()
    data = store.export_user(user)
    data["files"] = [
        str(p.relative_to(home))
        for folder in (sessions_dir(home, user), recordings_dir(home, user))
        if folder.exists()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        args.out.chmod(0o600)
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def serve_main(argv: list[str]) -> int:
    from assistant.wyoming.server import DEFAULT_URI, parse_uri, run_server

    p = argparse.ArgumentParser(
        prog="assistant serve",
        description="Serve the assistant to Home Assistant over the Wyoming protocol: conversation "
        "agent, speech to text and text to speech. Wyoming has no authentication: bind to a "
        "network address (--uri tcp://0.0.0.0:10700) on a trusted network only.",
    )
    p.add_argument(
        "--uri", default=DEFAULT_URI, help=f"where to listen (default {DEFAULT_URI}; or unix://PATH)"
    )
    p.add_argument(
        "--stt-model",
        default=None,
        help="speech model: tiny.en-requests, tiny.en or base (default from config)",
    )
    p.add_argument("--no-asr", action="store_true", help="do not offer speech to text")
    p.add_argument("--no-tts", action="store_true", help="do not offer text to speech")
    p.add_argument("--intent", action="store_true", help="also advertise intent recognition (recognize)")
    p.add_argument("--debug", action="store_true", help="also print logged errors, with tracebacks")
    args = p.parse_args(argv)
    try:
        parse_uri(args.uri)
    except ValueError as exc:
        p.error(str(exc))
    home = data_dir()
    setup_logging(home, debug=args.debug)
    settings = load_settings(home / "config.toml")
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    stt_model = None if args.no_asr else (args.stt_model or settings.stt_model)

    def build() -> Pipeline:
        from assistant.app import warm_up

        pipeline = _build(home, settings, stt_model=stt_model, speak=not args.no_tts)
        warm_up(pipeline)
        return pipeline

    print(f"loading the models (speech: {stt_model or 'off'})...", file=sys.stderr)
    try:
        return run_server(build, args.uri, asr=not args.no_asr, tts=not args.no_tts, intent=args.intent)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # start-up failures (a port in use, a missing model): one clear line
        from assistant.artifacts import ArtifactMissingError

        if isinstance(exc, (ArtifactMissingError, OSError)) or type(exc).__name__.endswith("Error"):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
