"""What the assistant keeps, in one SQLite file: ``history`` is the store of users, turns,
feedback and profiles (one transaction per turn, schema migrations); ``skill_tables`` gives each
skill its own tables in the same file, made by the skill's own migrations; ``connection`` is how
both open it.

Importing this package makes it the storage behind ``assistant.skill_sdk.storage``: every
assistant process imports it (the pipeline needs the history store), so a skill can always ask
for its tables there, and a skill never imports this package.
"""

from assistant.storage import skill_tables

skill_tables.install()
