"""Speech figures, run as ``python -m assistant.speech.evaluate`` (``evaluate``).

Only an entry point: the evaluation itself lives in ``evaluation/`` (``evaluation.speech``,
``evaluation.voices``), which runtime code never imports. No module of the assistant imports
this package (an import-linter contract in pyproject.toml says so).
"""
