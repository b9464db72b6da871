"""The home page's envelope figures follow the ledger live (one broadcast per process), in a real
Chromium, in Arabic and French, at 1280 and 390 px: a grant funded while the page is open shows
up without a reload. Its own server (not the demo's), since the test appends to the log."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import pytest
from playwright.sync_api import expect

from bench.projections import programme_events
from service import db
from service.embedded import start_embedded
from service.settings import Settings
from service.store import EventStore
from tests.browser.conftest import ROOT, _free_port, _wait_healthy, screenshot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from eventsourcing.persistence import StoredEvent
    from playwright.sync_api import Browser


T = TypeVar("T")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``grants serve`` (projections inside) on an empty log; (base URL, data dir)."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("live-data")
    env = {**os.environ, "GRANTS_DATA_DIR": str(data_dir), "GRANTS_PORT": str(port)}
    env.pop("GRANTS_DATABASE_URL", None)
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli.main", "serve"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url, data_dir
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def off_loop(function: Callable[..., T], *args: object) -> T:
    """Run ``function`` in a thread: Playwright's sync API keeps an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def append_now(url: str, batch: list[StoredEvent]) -> None:
    off_loop(asyncio.run, append(url, batch))


async def append(url: str, batch: list[StoredEvent]) -> None:
    pool = await db.create_pool(Settings(pool_min_size=1, pool_max_size=2), url)
    store = EventStore(pool)
    try:
        await store.insert_events(batch)
    finally:
        await store.close()
        await pool.close()


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_funded_grant_reaches_an_open_home_page_without_a_reload(
    browser: Browser, live_server: tuple[str, Path], lang: str, width: int
) -> None:
    base, data_dir = live_server
    url = off_loop(start_embedded, data_dir)  # joins the server's embedded PostgreSQL
    batches = programme_events(10**6, fund_every=1)
    append_now(url, next(batches))  # an envelope and a first funded grant
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/?lang={lang}")
        figure = page.locator("[data-figure=committed]")
        expect(figure).not_to_have_text("", timeout=15_000)
        page.wait_for_function(  # the stream's first message has filled the figures in
            "document.querySelector('[data-figure=committed]').textContent.trim() !== '0'",
            timeout=15_000,
        )
        page.wait_for_timeout(500)
        before = figure.inner_text()
        append_now(url, next(batches))  # funded while the page is open
        expect(figure).not_to_have_text(before, timeout=15_000)
        assert page.locator("html").get_attribute("lang") == lang
        expect(page.locator("[data-live-announce]")).not_to_be_empty()
        screenshot(page, f"live-home-{lang}-{width}")
    finally:
        context.close()
