"""The language model behind a small protocol, and its xllamacpp implementation.

``LanguageModel.complete`` takes a system prompt, a user message and a JSON schema, and returns
the model's text, which the grammar built from the schema makes parse as that schema (compact:
no whitespace between tokens, since every output token costs ~70-150 ms on one CPU thread).
It never raises and never runs past its time limit: a timeout or a failure is a ``Completion``
with ``status`` set and empty text, and the caller falls back to the classifier's path.

xllamacpp runs llama.cpp's server inside this process, and that server opens an HTTP listener.
It is bound to 127.0.0.1 (checked after start-up; anything else is refused) and the assistant
never talks to it: requests go through the in-process ``handle_chat_completions`` call.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# Three slots keep three prompt prefixes cached (understanding, picks, explanations), so one
# kind of call does not evict another's system prompt; each slot gets n_ctx / slots tokens.
SLOTS = 3
CONTEXT_TOKENS = 3 * 2048
MIN_OUTPUT_TOKENS = 4  # the shortest answer ({"skill":"none"} is six): below it nothing parses


@dataclass
class Completion:
    """One model answer: its text, time, status and token counts."""

    text: str
    ms: float
    status: str = "ok"  # ok | timeout | error
    prompt_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    error: str = ""
    # llama.cpp's own timings: where a call's time went (bench/llm_turns.py prints them).
    new_prompt_tokens: int = 0  # read after the cached prefix
    prompt_ms: float = 0.0
    generate_ms: float = 0.0
    slot: int = -1
    finished: bool = False  # the model ended the answer itself (not cut off by its token budget)


class LanguageModel(Protocol):
    """A local language model that completes a prompt under a JSON schema within a time limit."""

    name: str

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        """The model's answer to ``user`` under ``system``, constrained to ``schema``."""
        ...


