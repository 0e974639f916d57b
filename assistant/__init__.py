"""The core of the offline assistant; it names no domain.

Packages by layer, in the order a turn flows through them:

- ``contracts``: stage protocols, typed events, one error class per stage; imports nothing else.
- ``voice``: microphone and loudspeaker, wake word, speech-to-text, speaker identification,
  text-to-speech, barge-in and the voice-mode loop.
- ``nlu``: the intent and slot model; ``llm``: the local language model's second opinion.
- ``dialogue``: declared matchers decide who takes a turn; frames, likes told in passing.
- ``skill_sdk``: what a skill is written against, and finding installed skills.
- ``pipeline``: the turn runner, the core's own sentences, the session log and replay.
- ``storage``: the history store; ``playback``: the player.
- ``wyoming``: Home Assistant satellites over the Wyoming protocol.

At the top level only what starts or configures it: ``cli``, ``app`` (assembles a pipeline),
``config``, ``logs``, ``artifacts``; ``stt``, ``wake`` and ``speaker`` re-export the loaders
callers outside the project use (``load_stt``, ``load_wake_word``, ``load_speaker_id``).
What a skill knows comes from its ``SkillSpec``; build code lives in ``models/``, evaluation in
``evaluation/``, and neither is imported at run time.
"""
