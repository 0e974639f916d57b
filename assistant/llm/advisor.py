"""The language model as a second opinion: when to ask it, and what to do with its answer.

The classifier stays the fast path. The model is asked only

- to *understand* a request the classifier is unsure of (out of scope but in a skill's own
  words, or below ``UNSURE``), or one whose words the parse leaves unexplained (constraints no
  slot caught: "a cowboy film from the fifties" when only "film" was understood);
- to *pick* among a skill's own top candidates for such an open request, when the person has
  likes the model can weigh (ids constrained to the candidates: it cannot invent an item);
- to *explain* "why?" from the evidence the recommender used (every fact checked in code).

Every answer is parsed and checked; anything unusable (timeout, empty, wrong) leaves the
classifier's path as it was, and every call is recorded as an ``LlmCall`` event. A reading that
moves a request to a skill the classifier did not choose stands only when the request says one
of that skill's own words (``skills_named``): the model routes too readily ("what is the
current time in California" to the weather, "I need a taxi for tomorrow" too).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from assistant.contracts.stages import OUT_OF_SCOPE, Parse
from assistant.dialogue.phrases import domain_words_pattern, words_pattern
from assistant.dialogue.state import DialogueState, HistoryReader, Outcome, TurnContext
from assistant.llm import prompts
from assistant.llm.grounding import misattributed, ungrounded_claims
from assistant.llm.runtime import Completion, LanguageModel
from assistant.skill_sdk.api import (
    Candidates,
    Item,
    NamesItems,
    SkillRequest,
    SkillSpec,
    join_values,
    split_values,
)
from assistant.skill_sdk.plugins import SkillRegistry

log = logging.getLogger(__name__)

# Below this classifier confidence an offer is a guess worth a second opinion: where the
# dialogue would ask "did you want ...?", the model answers instead.
UNSURE = 0.5
# The classifier at or above this keeps its offer even when the model says no skill fits.
SURE = 0.85
# Candidates a pick chooses among: each is ~23 prompt tokens read on every pick (~0.5 s on two
# threads), and the recommender's first choice was right more often than the model's (83 % vs
# 67 % on data/llm/picks.jsonl), so a few close alternatives are enough.
CANDIDATES = 4
# A request that needs the model while start-up still reads its prompts waits this long for
# them (the first prompt is not delayed: only requests that need the model wait), then takes the
# classifier's path. Reading the ~700-token understanding prompt took 16 s on an idle 2-core
# machine (bench/llm_turns.py), far longer under load.
WARM_WAIT_S = 30.0
# How long a one-shot start waits at its end for the warm-up to read the prompts it has not read
# yet, so that all three are kept for the next start (``finish_warming``). The pick and
# explanation prompts are ~90 tokens each: 14 s together on the loaded 2-core machine (load
# average 6.5), well under a second each idle; past this the next start reads what is missing.
FINISH_WARM_S = 60.0
# Words that carry no request of their own: what is left after them, the slot values and the
# skills' own example words is what the parse did not explain.
STOPWORDS = frozenset(
    """a an the some any something anything me my i i'd i'm im you your we us our it its it's
    this that these those is are was be been am do does did can could would should will shall
    may might must please pls want wanna need like love get give find show tell play put let
    lets let's suggest recommend recommendation recommendations good great nice best new
    another other more one ones bit little lot lots really very just so too also maybe
    for to of in on at by with from about and or but not no yes what whats what's which who
    how when where why there here now today tonight right up out off please thanks thank
    hey hi hello ok okay well oh um uh kind sort type watch listen hear see go have has had
    again same else""".split()
)
WORD = re.compile(r"[a-z][a-z']+")


@dataclass
class LlmTrace:
    """What the model did in one turn: calls for the session log, who understood, time spent."""

    understood_by: str = "classifier"
    ms: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def record(self, task: str, model: str, prompt: str, completion: Completion, status: str) -> None:
        """Add one model call to the turn's trace and its time to the total."""
        self.ms += completion.ms
        self.calls.append(
            {
                "task": task,
                "model": model,
                "prompt_chars": len(prompt),
                "prompt_tokens": completion.prompt_tokens,
                "cached_tokens": completion.cached_tokens,
                "output": completion.text[:500],
                "ms": completion.ms,
                "status": status,
                "error": completion.error[:300],
            }
        )


