"""config.toml and the ASSISTANT_* environment variables (assistant/config/).

A typo or a wrong value in the file is a warning naming the key and the file, never a failed
start; every key the README documents is read back as written; the environment variables are
read in one place, at the moment they are asked for.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
import tomllib
import typing
from pathlib import Path

import pytest
from pydantic import field_validator

from assistant.config import Settings, environment, file_keys, load_settings
from assistant.skill_sdk.api import Answers, SkillSettings, SkillSpec
from assistant.skill_sdk.plugins import discover_specs
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(60)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def builtin_specs() -> list[SkillSpec]:
    """The project's own skills (the example plugin may be on the path for another test)."""
    return [s for s in discover_specs() if s.name in {"music", "news", "weather", "video"}]


def test_a_missing_file_gives_the_defaults_quietly(tmp_path: Path):
    settings = load_settings(tmp_path / "absent.toml")
    assert settings == Settings() and settings.warnings == []


def test_an_unknown_key_is_named_with_the_file_and_the_rest_still_loads(tmp_path: Path):
    path = write(
        tmp_path, '[stt]\nmodle = "base"\nengine = "openai-whisper"\n[privacy]\nretention_days = 7\n'
    )
    settings = load_settings(path)
    assert settings.stt_engine == "openai-whisper" and settings.retention_days == 7
    assert settings.stt_model == Settings().stt_model
    [warning] = settings.warnings
    assert str(path) in warning and "[stt] modle" in warning and "did you mean [stt] model" in warning


def test_an_unknown_section_and_a_key_outside_any_section_are_named(tmp_path: Path):
    path = write(tmp_path, 'stt_model = "base"\n[sst]\nmodel = "base"\n[tts]\nenabled = false\n')
    settings = load_settings(path, specs=builtin_specs())
    assert settings.tts_enabled is False and settings.stt_model == Settings().stt_model
    assert len(settings.warnings) == 2 and all(str(path) in w for w in settings.warnings)
    assert "unknown key stt_model (did you mean [stt] model?)" in settings.warnings[0]
    assert "unknown section [sst] (did you mean [stt]?)" in settings.warnings[1]
    assert "sst" not in settings.skills


@pytest.mark.parametrize(
    ("text", "attribute", "named"),
    [
        ('[privacy]\nretention_days = "ten"\n', "retention_days", "[privacy] retention_days should be int"),
        ("[tts]\nenabled = 1\n", "tts_enabled", "[tts] enabled should be bool"),
        ('[audio]\nmax_utterance_s = "long"\n', "max_utterance_s", "[audio] max_utterance_s should be float"),
        ("[stt]\nmodel = 5\n", "stt_model", "[stt] model should be str"),
        ("[llm]\nthreads = 2.5\n", "llm_threads", "[llm] threads should be int"),
    ],
)
def test_a_wrong_type_warns_and_falls_back_to_the_default(tmp_path: Path, text, attribute, named):
    path = write(tmp_path, text + '[user]\ndefault = "dana"\n')
    settings = load_settings(path)
    assert getattr(settings, attribute) == getattr(Settings(), attribute)
    assert settings.default_user == "dana"  # the rest of the file still applies
    [warning] = settings.warnings
    assert warning.startswith(f"{path}: ") and named in warning and "using default" in warning


def test_a_whole_number_is_a_decimal_and_a_section_that_is_not_a_table_is_named(tmp_path: Path):
    path = write(tmp_path, 'wake = "alexa"\n[llm]\ntimeout_s = 3\n')
    settings = load_settings(path)
    assert settings.llm_timeout_s == 3.0 and isinstance(settings.llm_timeout_s, float)
    assert settings.wake_word == Settings().wake_word
    assert len(settings.warnings) == 1 and "[wake] should be a table" in settings.warnings[0]


def non_default(value, annotation: object = None):
    choices = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
    if choices:  # a setting with named choices ([tts] voice): another of them
        return next(choice for choice in choices if choice != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 3
    if isinstance(value, float):
        return value + 0.5
    return f"{value}-x"


def toml_value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value).replace("'", '"')


def test_every_key_of_the_assistant_round_trips(tmp_path: Path):
    defaults = Settings()
    sections: dict[str, list[str]] = {}
    expected = {}
    for (section, key), attribute in file_keys().items():
        annotation = Settings.model_fields[attribute].annotation
        expected[attribute] = non_default(getattr(defaults, attribute), annotation)
        sections.setdefault(section, []).append(f"{key} = {toml_value(expected[attribute])}")
    # every attribute the hand-written table used to list, [network] enabled, [web] password_hash
    # and [tts] voice
    assert len(expected) == 19
    text = "".join(f"[{section}]\n" + "\n".join(lines) + "\n" for section, lines in sections.items())
    settings = load_settings(write(tmp_path, text))
    assert settings.warnings == []
    assert {attribute: getattr(settings, attribute) for attribute in expected} == expected


def readme_config_blocks() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.DOTALL)
    config = [b for b in blocks if "project." not in b]  # pyproject.toml excerpts are not config
    assert len(config) >= 3
    return [re.sub(r"^ {3}", "", b, flags=re.MULTILINE) for b in config]


