"""One turn's understanding and decision, with the language model consulted around it.

nlu (-> llm) -> dialogue: the classifier reads the text; when it is unsure, the second opinion
(``advisor.SecondOpinion``) may read it instead; the dialogue decides; for an open request the
model may pick among the skill's candidates, and for "why?" explain from the evidence. What
the turn runner (``assistant/pipeline/runner.py``) keeps is written into its turn result: the parse,
``understood_by``, ``llm_ms`` and the ``NluEnd``/``LlmCall``/``DialogueEnd``/``SkillEnd`` events.

Without a model (``advisor`` None) this is the classifier and the dialogue alone.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from assistant.contracts.errors import AssistantError, Stage
from assistant.contracts.events import DialogueEnd, Event, EventClock, LlmCall, NluEnd, SkillEnd, SttEnd
from assistant.contracts.stages import MAX_INPUT_CHARS, OUT_OF_SCOPE, IntentParser, Parse
from assistant.dialogue import DialogueManager
from assistant.dialogue.state import DialogueState, Outcome, TurnContext
from assistant.llm.advisor import LlmTrace, SecondOpinion
from assistant.skill_sdk.api import Item
from assistant.voice.misheard import misheard

log = logging.getLogger(__name__)


class StageFailed(Exception):
    """Carries which stage an exception came from up to the turn's one error handler."""

    def __init__(self, stage: Stage, error: BaseException) -> None:
        super().__init__(str(error))
        self.stage, self.error = stage, error


class TurnSink(Protocol):
    """The parts of the turn runner's result this step fills in (``pipeline.TurnResult``)."""

    text: str
    events: list[Event]
    parse: Parse | None
    items: list[Item]
    expects_reply: bool
    intent: str | None
    understood_by: str
    llm_ms: float
    state: dict[str, Any] | None


class Understanding:
    """The classifier, the model's second opinion (if any) and the dialogue, for one turn."""

    def __init__(
        self, nlu: Callable[[], IntentParser], dialogue: DialogueManager, advisor: SecondOpinion | None
    ) -> None:
        self.nlu = nlu  # the turn runner's current classifier (it may be swapped, as tests do)
        self.dialogue = dialogue
        self.advisor = advisor

    def decide(
        self,
        result: TurnSink,
        state: DialogueState,
        user: str,
        turn: int,
        clock: EventClock,
        rng: random.Random,
        wall_time: float,
    ) -> Outcome:
        """Parse ``result.text``, ask the second opinion if needed, and let the dialogue answer it."""
        events, text = result.events, result.text
        if not text:
            result.parse = Parse(OUT_OF_SCOPE, 0.0, {}, "")
            events.append(NluEnd(turn=turn, t=clock(), intent=OUT_OF_SCOPE, confidence=0.0, slots={}))
            return Outcome("empty_input", "empty_input")
        try:
            parse = self.nlu().parse(text[:MAX_INPUT_CHARS])
        except Exception as exc:
            raise StageFailed(Stage.NLU, exc) from exc
        result.parse = parse
        events.append(
            NluEnd(
                turn=turn,
                t=clock(),
                intent=parse.intent,
                confidence=round(parse.confidence, 6),
                slots=dict(parse.slots),
            )
        )
        heard = next((e for e in events if isinstance(e, SttEnd)), None)
        if heard is not None and misheard(heard.avg_logprob, parse):
            # Asked again, nothing acted on: the dialogue's state (a pending question, the
            # active skill) stays as it was for the repeat.
            result.expects_reply = True
            events.append(DialogueEnd(turn=turn, t=clock(), act="misheard"))
            heard_text = text[:MAX_INPUT_CHARS].rstrip(" .!?")
            return Outcome("misheard", "misheard", {"heard": heard_text}, expects_reply=True)
        ctx = TurnContext(user=user, text=text[:MAX_INPUT_CHARS], rng=rng, now=wall_time)
        trace = LlmTrace()
        acted_on = self.second_reading(parse, ctx.text, state, user, trace)
        try:
            outcome = self.dialogue.respond(acted_on, state, ctx)
            if self.advisor is not None:
                self.advisor.pick(outcome, state, ctx, trace)
                self.advisor.explain(outcome, ctx, trace)
        except Exception as exc:
            stage = exc.stage if isinstance(exc, AssistantError) else Stage.DIALOGUE
            raise StageFailed(stage, exc) from exc
        finally:
            result.understood_by, result.llm_ms = trace.understood_by, trace.ms
            events.extend(LlmCall(turn=turn, t=clock(), **call) for call in trace.calls)
        result.intent = outcome.intent or parse.intent
        events.append(
            DialogueEnd(
                turn=turn,
                t=clock(),
                act=outcome.act,
                domain=outcome.domain,
                slots=dict(outcome.slots),
                intent=result.intent,
                frame=outcome.frame,
                matcher=outcome.matcher,
            )
        )
        if outcome.skill_ran:
            events.append(
                SkillEnd(
                    turn=turn,
                    t=clock(),
                    domain=outcome.domain or "",
                    items=[i.to_dict() for i in outcome.items],
                    text=outcome.skill_text,
                )
            )
        result.items = outcome.items
        result.state = outcome.frame
        result.expects_reply = outcome.expects_reply
        if len(text) > MAX_INPUT_CHARS:
            outcome.values["long_input"] = True
        return outcome

    def second_reading(
        self, parse: Parse, text: str, state: DialogueState, user: str, trace: LlmTrace
    ) -> Parse:
        """The language model's reading when the classifier is unsure, else the classifier's."""
        if self.advisor is None:
            return parse
        try:
            if self.dialogue.refines_active(parse, state, text):
                return parse  # the frame's own words read it: a refinement never waits for the model
            if not self.advisor.should_understand(parse, text, state):
                return parse
            reading = self.advisor.understand(parse, text, state, user, trace)
        except Exception:  # a bug in the second opinion costs the second opinion, not the turn
            log.exception("the language model's reading failed; keeping the classifier's")
            return parse
        return reading if reading is not None else parse
