"""The build side: how each model artifact is obtained, converted or trained
(``python -m models.build``), and the content hashes that say when one is up to date.

A top-level package beside ``assistant``, not inside it: it is build-time code the runtime never
imports (an import contract: ``assistant`` and ``skills`` never import ``models``); the runtime
finds what was built through ``assistant.artifacts`` (ASSISTANT_ARTIFACTS, models/artifacts/).

A skill's own build step is not here: it lives with the skill (``skills/<name>/build.py``),
declared by ``SkillSpec.build``, and ``models.build`` runs it after the core's steps, finding it
through the installed skills (``assistant.skill_sdk.plugins``).

Imports: the runtime (``assistant``, ``skills``), to share model definitions and catalogs with
it; no contract limits what of it. The allowed direction between the packages is models ->
assistant and models -> skills, never back (tests/unit/test_architecture.py).
"""
