"""Semantic endpointing: end the turn after a short pause when the words already make a request.

The acoustic endpointer waits 0.7 s of silence, because people pause inside sentences ("play
some songs by ... Queen"). But when the transcript of the speech so far parses as a confident,
complete request, a short pause is the end of it. ``SemanticEndpointing`` drives this from the
voice loop's two microphone callbacks:

- ``on_pause`` (silence has lasted ``SPECULATE_AFTER_S``): start transcribing the audio so far
  in the speculative worker (``assistant.voice.speculative``). Whisper encodes a fixed 30 s
  window whatever the clip's length, so a transcript made while the user is still talking does
  not shorten the decode after the last word; starting that decode at the first short silence
  does. Speech that resumes makes the next pause start a fresh one (the stale one is dropped).
- ``end_early`` (asked after every block of the pause): once the silence has lasted
  ``SEMANTIC_PAUSE_S`` and the transcript of exactly this speech is ready, end the utterance if
  Whisper is confident of it (``MIN_AVG_LOGPROB``) and ``is_complete`` says it reads as a whole
  request. A whole request Whisper doubts a little is transcribed again by the stage itself and
  ends the turn after ``DOUBTFUL_PAUSE_S`` when that transcript reads whole too; the rest waits
  for the acoustic end.

A transcript that ends on a word that needs a continuation (an article, a preposition, a
conjunction, a possessive, a verb without its object, or a word that introduces a name: "the
album", "who sings") or that the classifier is unsure of keeps the full acoustic wait. These
word lists were read off the latency bench's 20 hand-made hesitations and a first draw of 100
held-out hesitations; the bench reports its offline figure on other held-out requests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from assistant.contracts.stages import Parse, Transcript

# Words a request does not end on: what follows them is still to come.
DANGLING = frozenset(
    """a an the some any my your our their his her its this that these those by to for of with
    about from in on at into onto and or but nor than like as is are was were be been being
    what what's whats who whose which where when how why play put set find show tell give
    recommend suggest turn switch more less very really just also um uh er erm hmm
    after before did does new newer newest latest""".split()
)
# "after", "did"/"does" ("why did ... Bob Dylan win"), "new"/"latest" ("I want to know the latest
# ... local news"): 9 of the 28 cuts in a training-split draw of 600 hesitations (2026-12-02,
# tiny.en-requests). "what's new" and "what's the latest" are whole requests too; they now wait
# the acoustic 0.7 s, which costs latency, not a wrong answer.
# Of those, the prepositions: "for it" ends a request Whisper completed for the speaker (below),
# "I like it" does not.
PREPOSITIONS = frozenset("by to for of with about from in on at into onto".split())
# Words that introduce a name, so a request ending on them is most likely waiting for it ("play
# the album ... Abbey Road", "who sings ... Shape of You", "turn the volume ... down"): on the
# latency bench's hesitation set these three were the only cuts of the rule above. These are the
# core's own; each skill adds its words for what it names (``SkillSpec.words.name_cues``: "album",
# "director", ...), passed in as ``name_cues``.
INTRODUCES_A_NAME = frozenset("called named titled volume genre series show shows".split())
# Verbs that take an object: "I loved ... Fight Club", "I'd prefer ... something calmer".
# "liked" and "likes": "I really liked ... Taxi Driver" was cut twice in a training-split draw of
# 300 hesitations (bench/voice_latency.py --only-hesitations --dev).
NEEDS_AN_OBJECT = frozenset(
    """love loved loves like liked likes hate hated hates want wants need needs enjoy enjoyed enjoys
    prefer prefers hear stand""".split()
)
# "I want to hear ... Surfin' USA" (3 cuts), "I can't stand ... thriller movies" (1): the same draw.
# A verb that hands its object to the name still to come: "play me ... the news radio channel".
GIVES_TO_ME = frozenset("play show tell give find get recommend suggest send".split())
FAREWELL_WORDS = 3  # "bye", "okay bye", "thanks, bye bye": a longer request ending on "bye" is "by"
MIN_CONFIDENCE = 0.8  # the classifier's calibrated probability of its best in-scope intent
MIN_CONFIDENCE_ONE_WORD = 0.9  # "stop", "next": short, and often the start of something longer
# Silence that starts the speculative decode. webrtcvad (mode 2) marks the gaps between words of
# fluent speech as voiced: in the latency bench's 10 requests spoken by 21 voice/rate pairs the
# only silence of 0.09 s or more was the one after the last word, so this costs no extra decodes.
SPECULATE_AFTER_S = 0.12
SEMANTIC_PAUSE_S = 0.25  # silence after which a complete request ends the turn
# A transcript Whisper itself doubts does not end the turn early: on 66 spoken training-split
# requests (espeak-ng voices) 24 of the 29 transcripts under this average token log-probability
# had 30 % or more of their words wrong, against 8 of the 37 above it.
MIN_AVG_LOGPROB = -0.45
# A whole request whose transcript Whisper doubts a little (average log-probability between
# MIN_DOUBTFUL_LOGPROB and MIN_AVG_LOGPROB) ends the turn after DOUBTFUL_PAUSE_S of silence
# instead of the acoustic 0.7 s, when the stage's own (full-window) transcript of the same speech
# reads whole too. Chosen on 300 training-split requests that name something, each spoken by an
# espeak-ng and a Piper voice (600, Festival left out), said whole and cut before the name with a
# 0.4-0.6 s hesitation (2026-12-07): the tier ends 40 more whole requests early (101 -> 141) for
# 2 more cut hesitations; without the floor 47 for 7, at 0.45 s 40 for 5, at 0.55 s 40 for 2.
DOUBTFUL_PAUSE_S = 0.5
MIN_DOUBTFUL_LOGPROB = -0.8
COMPLETE, DOUBTFUL, UNFINISHED = "complete", "doubtful", "unfinished"
_WORD = re.compile(r"[a-z']+")


def is_complete(
    text: str,
    parse: Parse,
    out_of_scope: str = "out_of_scope",
    item_nouns: frozenset[str] = frozenset(),
    trailing_slots: Mapping[str, frozenset[str]] | None = None,
    name_cues: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``text`` (a transcript so far) already reads as a whole, confident request.

    ``item_nouns`` are the skills' words for what they offer (``SkillSpec.words.item_nouns``): after
    "the" one of them is followed by the item's name ("I need to hear the ... <name>").
    ``trailing_slots``: intent -> slots people add after a whole request of it
    (``SkillSpec.words.trailing_slots``); a parse with none of them may still be going on.
    ``name_cues``: the skills' words a name follows (``SkillSpec.words.name_cues``: "the album ...").
    """
    stripped = text.strip()
    words = _WORD.findall(stripped.lower())
    if not words or stripped.endswith(("...", "-", ",")):
        return False
    if (
        words[-1] in DANGLING | INTRODUCES_A_NAME | name_cues | NEEDS_AN_OBJECT
        or parse.intent == out_of_scope
    ):
        return False
    if len(words) >= 2 and words[-2] == "the" and words[-1] in item_nouns:
        return False
    if len(words) >= 2 and words[-1] == "me" and words[-2] in GIVES_TO_ME:
        return False
    if words[-1] == "bye" and len(words) > FAREWELL_WORDS:
        # Whisper writes "by" before a pause as "bye": "I like a song sung by ... Arijit Singh"
        # was heard as "I like a song sing bye" and ended early (training-split draw of 300).
        return False
    if len(words) >= 2 and words[-1] == "it" and words[-2] in PREPOSITIONS:
        # Whisper fills a pause after a preposition with "it": "play some music for ... studying"
        # was heard as "play some music for it" and ended early, twice in 20 live hesitations
        # once the decode was fast enough to be ready within the short pause.
        return False
    trailing = (trailing_slots or {}).get(parse.intent, frozenset())
    if trailing and not trailing & parse.slots.keys():
        # "will I need sunscreen ... today", "what songs did you play me ... last week": whole
        # requests, but 3 of the 7 cuts in a training-split draw of 300 hesitations and 3 of 5
        # held-out ones were a date said after one. The turn ends on the acoustic wait instead.
        return False
    needed = MIN_CONFIDENCE_ONE_WORD if len(words) == 1 else MIN_CONFIDENCE
    return parse.confidence >= needed


