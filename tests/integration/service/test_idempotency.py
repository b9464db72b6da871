"""A submission retried with the same idempotency key creates one application, even concurrently."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from service import applications
from service.store import EventStore
from tests.integration.service.support import CONTACT, applicant, open_programme, project

SUBMITTED = "grants.application:Submitted"


async def submitted_count(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM events WHERE topic = $1", SUBMITTED))


async def test_same_key_twice_gives_one_application(store: EventStore) -> None:
    prog = await open_programme(store)
    investor, who, what = uuid4(), applicant(), project()

    async def send(key: str) -> object:
        return await applications.submit(
            store, investor_id=investor, envelope_id=prog.envelope_id, call_id=prog.call_id,
            applicant=who, contact=CONTACT, project=what, idempotency_key=key,
        )  # fmt: skip

    first, second = await send("form-1"), await send("form-1")
    assert first == second
    assert await submitted_count(store) == 1
    assert await send("form-2") != first
    assert await submitted_count(store) == 2


async def test_ten_concurrent_submissions_with_one_key_give_one_application(
    store: EventStore,
) -> None:
    prog = await open_programme(store)
    investor = uuid4()
    ids = await asyncio.gather(
        *(
            applications.submit(
                store,
                investor_id=investor,
                envelope_id=prog.envelope_id,
                call_id=prog.call_id,
                applicant=applicant(),
                contact=CONTACT,
                project=project(),
                idempotency_key="k",
            )
            for _ in range(10)
        )
    )
    assert len(set(ids)) == 1
    assert await submitted_count(store) == 1
