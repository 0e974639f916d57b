"""Helpers that tests and benchmarks share: a virtual PulseAudio stack (``audio_stack``) and
generated tagged music files (``music_files``).

Imports: what it needs of ``assistant`` (the voice layer's audio); no contract limits it.
Outside the runtime packages: ``assistant/`` and ``skills/`` never import it (an import
contract in pyproject.toml). Importable from the repository root, as ``tests`` and ``bench`` are.
"""
