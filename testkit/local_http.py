"""A local HTTP server standing in for an online service (feeds, forecasts, the music archive),
and a port nobody listens on standing in for one that is down. Shared by tests and benches."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def local_server(handler: Callable[..., http.server.BaseHTTPRequestHandler] | Any) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the ``with`` block; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port() -> str:
    """The base URL of a loopback port nobody listens on (a service that is down)."""
    return f"http://127.0.0.1:{free_port()}"
