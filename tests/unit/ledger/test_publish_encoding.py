"""A publisher tick encodes its new entries without holding the event loop for all of them."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from projections import transparency


def row(seq: int) -> dict[str, Any]:
    return {
        "seq": seq, "kind": "funding_decision", "application_id": uuid.UUID(int=seq),
        "envelope_id": uuid.UUID(int=1), "org_kind": "company", "org_name": f"Société {seq}",
        "sector": "offshoring", "province": "errachidia", "amount_centimes": 100_00 * seq,
        "balance_centimes": 10**9 - 100_00 * seq,
        "occurred_at": dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seq),
    }  # fmt: skip


async def test_every_entry_is_encoded_in_order() -> None:
    rows = [row(n) for n in range(1, 101)]
    encoded = await transparency._encoded(rows)
    assert encoded == [transparency.entry_bytes(r) for r in rows]


async def test_other_tasks_run_between_chunks() -> None:
    rows = [row(n) for n in range(1, 4 * transparency.ENCODE_CHUNK + 1)]
    turns = 0

    async def decisions() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(decisions())
    await asyncio.sleep(0)  # it has started
    before = turns
    await transparency._encoded(rows)
    other.cancel()
    assert turns - before >= 3  # it ran between each chunk and the next, not only at the end
