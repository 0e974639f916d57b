"""Finds the installed skills and loads each one with its own settings.

Skills are plugins: every package that declares a ``SkillSpec`` under the ``assistant.skills``
entry-point group (this project's own skills in ``pyproject.toml``, or any pip-installed
package) is found here. The core asks this registry, never a skill module, which skill
answers an intent and how it phrases things.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any, TypeVar

from assistant.contracts.errors import SkillFailedError
from assistant.skill_sdk.api import Skill, SkillSpec

ENTRY_POINT_GROUP = "assistant.skills"
log = logging.getLogger(__name__)

# Loaded skills, shared by every registry in the process that asks with the same settings:
# a catalog takes seconds to load and tests build many pipelines.
_LOADED: dict[tuple[str, str], Skill] = {}
_LOAD_LOCK = threading.Lock()


def discover_specs() -> list[SkillSpec]:
    """Every installed skill's declaration, lowest ``rank`` first.

    A plugin that fails to import is logged with its traceback and left out: one broken
    package must not take the others down.
    """
    specs: dict[str, SkillSpec] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = point.load()
        except Exception:
            log.exception("skill plugin %r (%s) could not be imported", point.name, point.value)
            continue
        if not isinstance(spec, SkillSpec):
            log.error("skill plugin %r (%s) is not a SkillSpec", point.name, point.value)
            continue
        specs.setdefault(spec.name, spec)
    return sorted(specs.values(), key=lambda s: (s.rank, s.name))


T = TypeVar("T")


class SkillRegistry:
    """The skills one pipeline uses: their declarations, and each skill loaded on first use."""

    def __init__(
        self,
        specs: Iterable[SkillSpec],
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        loader: Callable[[str], Skill] | None = None,
    ) -> None:
        self.specs = sorted(specs, key=lambda s: (s.rank, s.name))
        if not self.specs:
            raise SkillFailedError(
                "no skills are installed", user_message="Sorry, no skills are installed. Run ./setup.sh."
            )
        self._by_name = {s.name: s for s in self.specs}
        self._by_intent: dict[str, SkillSpec] = {}
        for spec in self.specs:
            for intent in spec.answers.all_intents:
                self._by_intent.setdefault(intent, spec)
        self.settings = {k: dict(v) for k, v in (settings or {}).items()}
        self._loader = loader

    @classmethod
    def discover(cls, settings: Mapping[str, Mapping[str, Any]] | None = None) -> SkillRegistry:
        """A registry of every installed skill (through the ``assistant.skills`` entry points)."""
        return cls(discover_specs(), settings)

    @classmethod
    def wrap(cls, skills: SkillRegistry | Callable[[str], Skill]) -> SkillRegistry:
        """A registry as given, or one around a ``skill_for(name)`` function (tests, benches)."""
        if isinstance(skills, SkillRegistry):
            return skills
        return cls(discover_specs(), loader=skills)

    @property
    def default(self) -> SkillSpec:
        """The first skill by rank: the one the core falls back on when no domain is named."""
        return self.specs[0]

    def names(self) -> list[str]:
        """The names of the installed skills, in rank order."""
        return [s.name for s in self.specs]

    def spec(self, name: str) -> SkillSpec | None:
        """The spec of the skill called ``name``, or None."""
        return self._by_name.get(name)

    def owner(self, intent: str) -> SkillSpec | None:
        """The skill that answers ``intent``, or None when the core does."""
        return self._by_intent.get(intent)

    def offer_owner(self, intent: str) -> SkillSpec | None:
        """The skill whose offer intent ``intent`` is, or None."""
        spec = self._by_intent.get(intent)
        return spec if spec is not None and spec.answers.offer_intent == intent else None

    def skill_with(self, name: str, protocol: type[T]) -> T | None:
        """The loaded skill if it implements ``protocol`` (``Converses``, ``NamesItems``, ...);
        None when it does not or cannot be loaded (that failure is logged where it happens)."""
        try:
            skill = self.skill(name)
        except SkillFailedError:
            return None
        return skill if isinstance(skill, protocol) else None

    def skill(self, name: str) -> Skill:
        """The loaded skill; a catalog that is not built becomes a clear reply."""
        if self._loader is not None:
            return self._loader(name)
        spec = self._by_name.get(name)
        if spec is None:
            raise SkillFailedError(f"no skill is installed for {name!r}")
        section = self.settings.get(name, {})
        key = (name, json.dumps(section, sort_keys=True, default=str))
        with _LOAD_LOCK:
            if key not in _LOADED:
                try:
                    _LOADED[key] = spec.load(section)
                except Exception as exc:
                    log.exception("the %s skill could not be loaded", name)
                    raise SkillFailedError(
                        f"cannot load the {name} skill: {exc}",
                        user_message=f"Sorry, my {name} catalog is not available right now. "
                        "Running ./setup.sh rebuilds it.",
                    ) from exc
            return _LOADED[key]
