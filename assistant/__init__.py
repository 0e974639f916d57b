"""The core of the offline assistant; it names no domain.

It owns the turn pipeline and its stage protocols (``stages``, ``pipeline``), the typed events
(``events``), the history store and sessions (``history``, ``session``), the dialogue manager
and the core's own sentences (``dialogue``, ``nlg``, ``profile``), the contract with skills and
their discovery (``skill_api``, ``plugins``), settings, logging and finding built artifacts
(``config``, ``logs``, ``artifacts``), the speech stages (``stt``, ``tts``, ``audio``,
``speech``), language understanding (``nlu``) and the command line (``cli``, ``app``,
``replay``, ``voice``). What a skill knows comes from its ``SkillSpec``.
"""
