"""The language model behind a small protocol, and its xllamacpp implementation.

``LanguageModel.complete`` takes a system prompt, a user message and a JSON schema, and returns
the model's text, which the grammar built from the schema makes parse as that schema (compact:
no whitespace between tokens, since every output token costs ~70-150 ms on one CPU thread).
It never raises and never runs past its time limit: a timeout or a failure is a ``Completion``
with ``status`` set and empty text, and the caller falls back to the classifier's path.

xllamacpp runs llama.cpp's server in a process of its own (``server_process``: xllamacpp holds
the GIL for its whole load, so in this process the load stopped everything else), and that
server opens an HTTP listener. It is bound to 127.0.0.1 (checked after start-up; anything else
is refused) and it asks for a key made afresh at each start, so no other process can use it.
Model calls, and saving and restoring a slot's cache (``slot_cache``), go through the listener,
with the key.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from assistant.llm.server_process import ServerProcess, server_params
from assistant.llm.slot_cache import SlotCache, model_identity

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
    """The model's server listens somewhere other than loopback: the model is not used."""


class LlamaModel:
    """A GGUF model run by xllamacpp, in a server process of its own (``server_process``)."""

    def __init__(
        self, path: Path, name: str, threads: int = 1, batch_threads: int = 0, cache_dir: Path | None = None
    ) -> None:
        """``cache_dir``: where the system prompts' caches are kept across starts (None: not kept).

        The server runs in a process of its own (``server_process``): made on a loading thread,
        the weights load on the other core while this process goes on."""
        import xllamacpp

        self.name = name
        self._xllamacpp = xllamacpp
        # The listener answers only requests with this key: the slot cache's save and restore
        # (below) use it, and no other process on the machine can use the model or its files.
        self._key = secrets.token_urlsafe(24)
        settings: dict[str, Any] = {
            "path": str(path),
            "n_ctx": CONTEXT_TOKENS,
            "slots": SLOTS,
            "threads": threads,
            "batch_threads": batch_threads or threads,
            "host": LOOPBACK,
            "key": self._key,
        }
        self._cache: SlotCache | None = None
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            settings["slot_save_path"] = str(cache_dir) + os.sep
            params = server_params(xllamacpp, settings)
            self._cache = SlotCache(cache_dir, _cache_identity(path, params, xllamacpp.__version__))
        started = time.perf_counter()
        self._server = ServerProcess(settings)
        self.load_s = time.perf_counter() - started
        self.listening = str(self._server.listening_address or "")
        try:
            check_loopback(self.listening)
        except ListenerNotLoopbackError:
            self._server.close()
            raise
        # One call at a time reaches the model; a timed-out call still finishes in its thread
        # (llama.cpp cannot be interrupted) and the next waits behind it up to its own limit.
        # Daemon threads, so a caller never waits past its limit; at exit the running call, if
        # any, is let finish first, then the cache files still to write are written (``drain``).
        self._lock = threading.Lock()
        self.closing = False
        # Each system prompt keeps its own slot (its own KV cache), so an explanation does not
        # evict the understanding prompt (~700 tokens: 5-60 s to read again on a shared core).
        self._slots: dict[str, int] = {}
        # With a cache folder: each slot's file key and where it stands (new: not yet looked for;
        # restored; read: read afresh, its file to be written; saving; saved).
        self._slot_keys: dict[int, str] = {}
        self._slot_state: dict[int, str] = {}
        self.restored: dict[int, int] = {}  # slot -> tokens restored from its file at this start
        self.save_ms: dict[int, float] = {}  # slot -> llama.cpp's time to write its file
        self._pending = 0  # calls started and not finished: a cache save waits until there are none
        self._pending_lock = threading.Lock()
        self._saves: list[threading.Thread] = []
        self._grammars: dict[str, str] = {}
        self.ms_per_token = 0.0  # measured on every answer, timed out or not (0: not yet)
        atexit.register(self.drain)

    def drain(self, timeout_s: float = 300.0) -> None:
        """Refuse new calls and wait for the running one to finish (called at exit); then write
        the cache files still waiting for an idle moment (tens of ms each, see ``_save``).

        With no file to write, the server process ends at once, a call still running with it:
        its answer has no reader any more (a second start's first call that ran out of its 4 s
        on the loaded machine held the exit 15 s, waited for in vain)."""
        self.closing = True
        if not any(state in ("read", "saving") for state in self._slot_state.values()):
            self._server.close()
            return
        if self._lock.acquire(timeout=timeout_s):
            try:
                waiting = [slot for slot, state in self._slot_state.items() if state == "saving"]
                written = [(slot, self._write_slot(slot)) for slot in waiting]
            finally:
                self._lock.release()
            for slot, staging in written:
                if staging is not None:
                    self._commit_slot(slot, *staging)
        self._server.close()

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
        with self._pending_lock:
            self._pending += 1
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
            self._slots[system] = slot = len(self._slots)
            if self._cache is not None:
                self._slot_keys[slot] = self._cache.key(system)
                self._slot_state[slot] = "new"
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
                slot = int(request.get("id_slot", -1))
                if self._slot_state.get(slot) == "new":
                    self._slot_state[slot] = "restored" if self._restore(slot) else "read"
                reply = self._server.handle_chat_completions(request)
                self._note_speed(reply)
                if self._slot_state.get(slot) == "read" and isinstance(reply, dict) and "choices" in reply:
                    self._slot_state[slot] = "saving"
                    saver = threading.Thread(
                        target=self._save, args=(slot,), name="llm-cache-save", daemon=True
                    )
                    self._saves.append(saver)
                    saver.start()
                future.set_result(reply)
        except BaseException as exc:
            future.set_exception(exc)
        finally:
            with self._pending_lock:
                self._pending -= 1

    # --- the slot cache across starts (slot_cache.py) --------------------------------------
    def restore_prompt(self, system: str, timeout_s: float = 60.0) -> bool:
        """Restore ``system``'s slot from its file, without a call; True when it was restored.

        The start-up warm-up asks this first: a restored prompt needs no warm-up call, whose
        few tokens would hold the model while the first request waits (a second start's first
        open request timed out behind the warm-up's calls, 4 s, on the shared machine)."""
        slot = self._slot(system)
        if self._slot_state.get(slot) != "new" or not self._lock.acquire(timeout=timeout_s):
            return self._slot_state.get(slot) == "restored"
        try:
            if self._slot_state.get(slot) == "new" and not self.closing:
                self._slot_state[slot] = "restored" if self._restore(slot) else "read"
        finally:
            self._lock.release()
        return self._slot_state.get(slot) == "restored"

    def _restore(self, slot: int) -> bool:
        """Restore ``slot``'s system prompt from its file, if one checks out (the model lock held)."""
        assert self._cache is not None
        key = self._slot_keys[slot]
        name = self._cache.restorable(key)
        if name is None:
            return False
        started = time.perf_counter()
        try:
            answer = self._slot_action(slot, "restore", name)
        except (OSError, ValueError) as exc:  # llama.cpp refused the file (400) or did not answer
            log.warning("language model cache %s: not restored (%s); rebuilding it", key, exc)
            self._cache.discard(name)
            return False
        self.restored[slot] = int(answer.get("n_restored", 0))
        log.info(
            "language model cache %s: %d tokens restored into slot %d in %.0f ms",
            key, self.restored[slot], slot, (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return True

    def _save(self, slot: int) -> None:
        """Write ``slot``'s cache to its file (its own thread, once the prompt has been read).

        It waits until no call is running or waiting, so no turn waits behind it; the save itself
        holds the model only for llama.cpp's write of the file (2 ms for SmolLM2's 6 MB slot;
        the checksum is computed after, the model free). A start that ends before the model was
        ever idle (a one-shot ``assistant --text``) writes it at exit (``drain``)."""
        give_up = time.monotonic() + 600
        while time.monotonic() < give_up and not self.closing:
            with self._pending_lock:
                idle = self._pending == 0
            if idle and self._lock.acquire(timeout=0.05):
                try:
                    if self.closing or self._slot_state.get(slot) != "saving":
                        return
                    written = self._write_slot(slot)
                finally:
                    self._lock.release()
                if written is not None:
                    self._commit_slot(slot, *written)
                return
            time.sleep(0.05)

    def _write_slot(self, slot: int) -> tuple[str, int] | None:
        """llama.cpp writes ``slot``'s cache under a staging name (the model lock held)."""
        assert self._cache is not None
        key = self._slot_keys[slot]
        staging = self._cache.staging_name(key)
        self._slot_state[slot] = "committing"
        try:
            answer = self._slot_action(slot, "save", staging)
        except (OSError, ValueError) as exc:
            log.warning("language model cache %s: not saved (%s)", key, exc)
            self._cache.discard(staging)
            self._slot_state[slot] = "failed"
            return None
        self.save_ms[slot] = float((answer.get("timings") or {}).get("save_ms", 0.0))
        return staging, int(answer.get("n_saved", 0))

    def _commit_slot(self, slot: int, staging: str, tokens: int) -> None:
        assert self._cache is not None
        written = self._cache.commit(self._slot_keys[slot], staging, tokens)
        self._slot_state[slot] = "saved" if written else "failed"

    def wait_saved(self, timeout_s: float = 60.0) -> bool:
        """Wait for the cache files this start is writing (tests and benches); True when written."""
        end = time.monotonic() + timeout_s
        for saver in list(self._saves):
            saver.join(max(0.0, end - time.monotonic()))
        return all(not saver.is_alive() for saver in self._saves)

    def _slot_action(self, slot: int, action: str, filename: str) -> dict[str, Any]:
        """llama.cpp's slot save or restore, through its listener (xllamacpp has no call for it)."""
        request = urllib.request.Request(
            f"{self.listening.rstrip('/')}/slots/{slot}?action={action}",
            data=json.dumps({"filename": filename}).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
            method="POST",
        )
        try:
            with _LOOPBACK_OPENER.open(request, timeout=60) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"{exc.code} {exc.read()[:200].decode('utf-8', 'replace')}") from exc
        if not isinstance(answer, dict):
            raise ValueError(f"unexpected answer {answer!r:.200}")
        return answer

    def _note_speed(self, reply: Any) -> None:
        timings = reply.get("timings") if isinstance(reply, dict) else None
        if isinstance(timings, dict) and timings.get("predicted_n", 0) >= MIN_OUTPUT_TOKENS:
            latest = float(timings.get("predicted_ms", 0.0)) / float(timings["predicted_n"])
            self.ms_per_token = latest if not self.ms_per_token else 0.7 * self.ms_per_token + 0.3 * latest


class BackgroundLoad:
    """A ``LanguageModel`` whose weights load on their own thread, so start-up does not wait.

    Loading the 1.5B model took ~3 s idle and over 10 s on the shared machine, on the path to
    the first prompt (bench/llm_turns.py, startup section). ``build_pipeline`` starts the load
    before it loads the classifier: the weights load in the model's own process
    (``server_process``) on the second core meanwhile; this thread only waits for it. Without a
    ``start``, the first call starts it. A call made before the load ends waits for it within
    its own time limit; a load that fails makes every call an error (the classifier's path),
    logged once.
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
        # Nothing waits for a load still under way at exit: it runs in the model's own process,
        # which ends by itself once this one has (its standard input closes).
        threading.Thread(target=self._load, args=(self._load_fn,), name="llm-load", daemon=True).start()

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

    def restore_prompt(self, system: str, timeout_s: float = 60.0) -> bool:
        """Once loaded, the model's ``restore_prompt`` (False for a model without one)."""
        if not self.wait_loaded(timeout_s) or self.model is None:
            return False
        restore = getattr(self.model, "restore_prompt", None)
        return bool(restore(system, timeout_s)) if restore is not None else False

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


# No proxy from the environment: the listener is on this machine's loopback.
_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _cache_identity(path: Path, params: Any, version: str) -> dict[str, Any]:
    """Everything a slot's cached keys and values depend on, but the prompt (``SlotCache.key``)."""
    return {
        **model_identity(path),
        "n_ctx": params.n_ctx,
        "slots": params.n_parallel,
        "cache_type_k": int(params.cache_type_k),
        "cache_type_v": int(params.cache_type_v),
        "flash_attn": str(getattr(params, "flash_attn_type", "")),
        "xllamacpp": version,
    }


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
