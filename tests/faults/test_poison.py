"""Poison events: critical projections stop without advancing, say why, and resume after a fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from projections import envelopes, ledger, tracking
from projections.invariants import check
from projections.projection import HandlerError
from projections.registry import ALL_PROJECTIONS, ensure_all, status
from projections.runner import ProjectionRunner
from service import decisions, privacy
from service.transcoder import MsgspecTranscoder
from tests.faults.support import assert_invariants, catch_up_fully
from tests.integration.service.support import CHAIR, open_programme, reviewed

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

CRITICAL = {envelopes.PROJECTION.name, ledger.PROJECTION.name}
NEW_TOPIC = "grants.envelope:AuditNoteAdded"  # as if written by a newer version of the code
APPEND = """
INSERT INTO events (originator_id, originator_version, topic, state)
SELECT $1, max(originator_version) + 1, $2, $3 FROM events WHERE originator_id = $1
"""


class AuditNoteAdded(Aggregate.Event):
    """The newer code's event, as the fix brings it in."""

    note: str


async def _programme_with_money(store: EventStore) -> tuple[UUID, UUID]:
    prog = await open_programme(store, total_centimes=10_000_000_00)
    app = await reviewed(store, prog)
    await decisions.fund(store, application_id=app, decided_by=CHAIR, amount_centimes=1_000_000_00)
    return prog.envelope_id, app


async def _run_all(pool: asyncpg.Pool, store: EventStore) -> dict[str, str]:
    """One pass of every runner, as a restarted projector would; the errors by projection."""
    errors = {}
    for projection in ALL_PROJECTIONS:
        try:
            await catch_up_fully(ProjectionRunner(pool, store, projection))
        except HandlerError as error:
            errors[projection.name] = str(error)
    return errors


def _state(**fields: object) -> bytes:
    base = {"timestamp": datetime.now(UTC)}
    return MsgspecTranscoder().encode(base | fields)


async def test_unknown_topic_stops_critical_projections_until_it_is_registered(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id, _ = await _programme_with_money(store)
    await ensure_all(pool)
    assert await _run_all(pool, store) == {}
    before = {p.name: await tracking.position(pool, p.name) for p in ALL_PROJECTIONS}

    await pool.execute(APPEND, envelope_id, NEW_TOPIC, _state(note="checked"))
    errors = await _run_all(pool, store)

    assert set(errors) == CRITICAL
    rows = {s.name: s for s in await status(pool, store)}
    for name in CRITICAL:
        assert NEW_TOPIC in (rows[name].error or "")
        assert await tracking.position(pool, name) == before[name], "a critical one advanced"
        assert rows[name].lag_events == 1
    for name in {p.name for p in ALL_PROJECTIONS} - CRITICAL:
        assert rows[name].lag_events == 0
        assert rows[name].error is None
    assert not (await check(pool, store)).ok

    register_topic(NEW_TOPIC, AuditNoteAdded)  # the fix: the code now knows the event
    skipped = {n: rows[n].skipped for n in CRITICAL}
    assert await _run_all(pool, store) == {}
    after = {s.name: s for s in await status(pool, store)}
    for name in CRITICAL:
        assert after[name].error is None
        assert after[name].lag_events == 0
        assert after[name].skipped == skipped[name] + 1, "not passed exactly once"
    await assert_invariants(pool, store, catch_up=False)


async def test_corrupt_state_stops_the_projection_until_the_bytes_are_restored(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id, _ = await _programme_with_money(store)
    await ensure_all(pool)
    await _run_all(pool, store)
    good = _state(envelope_id=envelope_id)  # what a backup of the row holds
    await pool.execute(APPEND, envelope_id, "grants.envelope:Closed", b"\xc1 not msgpack")

    errors = await _run_all(pool, store)
    assert set(errors) == {envelopes.PROJECTION.name}  # the only one that reads this topic
    assert "Closed" in errors[envelopes.PROJECTION.name]
    closed = "SELECT closed_at FROM envelope_status WHERE envelope_id = $1"
    assert await pool.fetchval(closed, envelope_id) is None

    await pool.execute(
        "UPDATE events SET state = $2 WHERE originator_id = $1 AND topic = 'grants.envelope:Closed'",
        envelope_id, good,
    )  # fmt: skip
    assert await _run_all(pool, store) == {}
    assert await pool.fetchval(closed, envelope_id) is not None
    await assert_invariants(pool, store, catch_up=False)


async def test_events_of_an_erased_person_are_applied_once_and_rebuild_identically(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    _, app = await _programme_with_money(store)
    await ensure_all(pool)
    await _run_all(pool, store)
    (person,) = [r[0] for r in await pool.fetch("SELECT person_id FROM person_keys")]
    async with pool.acquire() as conn:
        assert await privacy.erase(conn, person)
    # The file lives on after its contact person was erased: events keep coming.
    await decisions.sign_agreement(store, application_id=app, by=CHAIR)

    assert await _run_all(pool, store) == {}
    with pytest.raises(privacy.PersonErasedError):
        await privacy.decrypt_for(pool, person, b"")
    rows = {s.name: s for s in await status(pool, store)}
    total = await pool.fetchval("SELECT count(*) FROM events")
    assert all(r.applied + r.skipped == total and r.error is None for r in rows.values())
    await assert_invariants(pool, store, catch_up=False)  # includes: a rebuild gives the same
