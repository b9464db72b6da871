from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import StoredEvent

from service.store import ConcurrencyError, EventStore

pytestmark = pytest.mark.store


async def test_insert_then_select(store: EventStore) -> None:
    oid = uuid.uuid4()
    await store.insert_events([StoredEvent(oid, 1, "t", b"a"), StoredEvent(oid, 2, "t", b"b")])
    assert [e.state for e in await store.select_events(oid)] == [b"a", b"b"]
    with pytest.raises(ConcurrencyError):
        await store.insert_events([StoredEvent(oid, 2, "t", b"c")])
    page = await store.select_notifications(None, 10)
    assert [n.originator_version for n in page] == [1, 2]
