"""Two faults felt through the JSON API on a real HTTP server, as a client feels them (issue #8).

Fifty funding decisions race over HTTP for the last dirhams of an envelope (the race of
test_funding_race.py, with an HTTP ``fund``); and the events table locked for a few seconds makes
API submissions fail fast with 503 and ``Retry-After``, then succeed once the lock is gone.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tests.e2e.api_support import Api, application_body, catch_up, with_documents
from tests.e2e.conftest import app, client, make_user, web_settings
from tests.faults.live import serving, session_client
from tests.faults.race import assert_exactly_affordable, race
from tests.faults.support import assert_invariants
from tests.faults.test_table_lock import WAITING_ON_LOCKS, _hold_lock
from tests.integration.service.support import open_programme, reviewed

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore

__all__ = ["app", "client", "web_settings"]  # the e2e fixtures: sign-in goes through the pages

CHAIR, INVESTOR = "chair@region.ma", "investor@example.ma"
RACERS = 50
AMOUNT = 1_000_000_00  # 1,000,000.00 MAD each
TOTAL = 7 * AMOUNT + 99_99  # room for seven, and 99.99 MAD that nobody can take
CALLERS, HOLD_S = 8, 4.0


async def _signed_in(client: AsyncTestClient[Litestar], pool: asyncpg.Pool, email: str) -> Api:
    await make_user(pool, email, "chair" if email == CHAIR else "investor")
    api = Api(client)
    await api.sign_in(email)  # log_in through the pages, the second factor included for staff
    return api


class Funding:
    """An HTTP ``fund`` for race.py, and what the server answered along the way."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.refusals: list[dict[str, Any]] = []
        self.unavailable = 0
        self.in_flight = self.most_in_flight = 0

    async def __call__(self, app_id: UUID, amount: int) -> bool:
        """200: funded; 409 ``envelope_exhausted``: refused; 503: nothing was decided, so back
        off and ask again; anything else fails the test."""
        give_up = time.monotonic() + 30
        while True:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                response = await self.http.post(
                    f"/applications/{app_id}/funding",
                    json={"amount_centimes": amount, "note": "Projet prioritaire"},
                )
            finally:
                self.in_flight -= 1
            if response.status_code == 200:
                assert response.json()["amount_centimes"] == amount, response.text
                return True
            if response.status_code == 409 and response.json()["code"] == "envelope_exhausted":
                self.refusals.append(response.json())
                return False
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
            self.unavailable += 1
            assert time.monotonic() < give_up, "still 503 after 30 s of retries"
            await asyncio.sleep(0.05)


async def test_fifty_decisions_race_over_http_for_the_last_dirhams(
    pool: asyncpg.Pool,
    store: EventStore,
    client: AsyncTestClient[Litestar],
    web_settings: Settings,
    database_url: str,
) -> None:
    prog = await open_programme(store, total_centimes=TOTAL)
    app_ids = await asyncio.gather(*(reviewed(store, prog) for _ in range(RACERS)))
    chair = await _signed_in(client, pool, CHAIR)
    async with serving(web_settings, database_url) as url, session_client(chair, url) as http:
        fund = Funding(http)
        result = await race(fund, app_ids, AMOUNT)

    assert fund.most_in_flight > 1, "the requests never overlapped: no race was run"
    assert_exactly_affordable(result, total=TOTAL, amount=AMOUNT, racers=RACERS)
    assert all(r["status"] == 409 for r in fund.refusals)
    await catch_up(pool, store)  # the public read of the envelope agrees, once caught up
    overview = await chair.get(f"/envelopes/{prog.envelope_id}")
    assert overview.status_code == 200, overview.text
    assert overview.json()["remaining_centimes"] == 99_99
    await assert_invariants(pool, store, ids=list(app_ids))


async def _submit(
    http: httpx.AsyncClient, body: dict[str, Any], key: str
) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await http.post("/applications", json=body, headers={"Idempotency-Key": key})
    return time.monotonic() - started, response


async def test_a_locked_events_table_answers_503_fast_then_the_retry_succeeds(
    settings: Settings,
    web_settings: Settings,
    pool: asyncpg.Pool,
    store: EventStore,
    database_url: str,
    client: AsyncTestClient[Litestar],
) -> None:
    prog = await open_programme(store)
    await catch_up(pool, store)  # the API reads the call from its read model
    investor = await _signed_in(client, pool, INVESTOR)
    call = str(prog.call_id)
    bodies = [await with_documents(investor, application_body(call)) for _ in range(CALLERS)]
    # Fail fast: lock_timeout (or the pool's wait), never the lock holder's seconds.
    bound = (settings.lock_timeout_ms + 2 * settings.pool_acquire_timeout_ms) / 1000 + 1.0

    async with serving(web_settings, database_url) as url, session_client(investor, url) as http:
        locked = asyncio.Event()
        holder = asyncio.create_task(_hold_lock(database_url, HOLD_S, locked))
        await locked.wait()
        outcomes = await asyncio.gather(
            *(_submit(http, body, f"k-{i}") for i, body in enumerate(bodies))
        )
        for elapsed, response in outcomes:
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == 503
            assert elapsed < min(bound, HOLD_S), elapsed
        assert not holder.done(), "the lock went before the answers came: nothing was shown"
        assert await pool.fetchval(WAITING_ON_LOCKS) == 0, "requests still queue on the lock"
        await holder

        ids = []  # the careful client retries with the same key, and is served
        for i, body in enumerate(bodies):
            _, response = await _submit(http, body, f"k-{i}")
            assert response.status_code == 201, response.text
            ids.append(UUID(response.json()["application_id"]))
        _, replay = await _submit(http, bodies[0], "k-0")
    assert replay.headers.get("idempotent-replayed") == "true"
    assert UUID(replay.json()["application_id"]) == ids[0]
    await assert_invariants(pool, store, ids=ids)
