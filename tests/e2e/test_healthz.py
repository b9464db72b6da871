"""The app starts on a real database and reports its health."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import uvicorn
from eventsourcing.persistence import StoredEvent
from litestar.testing import AsyncTestClient

from service.db import code_schema_version
from web.app import create_app

if TYPE_CHECKING:
    from litestar import Litestar

    from service.settings import Settings
    from service.store import EventStore


async def test_healthz_reports_schema_and_log_head(
    settings: Settings, database_url: str, store: EventStore
) -> None:
    # The test client runs the app on a loop of its own: append through the test's own store.
    app = create_app(settings, database_url=database_url)
    async with AsyncTestClient(app=app, base_url="http://localhost") as client:
        empty = await client.get("/healthz")
        assert empty.status_code == 200
        health = empty.json()
        assert health["status"] == "ok"
        assert health["schema_version"] == code_schema_version()
        assert health["log_head"] is None
        assert health["projections"]["ledger"] == {
            "state": "ok",
            "lag_events": 0,
            "lag_seconds": 0.0,
            "error": None,
        }

        oid = uuid.uuid4()
        ids = await store.insert_events([StoredEvent(oid, 1, "t", b"x")])
        body = (await client.get("/healthz")).json()
        assert body["status"] == "ok"
        assert body["log_head"]["notification_id"] == ids[0]
        assert body["log_head"]["tx_id"] > 0

        home = await client.get("/")
        assert home.status_code == 200
        assert home.headers["content-type"].startswith("text/html")
        assert "<html" in home.text.lower()


async def test_healthz_says_when_a_projection_is_polling_stopped_or_stale(
    settings: Settings, database_url: str, store: EventStore, admin_url: str
) -> None:
    """Over real HTTP on the test's own loop, so the test can reach the app's live feed."""
    port = free_port()
    app = create_app(dataclasses.replace(settings, port=port), database_url=database_url)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await check_states(app, http, store, admin_url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def check_states(
    app: Litestar, http: httpx.AsyncClient, store: EventStore, admin_url: str
) -> None:
    async def health() -> dict[str, Any]:
        response = await http.get("/healthz", headers={"Host": "localhost"})
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    assert (await health())["status"] == "ok"
    feed = app.state.store.feed
    feed.backoff_s = feed.backoff_cap_s = 60  # stay on the polling bridge once cut off
    async with feed.listener(poll_interval=1):  # e.g. a live stream's
        async with asyncio.timeout(10):
            await feed.wait_listening()
        assert (await health())["live"]["mode"] == "listening"
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", feed.backend_pid)
        finally:
            await admin.close()
        async with asyncio.timeout(10):
            while feed.mode != "polling":  # noqa: ASYNC110 - the feed offers a mode, not an event
                await asyncio.sleep(0.01)
        polling = await health()
        assert polling["status"] == "degraded"
        assert polling["live"]["mode"] == "polling"
        assert {p["state"] for p in polling["projections"].values()} == {"polling"}

    await store.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"x")])
    await store.pool.execute(
        "UPDATE projection_tracking SET updated_at = now() - interval '1 hour', "
        "error = CASE name WHEN 'ledger' THEN 'handler failed' END"
    )
    body = await health()
    assert body["status"] == "degraded"
    assert body["projections"]["ledger"]["state"] == "stopped"
    assert body["projections"]["statistics"]["state"] == "stale"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthz_says_degraded_when_one_projection_fails_and_the_others_go_on(
    settings: Settings, database_url: str, store: EventStore
) -> None:
    # An event of a topic this code does not know (written by a newer version): the ledger is
    # critical and stops before it; the other projections skip it and keep running.
    running = dataclasses.replace(settings, run_projections=True)
    app = create_app(running, database_url=database_url)
    async with AsyncTestClient(app=app, base_url="http://localhost") as client:
        unknown = StoredEvent(uuid.uuid4(), 1, "grants.application:FromTheFuture", b"{}")
        await store.insert_events([unknown])
        async with asyncio.timeout(30):
            for _ in itertools.count():
                body = (await client.get("/healthz")).json()
                if (
                    body["status"] == "degraded"
                    and body["projections"]["dashboard"]["lag_events"] == 0
                ):
                    break
                await asyncio.sleep(0.2)
        assert body["projections"]["ledger"]["state"] in ("stopped", "restarting")
        assert "FromTheFuture" in body["projections"]["ledger"]["error"]
        assert body["projections"]["review_queue"]["state"] == "ok"
        assert body["projections"]["review_queue"]["lag_events"] == 0
        supervisor = app.state.supervisor
        async with asyncio.timeout(30):
            for _ in itertools.count():
                if supervisor.health["ledger"].restarts >= 1:
                    break
                await asyncio.sleep(0.1)
        assert supervisor.health["review_queue"].restarts == 0