def test_every_documented_key_is_read_back_as_written(tmp_path: Path):
    # the example plugin's section, [skills.dice], is documented too
    dice = SkillSpec(name="dice", load=lambda section: None, answers=Answers(offer_intent="roll_dice"))
    specs = [*builtin_specs(), dice]
    for block in readme_config_blocks():
        settings = load_settings(write(tmp_path, block), specs=specs)
        assert settings.warnings == [], block
        raw = tomllib.loads(block)
        for (section, key), attribute in file_keys().items():
            if key in raw.get(section, {}):
                assert getattr(settings, attribute) == raw[section][key], (section, key)
        skill_tables = {
            **{k: v for k, v in raw.items() if k in {s.name for s in specs}},
            **raw.get("skills", {}),
        }
        for name, table in skill_tables.items():
            read = settings.skill_settings(name)
            for key, value in table.items():
                assert read[key] == ([value] if key == "library" and isinstance(value, str) else value)


def test_the_reference_block_lists_every_key_with_its_default(tmp_path: Path):
    [block] = [b for b in readme_config_blocks() if "these are the defaults" in b]
    raw = tomllib.loads(block)
    defaults = Settings()
    for (section, key), attribute in file_keys().items():
        assert raw[section][key] == getattr(defaults, attribute), (section, key)
    for spec in builtin_specs():
        assert spec.settings_model is not None, spec.name
        documented = raw.get("skills", {}).get(spec.name, {})
        assert documented == spec.settings_model().model_dump(), spec.name


def test_the_older_top_level_skill_table_still_works(tmp_path: Path):
    path = write(
        tmp_path, '[music]\nlibrary = "~/Music"\nplayback = false\n[news]\nfeeds = ["http://a/rss"]\n'
    )
    settings = load_settings(path, specs=builtin_specs())
    assert settings.warnings == []
    assert settings.skill_settings("music") == {"library": ["~/Music"], "playback": False}
    assert settings.skill_settings("news") == {"feeds": ["http://a/rss"]}
    from skills.music.library import folders_from

    assert folders_from(settings.skill_settings("music")) == [Path("~/Music").expanduser()]


def test_a_skill_section_is_checked_with_the_skill_s_own_model(tmp_path: Path):
    path = write(
        tmp_path,
        '[music]\nlibary = ["~/Music"]\nstream = "yes"\n'
        '[skills.news]\nrefresh_minutes = "often"\nfeeds = "http://a/rss"\n'
        '[weather]\nlive = false\n[skills.weather]\nlive = "sometimes"\n'
        "[skills.video]\nsubtitles = true\n[skills.musci]\nlibrary = []\n",
    )
    settings = load_settings(path, specs=builtin_specs())
    assert settings.skill_settings("music") == {}
    assert settings.skill_settings("news") == {"feeds": ["http://a/rss"]}
    assert settings.skill_settings("weather") == {}  # [skills.weather] wins, and was wrong
    assert settings.skill_settings("video") == {} and "musci" not in settings.skills
    text = "\n".join(settings.warnings)
    assert all(w.startswith(f"{path}: ") for w in settings.warnings)
    assert "unknown key [music] libary (did you mean library?)" in text
    assert "[music] stream should be bool or \"auto\", got 'yes'; using default" in text
    assert "[skills.news] refresh_minutes should be float, got 'often'" in text
    assert "[skills.weather] live should be bool or \"auto\", got 'sometimes'" in text
    assert "unknown key [skills.video] subtitles" in text
    assert "unknown section [skills.musci] (did you mean [skills.music]?)" in text
    assert len(settings.warnings) == 6


class TeaSettings(SkillSettings):
    strength: int = 3
    kinds: list[str] = []


def test_a_plugin_declares_its_section_through_the_skill_sdk(tmp_path: Path):
    """The core checks a plugin's section with the model its SkillSpec names: nothing in the
    core knows the plugin's keys."""
    loaded = []
    tea = SkillSpec(
        name="tea",
        load=loaded.append,
        answers=Answers(offer_intent="suggest_tea"),
        settings_model=TeaSettings,
    )
    path = write(tmp_path, '[skills.tea]\nstrength = "strong"\nkinds = ["green"]\ncolour = "red"\n')
    settings = load_settings(path, specs=[tea])
    assert settings.skill_settings("tea") == {"kinds": ["green"]}
    assert [w.split(": ", 1)[1] for w in settings.warnings] == [
        "unknown key [skills.tea] colour; ignored",
        "[skills.tea] strength should be int, got 'strong'; using default",
    ]
    from assistant.skill_sdk.plugins import SkillRegistry

    SkillRegistry([tea], settings.skills).skill("tea")
    assert loaded == [{"kinds": ["green"]}]  # load gets only the keys that passed


def test_settings_in_code_are_checked_too():
    with pytest.raises(ValueError):
        Settings(retention_dayz=3)  # a typo in code fails at once
    assert Settings(followup_window_s=1).followup_window_s == 1.0
    assert (
        Settings().to_dict()["stt_model"] == Settings().stt_model and "warnings" not in Settings().to_dict()
    )


