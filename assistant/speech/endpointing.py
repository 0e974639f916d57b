"""Semantic endpointing: end the turn after a short pause when the words already make a request.

The acoustic endpointer waits 0.7 s of silence, because people pause inside sentences ("play
some songs by ... Queen"). But when the transcript of the speech so far (the speculative
transcription started at the first 0.25 s pause) parses as a confident, complete request, the
pause is the end of it: the voice loop ends the utterance there. A transcript that ends on a
word that needs a continuation (an article, a preposition, a conjunction, a possessive) or that
the classifier is unsure of keeps the full wait.
"""

from __future__ import annotations

import re

from assistant.stages import Parse

# Words a request does not end on: what follows them is still to come.
DANGLING = frozenset(
    """a an the some any my your our their his her its this that these those by to for of with
    about from in on at into onto and or but nor than like as is are was were be been being
    what what's whats who whose which where when how why play put set find show tell give
    recommend suggest turn switch more less very really just also um uh er erm hmm""".split()
)
MIN_CONFIDENCE = 0.8  # the classifier's calibrated probability of its best in-scope intent
MIN_CONFIDENCE_ONE_WORD = 0.9  # "stop", "next": short, and often the start of something longer
_WORD = re.compile(r"[a-z']+")


def is_complete(text: str, parse: Parse, out_of_scope: str = "out_of_scope") -> bool:
    """Whether ``text`` (a transcript so far) already reads as a whole, confident request."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower())
    if not words or stripped.endswith(("...", "-", ",")):
        return False
    if words[-1] in DANGLING or parse.intent == out_of_scope:
        return False
    needed = MIN_CONFIDENCE_ONE_WORD if len(words) == 1 else MIN_CONFIDENCE
    return parse.confidence >= needed
