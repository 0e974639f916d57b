"""Who may use the household page, and the checks every request passes.

The page shows private data (what each person listened to and likes) and can delete it, so:

- On loopback (the default) only this machine reaches it; no password is asked for. The Host
  header must then name loopback too, so a web page elsewhere cannot reach it by pointing its own
  name at 127.0.0.1 (DNS rebinding).
- On any other address a household password is required: ``[web] password_hash`` in config.toml
  (written by ``assistant web --set-password``, a salted scrypt hash) or ``ASSISTANT_WEB_PASSWORD``
  in the environment. Without one the server refuses to start (``PasswordRequiredError``).
  Logging in sets a random session id in an HttpOnly, SameSite=Strict cookie; failed logins from
  one address are limited (``LoginLimiter``).
- Every state change is a POST carrying a CSRF token tied to the browser's session
  (``Browsers.csrf_token``); GET changes nothing. Responses are never cached and carry a
  Content-Security-Policy that allows no inline script.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "assistant_web"
SESSION_IDLE_S = 7 * 24 * 3600.0  # a logged-in phone stays logged in for a week of disuse
MAX_FAILED_LOGINS = 5  # per address, within LOGIN_WINDOW_S
LOGIN_WINDOW_S = 300.0
# scrypt's cost: ~50 ms and 16 MiB a check on a small machine; slow enough to make guessing dear.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # htmx and the page's own script are files served from here; nothing inline, nothing remote.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class PasswordRequiredError(Exception):
    """A bind beyond loopback without a household password."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (localhost, ::1 or 127.x.x.x)."""
    return host.strip("[]") in ("localhost", "::1") or host.startswith("127.")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash of ``password``, as ``scrypt$N$r$p$salt$hash`` (base64)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``: a ``hash_password`` hash, or a plain password (the
    environment variable's). Compared in constant time."""
    if not stored.startswith("scrypt$"):
        return hmac.compare_digest(password.encode(), stored.encode())
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@dataclass
class Browser:
    """One browser's session with the page: whether it logged in, and when it was last seen."""

    id: str
    logged_in: bool = False
    seen: float = field(default_factory=time.monotonic)


class Browsers:
    """The browsers' sessions, in memory (a restart logs everyone out), and their CSRF tokens."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._by_id: dict[str, Browser] = {}
        self._lock = threading.Lock()

    def get(self, cookie: str | None) -> Browser | None:
        """The live session a cookie names, or None."""
        now = time.monotonic()
        with self._lock:
            browser = self._by_id.get(cookie or "")
            if browser is None or now - browser.seen > SESSION_IDLE_S:
                self._by_id.pop(cookie or "", None)
                return None
            browser.seen = now
            return browser

    def new(self, logged_in: bool = False) -> Browser:
        """A fresh session (a new id after logging in, so an id set before it is worth nothing)."""
        browser = Browser(secrets.token_urlsafe(32), logged_in)
        with self._lock:
            self._by_id[browser.id] = browser
        return browser

    def drop(self, browser: Browser) -> None:
        """End a session (logging out)."""
        with self._lock:
            self._by_id.pop(browser.id, None)

    def csrf_token(self, browser: Browser) -> str:
        """The token every POST from this browser must carry (derived, so nothing more is kept)."""
        return hmac.new(self._secret, browser.id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, browser: Browser | None, token: str | None) -> bool:
        """Whether ``token`` is this browser's CSRF token."""
        return browser is not None and bool(token) and hmac.compare_digest(self.csrf_token(browser), token)


class LoginLimiter:
    """At most ``MAX_FAILED_LOGINS`` failed logins per address in ``LOGIN_WINDOW_S``."""

    def __init__(self, limit: int = MAX_FAILED_LOGINS, window_s: float = LOGIN_WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(address, []) if now - t < self.window_s]
        self._failures[address] = kept
        return kept

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has used up its failed logins for now."""
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        """Count one failed login from ``address``."""
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)


def allowed_host(host_header: str, bound_host: str) -> bool:
    """Whether a request's Host header is acceptable: on a loopback bind it must name loopback
    (DNS rebinding); on a network bind the password guards the page, any name is fine."""
    if not is_loopback(bound_host):
        return True
    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return is_loopback(name.strip("[]"))
