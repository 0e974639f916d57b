"""Where the assistant keeps its state, its settings, and the environment it runs in.

All state (history database, session logs, recordings, config) lives in one data directory:
``$ASSISTANT_HOME`` when set, else ``~/.local/share/assistant``. Settings come from
``config.toml`` there and are checked by pydantic models: ``Settings`` for the assistant's own
sections (each field names its ``[section] key``), and a skill's own model
(``SkillSpec.settings_model``) for that skill's section. Nothing in the file stops the assistant
starting: an unreadable file, an unknown section or key, or a value of the wrong type is
reported in ``Settings.warnings`` (naming the file and the key), and the default is used.

``Environment`` is the one place the ``ASSISTANT_*`` environment variables are read.
``environment()`` reads them anew at each call, so a variable set after import still counts.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from assistant.skill_sdk.api import SkillSpec

CONFIG_FILE = "config.toml"
# ASSISTANT_LLM values that switch the language model off, or on, for one run.
LLM_OFF = frozenset({"0", "off", "false", "no", "none"})
LLM_ON = frozenset({"1", "on", "true", "yes"})


class Environment(BaseSettings):
    """The ``ASSISTANT_*`` environment variables; nothing else in the assistant reads them.

    An empty variable counts as unset. Build one with ``environment()`` when the value is needed:
    tests and the replay command set these variables while the process runs.
    """

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True)

    # The data directory (default ~/.local/share/assistant).
    home: Path | None = Field(None, validation_alias="ASSISTANT_HOME")
    # The model artifacts folder (default models/artifacts in the repository): tests' small models.
    artifacts: Path | None = Field(None, validation_alias="ASSISTANT_ARTIFACTS")
    # Any value at all ("1" by convention): skills' "auto" network features stay off (replays, tests).
    offline: bool = Field(False, validation_alias="ASSISTANT_OFFLINE")
    # The language model for this run: off (0, off, false, no, none) or on (1, on, true, yes) over
    # ``[llm] enabled``; None when unset or any other word, and the config decides.
    llm: bool | None = Field(None, validation_alias="ASSISTANT_LLM")
    # Extra language models the build step fetches, comma-separated ("qwen2.5-0.5b").
    llm_models: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="ASSISTANT_LLM_MODELS")
    # The household password of the web page (``assistant web``), over ``[web] password_hash``:
    # for a container or a service manager's secret; needed to serve beyond loopback.
    web_password: str | None = Field(None, validation_alias="ASSISTANT_WEB_PASSWORD")

    @field_validator("offline", mode="before")
    @classmethod
    def _any_value_is_set(cls, value: Any) -> Any:
        return value.strip() != "" if isinstance(value, str) else value

    @field_validator("llm", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        return False if word in LLM_OFF else True if word in LLM_ON else None

    @field_validator("llm_models", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return tuple(n.strip() for n in value.split(",") if n.strip()) if isinstance(value, str) else value


def environment() -> Environment:
    """The ``ASSISTANT_*`` variables as they are now (read at each call: about 0.1 ms)."""
    return Environment()


def data_dir() -> Path:
    """The data directory, created owner-only (0700) on first use."""
    base = environment().home or Path.home() / ".local" / "share" / "assistant"
    base.mkdir(parents=True, exist_ok=True)
    try:
        base.chmod(0o700)
    except OSError:  # a shared folder we do not own: leave its mode alone
        pass
    return base


def network_allowed(settings: Settings | None = None) -> bool:
    """Whether online features may reach the network: not with ``ASSISTANT_OFFLINE``, nor with
    ``[network] enabled = false`` in ``settings`` (skills read the switch after
    ``apply_network_switch``, which folds the setting into the environment)."""
    return not environment().offline and (settings is None or settings.network_enabled)


def network_off_reason(settings: Settings | None = None) -> str:
    """Why the network is off ("" when it is allowed), in words for ``assistant status``."""
    if settings is not None and not settings.network_enabled:  # first: it also sets the variable
        return "[network] enabled = false"
    if environment().offline:
        return "ASSISTANT_OFFLINE is set"
    return ""


def apply_network_switch(settings: Settings) -> None:
    """``[network] enabled = false`` counts as ``ASSISTANT_OFFLINE`` for this process and what it
    starts: a skill gets only its own settings section, so the environment is the one switch
    every skill reads (``network_allowed()``), as replays already use it."""
    if not settings.network_enabled:
        os.environ["ASSISTANT_OFFLINE"] = "1"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` if needed and make it readable by its owner only (where the file system allows)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.chmod(0o700)
    except OSError:
        pass
    return path


def _at(section: str, key: str) -> AliasPath:
    """Where a setting is written in config.toml: ``[section] key``."""
    return AliasPath(section, key)


class Settings(BaseModel):
    """The assistant's settings. ``Settings()`` is the defaults; ``load_settings`` reads the file.

    Each field read from config.toml names its ``[section] key`` (``validation_alias``); that is
    the whole list of the assistant's own keys (``file_keys()``). Values are taken as TOML types
    them, strictly: a string is not a number, a number not a boolean (an integer is a float).
    """

    model_config = ConfigDict(strict=True, validate_by_name=True, validate_by_alias=True, extra="forbid")

    # tiny.en with its decoder fine-tuned on spoken requests (models/whisper_adapt.py; faster-whisper
    # only): spoken in-scope intents 77.6 % -> 82.8 % (requests still held out, 2026-12-02), read
    # human speech 1 sentence of 10 worse
    # (python -m evaluation.speech, docs/speech.md). "tiny.en" and "base" are the stock models.
    stt_model: str = Field("tiny.en-requests", validation_alias=_at("stt", "model"))
    # CTranslate2, int8 on CPU: 0.44 of openai-whisper's real-time factor at a lower word error
    # rate (python -m evaluation.speech); "openai-whisper" is the PyTorch engine, and
    # serves "base", which faster-whisper does not.
    stt_engine: str = Field("faster-whisper", validation_alias=_at("stt", "engine"))
    # --mic --wake: okay_nabu, hey_jarvis, hey_mycroft or alexa
    wake_word: str = Field("okay_nabu", validation_alias=_at("wake", "word"))
    # voice mode: switch to the enrolled person whose voice is heard
    speaker_id: bool = Field(True, validation_alias=_at("speaker", "identify"))
    # voice mode: "stop" said while a track plays stops it (assistant.voice.bargein)
    barge_in: bool = Field(True, validation_alias=_at("audio", "barge_in"))
    tts_enabled: bool = Field(True, validation_alias=_at("tts", "enabled"))
    # The voice that speaks the answers: "joe" is Piper en_US-joe-medium (a neural voice; first
    # audio of a 30-word answer 0.12-0.24 s against espeak-ng's 0.02 s, voice mode 1.47 GB
    # resident against 1.15 GB: bench/voice_latency.py); "espeak" is espeak-ng, which also
    # speaks when the Piper voice is missing.
    tts_voice: Literal["joe", "espeak"] = Field("joe", validation_alias=_at("tts", "voice"))
    # recordings, session logs and history turns older than this are deleted (at start-up and
    # every few hours in `assistant serve`); likes and settings stay. 0 keeps everything
    retention_days: int = Field(30, validation_alias=_at("privacy", "retention_days"))
    # voice mode listens again this long after a question
    followup_window_s: float = Field(5.0, validation_alias=_at("dialogue", "followup_window_s"))
    trailing_silence_s: float = Field(0.7, validation_alias=_at("audio", "trailing_silence_s"))
    # End the turn after a 0.25 s pause when the words so far are a complete, confident request.
    semantic_endpointing: bool = Field(True, validation_alias=_at("audio", "semantic_endpointing"))
    max_utterance_s: float = Field(15.0, validation_alias=_at("audio", "max_utterance_s"))
    default_user: str = Field("default", validation_alias=_at("user", "default"))
    # The local language model (assistant/llm): on when its weights are built; ASSISTANT_LLM=off
    # turns it off for one run. Threads: bench/llm_turns.py on an idle 2-core machine, 50 open
    # requests, 1.5B model: model turns p50/p95 2729/3464 ms with two threads, 3466/4042 ms with
    # one (11 of 36 calls past the 4 s limit); under heavy load from other processes both were
    # the same, so two it is.
    llm_enabled: bool = Field(True, validation_alias=_at("llm", "enabled"))
    # or "qwen2.5-0.5b", "smollm2-135m"
    llm_model: str = Field("qwen2.5-1.5b", validation_alias=_at("llm", "model"))
    # a call past this leaves the turn to the classifier's path
    llm_timeout_s: float = Field(4.0, validation_alias=_at("llm", "timeout_s"))
    llm_threads: int = Field(2, validation_alias=_at("llm", "threads"))
    # The one switch for everything that reaches the network (live weather, music streaming,
    # news feeds), beside ASSISTANT_OFFLINE: false keeps every online feature off, "auto" or not.
    network_enabled: bool = Field(True, validation_alias=_at("network", "enabled"))
    # The web page's household password as a salted hash (``assistant web --set-password`` writes
    # it): needed to serve the page beyond loopback. "" is none.
    web_password_hash: str = Field("", validation_alias=_at("web", "password_hash"))
    # Each skill's own section, by skill name: ``[skills.NAME]`` in config.toml, over the older
    # top-level ``[NAME]`` tables that earlier versions read. A skill gets only its own section,
    # checked by the skill's own model when it declares one (only the keys that passed).
    skills: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # ``[satellites]``: a Wyoming satellite or context name -> whose profile its requests use
    # (``assistant serve``). Anything not listed speaks as ``default_user``.
    satellites: dict[str, str] = Field(default_factory=dict)
    # A problem met while reading config.toml, shown to the user once at start-up.
    warnings: list[str] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict, without the warnings collected while reading them."""
        return self.model_dump(exclude={"warnings"})

    def skill_settings(self, name: str) -> dict[str, Any]:
        """A copy of the ``[skills.<name>]`` section of config.toml (empty when absent)."""
        return dict(self.skills.get(name, {}))


