"""The app starts on a real database and reports its health."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from typing import TYPE_CHECKING

from eventsourcing.persistence import StoredEvent
from litestar.testing import AsyncTestClient

from service.db import code_schema_version
from web.app import create_app

if TYPE_CHECKING:
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
        assert body["projections"]["ledger"]["state"] in ("failed", "restarting")
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
