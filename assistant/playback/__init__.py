"""Playing audio to the person: ``player`` (the queue, ducking and the PortAudio output) and
``decode`` (reading audio files through libsndfile, or ffmpeg for what it cannot read) and
``artwork`` (the cover picture embedded in a file's tags, for the household page).

Imports: its own layer (``voice``, ``nlu``, ``storage``) and those below: ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``dialogue``, ``llm``, ``pipeline``,
``app``, ``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``,
``testkit`` or ``tests``. A shared service: skills may import it (the music skill plays through
it)."""
