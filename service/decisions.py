"""Use cases of the decision and after: fund, reject, sign, disburse, cancel, complete.

Funding and paying move money, so they change the application and its envelope in one atomic
append. The envelope is the one hot aggregate every funding decision writes to: commands that
touch it take a transaction-scoped advisory lock on it first, so concurrent decisions queue for
a few milliseconds instead of colliding and retrying (the optimistic version check and
``execute``'s retries stay as the safety net, e.g. against a concurrent review of the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.applications import GrantApplication
from domain.envelopes import SupportEnvelope
from service.clock import Clock, database_now
from service.commands import Unit, execute
from service.settings import Policy

if TYPE_CHECKING:
    from uuid import UUID

    from service.store import EventStore

LOCK_ENVELOPE = "SELECT pg_advisory_xact_lock($1)"
DEFAULT_POLICY = Policy()


@dataclass(frozen=True, kw_only=True)
class Funding:
    """What a funding decision reserved, and what the envelope has left after it."""

    application_id: UUID
    amount_centimes: int
    remaining_centimes: int


async def _envelope_of(unit: Unit, app: GrantApplication) -> SupportEnvelope:
    """Lock the application's envelope for this transaction, then load it."""
    key = int.from_bytes(app.envelope_id.bytes[:8], "big", signed=True)
    await unit.conn.execute(LOCK_ENVELOPE, key)
    return await unit.get(app.envelope_id, SupportEnvelope)


async def fund(
    store: EventStore,
    *,
    application_id: UUID,
    decided_by: UUID,
    amount_centimes: int,
    note: str = "",
    override_justification: str = "",
    policy: Policy = DEFAULT_POLICY,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> Funding:
    """Fund the application and reserve the amount in its envelope, atomically.

    Refused with ``EnvelopeExhaustedError`` (carrying the remaining amount) when it does not fit.
    With ``idempotency_key``, a second call with the same key decides nothing and returns the
    first decision (a double click, a retry after a 503).
    """

    async def decide(unit: Unit) -> dict[str, Any]:
        at, app = await unit.now(clock), await unit.get(application_id, GrantApplication)
        app.fund(
            decided_by, amount_centimes, note, at,
            threshold_hundredths=policy.funding_threshold_hundredths,
            quorum=policy.review_quorum, max_share_basis_points=policy.max_share_basis_points,
            override_justification=override_justification,
        )  # fmt: skip
        envelope = await _envelope_of(unit, app)
        envelope.reserve(application_id, amount_centimes, at)
        # A mapping, so that an idempotency key can keep it (the transcoder stores no dataclass).
        return {
            "application_id": application_id,
            "amount_centimes": amount_centimes,
            "remaining_centimes": envelope.remaining_centimes,
        }

    return Funding(**await execute(store, decide, idempotency=("fund", idempotency_key)))


async def reject(
    store: EventStore,
    *,
    application_id: UUID,
    decided_by: UUID,
    reason: str,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> None:
    """Decide not to fund the application (once per ``idempotency_key``)."""

    async def decide(unit: Unit) -> None:
        (await unit.get(application_id, GrantApplication)).reject(
            decided_by, reason, await unit.now(clock)
        )

    await execute(store, decide, idempotency=("reject", idempotency_key))


async def sign_agreement(
    store: EventStore, *, application_id: UUID, by: UUID, clock: Clock = database_now
) -> None:
    """Record that the funding agreement was signed."""

    async def decide(unit: Unit) -> None:
        (await unit.get(application_id, GrantApplication)).sign_agreement(by, await unit.now(clock))

    await execute(store, decide)


async def disburse(
    store: EventStore,
    *,
    application_id: UUID,
    amount_centimes: int,
    by: UUID,
    clock: Clock = database_now,
    idempotency_key: str | None = None,
) -> None:
    """Pay a tranche: the application and the envelope record the same amount, atomically.

    Paying twice by mistake is costly, hence the optional idempotency key.
    """

    async def decide(unit: Unit) -> None:
        at, app = await unit.now(clock), await unit.get(application_id, GrantApplication)
        app.disburse(amount_centimes, by, at)
        (await _envelope_of(unit, app)).disburse(application_id, amount_centimes, at)

    await execute(store, decide, idempotency=("disburse", idempotency_key))


async def cancel(
    store: EventStore, *, application_id: UUID, by: UUID, reason: str, clock: Clock = database_now
) -> int:
    """Cancel the grant and give what was not disbursed back to the envelope; returns it."""
    return await _close_file(store, application_id, by, reason, clock)


async def complete(
    store: EventStore, *, application_id: UUID, by: UUID, clock: Clock = database_now
) -> int:
    """Close the file as completed; any undisbursed remainder goes back; returns it."""
    return await _close_file(store, application_id, by, None, clock)


async def _close_file(
    store: EventStore, application_id: UUID, by: UUID, reason: str | None, clock: Clock
) -> int:
    async def decide(unit: Unit) -> int:
        at, app = await unit.now(clock), await unit.get(application_id, GrantApplication)
        released = app.undisbursed_centimes
        if reason is None:
            app.complete(by, at)
        else:
            app.cancel(by, reason, at)
        if released:
            (await _envelope_of(unit, app)).release(application_id, released, at)
        return released

    return await execute(store, decide)
