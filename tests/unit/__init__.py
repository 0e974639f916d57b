"""Tests that need no built model artifacts: most of the fast tier (``pytest -m "not artifacts"``).

A few tests here load the built models all the same; they carry the ``artifacts`` marker, and
the marker, not the folder, decides what the fast tier runs.
"""
