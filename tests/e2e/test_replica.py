"""Public reads from a real streaming replica of the embedded server (``pg_basebackup`` from the
wheel), never showing a client an older ledger head than it was already shown; the transparency
log's checkpoints, entries and proofs too, each server with its own cached Merkle tree.

The replica's replay is paused (``pg_wal_replay_pause()``) to make it lag on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from typing import TYPE_CHECKING

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from domain.merkle import verify_consistency
from projections import transparency
from service.checkpoints import ledger_signer, open_checkpoint
from service.replica import ReadRouter, Route
from service.testing import streaming_replica, with_database
from tests.e2e.public_support import MAD, catch_up_all, programme
from web.app import create_app
from web.common.replica import SEEN_COOKIE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from service.settings import Settings
    from service.store import EventStore

HEAD = "/api/v1/ledger/head"


@pytest.fixture(scope="module")
def replica_admin(admin_url: str) -> Iterator[str]:
    with streaming_replica(admin_url) as url:
        yield url


@pytest.fixture
async def replica(replica_admin: str, database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's database as the replica serves it (once it has replayed it)."""
    name = database_url.split("?")[0].rsplit("/", 1)[-1]
    url = with_database(replica_admin, name)
    async with asyncio.timeout(30):
        while True:
            try:
                pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
                break
            except asyncpg.InvalidCatalogNameError:  # CREATE DATABASE not replayed yet
                await asyncio.sleep(0.05)
    try:
        yield pool
    finally:
        await pool.execute("SELECT pg_wal_replay_resume()")
        await pool.close()


async def pause(replica: asyncpg.Pool) -> None:
    """Stop the replica's replay (the request takes effect at its next WAL record check)."""
    await replica.execute("SELECT pg_wal_replay_pause()")
    async with asyncio.timeout(10):
        while await replica.fetchval("SELECT pg_get_wal_replay_pause_state()") != "paused":  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.02)


async def caught_up(primary: asyncpg.Pool, replica: asyncpg.Pool) -> None:
    target = await primary.fetchval("SELECT pg_current_wal_flush_lsn()")
    async with asyncio.timeout(30):
        while await replica.fetchval("SELECT pg_last_wal_replay_lsn() < $1", target):  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.02)


async def test_the_router_follows_lag_and_what_the_client_saw(
    pool: asyncpg.Pool, replica: asyncpg.Pool
) -> None:
    await pool.execute("CREATE TABLE facts (n int); INSERT INTO facts VALUES (1)")
    await caught_up(pool, replica)
    router = ReadRouter(pool, replica, max_lag_ms=200, check_every_s=0)
    fresh = await router.route(None)
    assert fresh.replica
    seen = await router.served(fresh)
    assert (await router.route(seen)).replica  # the replica has what it served

    await pause(replica)
    await pool.execute("INSERT INTO facts VALUES (2)")
    on_primary = await router.served(Route(pool, replica=False))  # a page read on the primary
    router.max_lag_ms = 600_000  # lag alone would not send anyone away
    assert (await router.route(None)).replica  # a new client may read the older replica ...
    assert not (await router.route(on_primary)).replica  # ... not one that saw the newer row
    router.max_lag_ms = 200
    await asyncio.sleep(0.3)
    assert not (await router.route(None)).replica  # behind by more than 200 ms: primary
    assert router.state is not None
    assert router.state.lag_ms > 200

    await replica.execute("SELECT pg_wal_replay_resume()")
    await caught_up(pool, replica)
    assert (await router.route(on_primary)).replica
    assert await replica.fetchval("SELECT count(*) FROM facts") == 2


async def test_a_client_never_sees_the_ledger_head_go_back(
    web_settings: Settings,
    database_url: str,
    pool: asyncpg.Pool,
    store: EventStore,
    replica: asyncpg.Pool,
    replica_admin: str,
) -> None:
    funded = await programme(pool, store)
    name = database_url.split("?")[0].rsplit("/", 1)[-1]
    settings = dataclasses.replace(
        web_settings,
        read_database_url=with_database(replica_admin, name),
        replica_max_lag_ms=200,
    )
    app = create_app(settings, database_url=database_url)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await caught_up(pool, replica)
        first = await client.get(HEAD)
        assert first.json()["seq"] == 8
        assert SEEN_COOKIE in first.cookies
        router = app.state.read_router
        assert router.routed["replica"] == 1

        await pause(replica)
        await funded.world.disburse(funded.company, 100_000 * MAD)
        await catch_up_all(pool, store)
        await asyncio.sleep(0.4)  # the replica is now more than 200 ms behind: the primary
        assert (await client.get(HEAD)).json()["seq"] == 9

        router.max_lag_ms = 600_000  # lag alone would now allow the replica again
        saw = client.cookies[SEEN_COOKIE]
        stranger = await client.get(HEAD, headers={"cookie": "none=0"})  # a new client
        assert stranger.json()["seq"] == 8  # the replica
        client.cookies.clear()  # the stranger's cookie landed in this jar: put ours back
        client.cookies.set(SEEN_COOKIE, saw, domain="testserver.local")
        for _ in range(3):  # the client that saw 9 is kept on the primary
            assert (await client.get(HEAD)).json()["seq"] == 9
        ledger = await client.get("/ledger", params={"lang": "fr"})
        assert ledger.status_code == 200

        await replica.execute("SELECT pg_wal_replay_resume()")
        await caught_up(pool, replica)
        await asyncio.sleep(router.check_every_s * 2)  # the router's last look is older
        before = router.routed["replica"]
        assert (await client.get(HEAD)).json()["seq"] == 9
        assert router.routed["replica"] == before + 1  # back on the replica once it has 9
        reads = (await client.get("/healthz")).json()["public_reads"]
        assert reads["replica"] is True
        assert reads["replica_usable"] is True
        assert reads["routed"]["replica"] == router.routed["replica"]


