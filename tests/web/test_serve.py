"""``assistant serve`` with the page beside it: one process, one pipeline. A turn said over
Wyoming (as by a Home Assistant satellite) shows on the page, and a turn typed on the page is
run by the Wyoming server's own pipeline, on its dialogue worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.cli_commands import PageBesideServe
from assistant.config import Settings
from tests.unit.test_wyoming import say_once, serving
from tests.web.conftest import Client

pytestmark = pytest.mark.timeout(60)


def test_the_page_beside_serve_shares_the_pipeline(assistant_home: Path) -> None:
    async def scenario() -> None:
        assistant_home.mkdir(parents=True, exist_ok=True)
        page_beside = PageBesideServe(assistant_home, Settings(), "127.0.0.1", 0)
        async with serving(assistant_home) as server:
            stop = page_beside(server)
            try:
                page = Client(page_beside.url)
                await asyncio.to_thread(page.get, "/now")
                await say_once(server, "suggest a tea")
                _, now, _ = await asyncio.to_thread(page.get, "/now")
                assert "suggest a tea" in now  # said over Wyoming, shown on the page
                await asyncio.to_thread(page.post, "/talk", {"text": "some herbal tea", "person": "alice"})
                said = await server.workers.run("dialogue", lambda: server.pipeline.store.turns(user="alice"))
                assert [t["text"] for t in said] == ["some herbal tea"]
            finally:
                await asyncio.to_thread(stop)

    asyncio.run(scenario())
