"""Calls and rubric versions, as the use cases leave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from domain.rubrics import DEFAULT_CRITERIA, Criterion
from projections import programme
from projections.registry import ensure_all
from projections.runner import ProjectionRunner
from service import programme as use_cases

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


async def test_calls_and_rubrics_follow_the_use_cases(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_all(pool)
    envelope = await use_cases.open_envelope(store, clock=lambda: T0)
    first = await use_cases.open_call(
        store, envelope_id=envelope, title="Offshoring 2026", min_request_centimes=100,
        max_request_centimes=500_000_00, eligible_sectors=["offshoring"],
        closes_at=T0 + timedelta(days=30), clock=lambda: T0,
    )  # fmt: skip
    second = await use_cases.open_call(
        store, envelope_id=envelope, title="All sectors", min_request_centimes=100,
        max_request_centimes=900_000_00, opens_at=T0 + timedelta(days=1), clock=lambda: T0,
    )  # fmt: skip
    await use_cases.close_call(store, call_id=second, clock=lambda: T0 + timedelta(days=2))
    v1 = await use_cases.draft_rubric(store, clock=lambda: T0)
    a, b, *rest = DEFAULT_CRITERIA  # swap the first two weights: still 100 in all
    swapped = [Criterion(**{**a.as_dict(), "weight": b.weight}),
               Criterion(**{**b.as_dict(), "weight": a.weight}), *rest]  # fmt: skip
    await use_cases.revise_rubric(store, rubric_id=v1, criteria=swapped, clock=lambda: T0)
    await use_cases.publish_rubric(store, rubric_id=v1, clock=lambda: T0 + timedelta(hours=1))
    v2 = await use_cases.draft_rubric(store, rubric_version=2, clock=lambda: T0)
    await ProjectionRunner(pool, store, programme.PROJECTION, page_size=3).catch_up()

    calls = await programme.calls(pool)
    assert [c.call_id for c in calls] == [second, first]  # newest opening first
    assert calls[1].eligible_sectors == ["offshoring"]
    assert [c.call_id for c in await programme.open_calls(pool, T0 + timedelta(days=3))] == [first]
    assert await programme.open_calls(pool, T0 + timedelta(days=31)) == []
    assert (await programme.call(pool, second)).closed_at == T0 + timedelta(days=2)  # type: ignore[union-attr]

    assert [r.rubric_id for r in await programme.rubrics(pool)] == [v2, v1]
    published = await programme.published_rubric(pool)
    assert published is not None
    assert published.rubric_id == v1
    assert [c["key"] for c in published.criteria] == [c.key for c in DEFAULT_CRITERIA]
    assert [c["weight"] for c in published.criteria[:2]] == [b.weight, a.weight]
    assert (await programme.rubric(pool, v2)).published_at is None  # type: ignore[union-attr]
