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
from pathlib import Path
from typing import Any

import tomlkit

from assistant.config import CONFIG_FILE, load_settings
from assistant.skill_sdk.plugins import discover_specs
from assistant.voice.wake import WAKE_WORDS

TRI_STATE = ("auto", "true", "false")  # a skill's online feature: when it answers, always, never


def current(home: Path) -> dict[str, Any]:
    """The values the page shows: what config.toml sets, else the defaults."""
    settings = load_settings(home / CONFIG_FILE)
    skills = {spec.name: spec for spec in discover_specs()}

    def skill_value(name: str, key: str, fallback: Any) -> Any:
        spec = skills.get(name)
        default = fallback
        if spec is not None and spec.settings_model is not None:
            default = spec.settings_model().model_dump().get(key, fallback)
        value = settings.skill_settings(name).get(key, default)
        return str(value).lower() if isinstance(value, bool) else value

    return {
        "default_user": settings.default_user,
        "wake_word": settings.wake_word,
        "wake_words": WAKE_WORDS,
        "speak": settings.tts_enabled,
        "speaker_id": settings.speaker_id,
        "network": settings.network_enabled,
        "weather_live": skill_value("weather", "live", "auto"),
        "music_stream": skill_value("music", "stream", "auto"),
        "news_feeds": list(skill_value("news", "feeds", [])),
        "skills": sorted(skills),
        "warnings": settings.warnings,
    }


def changes_from_form(form: dict[str, str]) -> dict[tuple[str, ...], Any]:
    """The page's form as (table path, key) -> TOML value; what the form lacks is not changed.

    Raises ``ValueError`` with a message for a person when a value cannot be right."""
    changes: dict[tuple[str, ...], Any] = {}
    if "default_user" in form:
        user = form["default_user"].strip().lower()
        if not user:
            raise ValueError("The default person needs a name.")
        changes[("user", "default")] = user
    if "wake_word" in form:
        if form["wake_word"] not in WAKE_WORDS:
            raise ValueError(f"The wake word must be one of {', '.join(WAKE_WORDS)}.")
        changes[("wake", "word")] = form["wake_word"]
    for field, path in (("speak", ("tts", "enabled")), ("speaker_id", ("speaker", "identify"))):
        changes[path] = form.get(field) == "on"  # an unticked box is not sent at all
    changes[("network", "enabled")] = form.get("network") == "on"
    for field, path in (
        ("weather_live", ("skills", "weather", "live")),
        ("music_stream", ("skills", "music", "stream")),
    ):
        if field in form:
            if form[field] not in TRI_STATE:
                raise ValueError(f"{field} must be auto, true or false.")
            changes[path] = form[field] if form[field] == "auto" else form[field] == "true"
    if "news_feeds" in form:
        feeds = [line.strip() for line in form["news_feeds"].splitlines() if line.strip()]
        bad = [f for f in feeds if not f.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"A news feed is an http(s) address; not: {bad[0]}")
        changes[("skills", "news", "feeds")] = feeds
    return changes


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
    keeps it: the older top-level ``[news]`` when that holds the section, else ``[skills.news]``."""
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
            # a dotted [skills.news] header rather than an empty [skills] table above it
            node[name] = tomlkit.table(is_super_table=name == "skills")
        node = node[name]
    return node
