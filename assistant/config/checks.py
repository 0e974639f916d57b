"""Checking a table of config.toml against a pydantic model, and the wording of the warnings:
a skill's own section (``SkillSpec.settings_model``), the ``[skills]`` tables, "did you mean",
and a type as a warning names it. A problem is a warning, never an exception."""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ValidationError

from assistant.config.settings import file_keys

if TYPE_CHECKING:
    from assistant.skill_sdk.api import SkillSpec


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
            hint = did_you_mean(key, sorted(names), "{}")
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
                expected = describe(info.annotation) if info is not None else error["msg"]
                warnings.append(
                    f"{path}: {where(key)} should be {expected}, got {kept.pop(key)!r}; using default"
                )


def skill_sections(
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
                hint = did_you_mean(name, list(by_name), "[skills.{}]")
                why = f"no installed skill is named {name!r} (installed: {installed})"
                warnings.append(f"{path}: unknown section [skills.{name}]{hint}: {why}; ignored")
            else:
                hint = did_you_mean(name, [*sorted({s for s, _ in file_keys()}), *by_name], "[{}]")
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


def did_you_mean(word: str, choices: list[str], shown: str) -> str:
    """The hint " (did you mean [stt]?)" for a close enough choice, put in ``shown``; else ""."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {shown.format(close[0])}?)" if close else ""


def describe(annotation: Any) -> str:
    """A type as the warning says it: ``int``, ``list of str``, ``bool or "auto"``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return describe(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {describe(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    return getattr(annotation, "__name__", str(annotation))
