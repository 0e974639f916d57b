"""Small stand-ins for the fast tier: stages and a skill that need no built model artifacts.

They implement the same protocols as the real parts (``IntentParser``, ``SpeechToText``,
``TextToSpeech``, ``Skill``), so the pipeline, dialogue manager, NLG and history store under
test are the real ones. Tests that need the real models are marked ``artifacts``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from assistant.contracts.errors import SpeechToTextError
from assistant.contracts.stages import OUT_OF_SCOPE, Parse, SpokenAudio, Transcript
from assistant.llm.runtime import Completion
from assistant.skill_sdk.api import (
    Answers,
    HistoryPhrasing,
    Item,
    SkillPhrasing,
    SkillRequest,
    SkillResult,
    SkillSpec,
    SkillWords,
)
from assistant.skill_sdk.plugins import SkillRegistry

# (pattern, intent, confidence): the first that matches wins; named groups become slots.
RULES: list[tuple[str, str, float]] = [
    (r"^(yes|yeah|sure)\b", "affirm", 0.95),
    (r"^(no|nope)\b", "negate", 0.95),
    (r"\b(another|next|skip)\b", "skip", 0.9),
    (r"\bnot this one\b|\bhate\b", "dislike", 0.9),
    (r"\blike (this|that)\b", "like", 0.6),
    (r"\bi (like|love) (?P<tea_name>[a-z ]+?) tea\b", "like", 0.9),
    (r"\bi (like|love)\b", "like", 0.9),
    (r"\bwhy\b", "explain", 0.9),
    (r"\brepeat\b|\bsay that again\b", "repeat", 0.9),
    (r"\bstop\b", "stop", 0.9),
    (r"\bthanks?\b", "thanks", 0.9),
    (r"\blouder\b", "volume_up", 0.9),
    (r"\bforget me\b", "forget_me", 0.9),
    (r"\bwhat do you know about me\b|\bwhat did i\b", "history_query", 0.9),
    (r"\bwhat tea is this\b", "tea_query", 0.9),
    (r"\bmaybe (some )?tea\b", "recommend_tea", 0.3),  # unsure: the dialogue confirms first
    (r"\b(?P<kind>green|black|herbal)\b.*\btea\b|\btea\b", "recommend_tea", 0.9),
    (r"\bbreak\b", "break_things", 0.9),
]


class KeywordNLU:
    """An ``IntentParser`` from regular expressions; unmatched text is out of scope."""

    def __init__(self, rules: list[tuple[str, str, float]] | None = None) -> None:
        self.rules = [(re.compile(p), intent, conf) for p, intent, conf in (rules or RULES)]
        self.calls: list[str] = []

    def parse(self, text: str) -> Parse:
        self.calls.append(text)
        lowered = text.lower()
        for pattern, intent, confidence in self.rules:
            match = pattern.search(lowered)
            if match:
                slots = {k: v.strip() for k, v in match.groupdict().items() if v}
                return Parse(intent, confidence, slots, text)
        return Parse(OUT_OF_SCOPE, 0.2, {}, text)


class ScriptedSpeech:
    """A ``SpeechToText`` that returns the next scripted transcript (text, or (text, mean token
    log-probability) for a transcript the decoder doubts); silence raises."""

    def __init__(self, transcripts: list[str | tuple[str, float]]) -> None:
        self.transcripts = list(transcripts)

    def transcribe(self, audio: np.ndarray) -> Transcript:
        if audio.size == 0 or float(np.abs(audio).max()) < 1e-4:
            raise SpeechToTextError("no speech in the recording")
        scripted = self.transcripts.pop(0)
        text, avg_logprob = (scripted, -0.1) if isinstance(scripted, str) else scripted
        return Transcript(text, avg_logprob=avg_logprob, duration_s=audio.size / 16000)


class ToneSpeech:
    """A ``TextToSpeech`` that answers with a 440 Hz tone, 10 ms per character."""

    def __init__(self, sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate

    def synthesize(self, text: str) -> SpokenAudio:
        n = max(1, len(text)) * self.sample_rate // 100
        t = np.arange(n, dtype=np.float32) / self.sample_rate
        return SpokenAudio((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), self.sample_rate)


class SentenceTones:
    """A ``StreamingTextToSpeech`` like the Piper voice: one piece per sentence, each a 440 Hz
    tone of 10 ms a character, each taking ``delay_s`` to "synthesise"; ``made`` counts them."""

    def __init__(self, name: str = "joe", sample_rate: int = 22050, delay_s: float = 0.0) -> None:
        self.name, self.sample_rate, self.delay_s = name, sample_rate, delay_s
        self.made = 0

    def stream(self, text: str) -> Iterator[SpokenAudio]:
        for sentence in re.findall(r"[^.!?]+[.!?]*", text):
            if not sentence.strip():
                continue
            time.sleep(self.delay_s)
            self.made += 1
            yield ToneSpeech(self.sample_rate).synthesize(sentence.strip())

    def synthesize(self, text: str) -> SpokenAudio:
        pieces = list(self.stream(text))
        return SpokenAudio(np.concatenate([p.samples for p in pieces]), self.sample_rate)


TEAS = [
    ("sencha", "Sencha", "green", "Japan"),
    ("gyokuro", "Gyokuro", "green", "Japan"),
    ("assam", "Assam", "black", "India"),
    ("darjeeling", "Darjeeling", "black", "India"),
    ("rooibos", "Rooibos", "herbal", "South Africa"),
    ("chamomile", "Chamomile", "herbal", "Egypt"),
]


class TeaSkill:
    """A six-item catalog: liked kinds first, never an item offered this session."""

    name = "tea"
    intents = frozenset({"recommend_tea", "tea_query"})

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})

    def items(self) -> list[Item]:
        return [Item(f"tea:{i}", title, "tea", f"a {kind} tea", origin) for i, title, kind, origin in TEAS]

    def handle(self, request: SkillRequest) -> SkillResult:
        if request.intent == "tea_query":
            if request.anchor is None:
                return SkillResult([], key="query_nothing")
            return SkillResult([request.anchor], key="query", values={"item": request.anchor})
        kind = request.slots.get("kind", "")
        liked = set(request.profile.ids_with("like"))
        disliked = set(request.profile.ids_with("dislike"))
        ruled_out = request.excluded.get("kind", frozenset())
        candidates = [
            it
            for it in self.items()
            if it.id not in request.exclude
            and it.id not in disliked
            and (not kind or kind in it.reason)
            and not any(k in it.reason for k in ruled_out)
        ]
        liked_kinds = {it.reason for it in self.items() if it.id in liked}
        candidates.sort(key=lambda it: it.reason not in liked_kinds)
        if not candidates:
            return SkillResult([], "I've run out of teas.")
        return SkillResult(candidates[: request.k])

    def candidates(self, request: SkillRequest, n: int) -> list[Item]:
        from dataclasses import replace

        return self.handle(replace(request, k=n)).items

    def about(self, item: Item, question: str) -> SkillResult | None:
        """ "Where is it from?" (``AnswersAbout``); None for anything else."""
        if "where" in question.lower() and item.domain == "tea":
            return SkillResult([], f"{item.title} comes from {item.subtitle}.")
        return None

    def lookup(self, slots: dict[str, str]) -> Item | None:
        name = slots.get("tea_name", "").casefold()
        return next((it for it in self.items() if it.title.casefold() == name), None)


class BrokenSkill:
    """A skill with a bug: every request raises ``ZeroDivisionError``."""

    name = "broken"
    intents = frozenset({"break_things"})

    def handle(self, request: SkillRequest) -> SkillResult:
        return SkillResult([], str(1 / 0))


SPEC = SkillSpec(
    name="tea",
    load=TeaSkill,
    answers=Answers(
        offer_intent="recommend_tea",
        intents=frozenset({"tea_query"}),
        slots=frozenset({"kind", "tea_name"}),
        fresh_slots=frozenset({"kind"}),
        named_item_slot="tea_name",
    ),
    words=SkillWords(
        # Words for what it offers besides "tea" (which the classifier reads): what an out-of-scope
        # request must say for the model to move it here.
        domain_words=("brew", "brews", "cuppa"),
        item_nouns=("tea", "teas"),
        # The frame's words ("something caffeine free" refines a tea offer to herbal; "not black").
        constraint_words={
            "kind": {
                "green": (r"green", r"matcha"),
                "black": (r"black", r"strong", r"breakfast"),
                "herbal": (r"herbal", r"caffeine[- ]free", r"calming"),
            }
        },
    ),
    phrasing=SkillPhrasing(
        examples=("suggest a tea", "some green tea"),
        description="suggest a tea",
        topic="tea",
        what="a tea",
        templates={
            "offer": ("How about {item}?", "Try {item}."),
            "item": ("{title} from {subtitle}",),
            "like_unknown": ("I don't know a tea called {title}.",),
            "query": ("That's {item}.",),
            "query_nothing": ("I haven't poured anything yet.",),
        },
        history=HistoryPhrasing(words=("tea", "drink"), kind="tea", noun="teas"),
    ),
    rank=10,
)
BROKEN_SPEC = SkillSpec(
    name="broken",
    load=lambda settings: BrokenSkill(),
    answers=Answers(offer_intent="break_things"),
    phrasing=SkillPhrasing(examples=("break something",), description="break things"),
    rank=50,
)


def fake_skills(settings: Mapping[str, Mapping[str, Any]] | None = None) -> SkillRegistry:
    return SkillRegistry([SPEC, BROKEN_SPEC], settings)


class ScriptedModel:
    """A ``LanguageModel`` that answers each task (understand, pick, explain: told apart by the
    system prompt) with a scripted answer: a dict (sent as JSON), a string (sent as is), or a
    function of the user prompt. ``status`` simulates a model that timed out or failed.
    """

    name = "scripted"

    def __init__(
        self,
        answers: Mapping[str, Any] | None = None,
        status: str = "ok",
        delay_s: float = 0.0,
    ) -> None:
        self.answers = dict(answers or {})
        self.status = status
        self.delay_s = delay_s
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    @staticmethod
    def task(system: str) -> str:
        if system.startswith("You choose"):
            return "pick"
        if "You say in one short spoken sentence" in system:
            return "explain"
        return "understand"

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        task = self.task(system)
        self.calls.append((task, user, schema))
        time.sleep(min(self.delay_s, timeout_s))
        if self.status != "ok" or self.delay_s > timeout_s:
            status = "timeout" if self.delay_s > timeout_s else self.status
            return Completion("", timeout_s * 1000 if status == "timeout" else 1.0, status, error=status)
        answer = self.answers.get(task, "")
        if callable(answer):
            answer = answer(user)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return Completion(text, 12.5, "ok" if text else "error", prompt_tokens=len(user) // 4)
