"""Sixty funding decisions race for a small envelope: it never gives out more than it holds."""

from __future__ import annotations

import asyncio
import random

import pytest

from domain.envelopes import EnvelopeExhaustedError, SupportEnvelope
from service import decisions
from service.decisions import Funding
from service.repository import Repository
from service.store import EventStore
from tests.integration.service.support import CHAIR, open_programme, reviewed

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
