"""The household page's routes: Now, Talk, People, Settings, and logging in (Library, Insights
and cover art are in ``pages``).

Server-rendered Jinja2 (autoescaped: a title with ``<script>`` in its tags is shown as text)
with htmx boosting links and forms, so every page also works as plain HTML forms. Every form
posts and then redirects (303) to the page it came from; a person's name travels in the form
body, never in a URL. ``/events`` is a server-sent event stream that says "something changed"
(``household.Watcher``); the page's script then reloads the Now panel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from assistant.web import security, settings_file
from assistant.web.household import BusyError, Household, player_state
from assistant.web.pages import MorePages

HERE = Path(__file__).parent
MAX_FORM_BYTES = 64 * 1024  # a typed request is 500 characters at most; a feed list is small
KEEPALIVE_S = 15.0
QUICK = {  # the Talk page's buttons: turns in words, read by the NLU like anything said
    "like": "I like this one",
    "dislike": "not this one",
    "another": "play another one",
    "why": "why did you pick that?",
}
PLAYER_ACTIONS = ("pause", "resume", "next", "previous", "stop")


class Forbidden(Exception):
    """A POST without this browser's CSRF token, or from a browser that has not logged in."""


class WebApp:
    """The Starlette app over one ``Household``; ``password`` guards a non-loopback bind."""

    def __init__(self, household: Household, bound_host: str, password: str | None = None) -> None:
        self.household, self.bound_host, self.password = household, bound_host, password
        self.browsers = security.Browsers()
        self.limiter = security.LoginLimiter()
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.closing = threading.Event()  # set from the thread that stops the server
        get, post = ["GET"], ["POST"]
        routes = [
            Route("/", lambda r: RedirectResponse("/now", 303), methods=get),
            Route("/now", self.now, methods=get),
            Route("/now/panel", self.now_panel, methods=get),
            Route("/events", self.events, methods=get),
            Route("/player", self.player_action, methods=post),
            Route("/talk", self.talk_page, methods=get),
            Route("/talk", self.talk, methods=post),
            Route("/people", self.people_page, methods=get),
            Route("/people/remove", self.people_remove, methods=post),
            Route("/people/export", self.people_export, methods=post),
            Route("/people/forget", self.people_forget, methods=post),
            Route("/settings", self.settings_page, methods=get),
            Route("/settings", self.settings_save, methods=post),
            Route("/settings/home-city", self.home_city, methods=post),
            Route("/login", self.login_page, methods=get),
            Route("/login", self.login, methods=post),
            Route("/logout", self.logout, methods=post),
            *MorePages(self).routes(),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        handlers = {Forbidden: _refused(403), BusyError: _refused(503)}
        self.app = Starlette(routes=routes, exception_handlers=handlers, lifespan=self._lifespan)
        self.app.add_middleware(_Guard, web=self)  # type: ignore[arg-type]

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        self.closing.set()  # the event streams end, so that shutting down does not wait on them

    @property
    def needs_login(self) -> bool:
        return self.password is not None

    # --- helpers --------------------------------------------------------------------------------
    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        browser = request.state.browser
        context |= {"csrf": self.browsers.csrf_token(browser), "needs_login": self.needs_login, "page": name}
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    async def form(self, request: Request) -> dict[str, str]:
        """The POST's fields, after checking its CSRF token (``Forbidden`` when it is wrong)."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise Forbidden("the form is too large")
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        token = request.headers.get("x-csrf-token") or fields.pop("csrf", None)
        if not self.browsers.csrf_ok(request.state.browser, token):
            raise Forbidden("the form's security token is missing or wrong; reload the page")
        return fields

    @staticmethod
    def back(path: str) -> Response:
        return RedirectResponse(path, status_code=303)

    # --- Now ------------------------------------------------------------------------------------
    async def _now_context(self) -> dict[str, Any]:
        return {"playing": player_state(self.household.player()), "recent": await self.household.recent()}

    async def now(self, request: Request) -> Response:
        return self.render(request, "now.html", **await self._now_context())

    async def now_panel(self, request: Request) -> Response:
        return self.render(request, "now_panel.html", **await self._now_context())

    async def player_action(self, request: Request) -> Response:
        form = await self.form(request)
        player = self.household.player()
        action = form.get("action", "")
        if player is not None and action in PLAYER_ACTIONS:
            # next/previous open the next file: off the event loop
            await asyncio.to_thread(getattr(player, action))
        elif player is not None and action == "volume":
            try:
                level = min(10, max(0, int(form.get("level", "5"))))
            except ValueError:
                level = 5
            player.set_volume(level / 10)
        return self.back("/now")

    async def events(self, request: Request) -> Response:
        watcher = self.household.watcher

        async def stream():
            seen, quiet = watcher.version, 0.0
            yield "retry: 2000\n\n"
            while not self.closing.is_set() and not await request.is_disconnected():
                await asyncio.sleep(0.25)
                quiet += 0.25
                if watcher.version != seen:
                    seen, quiet = watcher.version, 0.0
                    yield f"event: change\ndata: {seen}\n\n"
                elif quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield ": keepalive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    # --- Talk -----------------------------------------------------------------------------------
    async def talk_page(self, request: Request) -> Response:
        person, shown = self.household.shown(request.state.browser.id)
        known = [p["name"] for p in await self.household.people_view()]
        person = person or await self.household.default_person()
        return self.render(request, "talk.html", person=person, shown=shown, known=known)

    async def talk(self, request: Request) -> Response:
        form = await self.form(request)
        text = QUICK.get(form.get("quick", ""), form.get("text", "")).strip()
        if text:
            await self.household.talk(request.state.browser.id, form.get("person", ""), text)
        return self.back("/talk")

    # --- People ---------------------------------------------------------------------------------
    async def people_page(self, request: Request) -> Response:
        return self.render(request, "people.html", people=await self.household.people_view())

    async def people_remove(self, request: Request) -> Response:
        form = await self.form(request)
        person = form.get("person", "")
        if "feedback" in form and form["feedback"].isdigit():
            await self.household.remove_feedback(person, int(form["feedback"]))
        elif "preference" in form:
            await self.household.remove_preference(person, form["preference"])
        return self.back("/people")

    async def people_export(self, request: Request) -> Response:
        form = await self.form(request)
        person = form.get("person", "").strip().lower()
        data = await self.household.export(person)
        filename = "".join(c for c in person if c.isalnum() or c in "-_") or "person"
        return JSONResponse(
            json.loads(json.dumps(data, default=str)),
            headers={"Content-Disposition": f'attachment; filename="assistant-{filename}.json"'},
        )

    async def people_forget(self, request: Request) -> Response:
        form = await self.form(request)
        person = form.get("person", "").strip().lower()
        # The confirmation is the name typed again: a stray tap forgets nobody.
        if not person or form.get("confirm", "").strip().lower() != person:
            people = await self.household.people_view()
            message = f"Type {person}'s name to confirm; nothing was deleted."
            return self.render(request, "people.html", status=400, people=people, message=message)
        counts = await self.household.forget(person)
        people = await self.household.people_view()
        removed = sum(counts.values())
        return self.render(
            request, "people.html", people=people, message=f"Forgot {person}: {removed} records deleted."
        )

    # --- Settings -------------------------------------------------------------------------------
    async def settings_page(self, request: Request, message: str = "", status: int = 200) -> Response:
        values = await asyncio.to_thread(settings_file.current, self.household.home)
        known = [p["name"] for p in await self.household.people_view()]
        return self.render(request, "settings.html", status=status, s=values, known=known, message=message)

    async def settings_save(self, request: Request) -> Response:
        form = await self.form(request)
        try:
            problems = await asyncio.to_thread(settings_file.save, self.household.home, form)
        except ValueError as exc:
            problems = [str(exc)]
        if problems:
            return await self.settings_page(request, "Not saved: " + " ".join(problems), status=400)
        return await self.settings_page(request, "Saved. The assistant uses them from its next start.")

    async def home_city(self, request: Request) -> Response:
        form = await self.form(request)
        person, city = form.get("person", "").strip(), form.get("city", "").strip()[:100]
        if person and city:
            await self.household.set_preference(person, "home_city", city)
        return self.back("/settings")

    # --- logging in -----------------------------------------------------------------------------
    async def login_page(self, request: Request, message: str = "", status: int = 200) -> Response:
        return self.render(request, "login.html", status=status, message=message)

    async def login(self, request: Request) -> Response:
        form = await self.form(request)
        address = request.client.host if request.client else "?"
        if self.limiter.blocked(address):
            return await self.login_page(request, "Too many failed tries; wait a few minutes.", 429)
        ok = self.password is not None and await asyncio.to_thread(
            security.check_password, form.get("password", ""), self.password
        )
        if not ok:
            self.limiter.failed(address)
            return await self.login_page(request, "Wrong password.", 403)
        self.browsers.drop(request.state.browser)
        request.state.new_browser = self.browsers.new(logged_in=True)
        return self.back("/now")

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        self.browsers.drop(request.state.browser)
        request.state.new_browser = self.browsers.new()
        return self.back("/login" if self.needs_login else "/now")


class _Guard:
    """Pure ASGI middleware (so the event stream is not buffered): the Host check, the browser's
    session cookie, the login wall, the answer to a refused form, and the security headers."""

    def __init__(self, app: Callable[..., Awaitable[None]], web: WebApp) -> None:
        self.app, self.web = app, web

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        web = self.web
        if not security.allowed_host(request.headers.get("host", ""), web.bound_host):
            await _with_headers(PlainTextResponse("Unknown host name.", 400))(scope, receive, send)
            return
        browser = web.browsers.get(request.cookies.get(security.COOKIE))
        fresh = browser is None
        if browser is None:
            browser = web.browsers.new()
        scope.setdefault("state", {})["browser"] = browser
        public = request.url.path in ("/login",) or request.url.path.startswith("/static/")
        response: Response | None = None
        if web.needs_login and not browser.logged_in and not public:
            response = RedirectResponse("/login", 303) if request.method == "GET" else None
            if response is None:
                response = PlainTextResponse("Log in first.", 403)
        if response is not None:
            await _with_headers(response, browser if fresh else None)(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k.lower().encode(), v.encode()) for k, v in security.HEADERS.items()]
                chosen = scope["state"].get("new_browser") or (browser if fresh else None)
                if chosen is not None:
                    headers.append((b"set-cookie", _cookie(chosen).encode()))
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _refused(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status)

    return handler


def _cookie(browser: security.Browser) -> str:
    # HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
    return f"{security.COOKIE}={browser.id}; Path=/; HttpOnly; SameSite=Strict"


def _with_headers(response: Response, browser: security.Browser | None = None) -> Response:
    response.headers.update(security.HEADERS)
    if browser is not None:
        response.headers.append("set-cookie", _cookie(browser))
    return response


def password_from(settings_hash: str | None) -> str | None:
    """The household password to check against: ``ASSISTANT_WEB_PASSWORD`` (read through
    ``assistant.config.environment``) over ``[web] password_hash``; None when neither is set."""
    from assistant.config import environment

    return environment().web_password or settings_hash or None
