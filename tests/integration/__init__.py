"""Tests of the whole: the built models (NLU, Whisper, wake word, speaker id, language model),
the real sound stack (a private PulseAudio server) and the assistant run end to end as a process.

Most need the artifacts built by setup.sh and carry the ``artifacts`` marker; the tests here
without it stay in the fast tier (``pytest -m "not artifacts"``).
"""
