"""Serving the household page with uvicorn: on its own (``assistant web``) or beside the Wyoming
server (``assistant serve``), in the same process as the pipeline either way.

The socket is bound here, before uvicorn starts, so a port in use or an address beyond loopback
without a password fails at once with a clear message (not after the models load, and not inside
a thread where nobody would see it).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn

from assistant.pipeline.runner import Pipeline
from assistant.web import DEFAULT_HOST, DEFAULT_PORT
from assistant.web.app import WebApp
from assistant.web.household import Household, Owner
from assistant.web.security import PasswordRequiredError, is_loopback

__all__ = ["PasswordRequiredError", "WebServer", "check_bind", "run_web"]


def check_bind(host: str, password: str | None) -> None:
    """Refuse a bind beyond loopback without a household password (``PasswordRequiredError``)."""
    if not is_loopback(host) and not password:
        raise PasswordRequiredError(
            f"the web page shows and deletes private data: to serve it on {host} (beyond this "
            "machine) set a household password first with `assistant web --set-password` "
            "(or ASSISTANT_WEB_PASSWORD), or keep the default 127.0.0.1"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot serve the web page on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class WebServer:
    """The page on a bound socket, served by uvicorn on a thread of its own (``start``/``stop``)."""

    def __init__(
        self,
        household: Household,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        password: str | None = None,
    ) -> None:
        check_bind(host, password)
        self.household = household
        self.web = WebApp(household, host, password)
        self.sock = bind(host, port)
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(
            self.web.app, log_level="warning", access_log=False, timeout_graceful_shutdown=2, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        """Serve on a thread; returns once uvicorn accepts connections."""
        self.household.watcher.start()
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self.server.started and self._thread.is_alive() and waited < timeout_s:
            self._thread.join(0.05)
            waited += 0.05
        if not self.server.started:
            raise OSError(f"the web page did not start on {self.url}")

    def _serve(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def run(self) -> None:
        """Serve on this thread until Ctrl-C or SIGTERM (uvicorn's own signal handling)."""
        self.household.watcher.start()
        try:
            self._serve()
        finally:
            self.close()

    def stop(self) -> None:
        """Stop serving: event streams end, running requests get two seconds."""
        self.web.closing.set()
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.household.watcher.stop()
        with contextlib.suppress(OSError):
            self.sock.close()


def run_web(
    build: Callable[[], Pipeline],
    home: Path,
    host: str,
    port: int,
    password: str | None,
    announce: Callable[[str], None] = print,
) -> int:
    """``assistant web``: build the pipeline on a thread that then owns it, serve the page until
    stopped, then end the page's conversations and close the store on that same thread."""
    check_bind(host, password)
    owner_pool = ThreadPoolExecutor(1, thread_name_prefix="web-pipeline")
    owner: Owner = owner_pool.submit
    pipeline = owner(build).result()
    household = Household(lambda: pipeline, owner, home)
    try:
        server = WebServer(household, host, port, password)
        announce(f"The household page is on {server.url} ; Ctrl-C stops it.")
        server.run()
    finally:
        owner(lambda: (household.close_sessions(pipeline), pipeline.store.close())).result()
        owner_pool.shutdown()
    return 0
