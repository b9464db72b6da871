"""Use cases of the programme itself: the envelope, its calls, the scoring rubric."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.call_texts import CallDescription
from domain.calls import DEFAULT_MAX_SHARE_BASIS_POINTS, Call
from domain.envelopes import EnvelopeClosedError, SupportEnvelope
from domain.money import DEFAULT_ENVELOPE_CENTIMES
from domain.rubrics import DEFAULT_CRITERIA, Criterion, Rubric
from service.call_content import default_description
from service.clock import Clock, database_now
from service.commands import Unit, execute

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from service.store import EventStore

DEFAULT_ENVELOPE_NAME = (
    "Drâa-Tafilalet — soutien à l'investissement (offshoring et autres secteurs)"
)
DEFAULT_RUBRIC_NAME = "Grille de la Charte de l'investissement 2022"


async def open_envelope(
    store: EventStore,
    *,
    name: str = DEFAULT_ENVELOPE_NAME,
    total_centimes: int = DEFAULT_ENVELOPE_CENTIMES,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> UUID:
    """Open a support envelope (50,000,000.00 MAD by default); returns its id."""
    envelope_id = uuid4()

    async def decide(unit: Unit) -> UUID:
        unit.add(
            SupportEnvelope.open(
                envelope_id=envelope_id,
                name=name,
                total_centimes=total_centimes,
                at=await unit.now(clock),
            )
        )
        return envelope_id

    return await execute(store, decide, idempotency=("open_envelope", idempotency_key))


async def close_envelope(
    store: EventStore, *, envelope_id: UUID, clock: Clock = database_now
) -> None:
    """Stop new reservations on the envelope (tranches and releases go on)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(envelope_id, SupportEnvelope)).close(await unit.now(clock))

    await execute(store, decide)


async def open_call(
    store: EventStore,
    *,
    envelope_id: UUID,
    title: str,
    min_request_centimes: int,
    max_request_centimes: int,
    eligible_sectors: Sequence[str] = (),
    eligible_provinces: Sequence[str] = (),
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    max_share_basis_points: int = DEFAULT_MAX_SHARE_BASIS_POINTS,
    description: CallDescription | None = None,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> UUID:
    """Open a call for applications on an open envelope, with its public texts (the default
    ones of :mod:`service.call_content` unless given); returns its id."""
    call_id = uuid4()

    async def decide(unit: Unit) -> UUID:
        at = await unit.now(clock)
        if not (await unit.get(envelope_id, SupportEnvelope)).is_open:
            raise EnvelopeClosedError(envelope_id)
        call = Call.open(
            call_id=call_id, envelope_id=envelope_id, title=title,
            eligible_sectors=eligible_sectors, eligible_provinces=eligible_provinces,
            min_request_centimes=min_request_centimes,
            max_request_centimes=max_request_centimes,
            opens_at=opens_at or at, closes_at=closes_at, at=at,
            max_share_basis_points=max_share_basis_points,
        )  # fmt: skip
        call.describe(description or default_description(title), at)
        unit.add(call)
        return call_id

    return await execute(store, decide, idempotency=("open_call", idempotency_key))


async def describe_call(
    store: EventStore,
    *,
    call_id: UUID,
    description: CallDescription,
    clock: Clock = database_now,
) -> None:
    """Publish new texts for the call (titles, who may apply, documents, contact, FAQ)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(call_id, Call)).describe(description, await unit.now(clock))

    await execute(store, decide)


async def close_call(store: EventStore, *, call_id: UUID, clock: Clock = database_now) -> None:
    """Close a call early (closing twice records nothing)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(call_id, Call)).close(await unit.now(clock))

    await execute(store, decide)


async def draft_rubric(
    store: EventStore,
    *,
    name: str = DEFAULT_RUBRIC_NAME,
    rubric_version: int = 1,
    criteria: Sequence[Criterion] = DEFAULT_CRITERIA,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> UUID:
    """Draft a rubric version (the Investment Charter's criteria by default); returns its id."""
    rubric_id = uuid4()

    async def decide(unit: Unit) -> UUID:
        rubric = Rubric.draft(
            rubric_id=rubric_id, name=name, rubric_version=rubric_version,
            criteria=criteria, at=await unit.now(clock),
        )  # fmt: skip
        unit.add(rubric)
        return rubric_id

    return await execute(store, decide, idempotency=("draft_rubric", idempotency_key))


async def revise_rubric(
    store: EventStore,
    *,
    rubric_id: UUID,
    criteria: Sequence[Criterion],
    clock: Clock = database_now,
) -> None:
    """Replace the criteria of a draft rubric (a published one never changes)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(rubric_id, Rubric)).revise(criteria, await unit.now(clock))

    await execute(store, decide)


async def publish_rubric(
    store: EventStore, *, rubric_id: UUID, clock: Clock = database_now
) -> None:
    """Publish a drafted rubric: immutable from now on, and usable for scoring."""

    async def decide(unit: Unit) -> None:
        (await unit.get(rubric_id, Rubric)).publish(await unit.now(clock))

    await execute(store, decide)
