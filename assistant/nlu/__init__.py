"""Language understanding: text -> (intent label, confidence, slots).

``from assistant.nlu import load_nlu; nlu = load_nlu(); nlu.parse("play some jazz")``

Imports: its own layer (``voice``, ``storage``, ``playback``) and those below: ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``dialogue``, ``llm``, ``pipeline``,
``app``, ``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``,
``testkit`` or ``tests``. Skills may not import it (they declare their words in their
``SkillSpec``); the build (``models``) does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.nlu.parser import NluParser

__all__ = ["NluParser", "load_nlu"]


def load_nlu(vocabulary: dict[str, list[str]] | None = None, **kwargs: Any) -> NluParser:
    """The trained parser from the setup-built artifact (raises ``ArtifactMissingError``)."""
    # Imported here so that importing the package (e.g. for its labels) does not load torch.
    from assistant.nlu.parser import load_nlu as _load

    return _load(vocabulary=vocabulary, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "NluParser":
        from assistant.nlu.parser import NluParser

        return NluParser
    raise AttributeError(name)
