"""A local language model as a second opinion: understanding, picks among candidates, explanations.

``runtime`` (the model behind the ``LanguageModel`` protocol), ``prompts`` (built from the
skills' declarations), ``grounding`` (facts checked against evidence), ``advisor`` (when the
model is asked and what its answers change), ``loader`` (config and weights, loaded in the
background), ``weights``. The turn runner (``assistant/pipeline/runner.py``) calls the advisor in
its llm stage (the second reading) and its dialogue stage (picks and explanations).
"""

from assistant.llm.advisor import LlmTrace, SecondOpinion
from assistant.llm.runtime import Completion, LanguageModel

__all__ = ["Completion", "LanguageModel", "LlmTrace", "SecondOpinion"]
