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


@dataclass
class Completion:
    text: str
    ms: float
    status: str = "ok"  # ok | timeout | error
    prompt_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    error: str = ""


class LanguageModel(Protocol):
    name: str

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        """The model's answer to ``user`` under ``system``, constrained to ``schema``."""
        ...


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with llguidance's options for one-line JSON (no optional whitespace)."""
    return {
        **schema,
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
        params.ui = False
        params.verbosity = -1  # llama.cpp's own log would flood the terminal chat
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
        atexit.register(self.drain)

    def drain(self, timeout_s: float = 300.0) -> None:
        """Refuse new calls and wait for the running one to finish (called at exit)."""
        self.closing = True
        if self._lock.acquire(timeout=timeout_s):
            self._lock.release()

    def complete(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int, timeout_s: float
    ) -> Completion:
        started = time.perf_counter()
        request = {
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "seed": 0,
            "cache_prompt": True,
            # llama.cpp stops generating at this budget even if the caller has given up waiting.
            "t_max_predict_ms": int(timeout_s * 1000),
            "grammar": self._xllamacpp.json_schema_to_grammar(compact_schema(schema)),
        }
        if self.closing:
            return Completion("", 0.0, "error", error="shutting down")
        future: Future[dict[str, Any]] = Future()
        threading.Thread(target=self._call, args=(request, future), name="llm-call", daemon=True).start()
        try:
            reply = future.result(timeout=timeout_s)
        except FutureTimeout:
            return Completion("", _ms(started), "timeout", error=f"no answer within {timeout_s:.1f} s")
        except Exception as exc:
            log.exception("the language model failed")
            return Completion("", _ms(started), "error", error=f"{type(exc).__name__}: {exc}")
        return _completion(reply, _ms(started))

    def _call(self, request: dict[str, Any], future: Future[dict[str, Any]]) -> None:
        try:
            with self._lock:
                if self.closing:
                    future.set_result({"error": "shutting down"})
                    return
                future.set_result(self._server.handle_chat_completions(request))
        except BaseException as exc:
            future.set_exception(exc)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _completion(reply: Any, ms: float) -> Completion:
    if not isinstance(reply, dict) or "choices" not in reply:
        error = reply.get("error") if isinstance(reply, dict) else reply
        return Completion("", ms, "error", error=json.dumps(error, default=str)[:300])
    usage = reply.get("usage") or {}
    timings = reply.get("timings") or {}
    text = str(reply["choices"][0].get("message", {}).get("content") or "")
    return Completion(
        text,
        ms,
        "ok" if text else "error",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        cached_tokens=int(timings.get("cache_n", 0)),
        output_tokens=int(usage.get("completion_tokens", 0)),
        error="" if text else "empty answer",
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
