"""The voice layer: microphone and loudspeaker, wake word, speech-to-text, speaker
identification, text-to-speech and barge-in, and the loop that joins them in voice mode.

``audio`` (PortAudio capture and output), ``vad``/``endpointing`` (where an utterance ends),
``wake``/``wake_check`` (the wake word and its second opinion), ``stt``/``speculative``/
``misheard``/``whisper_checkpoints`` (speech-to-text), ``speaker_id`` (who is speaking),
``enrol`` (teaching it a voice), ``tts`` (speaking), ``bargein`` ("stop" while it plays),
``wavfile``/``synth`` (WAV files and espeak-ng speech for checks), ``loop`` (voice mode).

Imports: its own layer (``nlu``, ``storage``, ``playback``) and those below: ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``dialogue``, ``llm``, ``pipeline``,
``app``, ``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``,
``testkit`` or ``tests``. Skills may not import it."""
