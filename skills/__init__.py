"""The built-in skills: one package per domain, each owning its catalog and recommender.

Each package declares a ``SkillSpec`` (``assistant.skill_sdk.api``) and is registered under the
``assistant.skills`` entry-point group in ``pyproject.toml``; the core finds it there and knows
nothing else about it. Skills know nothing of audio or of the pipeline: they get a
``SkillRequest`` and answer a ``SkillResult``. ``diversity`` and ``embeddings`` are helpers
shared by the skills.
"""
