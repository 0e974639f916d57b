"""The dialogue layer: what to do with an understood utterance, given the conversation so far.

``manager`` routes a turn through declared, ordered matchers; ``state`` is what a turn reads and
leaves behind; ``frame`` tracks each skill's constraints and what "it" points at; ``likes`` reads
likes told in passing; ``followon`` reads follow-ons ("what about tomorrow"); ``offers`` calls
into skills; ``core_intents`` answers the core's own intents; ``phrases`` holds the word patterns
they share; ``situation_reader`` reads the time, weather and company around a request.

Imports: the layers below it: ``voice``, ``nlu``, ``storage``, ``playback``, ``artifacts``,
``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``llm``, ``pipeline``, ``app``,
``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``, ``testkit``
or ``tests``. Skills may not import it."""

from assistant.dialogue.manager import DialogueManager, trailing_slots
from assistant.dialogue.state import DialogueState, Outcome, TurnContext

__all__ = ["DialogueManager", "DialogueState", "Outcome", "TurnContext", "trailing_slots"]
