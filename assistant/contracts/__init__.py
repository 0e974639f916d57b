"""What the layers agree on and nothing else: the stage protocols and the values between them
(``stages``), the typed events every turn emits (``events``: session log, replay, latency metrics
and golden tests all read them) and one error class per stage (``errors``).

Imports: nothing else of the assistant, not even ``logs`` (its own import contract). Every other
package of the assistant, and the skills, may import it. (The import rules of every package are
pyproject.toml's ``[tool.importlinter]`` contracts; ``assistant/__init__.py`` lists the layers.)"""
