"""A local language model as a second opinion: understanding, picks among candidates, explanations.

``runtime`` (the model behind the ``LanguageModel`` protocol), ``prompts`` (built from the
skills' declarations), ``grounding`` (facts checked against evidence), ``advisor`` (when the
model is asked and what its answers change), ``loader`` (config and weights, loaded in the
background), ``weights``. The turn runner (``assistant/pipeline/runner.py``) calls the advisor in
its llm stage (the second reading) and its dialogue stage (picks and explanations).

Imports: the layers below it: ``dialogue``, ``voice``, ``nlu``, ``storage``, ``playback``,
``artifacts``, ``config``, ``skill_sdk``, ``contracts``, ``logs``; not ``pipeline``, ``app``,
``frontends``, ``wyoming`` or ``cli``; never ``skills``, ``models``, ``evaluation``, ``testkit``
or ``tests``. Skills may not import it."""

from assistant.llm.advisor import LlmTrace, SecondOpinion
from assistant.llm.runtime import Completion, LanguageModel

__all__ = ["Completion", "LanguageModel", "LlmTrace", "SecondOpinion"]
