"""The build side: how each model artifact is obtained, converted or trained
(``python -m models.build``), and the content hashes that say when one is up to date.

Build code may import the runtime (``assistant``, ``skills``) to share model definitions; the
runtime never imports this package: it finds what was built through ``assistant.artifacts``.
"""
