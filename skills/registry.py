"""Skills register by name; the pipeline asks for a skill by domain or by intent."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from skills.base import Skill

# domain -> "module:factory"; the factory takes no arguments and loads the skill's catalog.
SKILL_FACTORIES: dict[str, str] = {
    "music": "skills.music:load_skill",
    "news": "skills.news:load_skill",
    "weather": "skills.weather:load_skill",
    "video": "skills.video:load_skill",
}


@cache
def load_skill(domain: str) -> Skill:
    """Load (once per process) the skill for a domain."""
    try:
        target = SKILL_FACTORIES[domain]
    except KeyError:
        raise KeyError(f"no skill registered for domain '{domain}'") from None
    module_name, factory_name = target.split(":")
    factory: Callable[[], Skill] = getattr(importlib.import_module(module_name), factory_name)
    return factory()


def all_domains() -> list[str]:
    return list(SKILL_FACTORIES)
