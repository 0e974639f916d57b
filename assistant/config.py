"""Where the assistant keeps its state, and its settings.

All state (history database, session logs, recordings, config) lives in one data directory:
``$ASSISTANT_HOME`` when set, else ``~/.local/share/assistant``. Settings come from
``config.toml`` there; an unreadable file is reported and the defaults are used, so the
assistant still starts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def data_dir() -> Path:
    """The data directory, created owner-only (0700) on first use."""
    override = os.environ.get("ASSISTANT_HOME")
    base = Path(override) if override else Path.home() / ".local" / "share" / "assistant"
    base.mkdir(parents=True, exist_ok=True)
    try:
        base.chmod(0o700)
    except OSError:  # a shared folder we do not own: leave its mode alone
        pass
    return base


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.chmod(0o700)
    except OSError:
        pass
    return path


@dataclass
class Settings:
    # tiny.en with its decoder fine-tuned on spoken requests (models/whisper_adapt.py; faster-whisper
    # only): spoken in-scope intents 77.6 % -> 82.8 % (requests still held out, 2026-12-02), read
    # human speech 1 sentence of 10 worse
    # (python -m evaluation.speech, docs/speech.md). "tiny.en" and "base" are the stock models.
    stt_model: str = "tiny.en-requests"
    # CTranslate2, int8 on CPU: 0.44 of openai-whisper's real-time factor at a lower word error
    # rate (python -m evaluation.speech); "openai-whisper" is the PyTorch engine, and
    # serves "base", which faster-whisper does not.
    stt_engine: str = "faster-whisper"
    wake_word: str = "okay_nabu"  # --mic --wake: okay_nabu, hey_jarvis, hey_mycroft or alexa
    speaker_id: bool = True  # voice mode: switch to the enrolled person whose voice is heard
    barge_in: bool = True  # voice mode: "stop" said while a track plays stops it (assistant.voice.bargein)
    tts_enabled: bool = True
    retention_days: int = 30  # recordings older than this are deleted at start-up
    followup_window_s: float = 5.0  # voice mode listens again this long after a question
    trailing_silence_s: float = 0.7
    # End the turn after a 0.25 s pause when the words so far are a complete, confident request.
    semantic_endpointing: bool = True
    max_utterance_s: float = 15.0
    default_user: str = "default"
    # The local language model (assistant/llm): on when its weights are built; ASSISTANT_LLM=off
    # turns it off for one run. Threads: bench/llm_turns.py on an idle 2-core machine, 50 open
    # requests, 1.5B model: model turns p50/p95 2729/3464 ms with two threads, 3466/4042 ms with
    # one (11 of 36 calls past the 4 s limit); under heavy load from other processes both were
    # the same, so two it is.
    llm_enabled: bool = True
    llm_model: str = "qwen2.5-1.5b"  # or "qwen2.5-0.5b", "smollm2-135m"
    llm_timeout_s: float = 4.0  # a call past this leaves the turn to the classifier's path
    llm_threads: int = 2
    # Each skill's own section, by skill name: ``[skills.NAME]`` in config.toml, over the older
    # top-level ``[NAME]`` tables that earlier versions read. A skill gets only its own section.
    skills: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ``[satellites]``: a Wyoming satellite or context name -> whose profile its requests use
    # (``assistant serve``). Anything not listed speaks as ``default_user``.
    satellites: dict[str, str] = field(default_factory=dict)
    # A problem met while reading config.toml, shown to the user once at start-up.
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "warnings"}

    def skill_settings(self, name: str) -> dict[str, Any]:
        return dict(self.skills.get(name, {}))


# config.toml section/key -> Settings attribute
_KEYS = {
    ("stt", "model"): "stt_model",
    ("stt", "engine"): "stt_engine",
    ("wake", "word"): "wake_word",
    ("speaker", "identify"): "speaker_id",
    ("audio", "barge_in"): "barge_in",
    ("tts", "enabled"): "tts_enabled",
    ("privacy", "retention_days"): "retention_days",
    ("dialogue", "followup_window_s"): "followup_window_s",
    ("audio", "trailing_silence_s"): "trailing_silence_s",
    ("audio", "semantic_endpointing"): "semantic_endpointing",
    ("audio", "max_utterance_s"): "max_utterance_s",
    ("user", "default"): "default_user",
    ("llm", "enabled"): "llm_enabled",
    ("llm", "model"): "llm_model",
    ("llm", "timeout_s"): "llm_timeout_s",
    ("llm", "threads"): "llm_threads",
}


def load_settings(path: Path | None = None) -> Settings:
    settings = Settings()
    path = path or data_dir() / "config.toml"
    if not path.exists():
        return settings
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        settings.warnings.append(
            f"could not read {path} ({exc}); using default settings. Fix or delete that file."
        )
        return settings
    for (section, key), attr in _KEYS.items():
        value = raw.get(section, {}).get(key) if isinstance(raw.get(section), dict) else None
        if value is None:
            continue
        expected = type(getattr(settings, attr))
        if expected is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, expected):
            settings.warnings.append(
                f"{path}: [{section}] {key} should be {expected.__name__}, got {value!r}; using default"
            )
            continue
        setattr(settings, attr, value)
    settings.skills = _skill_sections(raw)
    settings.satellites = _satellites(raw, path, settings.warnings)
    return settings


def _satellites(raw: dict[str, Any], path: Path, warnings: list[str]) -> dict[str, str]:
    """``[satellites]``: name = "user" pairs; a value that is not a non-empty string is skipped."""
    table = raw.get("satellites")
    if table is None:
        return {}
    if not isinstance(table, dict):
        warnings.append(f'{path}: [satellites] should be a table of name = "user"; ignored')
        return {}
    found: dict[str, str] = {}
    for name, user in table.items():
        if isinstance(user, str) and user.strip():
            found[name] = user.strip().lower()
        else:
            warnings.append(f"{path}: [satellites] {name} should name a user, got {user!r}; ignored")
    return found


def _skill_sections(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``[skills.NAME]`` tables, each over the same skill's older top-level ``[NAME]`` table."""
    core = {section for section, _ in _KEYS} | {"skills", "satellites"}
    sections = {k: dict(v) for k, v in raw.items() if k not in core and isinstance(v, dict)}
    nested = raw.get("skills")
    for name, table in nested.items() if isinstance(nested, dict) else ():
        if isinstance(table, dict):
            sections[name] = {**sections.get(name, {}), **table}
    return sections