# A schema may carry the llguidance (Lark) grammar its answers are decoded under, for what JSON
# schema cannot say: llguidance ignores ``maxProperties`` (the constraint was silently dropped).
GRAMMAR_KEY = "x-lark-grammar"
# ... and the opening of every answer, which the model then only continues: llama.cpp reads a
# prefilled assistant message with the prompt (~20 ms a token) instead of writing it token by
# token (~120 ms). The grammar starts after it; the answer's text includes it.
PREFIX_KEY = "x-answer-prefix"
# ... and the text every answer ends with, which stops the generation once written. Without it,
# the grammar's end lets only the end-of-text token through, which costs one more forward pass of
# the model (~90-130 ms on two threads; llama.cpp's predicted_n was one token more for the same
# answer). llama.cpp leaves a stop text out of the answer; ``complete`` puts it back.
END_KEY = "x-answer-end"


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with llguidance's options for one-line JSON (no optional whitespace), without
    this module's own keys (they are not JSON schema)."""
    return {
        **{k: v for k, v in schema.items() if k not in (GRAMMAR_KEY, PREFIX_KEY, END_KEY)},
        "x-guidance": {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
    }


class ListenerNotLoopbackError(RuntimeError):
    """The in-process server listens somewhere other than loopback: the model is not used."""


class LlamaModel:
    """A GGUF model run by xllamacpp in this process."""

    def __init__(self, path: Path, name: str, threads: int = 1, batch_threads: int = 0) -> None:
        import xllamacpp

        self.name = name
        self._xllamacpp = xllamacpp
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = CONTEXT_TOKENS
        params.n_parallel = SLOTS
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = batch_threads or threads
        params.hostnames = [LOOPBACK]
        params.port = 0  # any free port: nothing connects to it
        params.endpoint_slots = False
        # Keep each idle slot's prompt in its KV cache. By default llama.cpp saves an idle slot to
        # a host-memory prompt cache (up to 8 GiB) and clears it when another slot starts: the
        # pick and explanation prompts were then read again in full (bench: 0 cached tokens).
        params.cache_idle_slots = False
        params.cache_ram_mib = 0
        params.ui = False
        params.verbosity = -1  # llama.cpp's own log would flood the terminal chat
        params.warmup = False  # an empty decode at load; the start-up warm-up's first call does it
        started = time.perf_counter()
        self._server = xllamacpp.Server(params)
        self.load_s = time.perf_counter() - started
        self.listening = str(self._server.listening_address or "")
        check_loopback(self.listening)
        # One call at a time reaches the model; a timed-out call still finishes in its thread
        # (llama.cpp cannot be interrupted) and the next waits behind it up to its own limit.
        # Daemon threads, so a caller never waits past its limit; but a native call still running
        # while Python shuts down crashes it (measured: a segfault at exit while the start-up
        # warm-up ran), so at exit the running call, if any, is let finish first.
        self._lock = threading.Lock()
        self.closing = False
        # Each system prompt keeps its own slot (its own KV cache), so an explanation does not
        # evict the understanding prompt (~700 tokens: 5-60 s to read again on a shared core).
        self._slots: dict[str, int] = {}
        self._grammars: dict[str, str] = {}
        self.ms_per_token = 0.0  # measured on every answer, timed out or not (0: not yet)
        atexit.register(self.drain)

    def drain(self, timeout_s: float = 300.0) -> None:
        """Refuse new calls and wait for the running one to finish (called at exit)."""
        self.closing = True
        if self._lock.acquire(timeout=timeout_s):
            self._lock.release()

    def complete(
        self,
        system: str,
        user: str,
        schema: dict[str, Any],
        max_tokens: int,
        timeout_s: float,
        constrained: bool = True,
    ) -> Completion:
        """``constrained=False`` (bench/llm_turns.py only): no grammar, to measure its cost."""
        started = time.perf_counter()
        slot = self._slot(system)
        prefix = str(schema.get(PREFIX_KEY, "")) if constrained else ""
        end = str(schema.get(END_KEY, "")) if constrained else ""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        if prefix:
            messages.append({"role": "assistant", "content": prefix})
        request = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": 0,
            "cache_prompt": True,
            "id_slot": slot,
            # llama.cpp applies this budget only once a newline has been generated, which compact
            # JSON never has: a call runs to the grammar's end. Hence the deadline in ``_call``.
            "t_max_predict_ms": int(timeout_s * 1000),
        }
        if self.ms_per_token:
            # A call that times out runs on to its token budget (llama.cpp's time limit waits for
            # a newline that compact JSON never writes) and holds the model: the next turn's call
            # waited behind a timed-out "why?" and timed out too (bench/llm_turns.py, picks).
            # So no call may write more than its limit allows at the speed measured so far.
            affordable = int(timeout_s * 1000 / self.ms_per_token)
            request["max_tokens"] = max(MIN_OUTPUT_TOKENS, min(max_tokens, affordable))
        if constrained:
            request["grammar"] = self._grammar(schema)
        if end:
            request["stop"] = [end]
        if self.closing:
            return Completion("", 0.0, "error", error="shutting down")
        future: Future[dict[str, Any]] = Future()
        deadline = started + timeout_s
        call = threading.Thread(
            target=self._call, args=(request, future, deadline), name="llm-call", daemon=True
        )
        call.start()
        try:
            reply = future.result(timeout=timeout_s)
        except FutureTimeout:
            return Completion("", _ms(started), "timeout", error=f"no answer within {timeout_s:.1f} s")
        except Exception as exc:
            log.exception("the language model failed")
            return Completion("", _ms(started), "error", error=f"{type(exc).__name__}: {exc}")
        completion = _completion(reply, _ms(started))
        completion.slot = slot
        if prefix and completion.text and not completion.text.startswith(prefix):
            completion.text = prefix + completion.text  # servers differ on echoing the prefill
        if end and completion.finished and not completion.text.endswith(end):
            completion.text += end  # stopped at it, not cut off by the token budget
        return completion

    def _slot(self, system: str) -> int:
        """The slot that keeps this system prompt cached; past ``SLOTS`` prompts, any free one."""
        if system not in self._slots and len(self._slots) < SLOTS:
            self._slots[system] = len(self._slots)
        return self._slots.get(system, -1)

    def _grammar(self, schema: dict[str, Any]) -> str:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            if len(self._grammars) > 64:  # pick schemas differ by candidate ids: keep it bounded
                self._grammars.clear()
            written = schema.get(GRAMMAR_KEY)
            self._grammars[key] = (
                written if written else self._xllamacpp.json_schema_to_grammar(compact_schema(schema))
            )
        return self._grammars[key]

    def _call(self, request: dict[str, Any], future: Future[dict[str, Any]], deadline: float) -> None:
        try:
            with self._lock:
                if self.closing:
                    future.set_result({"error": "shutting down"})
                    return
                if time.perf_counter() >= deadline:
                    # Its caller has given up (it waited behind a timed-out call that ran on): a
                    # call nobody reads would only delay the next turn's by its whole length.
                    future.set_result({"error": "no time left"})
                    return
                reply = self._server.handle_chat_completions(request)
                self._note_speed(reply)
                future.set_result(reply)
        except BaseException as exc:
            future.set_exception(exc)

    def _note_speed(self, reply: Any) -> None:
        timings = reply.get("timings") if isinstance(reply, dict) else None
        if isinstance(timings, dict) and timings.get("predicted_n", 0) >= MIN_OUTPUT_TOKENS:
            latest = float(timings.get("predicted_ms", 0.0)) / float(timings["predicted_n"])
            self.ms_per_token = latest if not self.ms_per_token else 0.7 * self.ms_per_token + 0.3 * latest