def file_keys() -> dict[tuple[str, str], str]:
    """Every ``(section, key)`` of config.toml that the assistant itself reads -> its attribute."""
    found = {}
    for name, info in Settings.model_fields.items():
        if isinstance(info.validation_alias, AliasPath):
            section, key = info.validation_alias.path
            found[(str(section), str(key))] = name
    return found


# Sections the core reads as a whole, beside those of file_keys() and the skills' own.
TABLES = ("skills", "satellites")


def load_settings(path: Path | None = None, specs: Iterable[SkillSpec] | None = None) -> Settings:
    """The settings in ``path`` (default: the data directory's config.toml); defaults when absent.

    ``specs``: the installed skills, whose sections are checked with their own models (default:
    every skill the plugin registry finds). Problems are in ``warnings``, never raised.
    """
    path = path or data_dir() / CONFIG_FILE
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Settings(
            warnings=[f"could not read {path} ({exc}); using default settings. Fix or delete that file."]
        )
    if specs is None:
        from assistant.skill_sdk.plugins import discover_specs

        specs = discover_specs()
    warnings: list[str] = []
    keys = file_keys()
    sections = {section for section, _ in keys}
    core: dict[str, dict[str, Any]] = {}
    older: dict[str, dict[str, Any]] = {}  # top-level tables named after a skill
    for name, table in raw.items():
        if name in sections:
            if not isinstance(table, dict):
                warnings.append(f"{path}: [{name}] should be a table of settings, got {table!r}; ignored")
                continue
            known = [k for s, k in keys if s == name]
            for key, value in table.items():
                if (name, key) in keys:
                    core.setdefault(name, {})[key] = value
                else:
                    hint = _did_you_mean(key, known, f"[{name}] {{}}")
                    warnings.append(f"{path}: unknown key [{name}] {key}{hint}; ignored")
        elif name in TABLES:
            continue
        elif isinstance(table, dict):
            older[name] = table
        else:
            # a key written outside its section ("model = ...", "stt_model = ...")
            hint = next((f" (did you mean [{s}] {k}?)" for (s, k), a in keys.items() if name in (k, a)), "")
            warnings.append(f"{path}: unknown key {name}{hint}; ignored")
    settings = _checked_core(core, keys, path, warnings)
    settings.skills = _skill_sections(older, raw.get("skills"), list(specs), path, warnings)
    settings.satellites = _satellites(raw, path, warnings)
    settings.warnings = warnings
    return settings


