"""Skills: one package per domain, each owning its catalog and recommender.

Skills know nothing of audio or of the pipeline; they get a ``SkillRequest`` and answer a
``SkillResult``. They register by name in ``skills.registry``.
"""
