"""Evaluation of the models from outside: run with ``python -m evaluation.<name>``
(``nlu``, ``speech``; docs/nlu.md and docs/speech.md say what they measure).

Imports: whatever it measures (``assistant``: the NLU, the voice stack, the pipeline); no
contract limits it. The runtime (``assistant``, ``skills``) never imports it (an import contract
in pyproject.toml); tests and benchmarks may.
"""
