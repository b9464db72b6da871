"""``grants serve --demo-while-serving`` (what ``python3 dev.py serve`` runs): the first page
answers before the demo has loaded, a second process loads it, and its history is mailed to
nobody although the server's notifier runs all along (``notifier.silenced``)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from service import notifier
from tests.e2e.api_support import INVESTOR
from tests.e2e.test_api import submit
from tests.e2e.test_notifications import mail_everything, world  # noqa: F401 (fixture)
from web.common.notifications import MailComposer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from litestar import Litestar

    from service.store import EventStore

ROOT = Path(__file__).resolve().parents[2]
MAILS_TO = "SELECT count(*) FROM mail_outbox WHERE recipient = $1"


async def test_nothing_appended_inside_silenced_is_mailed_and_later_events_are(
    world: dict[str, Any],  # noqa: F811
    db: asyncpg.Pool,
    store: EventStore,
    app: Litestar,
) -> None:
    await mail_everything(db, store, app)
    composer = MailComposer(store, app.state.catalogs, "https://grants.example.ma")
    before = await db.fetchval(MAILS_TO, INVESTOR)
    async with notifier.silenced(db):
        await submit(world["api"], world)
        # A notifier running meanwhile sees nothing to mail (the fence stays below the block).
        assert await notifier.step(db, store, composer) == 0
    await mail_everything(db, store, app)
    assert await db.fetchval(MAILS_TO, INVESTOR) == before

    await submit(world["api"], world)  # after the block: mailed as usual
    await mail_everything(db, store, app)
    assert await db.fetchval(MAILS_TO, INVESTOR) == before + 1


async def test_a_block_cut_short_moves_nothing(db: asyncpg.Pool) -> None:
    position = "SELECT tx_id, notification_id FROM mail_notifier WHERE id = 1"
    before = await db.fetchrow(position)
    with pytest.raises(RuntimeError):
        async with notifier.silenced(db):
            raise RuntimeError("the demo process was stopped")
    assert await db.fetchrow(position) == before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """``grants serve --demo-while-serving`` on an empty data dir: (base URL, data dir, log)."""
    port = _free_port()
    env = {**os.environ, "GRANTS_DATA_DIR": str(tmp_path), "GRANTS_PORT": str(port)}
    env.pop("GRANTS_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli.main", "serve", "--demo-while-serving"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield f"http://127.0.0.1:{port}", tmp_path, log
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(check: Any, what: str, limit_s: float = 240) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {limit_s:.0f} s")
        time.sleep(0.3)


LOADING = "The demo programme is still loading"


def _body(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our loopback
        return str(response.read().decode())


def _page(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our loopback
            return int(response.status)
    except OSError:
        return 0


def test_the_first_page_does_not_wait_for_the_demo_and_nobody_is_mailed_about_it(
    serving: tuple[str, Path, Path],
) -> None:
    url, data_dir, log = serving
    _wait_for(lambda: _page(f"{url}/") == 200, "the first page")
    first = _body(f"{url}/")
    if b"grants: demo loaded" not in log.read_bytes():  # the demo was loading during that request
        assert LOADING in first  # the empty programme is explained, not passed off as the real one
    _wait_for(lambda: b"grants: demo loaded" in log.read_bytes(), "the demo")
    _wait_for(lambda: LOADING not in _body(f"{url}/"), "the loading notice to go")
    text = log.read_text()
    assert text.index("grants: serving on") < text.index("grants: demo loaded")

    async def outbox_and_lag() -> tuple[int, bool]:
        conn = await asyncpg.connect(f"postgresql://postgres@/grants?host={data_dir / 'pg'}")
        try:
            mails = await conn.fetchval("SELECT count(*) FROM mail_outbox")
            last = await conn.fetchrow(notifier.SELECT_LAST)
            held = await conn.fetchrow("SELECT tx_id, notification_id FROM mail_notifier")
            return mails, tuple(held) >= tuple(last)
        finally:
            await conn.close()

    mails, caught_up = asyncio.run(outbox_and_lag())
    assert mails == 0  # two hundred files' history, and not one receipt or decision mailed
    assert caught_up
