"""Decision use cases end to end: funding and paying keep the application and envelope in step."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.applications import GrantApplication, Status, TrancheExceedsFundingError
from domain.envelopes import EnvelopeClosedError, EnvelopeExhaustedError, SupportEnvelope
from domain.errors import InvalidTransitionError, InvalidValueError
from domain.reviews import QuorumNotReachedError, ScoreBelowThresholdError
from service import decisions, programme
from service.commands import Unit, execute
from service.repository import SNAPSHOT_EVERY, Repository
from service.settings import Policy
from service.store import EventStore
from tests.integration.service.support import (
    CHAIR,
    OFFICER,
    POOR,
    clock,
    event_count,
    open_programme,
    reviewed,
    signed,
    submit,
)


async def state(
    store: EventStore, app_id: UUID, envelope_id: UUID
) -> tuple[GrantApplication, SupportEnvelope]:
    repository = Repository(store)
    return (
        await repository.get(app_id, cls=GrantApplication),
        await repository.get(envelope_id, cls=SupportEnvelope),
    )


async def test_fund_reserves_the_amount_in_the_envelope(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    app_id = await reviewed(store, prog)
    result = await decisions.fund(
        store, application_id=app_id, decided_by=CHAIR, amount_centimes=2_000_000_00,
        note="Priorité régionale", clock=clock,
    )  # fmt: skip
    assert result == decisions.Funding(
        application_id=app_id, amount_centimes=2_000_000_00, remaining_centimes=8_000_000_00
    )
    app, envelope = await state(store, app_id, prog.envelope_id)
    assert (app.status, app.funded_centimes) == (Status.FUNDED, 2_000_000_00)
    assert envelope.reserved_for(app_id) == 2_000_000_00


async def test_fund_refused_when_the_envelope_is_exhausted(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=1_000_000_00)
    app_id = await reviewed(store, prog)
    before = await event_count(store)
    with pytest.raises(EnvelopeExhaustedError) as refused:
        await decisions.fund(
            store, application_id=app_id, decided_by=CHAIR, amount_centimes=2_000_000_00
        )
    assert refused.value.remaining_centimes == 1_000_000_00
    assert await event_count(store) == before
    app, envelope = await state(store, app_id, prog.envelope_id)
    assert (app.status, envelope.remaining_centimes) == (Status.IN_REVIEW, 1_000_000_00)


async def test_fund_follows_the_policy(store: EventStore) -> None:
    prog = await open_programme(store)
    poor = await reviewed(store, prog, scores=POOR)
    before = await event_count(store)
    with pytest.raises(ScoreBelowThresholdError):
        await decisions.fund(store, application_id=poor, decided_by=CHAIR, amount_centimes=100)
    with pytest.raises(QuorumNotReachedError):
        await decisions.fund(
            store, application_id=poor, decided_by=CHAIR, amount_centimes=100,
            policy=Policy(review_quorum=3),
        )  # fmt: skip
    assert await event_count(store) == before
    await decisions.fund(
        store, application_id=poor, decided_by=CHAIR, amount_centimes=100,
        policy=Policy(funding_threshold_hundredths=2_000),
    )  # fmt: skip


async def test_fund_refused_on_a_closed_envelope(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await reviewed(store, prog)
    await programme.close_envelope(store, envelope_id=prog.envelope_id, clock=clock)
    before = await event_count(store)
    with pytest.raises(EnvelopeClosedError):
        await decisions.fund(store, application_id=app_id, decided_by=CHAIR, amount_centimes=100)
    assert await event_count(store) == before


async def test_reject_needs_a_reason(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await reviewed(store, prog)
    before = await event_count(store)
    with pytest.raises(InvalidValueError):
        await decisions.reject(store, application_id=app_id, decided_by=CHAIR, reason=" ")
    assert await event_count(store) == before
    await decisions.reject(
        store, application_id=app_id, decided_by=CHAIR, reason="Score insuffisant", clock=clock
    )
    app, _ = await state(store, app_id, prog.envelope_id)
    assert app.status == Status.REJECTED


async def test_sign_agreement_only_once_funded(store: EventStore) -> None:
    prog = await open_programme(store)
    not_funded = await submit(store, prog)
    before = await event_count(store)
    with pytest.raises(InvalidTransitionError):
        await decisions.sign_agreement(store, application_id=not_funded, by=OFFICER)
    assert await event_count(store) == before
    app_id = await signed(store, prog)
    app, _ = await state(store, app_id, prog.envelope_id)
    assert app.status == Status.AGREEMENT_SIGNED


async def test_disburse_moves_money_from_reserved_to_disbursed(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    app_id = await signed(store, prog, amount=2_000_000_00)
    await decisions.disburse(
        store, application_id=app_id, amount_centimes=500_000_00, by=OFFICER, clock=clock
    )
    app, envelope = await state(store, app_id, prog.envelope_id)
    assert (app.disbursed_centimes, envelope.disbursed_centimes) == (500_000_00, 500_000_00)
    assert envelope.reserved_for(app_id) == 1_500_000_00
    before = await event_count(store)
    with pytest.raises(TrancheExceedsFundingError):
        await decisions.disburse(
            store, application_id=app_id, amount_centimes=1_500_000_01, by=OFFICER
        )
    assert await event_count(store) == before


async def test_disburse_with_a_key_pays_once(store: EventStore) -> None:
    prog = await open_programme(store)
    app_id = await signed(store, prog)
    for _ in range(2):
        await decisions.disburse(
            store, application_id=app_id, amount_centimes=100_00, by=OFFICER,
            idempotency_key="tranche-1",
        )  # fmt: skip
    app, _ = await state(store, app_id, prog.envelope_id)
    assert app.disbursed_centimes == 100_00


async def test_cancel_releases_what_was_not_disbursed(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    app_id = await signed(store, prog, amount=2_000_000_00)
    await decisions.disburse(store, application_id=app_id, amount_centimes=500_000_00, by=OFFICER)
    released = await decisions.cancel(
        store, application_id=app_id, by=OFFICER, reason="Projet abandonné", clock=clock
    )
    assert released == 1_500_000_00
    app, envelope = await state(store, app_id, prog.envelope_id)
    assert app.status == Status.CANCELLED
    assert (envelope.reserved_centimes, envelope.remaining_centimes) == (0, 9_500_000_00)
    before = await event_count(store)
    with pytest.raises(InvalidTransitionError):
        await decisions.cancel(store, application_id=app_id, by=OFFICER, reason="encore")
    assert await event_count(store) == before


async def test_complete_gives_back_the_remainder(store: EventStore) -> None:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    app_id = await signed(store, prog, amount=2_000_000_00)
    await decisions.disburse(store, application_id=app_id, amount_centimes=2_000_000_00, by=OFFICER)
    assert await decisions.complete(store, application_id=app_id, by=OFFICER, clock=clock) == 0
    app, envelope = await state(store, app_id, prog.envelope_id)
    assert (app.status, envelope.disbursed_centimes) == (Status.COMPLETED, 2_000_000_00)
    before = await event_count(store)
    with pytest.raises(InvalidTransitionError):
        await decisions.complete(store, application_id=app_id, by=OFFICER)
    assert await event_count(store) == before


async def test_an_envelope_loaded_from_its_snapshot_still_knows_each_reservation(
    store: EventStore,
) -> None:
    envelope_id = await programme.open_envelope(store, total_centimes=10_000, clock=clock)
    first = uuid4()
    for application_id in [first, *(uuid4() for _ in range(SNAPSHOT_EVERY))]:

        async def decide(unit: Unit, application_id: UUID = application_id) -> None:
            (await unit.get(envelope_id, SupportEnvelope)).reserve(application_id, 1, clock())

        await execute(store, decide)
    assert await store.select_snapshot(envelope_id) is not None
    envelope = await Repository(store).get(envelope_id, cls=SupportEnvelope)
    assert envelope.reserved_for(first) == 1
    assert envelope.reserved_centimes == SNAPSHOT_EVERY + 1
