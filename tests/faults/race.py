"""Many funding decisions racing for the last dirhams of one envelope, through any front door.

:func:`race` takes an async ``fund(app_id, amount) -> bool`` (True: funded, False: a clear
refusal such as ``EnvelopeExhaustedError`` or an HTTP 409; anything else raises), so the same
race runs through the service layer here and through the JSON API once it exists.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from uuid import UUID


@dataclass(frozen=True)
class RaceResult:
    """Who got money and who was refused."""

    funded: list[UUID]
    refused: list[UUID]


async def race(
    fund: Callable[[UUID, int], Awaitable[bool]], app_ids: Sequence[UUID], amount: int
) -> RaceResult:
    """Fire every decision at once (each asks ``amount``); errors other than refusals raise."""
    start = asyncio.Event()

    async def one(app_id: UUID) -> bool:
        await start.wait()  # all of them queued before any begins: a real stampede
        return await fund(app_id, amount)

    tasks = [asyncio.ensure_future(one(a)) for a in app_ids]
    await asyncio.sleep(0)
    start.set()
    outcomes = await asyncio.gather(*tasks)
    return RaceResult(
        funded=[a for a, ok in zip(app_ids, outcomes, strict=True) if ok],
        refused=[a for a, ok in zip(app_ids, outcomes, strict=True) if not ok],
    )


def assert_exactly_affordable(result: RaceResult, *, total: int, amount: int, racers: int) -> None:
    """Exactly as many decisions succeeded as the envelope can pay for; the rest were refused."""
    affordable = min(total // amount, racers)
    assert len(result.funded) == affordable, (len(result.funded), affordable)
    assert len(result.refused) == racers - affordable
    assert not set(result.funded) & set(result.refused)
