"""The turn: ``runner`` runs audio → wake → stt → nlu (→ llm) → dialogue → skill → nlg →
tts/player for one utterance, one method per stage, each emitting its events and raising its
own error class; ``turn`` holds what a turn produces and records; ``nlg`` writes the
core's own sentences; ``session_log`` writes and reads the events of a session as JSON lines;
``replay`` runs a recorded session through the current build and reports what changed.

Imports: the layers below it: ``llm``, ``dialogue``, ``voice``, ``nlu``, ``storage``,
``playback``, ``artifacts``, ``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``app``,
``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``, ``testkit``
or ``tests``. Skills may not import it."""