def _checked_core(
    core: dict[str, dict[str, Any]], keys: dict[tuple[str, str], str], path: Path, warnings: list[str]
) -> Settings:
    """``Settings`` from the known keys; a value of the wrong type is dropped, with a warning."""
    while True:
        try:
            # an emptied section is left out: a table no field reads from counts as extra
            return Settings.model_validate({section: table for section, table in core.items() if table})
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                section, key = (str(part) for part in (*error["loc"], "", "")[:2])
                if key not in core.get(section, {}):
                    continue
                value = core[section].pop(key)
                dropped = True
                expected = _describe(Settings.model_fields[keys[(section, key)]].annotation)
                warnings.append(
                    f"{path}: [{section}] {key} should be {expected}, got {value!r}; using default"
                )
            if not dropped:  # cannot happen with per-key fields; never loop on it
                warnings.append(f"{path}: {exc.errors()[0]['msg']}; using default settings")
                return Settings()


def check_section(
    model: type[BaseModel],
    table: dict[str, Any],
    path: Path,
    where: Callable[[str], str],
    warnings: list[str],
) -> dict[str, Any]:
    """The keys of ``table`` that ``model`` accepts, as it reads them; the others are warned about.

    An unknown key (unless the model allows extra keys) or a value ``model`` rejects is left
    out, so the model's default applies. ``where(key)`` says where in ``path`` the key was
    written ("[skills.NAME] key"; ``where("")``: the section).
    """
    fields = model.model_fields
    names = {info.alias or name for name, info in fields.items()} | set(fields)
    takes_any = model.model_config.get("extra") == "allow"
    kept: dict[str, Any] = {}
    for key, value in table.items():
        if key in names or takes_any:
            kept[key] = value
        else:
            hint = _did_you_mean(key, sorted(names), "{}")
            warnings.append(f"{path}: unknown key {where(key)}{hint}; ignored")
    while True:
        try:
            return model.model_validate(kept).model_dump(exclude_unset=True, by_alias=True)
        except ValidationError as exc:
            bad = {str(e["loc"][0]): e for e in exc.errors() if e["loc"] and str(e["loc"][0]) in kept}
            if not bad:
                warnings.append(f"{path}: {where('')}: {exc.errors()[0]['msg']}; using its defaults")
                return {}
            for key, error in bad.items():
                info = next((i for n, i in fields.items() if key in (n, i.alias)), None)
                expected = _describe(info.annotation) if info is not None else error["msg"]
                warnings.append(
                    f"{path}: {where(key)} should be {expected}, got {kept.pop(key)!r}; using default"
                )


