"""What the assistant keeps, in one SQLite file: ``history`` is the store of users, turns,
feedback and profiles (one transaction per turn, schema migrations); ``skill_tables`` gives each
skill its own tables in the same file, made by the skill's own migrations; ``connection`` is how
both open it.

Importing this package makes it the storage behind ``assistant.skill_sdk.storage``: every
assistant process imports it (the pipeline needs the history store), so a skill can always ask
for its tables there, and a skill never imports this package.

Imports: its own layer (``voice``, ``nlu``, ``playback``) and those below: ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``dialogue``, ``llm``, ``pipeline``,
``app``, ``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``,
``testkit`` or ``tests``. Skills may not import it: what a skill knows of a user comes in its
``SkillRequest`` (``profile``).
"""

from assistant.storage import skill_tables

skill_tables.install()
