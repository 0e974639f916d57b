"""``Settings``: the assistant's own settings, each field naming the ``[section] key`` of
config.toml it is read from, with its default and why it is that."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field


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

    # Stock tiny.en. "tiny.en-requests" (its decoder fine-tuned on espeak-ng requests, an opt-in
    # build: python -m models.build --only whisper-requests) is worse on human read speech and
    # does not help on voices it never heard (python -m evaluation.speech, docs/speech.md);
    # "base" runs on openai-whisper.
    stt_model: str = Field("tiny.en", validation_alias=_at("stt", "model"))
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
