"""llama.cpp's server (xllamacpp) in a process of its own, so the weights load beside the start-up.

xllamacpp's ``Server(params)`` holds Python's GIL for the whole load: on a thread, the load
stopped every other thread of the assistant until it ended (measured: a counting loop on the main
thread made no progress for the load's whole 7.3 s on the loaded 2-core machine; ~2 s of CPU
idle). So a load "in the background" only queued the classifier's loading behind it. In a
process of its own the load runs on the second core while the assistant imports and loads the
classifier and the skills.

``ServerProcess`` starts this file as a script (not as a module of the ``assistant`` package: the
package's imports would cost the child a second of the time it saves) and looks to its caller like
``xllamacpp.Server``: ``listening_address`` and ``handle_chat_completions``, the latter answered
over the loopback listener with the key made for this start (runtime.py says why both).

The exchange: one JSON line in on standard input (``server_params``'s settings), one JSON line out
on standard output (``{"listening": ADDRESS}`` once loaded, or ``{"error": TEXT}``); then the
child serves until its standard input closes, which happens when the assistant ends, however it
ends (a crash or a kill included), so no server outlives it.

Only the standard library and xllamacpp are imported here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

# No proxy from the environment: the listener is on this machine's loopback.
_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# A call's socket waits at most this long for llama.cpp's answer; the caller's own time limit is
# kept by runtime.py (a call runs on its own thread and is given up on, not interrupted).
CALL_SOCKET_TIMEOUT_S = 600.0


def server_params(xllamacpp: Any, settings: dict[str, Any]) -> Any:
    """xllamacpp's ``CommonParams`` from ``settings`` (what runtime.LlamaModel decides): made the
    same way in the child, which loads the model, and in the assistant, which keys its cache files
    on them."""
    params = xllamacpp.CommonParams()
    params.model.path = settings["path"]
    params.n_ctx = settings["n_ctx"]
    params.n_parallel = settings["slots"]
    params.cpuparams.n_threads = settings["threads"]
    params.cpuparams_batch.n_threads = settings["batch_threads"]
    params.hostnames = [settings["host"]]
    params.port = 0  # any free port: only this assistant connects to it, with its key
    params.endpoint_slots = False
    # Keep each idle slot's prompt in its KV cache. By default llama.cpp saves an idle slot to
    # a host-memory prompt cache (up to 8 GiB) and clears it when another slot starts: the
    # pick and explanation prompts were then read again in full (bench: 0 cached tokens).
    params.cache_idle_slots = False
    params.cache_ram_mib = 0
    params.ui = False
    params.verbosity = -1  # llama.cpp's own log would flood the terminal chat
    params.warmup = False  # an empty decode at load; the start-up warm-up's first call does it
    # The listener answers only requests with this key: no other process on the machine can use
    # the model or its cache files.
    params.api_keys = [settings["key"]]
    if settings.get("slot_save_path"):
        # llama.cpp joins this path and a file name without a separator.
        params.slot_save_path = settings["slot_save_path"]
    return params


class ServerProcessError(RuntimeError):
    """The server process did not start: the model could not be loaded, or the process ended."""


class ServerProcess:
    """llama.cpp's server in a child process, with ``xllamacpp.Server``'s two members runtime uses.

    Made on the loading thread: it waits for the child's line (a pipe read, without the GIL)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._key = str(settings["key"])
        # -I: the child ignores PYTHON* variables and the user's site folder, and its own folder
        # is not on its path; it finds xllamacpp where this interpreter does.
        self._process = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # llama.cpp's own lines; failures come back as JSON
            text=True,
            # Its own session: Ctrl-C at the terminal chat reaches the assistant, not the model.
            start_new_session=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(json.dumps(settings) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except OSError as exc:  # the child ended before it read its settings
            self.close()
            raise ServerProcessError(f"the language model's process ended ({exc})") from exc
        try:
            answer = json.loads(line) if line else {}
        except ValueError:
            answer = {"error": f"unexpected line {line[:200]!r}"}
        if not isinstance(answer, dict) or "listening" not in answer:
            self.close()
            code = self._process.returncode
            error = answer.get("error") if isinstance(answer, dict) else None
            raise ServerProcessError(error or f"the language model's process ended (exit status {code})")
        self.listening_address = str(answer["listening"])

    @property
    def pid(self) -> int:
        return self._process.pid

    def handle_chat_completions(self, request: dict[str, Any]) -> dict[str, Any]:
        """The server's answer to one chat completion request: its JSON, an error's included."""
        http = urllib.request.Request(
            f"{self.listening_address.rstrip('/')}/v1/chat/completions",
            data=json.dumps(request).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
            method="POST",
        )
        try:
            with _LOOPBACK_OPENER.open(http, timeout=CALL_SOCKET_TIMEOUT_S) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # llama.cpp refused it: its JSON says why
            body = exc.read()[:2000].decode("utf-8", "replace")
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {"error": f"{exc.code} {body[:200]}"}
        return answer if isinstance(answer, dict) else {"error": f"unexpected answer {answer!r:.200}"}

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child: its standard input closes (it exits by itself), else it is killed."""
        try:
            if self._process.stdin is not None:
                self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout_s)


def _serve() -> int:
    """The child: load the model, say where it listens, serve until standard input closes."""
    settings = json.loads(sys.stdin.readline())
    try:
        import xllamacpp

        server = xllamacpp.Server(server_params(xllamacpp, settings))
        listening = str(server.listening_address or "")
    except Exception as exc:  # reported to the assistant, which logs it and runs without the model
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"listening": listening}), flush=True)
    sys.stdin.read()  # returns when the assistant closes the pipe or ends
    # llama.cpp's teardown (freeing a GB of weights, stopping its threads) is of no use to a
    # process that ends: leave at once.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_serve())
