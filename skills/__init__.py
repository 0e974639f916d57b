"""The built-in skills: one package per domain (``music``, ``news``, ``weather``, ``video``),
each owning its catalog, recommender and phrasing.

Each package declares a ``SkillSpec`` (``assistant.skill_sdk.api``, built from the parts in
``assistant.skill_sdk.spec``) and is registered under the ``assistant.skills`` entry-point group
in ``pyproject.toml``; the core finds it there and knows nothing else about it. Skills know nothing of audio or of the pipeline: they get a
``SkillRequest`` and answer a ``SkillResult``. ``decades``, ``diversity``, ``embeddings`` and
``situations`` are helpers any skill may use.

A top-level package beside ``assistant``, not inside it: skills are plugins the core must not
know (``assistant`` never imports ``skills``, an import contract), loaded through entry points
as a skill from another distribution would be.

Imports (pyproject.toml's ``[tool.importlinter]`` contracts): from ``assistant`` only the skill
SDK and the shared services: ``assistant.skill_sdk``, ``assistant.contracts``,
``assistant.logs``, ``assistant.config``, ``assistant.artifacts`` and ``assistant.playback``;
not ``cli``, ``cli_commands``, ``frontends``, ``wyoming``, ``app``, ``pipeline``, ``llm``,
``dialogue``, ``voice``, ``nlu`` or ``storage``; never ``models``, ``evaluation``, ``testkit`` or
``tests``. The four skills are independent of one another (none imports another); each may use
the helpers above. Only the build (``models``), the tests and the benchmarks import a skill by
name.
"""