async def _publish(pool: asyncpg.Pool, settings: Settings) -> int:
    done = await transparency.publish(pool, ledger_signer(settings), settings.ledger_origin)
    assert done.checkpoint is not None
    return done.size


async def test_the_cached_tree_is_the_servers_own(
    pool: asyncpg.Pool, store: EventStore, replica: asyncpg.Pool, web_settings: Settings
) -> None:
    funded = await programme(pool, store)
    size = await _publish(pool, web_settings)
    await caught_up(pool, replica)
    await pause(replica)
    await funded.world.disburse(funded.company, 100_000 * MAD)
    await catch_up_all(pool, store)
    assert await _publish(pool, web_settings) == size + 1

    on_replica = await transparency.cached_tree(replica)
    on_primary = await transparency.cached_tree(pool)
    assert (len(on_replica), len(on_primary)) == (size, size + 1)
    assert on_replica.root() == on_primary.root(size)
    # each server keeps its own tree: asked again, neither is read again from the start
    assert await transparency.cached_tree(replica) is on_replica
    assert await transparency.cached_tree(pool) is on_primary

    await replica.execute("SELECT pg_wal_replay_resume()")
    await caught_up(pool, replica)
    grown = await transparency.cached_tree(replica)
    assert grown is on_replica  # extended with the new leaf, not replaced
    assert (len(grown), grown.root()) == (size + 1, on_primary.root())


async def test_proofs_and_checkpoints_come_from_the_replica_never_older_than_seen(
    web_settings: Settings,
    database_url: str,
    pool: asyncpg.Pool,
    store: EventStore,
    replica: asyncpg.Pool,
    replica_admin: str,
) -> None:
    funded = await programme(pool, store)
    size = await _publish(pool, web_settings)
    name = database_url.split("?")[0].rsplit("/", 1)[-1]
    settings = dataclasses.replace(
        web_settings, read_database_url=with_database(replica_admin, name), replica_max_lag_ms=200
    )
    app = create_app(settings, database_url=database_url)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await caught_up(pool, replica)
        router = app.state.read_router
        for path in ("/ledger/checkpoint", "/ledger/checkpoints",
                     f"/api/v1/ledger/proof/inclusion?index=0&size={size}",
                     f"/api/v1/ledger/proof/consistency?from=1&to={size}",
                     f"/api/v1/ledger/entries?start=0&end={size}"):  # fmt: skip
            before = router.routed["replica"]
            assert (await client.get(path)).status_code == 200, path
            assert router.routed["replica"] == before + 1, f"{path} read on the replica"
        old_root = open_checkpoint((await client.get("/ledger/checkpoint")).text,
                                   ledger_signer(settings).verifier).root  # fmt: skip

        await pause(replica)
        await funded.world.disburse(funded.company, 100_000 * MAD)
        await catch_up_all(pool, store)
        assert await _publish(pool, web_settings) == size + 1
        await asyncio.sleep(0.4)  # more than 200 ms behind: the primary
        note = (await client.get("/ledger/checkpoint")).text
        assert open_checkpoint(note, ledger_signer(settings).verifier).size == size + 1

        router.max_lag_ms = 600_000  # lag alone would now allow the replica again
        stranger = await client.get("/ledger/checkpoint", headers={"cookie": "none=0"})
        assert open_checkpoint(stranger.text, ledger_signer(settings).verifier).size == size
        client.cookies.clear()
        # A witness without cookies that holds size + 1 (from the primary, or another
        # frontend): the proof it names is read where that size exists, not refused.
        consistency = f"/api/v1/ledger/proof/consistency?from={size}&to={size + 1}"
        primary_before = router.routed["primary"]
        answer = await client.get(consistency)
        assert answer.status_code == 200, answer.text
        assert router.routed["primary"] == primary_before + 1
        new = open_checkpoint(note, ledger_signer(settings).verifier)
        proof = [base64.b64decode(h) for h in answer.json()["proof"]]
        verify_consistency(size, size + 1, proof, old_root, new.root)
        assert SEEN_COOKIE in answer.cookies  # served at the primary's position from now on
        entries = await client.get(f"/api/v1/ledger/entries?start={size}&end={size + 1}")
        assert entries.status_code == 200
        assert [e["index"] for e in entries.json()["entries"]] == [size]
        beyond = await client.get(f"/api/v1/ledger/proof/inclusion?index=0&size={size + 2}")
        assert beyond.status_code == 422  # beyond every server's log: still refused
        assert beyond.json()["code"] == "bad_proof_request"
