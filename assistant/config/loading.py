"""Reading config.toml: ``load_settings`` checks each section and key, keeps what passed and
says in ``Settings.warnings`` what did not (naming the file and the key)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.config.checks import describe, did_you_mean, skill_sections
from assistant.config.settings import TABLES, Settings, file_keys
from assistant.config.variables import data_dir

if TYPE_CHECKING:
    from assistant.skill_sdk.api import SkillSpec

CONFIG_FILE = "config.toml"


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
                    hint = did_you_mean(key, known, f"[{name}] {{}}")
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
    settings.skills = skill_sections(older, raw.get("skills"), list(specs), path, warnings)
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
                expected = describe(Settings.model_fields[keys[(section, key)]].annotation)
                warnings.append(
                    f"{path}: [{section}] {key} should be {expected}, got {value!r}; using default"
                )
            if not dropped:  # cannot happen with per-key fields; never loop on it
                warnings.append(f"{path}: {exc.errors()[0]['msg']}; using default settings")
                return Settings()


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
