"""What the assistant keeps: ``history`` is the SQLite store of users, turns, feedback and
profiles (one transaction per turn, schema migrations).

Imports: its own layer (``voice``, ``nlu``, ``playback``) and those below: ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``dialogue``, ``llm``, ``pipeline``,
``app``, ``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``,
``testkit`` or ``tests``. Skills may not import it: what a skill knows of a user comes in its
``SkillRequest`` (``profile``)."""
