"""What a skill is written against: ``api`` (``SkillSpec``, ``SkillRequest``, ``SkillResult``,
``Item``, the ``Skill`` protocol), ``situation`` (the time and weather around a request) and
``plugins`` (finding installed skills through the ``assistant.skills`` entry points)."""
