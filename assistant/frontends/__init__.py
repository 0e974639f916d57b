"""Ways in that drive whole turns: ``voice_loop`` (voice mode: listen, answer aloud, listen
again) and ``enrol`` (teaching it a person's voice). The terminal chat is ``assistant.cli`` and
Home Assistant satellites come in through ``assistant.wyoming``.

Imports: its own layer (``wyoming``), ``app`` and every layer below it; not ``cli``,
``cli_commands``, ``stt``, ``wake`` or ``speaker``; never ``skills``, ``models``,
``evaluation``, ``testkit`` or ``tests``. Skills may not import it."""
