"""A logical dump restored into a fresh server: the transaction-id hazard, and its documented fix."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from projections.registry import ALL_PROJECTIONS, ensure_all, rebuild
from projections.runner import ProjectionRunner
from service import db, decisions
from service.store import EventStore
from service.testing import with_database
from tests.faults.cluster import own_cluster, pg_bin
from tests.faults.support import assert_invariants, catch_up_fully
from tests.integration.service.support import CHAIR, open_programme, reviewed, submit

if TYPE_CHECKING:
    import asyncpg

    from service.settings import Settings
    from tests.faults.cluster import Cluster

FIX = Path(__file__).resolve().parents[2] / "docs" / "after-logical-restore.sql"
BURN = 3_000  # transactions the source server has run before the history begins
HEAD = "SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"


async def _history(pool: asyncpg.Pool, store: EventStore) -> str:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    for _ in range(3):
        app = await reviewed(store, prog)
        await decisions.fund(store, application_id=app, decided_by=CHAIR, amount_centimes=9_000_00)
    await ensure_all(pool)
    for projection in ALL_PROJECTIONS:
        await catch_up_fully(ProjectionRunner(pool, store, projection))
    return str(await pool.fetchval(HEAD))


def _dump(source_url: str, path: Path) -> None:
    subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", str(path), source_url], check=True)


def _restore(target_url: str, path: Path) -> None:
    subprocess.run(
        [pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "-d", target_url, str(path)],
        check=True,
    )


async def _source_history(settings: Settings, url: str) -> str:
    """History on a server that has run some thousands of transactions; the ledger's head hash."""
    pool = await db.create_pool(settings, url)
    try:
        for _ in range(BURN):
            await pool.fetchval("SELECT pg_current_xact_id()")
        async with pool.acquire() as conn:
            await db.migrate(conn)
        store = EventStore(pool)
        head = await _history(pool, store)
        await store.close()
        return head
    finally:
        await pool.close()


async def test_logical_restore_hides_the_log_until_the_documented_fix(
    settings: Settings, cluster: Cluster, tmp_path: Path
) -> None:
    # Both servers PostgreSQL 18 from the wheel (pg_dump's own major version); the source has
    # run more transactions than the fresh target, as any production server has.
    with own_cluster() as source:
        head = await _source_history(settings, source.url)
        await asyncio.to_thread(_dump, source.url, tmp_path / "grants.dump")
    target = with_database(cluster.url, "restored")
    admin = await db.create_pool(settings, cluster.url)
    await admin.execute('CREATE DATABASE "restored"')
    await admin.close()
    await asyncio.to_thread(_restore, target, tmp_path / "grants.dump")

    restored = await db.create_pool(settings, target)
    restored_store = EventStore(restored)
    try:
        # The hazard: the fresh server's counter is far below the restored tx_ids.
        assert await restored.fetchval("SELECT count(*) FROM events") > 0
        assert await restored_store.select_notifications(None, 10) == []

        await restored.execute(FIX.read_text())
        for projection in ALL_PROJECTIONS:
            await rebuild(restored, restored_store, projection.name)
        assert str(await restored.fetchval(HEAD)) == head, "the ledger chain changed"
        # New writes sort after the restored history and reach the read models.
        prog = await open_programme(restored_store)
        app = await submit(restored_store, prog)
        for projection in ALL_PROJECTIONS:
            await catch_up_fully(ProjectionRunner(restored, restored_store, projection))
        last = (await restored_store.select_notifications(None, 10_000))[-1]
        assert last.originator_id == app
        await assert_invariants(restored, restored_store, ids=[app], catch_up=False)
    finally:
        await restored_store.close()
        await restored.close()
