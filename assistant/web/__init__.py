"""The household's web page: what is playing, talking to the assistant by typing, what it knows
of each person (and deleting it), and the settings — served by the assistant itself.

``app`` (the routes and the checks every request passes), ``household`` (the way to the one
pipeline, player and store, on the thread that owns them), ``security`` (the password, login,
CSRF tokens and headers), ``settings_file`` (config.toml read and written back) and ``server``
(uvicorn, alone or beside ``assistant serve``). Templates and the vendored htmx are in
``templates/`` and ``static/``.

Imports: its own layer (beside ``frontends`` and ``wyoming``, neither of which it imports),
``app`` and every layer below it; never ``skills``, ``models``, ``evaluation``, ``testkit`` or
``tests``. Skills may not import it.
"""

DEFAULT_HOST = "127.0.0.1"  # loopback: nothing else on the network reaches it
DEFAULT_PORT = 8700
