"""Replay equals live: random histories applied incrementally in random pages, then rebuilt."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from projections import ledger, ledger_page, review_page, review_queue
from projections.rebuild import rebuild_many
from projections.registry import (
    ALL_PROJECTIONS,
    ensure_all,
    rebuild,
    rebuild_together,
    run_all,
    status,
)
from projections.runner import ProjectionRunner
from service import programme
from tests.integration.projections.scenario import ENVELOPE, World
from tests.unit.domain.builders import R1, R2, R3

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

REVIEWERS = (R1, R2, R3)
ops = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 4), st.integers(1, 30)),
    st.tuples(st.sampled_from(["assign", "conflict"]), st.integers(0, 4), st.integers(0, 2)),
    st.tuples(st.just("score"), st.integers(0, 4), st.integers(0, 2), st.integers(0, 5)),
    st.tuples(
        st.sampled_from(["fund", "sign", "disburse", "cancel", "reject"]),
        st.integers(0, 4),
        st.integers(1, 10),
    ),
    st.tuples(st.just("catch_up"), st.integers(1, 9)),
)


async def tables(pool: asyncpg.Pool) -> dict[str, list[str]]:
    return {
        t: [r[0] for r in await pool.fetch(f"SELECT x::text FROM {t} x ORDER BY 1")]
        for p in ALL_PROJECTIONS
        for t in p.tables
    }


async def play(world: World, op: tuple[Any, ...], pool: asyncpg.Pool, store: EventStore) -> None:
    kind, *args = op
    apps = list(world.apps)
    if kind == "catch_up":
        for p in ALL_PROJECTIONS:
            await ProjectionRunner(pool, store, p, page_size=args[0]).step()
        return
    if kind == "submit":
        if args[0] + 1 not in {a.int - 1000 for a in apps}:
            await world.submit(args[0] + 1, requested_centimes=args[1] * 10_000_000)
        return
    if not apps:
        return
    app = apps[args[0] % len(apps)]
    try:
        await _command(world, kind, app, args)
    except DomainError:
        world.apps[app] = await world.repo.get(app)  # forget the refused command


async def _command(world: World, kind: str, app: Any, args: list[int]) -> None:
    reviewer = REVIEWERS[args[1] % 3] if kind in {"assign", "conflict", "score"} else None
    if kind == "assign":
        await world.assign(app, reviewer)
    elif kind == "conflict":
        await world.do(app, "declare_conflict", reviewer, world.now())
    elif kind == "score":
        await world.score(app, reviewer, args[2])
    elif kind == "fund":
        await world.fund(app, args[1] * 1_000_000)
    elif kind == "sign":
        await world.do(app, "sign_agreement", R1, world.now())
    elif kind == "disburse":
        await world.disburse(app, args[1] * 100_000)
    elif kind == "cancel":
        await world.cancel(app)
    else:
        await world.do(app, "reject", R1, "no", world.now())


async def reset(pool: asyncpg.Pool) -> None:
    for p in ALL_PROJECTIONS:
        for t in p.tables:
            await pool.execute(f"DROP TABLE IF EXISTS {t} CASCADE")
    await pool.execute("TRUNCATE events, snapshots, projection_tracking")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(ops, min_size=5, max_size=60), page_size=st.integers(1, 7))
async def test_incremental_pages_equal_a_rebuild_from_zero(
    pool: asyncpg.Pool, store: EventStore, history: list[tuple[Any, ...]], page_size: int
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = World(store)
    await world.open_envelope(50_000_000)
    for op in history:
        await play(world, op, pool, store)
    for p in ALL_PROJECTIONS:
        await ProjectionRunner(pool, store, p, page_size=4).catch_up()
    live = await tables(pool)
    for p in ALL_PROJECTIONS:
        await rebuild(pool, store, p.name)
    assert await tables(pool) == live
    # all of them from one read of the log, pages pipelined across the projections
    await rebuild_together(pool, store, page_size=page_size)
    assert await tables(pool) == live
    # the resident rows let go after every page, read back when a later page touches them
    forgetful = [
        replace(review_queue.PROJECTION, resident=lambda: review_page.Resident(limit=0)),
        replace(ledger.PROJECTION, resident=lambda: ledger_page.Resident(limit=0)),
    ]
    await rebuild_many(pool, store, forgetful, page_size=page_size)
    assert await tables(pool) == live


async def test_run_all_keeps_every_projection_current(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await ensure_all(pool)
    stop = asyncio.Event()
    task = asyncio.create_task(run_all(pool, store, stop_event=stop, poll_interval=0.2))
    world = World(store)
    await world.open_envelope(50_000_000)
    app = await world.submit(1)
    await world.do(app, "declare_conflict", R1, world.now(), "Ancien associé")
    await programme.draft_rubric(store)  # so that every projection has something to apply
    await programme.open_call(
        store, envelope_id=ENVELOPE, title="Call", min_request_centimes=1,
        max_request_centimes=10**9,
    )  # fmt: skip
    for _ in range(600):  # up to 30 s: a loaded machine (CI beside other work) can be slow
        if all(s.lag_events == 0 for s in await status(pool, store)):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 10)
    rows = await status(pool, store)
    assert [s.lag_events for s in rows] == [0] * len(ALL_PROJECTIONS)
    assert all(s.error is None and s.applied > 0 for s in rows)
