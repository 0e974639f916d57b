"""What a skill is written against: ``api`` (``SkillSpec``, ``SkillRequest``, ``SkillResult``,
``Item``, the ``Skill`` protocol), ``spec`` (the parts a ``SkillSpec`` is made of: ``Answers``,
``SkillWords``, ``SkillPhrasing``, ``OfferPolicy``, ``ModelHints``), ``situation`` (the time and weather around a request),
``storage`` (a skill's own tables in the assistant's database, made by its own migrations),
``status`` (what a skill tells ``assistant status``, and the network check skills share),
``library`` (a library of the user's own files, shown and scanned on the household page) and
``plugins`` (finding installed skills through the ``assistant.skills`` entry points).

Imports: only the bottom layer, ``contracts`` and ``logs``; never ``skills``, ``models``,
``evaluation``, ``testkit`` or ``tests`` (it finds skills through entry points, never by name).
Skills import it; so may every layer above it."""
