"""The Settings page's view of config.toml, and writing a change back to it.

Written with tomlkit, which edits the document in place: the user's comments, key order and
keys the page does not know stay as they were. A change is checked before it replaces the file:
the new text is read back with ``load_settings`` (the same check every start makes) and refused
when it brings a warning the file did not already have. The file is then replaced in one step
(write beside it, rename), owner-only like the rest of the data directory.

Most settings are read at start-up (the wake word, the voice, the network switch), so the page
says a change applies from the next start; a person's home city is not here: it is a preference
in the history store, which the next turn already reads.
"""

from __future__ import annotations

import os
import tempfile
import typing
from pathlib import Path
from typing import Any

import tomlkit

from assistant.config import CONFIG_FILE, Settings, load_settings
from assistant.skill_sdk.plugins import discover_specs
from assistant.voice.wake import WAKE_WORDS

TRI_STATE = ("auto", "true", "false")  # a skill's online feature: when it answers, always, never
CORE_FIELDS = {  # form field -> (section, key, attribute of Settings)
    "default_user": ("user", "default", "default_user"),
    "wake_word": ("wake", "word", "wake_word"),
    "speak": ("tts", "enabled", "tts_enabled"),
    "speaker_id": ("speaker", "identify", "speaker_id"),
    "network": ("network", "enabled", "network_enabled"),
}


def _kind(annotation: Any) -> str | None:
    """How the page edits a skill setting of this type; None: not on the page."""
    text = str(annotation)
    if "Literal['auto']" in text and "bool" in text:
        return "tri"
    if annotation is bool:
        return "bool"
    if typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
        return "lines"
    if annotation is str:
        return "text"
    return None


def _shown(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def skill_fields(settings: Settings) -> list[dict[str, Any]]:
    """Every installed skill's settings the page can edit (from each skill's own model: the core
    names no skill), with their values now."""
    fields = []
    for spec in discover_specs():
        model = spec.settings_model
        if model is None:
            continue
        defaults = model().model_dump(by_alias=True)
        section = settings.skill_settings(spec.name)
        for name, info in model.model_fields.items():
            key, kind = info.alias or name, _kind(info.annotation)
            if kind is not None:
                value = _shown(section.get(key, defaults.get(key)))
                fields.append({"skill": spec.name, "key": key, "kind": kind, "value": value})
    return fields


def current(home: Path) -> dict[str, Any]:
    """The values the page shows: what config.toml sets, else the defaults."""
    settings = load_settings(home / CONFIG_FILE)
    return {
        "default_user": settings.default_user,
        "wake_word": settings.wake_word,
        "wake_words": WAKE_WORDS,
        "speak": settings.tts_enabled,
        "speaker_id": settings.speaker_id,
        "network": settings.network_enabled,
        "skill_fields": skill_fields(settings),
        "warnings": settings.warnings,
    }


def changes_from_form(home: Path, form: dict[str, str]) -> dict[tuple[str, ...], Any]:
    """The page's form as (table path, key) -> TOML value: only what differs from the values now,
    so the defaults are not all copied into the file. Raises ``ValueError`` with a message for
    a person when a value cannot be right (the skills' own models check the rest on writing)."""
    settings = load_settings(home / CONFIG_FILE)
    wanted: dict[tuple[str, ...], Any] = {}
    user = form.get("default_user", "").strip().lower()
    if not user:
        raise ValueError("The default person needs a name.")
    if form.get("wake_word") not in WAKE_WORDS:
        raise ValueError(f"The wake word must be one of {', '.join(WAKE_WORDS)}.")
    values = {"default_user": user, "wake_word": form["wake_word"]}
    values |= {f: form.get(f) == "on" for f in ("speak", "speaker_id", "network")}  # unticked: not sent
    changes = {
        (section, key): values[field]
        for field, (section, key, attribute) in CORE_FIELDS.items()
        if values[field] != getattr(settings, attribute)
    }
    for f in skill_fields(settings):
        sent = form.get(f"skill.{f['skill']}.{f['key']}")
        if sent is None:
            continue
        if f["kind"] in ("tri", "bool"):
            if sent not in (TRI_STATE if f["kind"] == "tri" else TRI_STATE[1:]):
                raise ValueError(f"{f['skill']} {f['key']} must be {' or '.join(TRI_STATE)}.")
            value: Any = sent if sent == "auto" else sent == "true"
        elif f["kind"] == "lines":
            value = [line.strip() for line in sent.splitlines() if line.strip()]
        else:
            value = sent.strip()
        if _shown(value) != f["value"]:
            wanted[("skills", f["skill"], f["key"])] = value
    return changes | wanted


def save(home: Path, form: dict[str, str]) -> list[str]:
    """The Settings form written to config.toml; the problems (nothing is written when any)."""
    return write(home, changes_from_form(home, form))


def write(home: Path, changes: dict[tuple[str, ...], Any]) -> list[str]:
    """Apply ``changes`` to config.toml, keeping everything else in it; the new warnings
    (the file is left untouched when there are any)."""
    path = home / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(text)
    for (*tables, key), value in changes.items():
        table = _table(doc, tables)
        if isinstance(value, list):
            array = tomlkit.array()
            array.extend(value)
            array.multiline(len(value) > 1)
            value = array
        table[key] = value
    before = set(load_settings(path).warnings) if path.exists() else set()
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=home)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(tomlkit.dumps(doc))
        after = load_settings(Path(tmp)).warnings
        new = [w.replace(tmp, str(path)) for w in after if w.replace(tmp, str(path)) not in before]
        if new:
            return new
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = ""
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    return []


def _table(doc: tomlkit.TOMLDocument, tables: list[str]) -> Any:
    """The table ``tables`` names, made when absent. A skill's key goes where the file already
    keeps it: the older top-level ``[NAME]`` when that holds the section, else ``[skills.NAME]``."""
    if (
        len(tables) == 2
        and tables[0] == "skills"
        and tables[1] in doc
        and tables[1] not in doc.get("skills", {})
    ):
        return doc[tables[1]]
    node: Any = doc
    for name in tables:
        if name not in node:
            # a dotted [skills.NAME] header rather than an empty [skills] table above it
            node[name] = tomlkit.table(is_super_table=name == "skills")
        node = node[name]
    return node
