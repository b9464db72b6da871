"""Sixty funding decisions race for a small envelope: it never gives out more than it holds."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from domain.applications import GrantApplication, Status
from domain.envelopes import EnvelopeExhaustedError, SupportEnvelope
from service import applications, commands, decisions
from service.decisions import LOCK_ENVELOPE, Funding
from service.repository import Repository
from service.store import EventStore
from tests.integration.service.support import CHAIR, OFFICER, R3, open_programme, reviewed

pytestmark = pytest.mark.store

TOTAL = 10_000_000  # centimes: 100,000.00 MAD
CALLERS = 60


async def test_concurrent_funding_never_overcommits_the_envelope(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=TOTAL)
    app_ids = await asyncio.gather(*(reviewed(store, prog) for _ in range(CALLERS)))
    rng = random.Random(7)
    amounts = [rng.randrange(300_000, 700_000) for _ in app_ids]
    assert sum(amounts) > 2 * TOTAL

    results = await asyncio.gather(
        *(
            decisions.fund(store, application_id=a, decided_by=CHAIR, amount_centimes=amount)
            for a, amount in zip(app_ids, amounts, strict=True)
        ),
        return_exceptions=True,
    )

    funded = [r for r in results if isinstance(r, Funding)]
    refused = [r for r in results if not isinstance(r, Funding)]
    assert all(isinstance(r, EnvelopeExhaustedError) for r in refused), refused
    reserved = sum(f.amount_centimes for f in funded)
    assert reserved <= TOTAL
    assert len(funded) + len(refused) == CALLERS
    assert funded
    assert refused
    envelope = await Repository(store).get(prog.envelope_id, cls=SupportEnvelope)
    assert envelope.reserved_centimes == reserved
    assert envelope.remaining_centimes == TOTAL - reserved
    assert len(envelope.reserved_by_application) == len(funded)
    assert {f.application_id for f in funded} == set(envelope.reserved_by_application)
    for refusal in refused:
        assert isinstance(refusal, EnvelopeExhaustedError)
        # What was left when it was refused: at most what is left now, never less than zero.
        assert refusal.remaining_centimes >= envelope.remaining_centimes >= 0
        assert refusal.requested_centimes > refusal.remaining_centimes
    # Successes saw strictly decreasing remainders: each one reserved after the previous.
    remainders = sorted((f.remaining_centimes for f in funded), reverse=True)
    assert len(set(remainders)) == len(funded)


async def test_a_decision_that_lost_the_race_for_its_file_is_retried_and_lands(
    store: EventStore,
) -> None:
    """The envelope lock makes decisions queue, so the retry is the safety net for the rest: a
    change to the same file committed while the decision waited makes its append conflict
    (``ConcurrencyError``), and ``execute`` decides again on the fresh file. Staged exactly:
    the test holds the envelope's lock until the concurrent change has committed."""
    prog = await open_programme(store, total_centimes=TOTAL)
    app_id = await reviewed(store, prog)
    lock_key = int.from_bytes(prog.envelope_id.bytes[:8], "big", signed=True)
    retries = commands.metrics.retries
    async with store.pool.acquire() as holder, holder.transaction():
        await holder.execute(LOCK_ENVELOPE, lock_key)
        funding = asyncio.create_task(
            decisions.fund(store, application_id=app_id, decided_by=CHAIR, amount_centimes=500_000)
        )
        await _until_waiting_for(holder, lock_key)  # the file is read, the lock awaited
        await applications.assign_reviewer(store, application_id=app_id, reviewer_id=R3, by=OFFICER)
        # The lock goes with the commit: the decision appends on a file that moved meanwhile.
    funded = await asyncio.wait_for(funding, 30)
    assert commands.metrics.retries == retries + 1  # the conflict was seen and retried once
    assert funded.remaining_centimes == TOTAL - 500_000
    application = await Repository(store).get(app_id, cls=GrantApplication)
    assert application.status == Status.FUNDED
    assert R3 in application.reviewers  # the concurrent change is kept, not overwritten


async def _until_waiting_for(conn: asyncpg.Connection, key: int) -> None:
    """Return once another session of this database waits for advisory lock ``key``."""
    for _ in range(500):
        waiting = await conn.fetchval(WAITING_FOR_LOCK, key & 0xFFFFFFFF, (key >> 32) & 0xFFFFFFFF)
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the decision never waited for the envelope's lock")


# A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
WAITING_FOR_LOCK = """
SELECT EXISTS (
  SELECT 1 FROM pg_locks
  WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND objid = $1::bigint::oid AND classid = $2::bigint::oid
)
"""
