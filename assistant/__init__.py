"""The core of the offline assistant; it names no domain.

Packages by layer, in the order a turn flows through them:

- ``contracts``: stage protocols, typed events, one error class per stage; imports nothing else.
- ``voice``: microphone and loudspeaker, wake word, speech-to-text, speaker identification,
  text-to-speech, barge-in and the voice-mode loop.
- ``nlu``: the intent and slot model; ``llm``: the local language model's second opinion.
- ``dialogue``: declared matchers decide who takes a turn; frames, likes told in passing.
- ``skill_sdk``: what a skill is written against, and finding installed skills.
- ``pipeline``: the turn runner, the core's own sentences, the session log and replay.
- ``storage``: the history store; ``playback``: the player.
- ``wyoming``: Home Assistant satellites over the Wyoming protocol.

At the top level only what starts or configures it: ``cli`` (the command line, chat and
listen) and ``cli_commands`` (replay, export, serve, the skills' commands), ``app`` (assembles a
pipeline), ``config``, ``logs``, ``artifacts``; ``stt``, ``wake`` and ``speaker`` re-export the
loaders callers outside the project use (``load_stt``, ``load_wake_word``, ``load_speaker_id``).

What may import what is pyproject.toml's ``[tool.importlinter]`` contracts (checked by
``lint-imports`` and tests/unit/test_architecture.py), and each package's ``__init__`` repeats
its own part. The layers, top down; a module imports only its own layer and those below:

1. ``cli``, ``cli_commands``, ``stt``, ``wake``, ``speaker``
2. ``frontends``, ``wyoming``
3. ``app``
4. ``pipeline``
5. ``llm``
6. ``dialogue``
7. ``voice``, ``nlu``, ``storage``, ``playback``
8. ``artifacts``
9. ``config``
10. ``skill_sdk``
11. ``contracts`` (which imports nothing else of the assistant), ``logs``

Nothing in ``assistant`` imports ``skills``, ``models``, ``evaluation``, ``testkit`` or ``tests``.

Why ``skills`` and ``models`` are packages beside ``assistant``, not inside it:

- ``skills`` are plugins the core must not know: the core finds each ``SkillSpec`` through the
  ``assistant.skills`` entry points (pyproject.toml), exactly as it finds a skill installed from
  another distribution, and what it knows of a domain comes from that spec. A package of its
  own makes "the core never imports a skill" one rule over two packages; a skill in turn may
  use only ``skill_sdk`` and the shared services (``contracts``, ``logs``, ``config``,
  ``artifacts``, ``playback``), and the built-in skills are independent of one another.
- ``models`` is build-time code (``python -m models.build``): it downloads, converts and trains
  the artifacts, and may import ``assistant`` and ``skills`` to share their definitions. The
  runtime never imports it; it finds what was built through ``assistant.artifacts``. As a
  package of its own, "runtime code never imports build code" is a boundary between packages
  that an import contract checks. ``evaluation`` (quality reports) and ``testkit`` (test
  helpers) stand beside it for the same reason.
"""
