"""Fifty funding decisions race for the last dirhams: exactly the affordable ones win."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from domain.envelopes import EnvelopeExhaustedError, SupportEnvelope
from service import decisions
from service.repository import Repository
from tests.faults.race import assert_exactly_affordable, race
from tests.faults.support import assert_invariants
from tests.integration.service.support import CHAIR, open_programme, reviewed

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

RACERS = 50
AMOUNT = 1_000_000_00  # 1,000,000.00 MAD each
TOTAL = 7 * AMOUNT + 99_99  # room for seven, and 99.99 MAD that nobody can take


async def test_fifty_decisions_race_for_the_last_dirhams(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    prog = await open_programme(store, total_centimes=TOTAL)
    app_ids = await asyncio.gather(*(reviewed(store, prog) for _ in range(RACERS)))
    refusals: list[EnvelopeExhaustedError] = []

    async def fund(app_id: UUID, amount: int) -> bool:
        try:
            await decisions.fund(
                store, application_id=app_id, decided_by=CHAIR, amount_centimes=amount
            )
        except EnvelopeExhaustedError as refusal:
            refusals.append(refusal)
            return False
        return True

    result = await race(fund, app_ids, AMOUNT)

    assert_exactly_affordable(result, total=TOTAL, amount=AMOUNT, racers=RACERS)
    assert all(r.remaining_centimes == 99_99 for r in refusals), (
        "refused before the envelope ran dry"
    )
    envelope = await Repository(store).get(prog.envelope_id, cls=SupportEnvelope)
    assert envelope.remaining_centimes == 99_99
    assert set(envelope.reserved_by_application) == set(result.funded)
    await assert_invariants(pool, store, ids=list(app_ids))
