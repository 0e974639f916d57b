"""The pages beside the first four: Library (the skills' libraries of the user's files and their
scans), Insights (a chart per person of what they did over time) and the cover art of what plays.

Routes here follow ``app``'s rules: GET changes nothing, every POST passes ``WebApp.form`` (its
CSRF token) and redirects back, and templates are autoescaped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant.web.charts import SPANS, activity_chart
from assistant.web.household import Household, cover_art


class Site(Protocol):
    """What these pages use of ``app.WebApp`` (named here, not imported: ``app`` imports this)."""

    household: Household

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response: ...

    async def form(self, request: Request) -> dict[str, str]: ...

    @staticmethod
    def back(path: str) -> Response: ...


class MorePages:
    """Library, Insights and cover art, over the ``WebApp``'s household, forms and templates."""

    def __init__(self, web: Site) -> None:
        self.web = web

    def routes(self) -> list[Route]:
        get, post = ["GET"], ["POST"]
        return [
            Route("/library", self.library_page, methods=get),
            Route("/library/panel", self.library_panel, methods=get),
            Route("/library/scan", self.library_scan, methods=post),
            Route("/insights", self.insights_page, methods=get),
            Route("/art/{item_id:path}", self.art, methods=get),
        ]

    # --- Library --------------------------------------------------------------------------------
    async def _library_context(self) -> dict[str, object]:
        shelves = self.web.household.shelves
        libraries = await asyncio.to_thread(shelves.view)
        return {"libraries": libraries, "scanning": shelves.scanning(libraries)}

    async def library_page(self, request: Request) -> Response:
        return self.web.render(request, "library.html", **await self._library_context())

    async def library_panel(self, request: Request) -> Response:
        # polled (htmx "every 1s") only while a scan runs: the panel drops its trigger when done
        return self.web.render(request, "library_panel.html", **await self._library_context())

    async def library_scan(self, request: Request) -> Response:
        form = await self.web.form(request)
        await asyncio.to_thread(self.web.household.shelves.start, form.get("library", ""))
        return self.web.back("/library")

    # --- Insights -------------------------------------------------------------------------------
    async def insights_page(self, request: Request) -> Response:
        by = request.query_params.get("by", "week")
        by = by if by in SPANS else "week"
        today = dt.date.today()
        days = SPANS[by] * (1 if by == "day" else 7)
        since = time.mktime((today - dt.timedelta(days=days)).timetuple())
        activity = await self.web.household.activity(since)
        charts = [(name, activity_chart(days_of, by, today)) for name, days_of in activity.items()]
        return self.web.render(request, "insights.html", charts=charts, by=by)

    # --- cover art ------------------------------------------------------------------------------
    async def art(self, request: Request) -> Response:
        found = await asyncio.to_thread(
            cover_art, self.web.household.player(), request.path_params["item_id"]
        )
        if found is None:
            return Response("No picture.", 404, media_type="text/plain")
        data, kind = found
        return Response(data, media_type=kind)