def test_the_environment_is_read_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in ("ASSISTANT_OFFLINE", "ASSISTANT_LLM", "ASSISTANT_ARTIFACTS", "ASSISTANT_LLM_MODELS"):
        monkeypatch.delenv(name, raising=False)
    assert environment().home == tmp_path / "assistant-home"  # conftest's data directory
    assert not environment().offline and environment().llm is None and environment().llm_models == ()
    for value in ("1", "yes", "0"):  # any value at all is set, as it always was
        monkeypatch.setenv("ASSISTANT_OFFLINE", value)
        assert environment().offline
    monkeypatch.setenv("ASSISTANT_OFFLINE", "")  # empty: unset
    assert not environment().offline
    for value, switch in [
        ("off", False),
        (" None ", False),
        ("0", False),
        ("ON", True),
        ("1", True),
        ("x", None),
    ]:
        monkeypatch.setenv("ASSISTANT_LLM", value)
        assert environment().llm is switch, value
    monkeypatch.setenv("ASSISTANT_LLM_MODELS", " qwen2.5-0.5b, ,smollm2-135m")
    assert environment().llm_models == ("qwen2.5-0.5b", "smollm2-135m")


def test_the_data_and_artifact_folders_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from assistant.artifacts import REPO_ROOT as ROOT
    from assistant.artifacts import artifacts_root
    from assistant.config import data_dir

    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere" and (tmp_path / "elsewhere").is_dir()
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path / "small"))
    assert artifacts_root() == tmp_path / "small"
    monkeypatch.setenv("ASSISTANT_ARTIFACTS", "")
    assert artifacts_root() == ROOT / "models" / "artifacts"


def test_the_skills_ask_the_one_place_whether_they_are_offline(monkeypatch: pytest.MonkeyPatch):
    import skills.weather as weather

    probed = threading.Event()
    monkeypatch.setattr(weather, "_go_live_when_online", lambda skill, urls: probed.set())
    monkeypatch.setenv("ASSISTANT_OFFLINE", "1")  # set after import: still counts
    assert weather.load_skill({}).live is None
    assert not probed.wait(0.2)
    monkeypatch.delenv("ASSISTANT_OFFLINE")
    weather.load_skill({})
    assert probed.wait(5)  # "auto" probes the service once nothing says offline


ENV_NAME = re.compile(r"ASSISTANT_[A-Z_]+")


def environment_reads(path: Path) -> list[str]:
    """``ASSISTANT_*`` names used in ``path`` other than to set the variable for what follows
    (``os.environ["ASSISTANT_OFFLINE"] = "1"``), with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not ENV_NAME.fullmatch(node.value):
            continue
        parent = parents.get(id(node))
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del)):
            continue
        found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.value}")
    return found


def test_only_the_config_module_reads_assistant_environment_variables():
    files = [
        p
        for folder in ("assistant", "skills", "models")
        for p in sorted((REPO_ROOT / folder).rglob("*.py"))
        if "artifacts" not in p.relative_to(REPO_ROOT / folder).parts[:1]
    ]
    assert len(files) > 50
    reads = [
        hit
        for path in files
        if path != REPO_ROOT / "assistant" / "config" / "variables.py"
        for hit in environment_reads(path)
    ]
    assert reads == []
    source = (REPO_ROOT / "assistant" / "config" / "variables.py").read_text(encoding="utf-8")
    for name in ("ASSISTANT_HOME", "ASSISTANT_LLM", "ASSISTANT_OFFLINE", "ASSISTANT_ARTIFACTS"):
        assert f'"{name}"' in source
    getenv = [p for p in files if "getenv(" in p.read_text(encoding="utf-8")]
    assert getenv == []


@pytest.mark.timeout(120)
def test_the_command_line_prints_config_warnings_and_goes_on(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[stt]\nmodle = "base"\n[music]\nlibrary = 5\n', encoding="utf-8")
    env = {**os.environ, "ASSISTANT_HOME": str(home), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), "library", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
    assert f"warning: {home / 'config.toml'}: unknown key [stt] modle" in done.stderr
    assert f"warning: {home / 'config.toml'}: [music] library should be list of str, got 5" in done.stderr
    assert "No tracks stored yet" in done.stdout


class Fussy(SkillSettings):
    level: int = 1

    @field_validator("level")
    @classmethod
    def _broken(cls, value: int) -> int:
        raise KeyError("a plugin's bug")


def test_a_plugin_model_that_fails_never_stops_the_start(tmp_path: Path):
    fussy = SkillSpec(
        name="fussy", load=lambda section: None, answers=Answers(offer_intent="fuss"), settings_model=Fussy
    )
    settings = load_settings(
        write(tmp_path, "[skills.fussy]\nlevel = 3\n[tts]\nenabled = false\n"), specs=[fussy]
    )
    assert settings.tts_enabled is False and settings.skill_settings("fussy") == {}
    assert len(settings.warnings) == 1 and "[skills.fussy] could not be checked" in settings.warnings[0]
