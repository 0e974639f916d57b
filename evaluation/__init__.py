"""Evaluation of the models from outside: run with ``python -m evaluation.<name>``. The runtime
never imports this package."""