class SemanticEndpointing:
    """The two microphone callbacks of semantic endpointing over a speculative STT.

    ``stt`` needs ``prefetch(audio, voiced_samples, quick)``, ``peek(voiced_samples)``,
    ``accept(voiced_samples)`` and ``confirm(voiced_samples)`` (as ``SpeculativeSpeechToText``
    has); ``parse`` is the NLU's ``parse``. ``speculate_after_s`` is
    the pause length at which ``on_pause`` is called (the microphone's ``pause_s``).
    ``item_nouns``, ``trailing_slots``, ``name_cues``: see ``is_complete``.
    """

    def __init__(
        self,
        stt,
        parse: Callable[[str], Parse],
        speculate_after_s: float = SPECULATE_AFTER_S,
        pause_s: float = SEMANTIC_PAUSE_S,
        doubtful_pause_s: float = DOUBTFUL_PAUSE_S,
        clock: Callable[[], float] = time.perf_counter,
        item_nouns: frozenset[str] = frozenset(),
        trailing_slots: Mapping[str, frozenset[str]] | None = None,
        name_cues: frozenset[str] = frozenset(),
    ) -> None:
        self.stt, self.parse = stt, parse
        self.item_nouns, self.name_cues = item_nouns, name_cues
        self.trailing_slots = dict(trailing_slots or {})
        self.speculate_after_s, self.pause_s = speculate_after_s, pause_s
        self.doubtful_pause_s = doubtful_pause_s
        self.clock = clock
        self.enabled = True
        self._pause: tuple[int, float] | None = None  # (voiced samples, clock when the pause began)
        # (voiced samples, verdict) last decided: COMPLETE, DOUBTFUL (whole words, doubted
        # transcript: judged again on the stage's own transcript after ``doubtful_pause_s``) or
        # UNFINISHED.
        self._judged: tuple[int, str] | None = None
        self.last_transcript = ""  # what the last decision was made on (the bench prints it)

    def on_pause(self, audio, voiced_samples: int, quick: bool = True) -> None:
        """Silence has lasted ``speculate_after_s``: transcribe the audio so far (``quick``: with
        the speculative STT's quick stage, whose transcript the turn keeps only if it ends it)."""
        self._pause = (voiced_samples, self.clock() - self.speculate_after_s)
        # A new pause is new speech to judge, even with as many voiced samples as the last one
        # judged (another utterance of the same length: counts come in 30 ms blocks).
        self._judged = None
        self.stt.prefetch(audio, voiced_samples, quick=quick)

    def end_early(self, voiced_samples: int) -> bool:
        """True when the pause after exactly this speech ends a complete request."""
        if not self.enabled or self._pause is None or self._pause[0] != voiced_samples:
            return False
        paused_s = self.clock() - self._pause[1]
        if paused_s < self.pause_s:
            return False
        if self._judged is not None and self._judged[0] == voiced_samples:
            verdict = self._judged[1]
            if verdict != DOUBTFUL or paused_s < self.doubtful_pause_s:
                return verdict == COMPLETE
            return self._judge_again(voiced_samples)
        transcript = self.stt.peek(voiced_samples)
        if transcript is None:  # not transcribed yet: asked again after the next block
            return False
        verdict = self._verdict(transcript)
        self._judged = (voiced_samples, verdict)
        # Whatever is not ended now is transcribed again by the stage itself (its own look over
        # the full window): the turn's transcript, and a doubtful request's second judgement.
        (self.stt.accept if verdict == COMPLETE else self.stt.confirm)(voiced_samples)
        return verdict == COMPLETE

    def _judge_again(self, voiced_samples: int) -> bool:
        """A doubted whole request after ``doubtful_pause_s``: ends the turn when the stage's own
        transcript of the same speech reads as a whole request too (see ``DOUBTFUL_PAUSE_S``)."""
        transcript = self.stt.peek(voiced_samples)
        if transcript is None:  # the stage's look is not ready: asked again after the next block
            return False
        complete = self._verdict(transcript) != UNFINISHED  # the longer pause is over: doubt ends it too
        self._judged = (voiced_samples, COMPLETE if complete else UNFINISHED)
        return complete

    def _verdict(self, transcript: Transcript) -> str:
        """COMPLETE, DOUBTFUL or UNFINISHED for ``transcript`` (see ``DOUBTFUL_PAUSE_S``)."""
        self.last_transcript = transcript.text
        if transcript.avg_logprob < MIN_DOUBTFUL_LOGPROB or not is_complete(
            transcript.text,
            self.parse(transcript.text),
            item_nouns=self.item_nouns,
            trailing_slots=self.trailing_slots,
            name_cues=self.name_cues,
        ):
            return UNFINISHED
        return COMPLETE if transcript.avg_logprob >= MIN_AVG_LOGPROB else DOUBTFUL
