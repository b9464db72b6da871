"""The envelope kept in memory between commands: current, and never a state that was undone."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from domain.envelopes import SupportEnvelope
from service import decisions, programme, repository
from service.commands import Unit, execute
from service.repository import SNAPSHOT_EVERY, Repository
from service.store import EventStore
from tests.integration.service.support import clock

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.store


async def reserve(store: EventStore, envelope_id: UUID, amount: int) -> int:
    async def decide(unit: Unit) -> int:
        envelope = await unit.get(envelope_id, SupportEnvelope)
        envelope.reserve(uuid4(), amount, clock())
        return envelope.remaining_centimes

    return await execute(store, decide)


def count_snapshot_reads(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    calls: list[Any] = []
    original = store.select_snapshot

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "select_snapshot", counted)
    return lambda: len(calls)


async def test_the_envelope_stays_in_memory_and_catches_up_with_other_processes(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelope_id = await programme.open_envelope(store, total_centimes=10_000, clock=clock)
    other = EventStore(store.pool)  # another process: a cache of its own, empty
    reads = count_snapshot_reads(other, monkeypatch)
    assert await reserve(other, envelope_id, 100) == 9_900
    assert reads() == 1  # loaded from the store
    assert await reserve(store, envelope_id, 1_000) == 8_900  # the first process decides
    assert await reserve(other, envelope_id, 10) == 8_890  # its reservation is counted
    assert reads() == 1  # from memory, caught up with the events stored since


async def test_a_decision_that_failed_leaves_nothing_in_memory(store: EventStore) -> None:
    envelope_id = await programme.open_envelope(store, total_centimes=10_000, clock=clock)
    await reserve(store, envelope_id, 100)

    async def reserve_then_fail(unit: Unit) -> None:
        (await unit.get(envelope_id, SupportEnvelope)).reserve(uuid4(), 5_000, clock())
        raise ValueError("the decision fails after the envelope changed")

    with pytest.raises(ValueError, match="fails after"):
        await execute(store, reserve_then_fail)
    # Had the changed envelope stayed in memory, 5,000 more would look reserved here.
    assert await reserve(store, envelope_id, 1) == 9_899
    stored = await Repository(EventStore(store.pool)).get(envelope_id, cls=SupportEnvelope)
    assert stored.remaining_centimes == 9_899


async def test_the_cached_envelope_is_snapshotted_as_committed(store: EventStore) -> None:
    envelope_id = await programme.open_envelope(store, total_centimes=10**9, clock=clock)
    for _ in range(SNAPSHOT_EVERY + 1):
        await reserve(store, envelope_id, 1)
    fresh = await Repository(EventStore(store.pool)).get(envelope_id, cls=SupportEnvelope)
    assert await store.select_snapshot(envelope_id) is not None
    assert fresh.reserved_centimes == SNAPSHOT_EVERY + 1
    assert fresh.version == (await Repository(store).get(envelope_id, cls=SupportEnvelope)).version


async def locked_reserve(store: EventStore, envelope_id: UUID, amount: int) -> int:
    """A reservation as a funding decision makes it: under the envelope's lock."""

    async def decide(unit: Unit) -> int:
        key = int.from_bytes(envelope_id.bytes[:8], "big", signed=True)
        await unit.conn.execute(decisions.LOCK_ENVELOPE, key)
        envelope = await unit.get(envelope_id, SupportEnvelope)
        envelope.reserve(uuid4(), amount, clock())
        return envelope.remaining_centimes

    return await execute(store, decide)


async def envelope_in_memory(store: EventStore) -> UUID:
    """An envelope of 10,000 with 1 reserved, kept in memory by the decision that reserved it."""
    envelope_id = await programme.open_envelope(store, total_centimes=10_000, clock=clock)
    await locked_reserve(store, envelope_id, 1)
    return envelope_id


async def test_the_next_decision_waits_for_the_envelope_being_put_back(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelope_id = await envelope_in_memory(store)
    reads = count_snapshot_reads(store, monkeypatch)
    put_back = Repository.snapshot_if_due

    async def slowly(self: Repository, aggregate: Any, *, appended: int = 1) -> None:
        await asyncio.sleep(0.05)  # committed, the lock released, the envelope not back yet
        await put_back(self, aggregate, appended=appended)

    monkeypatch.setattr(Repository, "snapshot_if_due", slowly)
    remaining = await asyncio.gather(*(locked_reserve(store, envelope_id, 1) for _ in range(5)))
    assert sorted(remaining) == [9_994, 9_995, 9_996, 9_997, 9_998]
    assert reads() == 0  # each decision took the one before's envelope from memory


async def test_a_failed_decision_lets_the_next_one_go_on_at_once(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelope_id = await envelope_in_memory(store)
    monkeypatch.setattr(repository, "RETURN_WAIT_S", 60.0)

    async def fail(unit: Unit) -> None:
        (await unit.get(envelope_id, SupportEnvelope)).reserve(uuid4(), 5, clock())
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await execute(store, fail)
    # Had the failed decision kept the envelope out, this one would wait the whole minute.
    assert await asyncio.wait_for(locked_reserve(store, envelope_id, 1), 5) == 9_998


async def test_a_plain_read_leaves_the_envelope_in_memory(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelope_id = await envelope_in_memory(store)
    reads = count_snapshot_reads(store, monkeypatch)
    read = await Repository(store).get(envelope_id, cls=SupportEnvelope)  # a report, the demo
    read.reserve(uuid4(), 100, clock())  # changed in the reader's hands, never saved
    loaded = reads()
    assert await locked_reserve(store, envelope_id, 1) == 9_998
    assert reads() == loaded  # the decision's envelope came from memory, not the read's
