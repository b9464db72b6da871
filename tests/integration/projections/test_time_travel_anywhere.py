"""Time travel to any position of the log between a file's submission and its decision: the
moments offered include other files' decisions on the same envelope, and the view at any such
position equals what the live read models showed then, over random histories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from projections.registry import ensure_all
from projections.time_travel import as_seen
from tests.integration.projections.scenario import World
from tests.integration.projections.test_replay import reset
from tests.integration.projections.test_time_travel import FILES, _play, caught_up, live_view, ops
from tests.unit.domain.builders import R1, R2

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore


async def last_position(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT max(notification_id) FROM events"))


async def travelled_to(store: EventStore, app: UUID, upto: int) -> dict[str, Any]:
    seen, _ = await as_seen(store, app, upto=upto)
    assert seen is not None, upto
    return {
        "status": seen.status, "title": seen.project["title"],
        "requested": seen.project["requested_centimes"],
        "reviews": [(r.reviewer_id, r.weighted_score, r.revision, r.scores, r.conflicted)
                    for r in seen.reviews],
        "raw": seen.raw_score, "count": seen.review_count, "rank": seen.rank,
        "in_line": seen.in_line, "above": seen.above_line, "remaining": seen.remaining_centimes,
    }  # fmt: skip


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(ops, min_size=8, max_size=25), data=st.data())
async def test_the_view_at_any_position_before_the_decision_equals_the_live_one(
    pool: asyncpg.Pool, store: EventStore, history: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = World(store)
    await world.open_envelope(60_000_000)
    for n in range(FILES):
        await world.submit(n + 1, requested_centimes=(n + 1) * 10_000_000)
    observed: list[tuple[UUID, int, dict[str, Any]]] = []
    for op in history:
        try:
            await _play(world, op)
        except DomainError:
            world.apps = {a: await world.repo.get(a) for a in world.apps}
            continue
        await caught_up(pool, store)
        position = await last_position(store)
        for app in world.apps:  # only open files: after its decision, a file's own events only
            live = await live_view(pool, app)
            if live["status"] in ("submitted", "information_requested", "in_review"):
                observed.append((app, position, live))
    if not observed:
        return
    picked = data.draw(st.lists(st.sampled_from(observed), min_size=1, max_size=6))
    for app, position, live in picked:
        assert await travelled_to(store, app, position) == live


async def test_other_files_decisions_are_offered_and_move_the_envelope(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = World(store)
    await world.open_envelope(60_000_000)
    mine = await world.submit(1, requested_centimes=20_000_000)
    other = await world.submit(2, requested_centimes=30_000_000)
    for app in (mine, other):
        for reviewer in (R1, R2):
            await world.assign(app, reviewer)
            await world.score(app, reviewer, 4)
    await world.fund(other, 25_000_000)
    await world.fund(mine, 15_000_000)
    late = await world.submit(3, requested_centimes=10_000_000)  # after my decision: not offered
    await world.do(late, "withdraw", world.apps[late].investor_id, world.now())
    _, moments = await as_seen(store, mine)
    others = [m for m in moments if m.other]
    assert [m.kind for m in others] == ["Funded"]
    at_others, _ = await as_seen(store, mine, upto=others[0].notification_id)
    assert at_others is not None
    assert at_others.remaining_centimes == 35_000_000  # the other grant is reserved
    assert at_others.status == "in_review"
    assert (at_others.rank, at_others.in_line) == (1, 1)  # the funded file left the line
    before, _ = await as_seen(store, mine, upto=others[0].notification_id - 1)
    assert before is not None
    assert before.remaining_centimes == 60_000_000
    assert before.in_line == 2
    withdrawn_at = await last_position(store)
    assert (await as_seen(store, mine, upto=withdrawn_at))[0] is None  # after the decision