def _skill_sections(
    older: dict[str, dict[str, Any]], nested: Any, specs: list[SkillSpec], path: Path, warnings: list[str]
) -> dict[str, dict[str, Any]]:
    """``[skills.NAME]`` tables, each over the same skill's older top-level ``[NAME]`` table,
    checked by the skill's settings model when it declares one."""
    if nested is None:
        nested = {}
    if not isinstance(nested, dict):
        warnings.append(f"{path}: [skills] should hold one table per skill, got {nested!r}; ignored")
        nested = {}
    for name in [n for n, table in nested.items() if not isinstance(table, dict)]:
        warnings.append(f"{path}: [skills] {name} should be a table, got {nested.pop(name)!r}; ignored")
    by_name = {spec.name: spec for spec in specs}
    installed = ", ".join(by_name) or "none"
    sections: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*older, *nested]):
        spec = by_name.get(name)
        newer = nested.get(name, {})
        if spec is None:
            if name in nested:
                hint = _did_you_mean(name, list(by_name), "[skills.{}]")
                why = f"no installed skill is named {name!r} (installed: {installed})"
                warnings.append(f"{path}: unknown section [skills.{name}]{hint}: {why}; ignored")
            else:
                hint = _did_you_mean(name, [*sorted({s for s, _ in file_keys()}), *by_name], "[{}]")
                why = f"neither the assistant's nor an installed skill's (installed: {installed})"
                warnings.append(f"{path}: unknown section [{name}]{hint}: {why}; ignored")
            continue
        table = {**older.get(name, {}), **newer}
        if spec.settings_model is None:
            sections[name] = table
            continue

        def where(key: str, name: str = name, newer: dict = newer) -> str:
            # the table the key was read from: [skills.NAME] wins over the older [NAME]
            written = f"skills.{name}" if (key in newer if key else newer) else name
            return f"[{written}] {key}".rstrip()

        try:
            sections[name] = check_section(spec.settings_model, table, path, where, warnings)
        except Exception as exc:  # a plugin's own validator that fails: its defaults, not a crash
            warnings.append(f"{path}: {where('')} could not be checked ({exc!r}); using the skill's defaults")
            sections[name] = {}
    return sections


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


def _did_you_mean(word: str, choices: list[str], shown: str) -> str:
    """The hint " (did you mean [stt]?)" for a close enough choice, put in ``shown``; else ""."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {shown.format(close[0])}?)" if close else ""


def _describe(annotation: Any) -> str:
    """A type as the warning says it: ``int``, ``list of str``, ``bool or "auto"``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _describe(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {_describe(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    return getattr(annotation, "__name__", str(annotation))
