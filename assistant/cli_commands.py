"""The commands of ``assistant`` beside the conversation itself: ``replay``, ``export``, ``serve``,
``status``, ``web`` and the skills' own commands (``library scan``), and what every command starts from: the
settings of the data directory (``settings_for``), a pipeline (``build``) and the one-line
report of a start-up failure (``is_startup_failure``).

``assistant.cli`` parses the command line and calls these; ``chat`` and ``listen`` stay there.
Same layer as ``assistant.cli`` (pyproject.toml's import contracts): it may import every layer
below, and nothing here imports ``assistant.cli``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assistant.config import Settings, apply_network_switch, data_dir, load_settings
from assistant.contracts.events import EventFormatError
from assistant.logs import setup_logging
from assistant.pipeline.runner import Pipeline

SkillHandler = Callable[[list[str], Mapping], int]


def settings_for(home: Path) -> Settings:
    """``home``'s config.toml, its warnings printed to standard error; ``[network] enabled =
    false`` switches the network off for the whole process (``apply_network_switch``)."""
    settings = load_settings(home / "config.toml")
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    apply_network_switch(settings)
    return settings


def build(home: Path, settings: Settings, **kwargs: Any) -> Pipeline:
    """The assistant's pipeline over the data directory ``home`` (``assistant.app.build_pipeline``)."""
    from assistant.app import build_pipeline

    return build_pipeline(home, settings, **kwargs)


def is_startup_failure(exc: Exception) -> bool:
    """Whether ``exc`` is a failure to start (a missing model, a port in use) that the command
    reports as one ``error:`` line rather than a traceback."""
    from assistant.artifacts import ArtifactMissingError

    return isinstance(exc, (ArtifactMissingError, OSError)) or type(exc).__name__.endswith("Error")


def run_skill_command(skill: str, handler: SkillHandler, argv: list[str], debug: bool = False) -> int:
    """A skill's own command (``assistant library scan``) with that skill's settings section."""
    home = data_dir()
    setup_logging(home, debug=debug)
    settings = settings_for(home)
    return int(handler(argv, settings.skill_settings(skill)) or 0)


def replay_main(args: argparse.Namespace, home: Path) -> int:
    """``assistant replay FILE [--replay-text]``: re-run a session log, print the turns that differ."""
    from assistant.pipeline.replay import replay_session

    # A fresh configuration, not this machine's config.toml: a replay must not reach the network
    # or change with the user's settings. Only the recorded speech model is kept.
    os.environ["ASSISTANT_OFFLINE"] = "1"  # skills' "auto" network features stay off
    settings = Settings()
    settings.stt_model = _recorded_stt_model(args.replay) or settings.stt_model
    stt_model = None if args.replay_text else settings.stt_model

    def build_in(tmp_home: Path) -> Pipeline:
        return build(tmp_home, settings, stt_model=stt_model if _has_audio(args.replay) else None)

    def show(rec, said, response, diff) -> None:
        if diff is None:
            print(f"turn {rec.number}: same   | {said}")
            return
        print(f"turn {rec.number}: DIFFERS | {said}")
        for name, (was, now) in diff.fields.items():
            print(f"    {name}: recorded {was!r}\n    {' ' * len(name)}  now      {now!r}")

    try:
        report = replay_session(args.replay, build_in, use_audio=not args.replay_text, on_turn=show)
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


def status_main(args: argparse.Namespace) -> int:
    """``assistant status [--json]``: what is built, in use, online and found; always exit 0."""
    from assistant.skill_sdk.plugins import discover_specs
    from assistant.status import collect, render, to_json

    home = data_dir()
    setup_logging(home, debug=args.debug)
    settings = settings_for(home)
    report = collect(home, settings, discover_specs(), timeout=args.timeout)
    print(to_json(report) if args.json else render(report))
    return 0