class BackgroundLoad:
    """A ``LanguageModel`` whose weights load on their own thread, so start-up does not wait.

    Loading the 1.5B model took ~3 s idle and over 10 s on the shared machine, on the path to
    the first prompt (bench/llm_turns.py, startup section). The load starts at the first call
    (the start-up warm-up's, made once the pipeline is built), so it does not compete with the
    classifier's own loading for the two cores either. A call made before the load ends waits
    for it within its own time limit; a load that fails makes every call an error (the
    classifier's path), logged once.
    """

    def __init__(self, load: Callable[[], LanguageModel], name: str) -> None:
        self.name = name
        self.model: LanguageModel | None = None
        self.error = ""
        self._load_fn = load
        self._loaded = threading.Event()
        self._started = False
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Start loading the weights on a background thread (once)."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._load, args=(self._load_fn,), name="llm-load", daemon=True).start()
        # A native load still running while Python shuts down could crash it: let it finish.
        atexit.register(self._loaded.wait, 120.0)

    def _load(self, load: Callable[[], LanguageModel]) -> None:
        try:
            self.model = load()
        except Exception as exc:
            log.exception("the %s language model could not be loaded", self.name)
            self.error = f"the {self.name} language model could not be loaded ({exc})"
        finally:
            self._loaded.set()

    def wait_loaded(self, timeout_s: float | None = None) -> bool:
        """Start the load if needed and wait up to ``timeout_s`` for it; True once it has ended."""
        self.start()
        return self._loaded.wait(timeout_s)

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        """The loaded model's completion, or a timeout or error completion while it is missing."""
        started = time.perf_counter()
        self.start()
        if not self._loaded.wait(timeout_s):
            return Completion("", _ms(started), "timeout", error="the model is still loading")
        if self.model is None:
            return Completion("", _ms(started), "error", error=self.error)
        left = max(0.1, timeout_s - (time.perf_counter() - started))
        return self.model.complete(system, user, schema, max_tokens, left)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _completion(reply: Any, ms: float) -> Completion:
    if not isinstance(reply, dict) or "choices" not in reply:
        error = reply.get("error") if isinstance(reply, dict) else reply
        return Completion("", ms, "error", error=json.dumps(error, default=str)[:300])
    usage = reply.get("usage") or {}
    timings = reply.get("timings") or {}
    choice = reply["choices"][0]
    text = str(choice.get("message", {}).get("content") or "")
    return Completion(
        text,
        ms,
        "ok" if text else "error",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        cached_tokens=int(timings.get("cache_n", 0)),
        output_tokens=int(usage.get("completion_tokens", 0)),
        error="" if text else "empty answer",
        new_prompt_tokens=int(timings.get("prompt_n", 0)),
        prompt_ms=round(float(timings.get("prompt_ms", 0.0)), 1),
        generate_ms=round(float(timings.get("predicted_ms", 0.0)), 1),
        finished=choice.get("finish_reason") == "stop",
    )


def check_loopback(address: str) -> None:
    """Refuse a listener that is not on a loopback address (``http://127.0.0.1:PORT``)."""
    host = urlparse(address if "://" in address else f"http://{address}").hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ListenerNotLoopbackError(f"the model's server listens on {address!r}, not on loopback")