class SecondOpinion:
    """The language model's second opinion: reads requests the classifier is unsure of, picks and explains."""

    def __init__(
        self,
        model: LanguageModel,
        skills: SkillRegistry,
        history: HistoryReader,
        timeout_s: float = 4.0,
        on_thinking: Callable[[], None] | None = None,
    ) -> None:
        self.model = model
        self.skills = skills
        self.history = history
        self.timeout_s = timeout_s
        self.on_thinking = on_thinking  # voice mode says "Let me think..." before a slow call
        self.understand_prompt = prompts.understanding_system_prompt(skills.specs)
        self.understand_schema = prompts.understanding_schema(skills.specs)
        self._schemas: dict[frozenset[tuple[str, str]], dict[str, Any]] = {}  # by slots left out
        self.covered = self._covered_words(skills.specs)
        self.domain_words = {s.name: domain_words_pattern(s) for s in skills.specs}
        self.own_words = {
            s.name: words_pattern(
                [*s.words.domain_words, *(c for doc in s.llm.slot_docs.values() for c in doc.choices)]
            )
            for s in skills.specs
        }
        self.expected_ms = 1500.0  # running estimate of one call's time, for the filler
        # System prompts ``warm`` is still reading into the cache: set when each is read.
        self.cold: dict[str, threading.Event] = {}
        self.warm_wait_s = WARM_WAIT_S
        # The system prompts of the calls now asking the model (one entry per call): the
        # warm-up reads a prompt nobody waits for only when no call is asking (``_next_read``).
        self._asking: Counter[str] = Counter()
        self._asking_changed = threading.Condition()
        self._warming: threading.Thread | None = None

    @staticmethod
    def _covered_words(specs: Sequence[SkillSpec]) -> frozenset[str]:
        text = " ".join(
            " ".join(
                [
                    *s.phrasing.examples,
                    s.phrasing.description,
                    s.phrasing.topic,
                    s.phrasing.what,
                    s.name,
                    *s.words.item_nouns,
                ]
            )
            + " "
            + " ".join(c for doc in s.llm.slot_docs.values() for c in doc.choices)
            for s in specs
        )
        return frozenset(WORD.findall(text.lower())) - STOPWORDS

    def start_warming(self) -> None:
        """Run ``warm`` on its own thread (start-up): requests are served meanwhile."""
        self._warming = threading.Thread(target=self.warm, name="llm-warm", daemon=True)
        self._warming.start()

    def finish_warming(self, timeout_s: float = FINISH_WARM_S) -> bool:
        """Wait, at most ``timeout_s``, for the warm-up to have read every prompt; True when it has.

        A one-shot start (``echo ... | assistant --text``) calls it before it exits: the model
        writes each prompt it read into its cache file at exit, so the next start restores all
        three and reads none. Without it the one-shot start ended while the warm-up still read the
        pick and explanation prompts, and the next start read them again at start-up, while its
        first request waited behind them (bench/llm_start.py, second start)."""
        if self._warming is None:
            return True
        self._warming.join(timeout_s)
        return not self._warming.is_alive()

    def warm(self, timeout_s: float = 300.0) -> None:
        """Read each task's system prompt into the model's cache (start-up, on its own thread):
        uncached, the understanding prompt alone is ~800 tokens, 5-60 s on one shared core.

        Every prompt whose cache a second start can restore from its file
        (``LlamaModel.restore_prompt``, milliseconds) is restored first; then the others are read.
        Until a task's prompt is read, a call for that task waits for it (``_ask``), at most
        ``warm_wait_s``; requests that do not need the model never wait. Understanding comes
        first: it is the call most turns that need the model make. A prompt no call is waiting
        for is read only while no call is asking the model (``_next_read``), so a request does
        not wait seconds behind the reading of a prompt it does not need.
        """
        tasks = {
            self.understand_prompt: ("Request: hello", self.understand_schema),
            prompts.PICK_SYSTEM_PROMPT: ("Candidates:", prompts.pick_schema(1)),
            prompts.EXPLAIN_SYSTEM_PROMPT: ("Evidence:", prompts.EXPLAIN_SCHEMA),
        }
        self.cold = {system: threading.Event() for system in tasks}
        # A model that keeps its prompts' caches across starts restores each one from its file
        # instead (milliseconds, against the 22 s the three took to read on the shared machine).
        restore = getattr(self.model, "restore_prompt", None)
        try:
            unread = []
            for system in tasks:
                if restore is not None and restore(system, timeout_s):
                    self.cold[system].set()
                else:
                    unread.append(system)
            give_up = time.monotonic() + timeout_s
            while unread:
                system = self._next_read(unread, max(0.0, give_up - time.monotonic()))
                unread.remove(system)
                user, schema = tasks[system]
                self.model.complete(system, user, schema, 4, timeout_s)
                self.cold[system].set()
        except Exception:  # the calls never raise; anything else must not leave requests waiting
            log.exception("the language model's warm-up failed")
        finally:
            for read in self.cold.values():
                read.set()

    def _next_read(self, unread: list[str], timeout_s: float) -> str:
        """The prompt the warm-up reads next: one a call is waiting for, else the first, once no
        call is asking the model (at most ``timeout_s``: then the first anyway).

        llama.cpp reads a prompt without pause: a request that came while the warm-up read the
        ~90-token pick prompt waited for it (7 s on the loaded 2-core machine, measured)."""
        with self._asking_changed:
            self._asking_changed.wait_for(
                lambda: any(self._asking[s] for s in unread) or not any(self._asking.values()), timeout_s
            )
            return next((s for s in unread if self._asking[s]), unread[0])

    # --- when ------------------------------------------------------------------------------
    def unexplained_words(self, parse: Parse, text: str) -> list[str]:
        """Words of the request that neither the slots nor the skills' own vocabulary account for.

        A slot value counts only when its skill can use it: one of the slot's declared choices
        (or close to one), or a name the skill's catalog knows ("bank robbery" as a genre, or
        "sharks" as a title, explain nothing).
        """
        said = set(WORD.findall(" ".join(self._usable_values(parse)).lower()))
        return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS | self.covered | said]

    def _usable_values(self, parse: Parse) -> list[str]:
        spec = self.skills.offer_owner(parse.intent)
        return [v for k, v in parse.slots.items() if spec is None or self._usable(spec, k, v, parse.slots)]

    def _usable(self, spec: SkillSpec, slot: str, value: str, slots: dict[str, str]) -> bool:
        doc = spec.llm.slot_docs.get(slot)
        if doc is not None and doc.choices:
            return (
                process.extractOne(
                    value, doc.choices, scorer=fuzz.WRatio, processor=str.lower, score_cutoff=85
                )
                is not None
            )
        if slot == spec.answers.named_item_slot:
            skill = self.skills.skill(spec.name)
            return not isinstance(skill, NamesItems) or skill.lookup(dict(slots)) is not None
        return True

    def should_understand(self, parse: Parse, text: str, state: DialogueState) -> bool:
        """Whether the classifier's reading is doubtful enough to ask the model (unexplained words, low confidence)."""
        if state.pending is not None and len(text.split()) <= 3:
            return False  # a short answer to the assistant's own question
        if parse.intent == OUT_OF_SCOPE:
            # Only when the request says a skill's own words ("an epic fantasy adventure with
            # dragons"). Asked about every such request with a word left unexplained, the model
            # took out-of-scope recall on the spoken development sets from 77-93 % to 63-73 %
            # ("what is the current time in California" as weather) and brought back at most one
            # in-scope request of 116 (docs/speech.md, the language model reading the transcript).
            return bool(self.skills_named(text)) and len(WORD.findall(text.lower())) >= 2
        unexplained = self.unexplained_words(parse, text)
        if self.skills.offer_owner(parse.intent) is None:
            # Feedback, questions and settings: the classifier's own ground, unless it is unsure
            # of a skill's question and the words name another skill's domain ("an old film
            # where everybody sings" read as the music skill's "what's playing", at 0.57).
            return parse.confidence < SURE and self._names_another_domain(parse.intent, text)
        if parse.confidence < UNSURE or len(self._usable_values(parse)) < len(parse.slots):
            return True  # a guess, or a slot value the skill cannot use ("bank robbery" as a genre)
        # One stray word in a request the classifier is sure of ("will it rain tomorrow in
        # Chicago") is no reason to wait seconds; two are ("lots of singing and dancing").
        return len(unexplained) >= 2 or (len(unexplained) == 1 and parse.confidence < SURE)

    def skills_named(self, text: str) -> set[str]:
        """The skills whose own words ``text`` says: a word for what the skill offers ("film",
        "news", "forecast") or one of its slots' declared choices ("Western", "calm")."""
        lowered = text.lower()
        return {
            name
            for name, pattern in self.own_words.items()
            if pattern is not None and pattern.search(lowered)
        }

    def _names_another_domain(self, intent: str, text: str) -> bool:
        """Whether ``text`` has a domain word of a skill other than the one owning ``intent``
        (False for the core's own intents: likes, "why?", history)."""
        owner = self.skills.owner(intent)
        if owner is None:
            return False
        lowered = text.lower()
        return any(
            pattern.search(lowered)
            for name, pattern in self.domain_words.items()
            if pattern is not None and name != owner.name
        )

    # --- understanding ---------------------------------------------------------------------
    def understand(
        self, parse: Parse, text: str, state: DialogueState, user: str, trace: LlmTrace
    ) -> Parse | None:
        """The model's reading as a ``Parse`` the dialogue takes, or None to keep the classifier's."""
        context = [state.asked[name] for name in state.asked][-1:] + (
            [state.last_response] if state.last_response else []
        )
        frame = state.frames.get(state.active_domain or "")
        if frame is not None and (frame.constraints or frame.excluded):
            # The model updates what is wanted, so it sees what is wanted so far.
            wanted = ", ".join(f"{k}={v}" for k, v in frame.constraints.items())
            ruled_out = ", ".join(f"{k} not {join_values(v)}" for k, v in frame.excluded.items())
            context.append(
                f"wanted so far from {frame.domain}: " + "; ".join(p for p in (wanted, ruled_out) if p)
            )
        user_prompt = prompts.understanding_user_prompt(text, context, self._profile_line(user))
        answer = self._ask(
            "understand", self.understand_prompt, user_prompt, self._schema_for(text), 48, trace
        )
        if answer is None:
            return None
        skill = answer.get("skill")
        if skill == prompts.NO_SKILL or self.skills.spec(str(skill)) is None:
            if self.skills.offer_owner(parse.intent) is not None and parse.confidence >= SURE:
                return None
            trace.understood_by = "llm"
            return Parse(OUT_OF_SCOPE, parse.confidence, {}, text)
        spec = self.skills.spec(str(skill))
        assert spec is not None
        classifier_spec = self.skills.offer_owner(parse.intent)
        if classifier_spec is not None and parse.confidence >= SURE:
            spec = classifier_spec  # asked for the words, not the skill: it refines, not reroutes
        if spec is not classifier_spec and spec.name not in self.skills_named(text):
            # A move to another skill needs the request's own word for it ("What happened last
            # week?" is no weather request, whatever the model says).
            trace.calls[-1]["status"] = "ungrounded"
            trace.calls[-1]["error"] = f"no word of the request names {spec.name}"
            return None
        raw = prompts.answer_slots(answer)
        slots = self._slots(spec, raw)
        if raw and not slots:
            return None  # every slot it gave belongs to another skill: an incoherent reading
        if frame is not None and frame.domain != spec.name:
            slots = self._without_carried(slots, frame.constraints, text)
        if not slots and classifier_spec is spec:
            slots = dict(parse.slots)
        trace.understood_by = "llm"
        return Parse(spec.answers.offer_intent, max(parse.confidence, SURE), slots, text)

    @staticmethod
    def _without_carried(slots: dict[str, str], wanted: dict[str, str], text: str) -> dict[str, str]:
        """``slots`` less the values the model copied from another skill's frame in its context:
        "wanted so far from video: movie_genre=Crime" came back as the music genre "crime" for
        "play some music for cooking dinner". A value of that frame the request does not say."""
        carried = {v.lower() for value in wanted.values() for v in split_values(value)}
        lowered = text.lower()
        kept = {}
        for name, value in slots.items():
            parts = [v for v in split_values(value) if v.lower() not in carried or v.lower() in lowered]
            if parts:
                kept[name] = join_values(parts)
        return kept

    def _schema_for(self, text: str) -> dict[str, Any]:
        """The understanding schema without the slots this request gives no cue for."""
        left_out = prompts.uncued_slots(self.skills.specs, text[: prompts.MAX_REQUEST_CHARS])
        if left_out not in self._schemas:
            self._schemas[left_out] = prompts.understanding_schema(self.skills.specs, left_out)
        return self._schemas[left_out]

    @staticmethod
    def _slots(spec: SkillSpec, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            return {}
        slots: dict[str, str] = {}
        for name, value in raw.items():
            if name not in spec.answers.slots:
                continue  # another skill's slot: the model mixed two readings
            values = value if isinstance(value, list) else [value]
            joined = join_values(str(v) for v in values)
            if joined:
                slots[name] = joined[: prompts.MAX_FREE_SLOT_CHARS]
        return slots

    def _profile_line(self, user: str) -> str:
        likes = self._liked_titles(user, None)
        return "likes " + "; ".join(likes) if likes else ""

    def _liked_titles(self, user: str, domain: str | None, limit: int = 3) -> list[str]:
        liked = [
            r["item_id"]
            for r in self.history.feedback(user)
            if r["kind"] == "like" and (domain is None or r["domain"] == domain)
        ]
        if not liked:
            return []
        titles = {r["item_id"]: r["title"] for r in self.history.offers(user, domain=domain)}
        return [titles[i] for i in dict.fromkeys(reversed(liked)) if i in titles][:limit]

    # --- picks -----------------------------------------------------------------------------
    def pick(self, outcome: Outcome, state: DialogueState, ctx: TurnContext, trace: LlmTrace) -> None:
        """For an open request the model understood: choose among the skill's top candidates."""
        if (
            trace.understood_by != "llm"
            or outcome.act != "recommend"
            or not outcome.items
            or not outcome.domain
        ):
            return
        spec = self.skills.spec(outcome.domain)
        skill = self.skills.skill(outcome.domain) if spec is not None else None
        if spec is None or not isinstance(skill, Candidates):
            return
        likes = self._liked_titles(ctx.user, spec.name)
        if not likes:
            return  # nothing of the person's to weigh: the recommender's own order stands
        shown = {i.id for i in outcome.items}
        request = SkillRequest(
            intent=spec.answers.offer_intent,
            slots=dict(outcome.slots),
            profile=self.history.profile(ctx.user, spec.name),
            exclude=set(state.offered.get(spec.name, set())) - shown,
            k=spec.offers.items_per_offer,
            text=ctx.text,
            now=ctx.now,
        )
        candidates = [c for c in skill.candidates(request, CANDIDATES) if c.title]
        if len(candidates) < 2:
            return
        by_number = {str(n): c for n, c in enumerate(candidates, start=1)}
        user_prompt = prompts.pick_user_prompt(ctx.text, candidates, likes)
        schema = prompts.pick_schema(len(candidates))
        answer = self._ask("pick", prompts.PICK_SYSTEM_PROMPT, user_prompt, schema, 8, trace)
        chosen = by_number.get(str(answer.get("id"))) if answer else None
        if chosen is None:
            return
        outcome.items = [chosen]
        state.last_items = [chosen]
        offered = state.offered.setdefault(spec.name, set())
        offered.difference_update(shown)
        offered.add(chosen.id)

    # --- explanations ----------------------------------------------------------------------
    def explain(self, outcome: Outcome, ctx: TurnContext, trace: LlmTrace) -> None:
        """ "Why?": one or two sentences from the recommender's evidence, or the stored reason."""
        item = outcome.values.get("item")
        if outcome.act != "explain" or not isinstance(item, Item) or not item.reason:
            return
        evidence = prompts.explain_evidence(item, self._liked_titles(ctx.user, item.domain))
        answer = self._ask(
            "explain", prompts.EXPLAIN_SYSTEM_PROMPT, evidence, prompts.EXPLAIN_SCHEMA, 64, trace
        )
        said = str(answer.get("sentence", "")) if answer else ""
        sentence = said.strip()
        # Cut off by the length limit: at or next to it with no full stop ("... a popular jazz
        # track that many listeners gave", 69 characters and a trailing space).
        cut = len(said) >= prompts.MAX_SENTENCE_CHARS - 2 and not sentence.endswith((".", "!", "?"))
        if len(sentence.split()) < 4 or len(sentence) >= prompts.MAX_SENTENCE_CHARS or cut:
            return  # nothing, a fragment, or cut off by the limit: the stored reason is said instead
        missing = ungrounded_claims(sentence, evidence) + misattributed(sentence, evidence)
        if missing:
            trace.calls[-1]["status"] = "ungrounded"
            trace.calls[-1]["error"] = "not in the evidence: " + ", ".join(missing)
            return
        outcome.response_key = ""
        outcome.skill_text = sentence

    # --- one call --------------------------------------------------------------------------
    def _ask(
        self, task: str, system: str, user: str, schema: dict[str, Any], max_tokens: int, trace: LlmTrace
    ) -> dict[str, Any] | None:
        with self._asking_changed:
            self._asking[system] += 1
            self._asking_changed.notify_all()
        try:
            return self._ask_model(task, system, user, schema, max_tokens, trace)
        finally:
            with self._asking_changed:
                self._asking[system] -= 1
                self._asking_changed.notify_all()

    def _ask_model(
        self, task: str, system: str, user: str, schema: dict[str, Any], max_tokens: int, trace: LlmTrace
    ) -> dict[str, Any] | None:
        if self.on_thinking is not None and self.expected_ms > 1000 and not trace.calls:
            try:
                self.on_thinking()
            except Exception:
                log.exception("the thinking hook failed")
        read = self.cold.get(system)
        if read is not None and not read.is_set():
            started = time.perf_counter()
            if not read.wait(self.warm_wait_s):  # start-up: the model is still reading its prompts
                waited = round((time.perf_counter() - started) * 1000, 1)
                warming = Completion("", waited, "warming", error="the model is still reading its prompts")
                trace.record(task, self.model.name, system + user, warming, "warming")
                log.warning("language model %s call: still warming up after %.0f s", task, waited / 1000)
                return None
        completion = self.model.complete(system, user, schema, max_tokens, self.timeout_s)
        status, answer = completion.status, None
        if status == "ok":
            try:
                answer = json.loads(completion.text)
            except ValueError:
                status = "unparsable"
            if answer is not None and not isinstance(answer, dict):
                answer, status = None, "unparsable"
            self.expected_ms = 0.8 * self.expected_ms + 0.2 * completion.ms
        trace.record(task, self.model.name, system + user, completion, status)
        if status != "ok":
            log.warning("language model %s call: %s %s", task, status, completion.error)
        return answer