def export_main(args: argparse.Namespace) -> int:
    """``assistant export --user NAME [--out FILE]``: everything stored about a user, as JSON."""
    from assistant.app import export_user_data, open_store

    home = data_dir()
    data = export_user_data(home, open_store(home), args.user)
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        args.out.chmod(0o600)
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def serve_main(args: argparse.Namespace) -> int:
    """``assistant serve``: the assistant to Home Assistant over the Wyoming protocol, and the
    household web page beside it on the same pipeline (unless ``--no-web``)."""
    from assistant.wyoming.server import run_server

    home = data_dir()
    setup_logging(home, debug=args.debug)
    settings = settings_for(home)
    stt_model = None if args.no_asr else (args.stt_model or settings.stt_model)

    def build_warm() -> Pipeline:
        from assistant.app import warm_up

        pipeline = build(home, settings, stt_model=stt_model, speak=not args.no_tts)
        warm_up(pipeline)
        return pipeline

    try:
        # The page's socket is bound before the models load: a port in use fails at once.
        web = None if args.no_web else PageBesideServe(home, settings, args.web_host, args.web_port)
        print(f"loading the models (speech: {stt_model or 'off'})...", file=sys.stderr)
        return run_server(
            build_warm, args.uri, asr=not args.no_asr, tts=not args.no_tts, intent=args.intent, on_started=web
        )
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # start-up failures (a port in use, a missing model): one clear line
        if is_startup_failure(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


class PageBesideServe:
    """The web page on the Wyoming server's pipeline (``run_server``'s ``on_started``): its calls
    run on the server's dialogue worker, the one thread that owns the pipeline, so there is one
    copy of the state. Made before the models load: its socket is bound at once."""

    def __init__(self, home: Path, settings: Settings, host: str, port: int) -> None:
        from assistant.web.app import password_from
        from assistant.web.household import Household
        from assistant.web.server import WebServer

        self._wyoming: Any = None
        self.household = Household(lambda: self._wyoming.pipeline, self._owner, home)
        self.web = WebServer(self.household, host, port, password_from(settings.web_password_hash))

    def _owner(self, fn: Callable[[], Any]) -> Any:
        return self._wyoming.workers.submit("dialogue", fn, bounded=False)

    @property
    def url(self) -> str:
        return self.web.url

    def __call__(self, wyoming: Any) -> Callable[[], None]:
        """Serve the page on ``wyoming``'s pipeline; returns what stops it."""
        self._wyoming = wyoming
        self.web.start()
        print(f"The household page is on {self.web.url}", flush=True)
        return self.stop

    def stop(self) -> None:
        self.web.stop()
        self._owner(lambda: self.household.close_sessions(self._wyoming.pipeline)).result()


def web_main(args: argparse.Namespace) -> int:
    """``assistant web``: the household's web page on its own pipeline (``--set-password``: store
    the household password's hash in config.toml and stop)."""
    from assistant.web.app import password_from
    from assistant.web.server import PasswordRequiredError, run_web

    home = data_dir()
    setup_logging(home, debug=args.debug)
    if args.set_password:
        return _set_password(home)
    settings = settings_for(home)
    try:
        password = password_from(settings.web_password_hash)
        return run_web(lambda: build(home, settings), home, args.host, args.port, password)
    except KeyboardInterrupt:
        return 0
    except PasswordRequiredError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if is_startup_failure(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


def _set_password(home: Path) -> int:
    """Ask for the household password (twice at a terminal; one line of standard input from a
    script) and keep its salted hash as ``[web] password_hash``."""
    import getpass

    from assistant.web.security import hash_password
    from assistant.web.settings_file import write

    if sys.stdin.isatty():
        password = getpass.getpass("Household password for the web page: ")
        if getpass.getpass("Again: ") != password:
            print("error: the two passwords differ; nothing changed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("error: use at least 8 characters; nothing changed", file=sys.stderr)
        return 1
    problems = write(home, {("web", "password_hash"): hash_password(password)})
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"the household password is set ({home / 'config.toml'})")
    return 1 if problems else 0
