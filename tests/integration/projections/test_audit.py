"""Tamper evidence: altering, removing or reordering a stored ledger entry is caught and named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from projections.audit import audit
from tests.integration.projections.conftest import MAD
from tests.integration.projections.test_read_models import catch_up
from tests.unit.domain.builders import OFFICER

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore
    from tests.integration.projections.scenario import World


@pytest.fixture
async def chained(pool: asyncpg.Pool, store: EventStore, world: World) -> asyncpg.Pool:
    """Four ledger entries: two decisions, an agreement and a tranche."""
    a1, a2 = list(world.apps)[:2]
    await world.fund(a1, 1_000_000 * MAD)
    await world.fund(a2, 500_000 * MAD)
    await world.do(a1, "sign_agreement", OFFICER, world.now())
    await world.disburse(a1, 400_000 * MAD)
    await catch_up(pool, store)
    assert await pool.fetchval("SELECT count(*) FROM ledger_entries") == 4
    return pool


async def test_an_untouched_ledger_verifies(chained: asyncpg.Pool, store: EventStore) -> None:
    assert await audit(chained, store) is None


async def test_an_altered_amount_is_named(chained: asyncpg.Pool, store: EventStore) -> None:
    await chained.execute("UPDATE ledger_entries SET amount_centimes = 1 WHERE seq = 2")
    finding = await audit(chained, store)
    assert finding is not None
    assert finding.seq == 2


async def test_a_removed_entry_is_named(chained: asyncpg.Pool, store: EventStore) -> None:
    await chained.execute("DELETE FROM ledger_entries WHERE seq = 3")
    finding = await audit(chained, store)
    assert finding is not None
    assert finding.seq == 3


async def test_a_removed_last_entry_is_caught_by_the_event_log(
    chained: asyncpg.Pool, store: EventStore
) -> None:
    await chained.execute("DELETE FROM ledger_entries WHERE seq = 4")
    finding = await audit(chained, store)
    assert finding is not None
    assert finding.seq == 4
    assert "event log" in finding.problem


async def test_two_swapped_entries_are_caught(chained: asyncpg.Pool, store: EventStore) -> None:
    async with chained.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE ledger_entries SET seq = -seq WHERE seq IN (2, 3)")
        await conn.execute("UPDATE ledger_entries SET seq = 5 + seq WHERE seq IN (-2, -3)")
    finding = await audit(chained, store)
    assert finding is not None
    assert finding.seq == 2
