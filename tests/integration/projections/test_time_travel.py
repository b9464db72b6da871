"""Time travel: the file "as the committee saw it" at its decision, rebuilt from the log, equals
what the live read models showed the committee just before it decided, over random histories."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.rubrics import mean_half_up
from projections.registry import ALL_PROJECTIONS, ensure_all
from projections.runner import ProjectionRunner
from projections.scoring import Candidate, fundable_line
from projections.time_travel import as_seen
from tests.integration.projections.scenario import ENVELOPE, World
from tests.integration.projections.test_replay import reset
from tests.unit.domain.builders import R1, R2, R3

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

REVIEWERS = (R1, R2, R3)
FILES = 3  # few files, so that random histories reach decisions with several reviews
review = st.tuples(st.just("review"), st.integers(0, FILES - 1), st.integers(0, 2),
                  st.integers(0, 5))  # fmt: skip
ops = st.one_of(
    review,
    review,
    review,  # weighted: most histories should reach decisions with a quorum
    st.tuples(
        st.sampled_from(["assign", "conflict"]), st.integers(0, FILES - 1), st.integers(0, 2)
    ),
    st.tuples(st.just("score"), st.integers(0, FILES - 1), st.integers(0, 2), st.integers(0, 5)),
    st.tuples(
        st.sampled_from(["fund", "fund", "reject", "sign", "disburse"]),
        st.integers(0, FILES - 1),
        st.integers(1, 10),
    ),
)


async def live_view(pool: asyncpg.Pool, app: UUID) -> dict[str, Any]:
    """What the committee's read models show of the file now (projections caught up)."""
    file = await pool.fetchrow(
        "SELECT status, title, requested_centimes FROM review_files WHERE application_id = $1", app
    )
    reviews = [
        (r["reviewer_id"], r["weighted_score"], r["revision"], json.loads(r["scores"]),
         r["conflicted"])
        for r in await pool.fetch(
            "SELECT * FROM review_reviewers WHERE application_id = $1 AND weighted_score IS NOT"
            " NULL ORDER BY reviewer_id::text", app,
        )
    ]  # fmt: skip
    counted = [r[1] for r in reviews if not r[4]]
    remaining = await pool.fetchval(
        "SELECT remaining_centimes FROM review_envelopes WHERE envelope_id = $1", ENVELOPE
    )
    rows = await pool.fetch(
        "SELECT f.application_id, f.requested_centimes, array_agg(r.weighted_score) AS s"
        " FROM review_files f JOIN review_reviewers r USING (application_id)"
        " WHERE f.status = 'in_review' AND r.weighted_score IS NOT NULL AND NOT r.conflicted"
        " GROUP BY 1, 2"
    )
    line = fundable_line([Candidate(r[0], mean_half_up(list(r[2])), r[1]) for r in rows], remaining)
    rank, _, above = line.get(app, (None, None, None))
    return {
        "status": file["status"], "title": file["title"],
        "requested": file["requested_centimes"], "reviews": reviews,
        "raw": mean_half_up(counted) if counted else None, "count": len(counted),
        "rank": rank, "in_line": len(line), "above": above, "remaining": remaining,
    }  # fmt: skip


async def travelled(store: EventStore, app: UUID) -> dict[str, Any]:
    seen, _ = await as_seen(store, app)
    assert seen is not None
    assert seen.before_decision
    return {
        "status": seen.status, "title": seen.project["title"],
        "requested": seen.project["requested_centimes"],
        "reviews": [(r.reviewer_id, r.weighted_score, r.revision, r.scores, r.conflicted)
                    for r in seen.reviews],
        "raw": seen.raw_score, "count": seen.review_count, "rank": seen.rank,
        "in_line": seen.in_line, "above": seen.above_line, "remaining": seen.remaining_centimes,
    }  # fmt: skip


async def caught_up(pool: asyncpg.Pool, store: EventStore) -> None:
    for p in ALL_PROJECTIONS:
        await ProjectionRunner(pool, store, p, page_size=50).catch_up()


async def _play(world: World, op: tuple[Any, ...]) -> None:
    kind, *args = op
    apps = list(world.apps)
    if kind == "submit":
        if args[0] + 1 not in {a.int - 1000 for a in apps}:
            await world.submit(args[0] + 1, requested_centimes=args[1] * 10_000_000)
        return
    app = apps[args[0] % len(apps)]
    reviewer = REVIEWERS[args[1] % 3]
    if kind == "assign":
        await world.assign(app, reviewer)
    elif kind == "review":  # assigned and scored at once
        await world.assign(app, reviewer)
        await world.score(app, reviewer, args[2])
    elif kind == "conflict":
        await world.do(app, "declare_conflict", reviewer, world.now())
    elif kind == "score":
        await world.score(app, reviewer, args[2])
    elif kind == "fund":
        await world.fund(app, args[1] * 1_000_000)
    elif kind == "reject":
        await world.do(app, "reject", R1, "no", world.now())
    elif kind == "sign":
        await world.do(app, "sign_agreement", R1, world.now())
    else:
        await world.disburse(app, args[1] * 100_000)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(ops, min_size=10, max_size=40))
async def test_the_view_at_a_decision_equals_what_the_committee_saw_live(
    pool: asyncpg.Pool, store: EventStore, history: list[tuple[Any, ...]]
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = World(store)
    await world.open_envelope(60_000_000)
    seen_live: dict[UUID, dict[str, Any]] = {}
    for n in range(FILES):
        await world.submit(n + 1, requested_centimes=(n + 1) * 10_000_000)
    for op in history:
        if op[0] != "submit" and not world.apps:
            continue
        deciding = op[0] in {"fund", "reject"}
        if deciding:
            await caught_up(pool, store)
            app = list(world.apps)[op[1] % len(world.apps)]
            before = await live_view(pool, app) if app not in seen_live else None
        try:
            await _play(world, op)
        except DomainError:
            world.apps = {a: await world.repo.get(a) for a in world.apps}  # forget the refusal
            continue
        if deciding and before is not None:
            seen_live[app] = before
    for app, live in seen_live.items():
        assert await travelled(store, app) == live


async def test_travelling_to_each_moment_of_a_file_follows_its_history(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await reset(pool)
    await ensure_all(pool)
    world = World(store)
    await world.open_envelope(60_000_000)
    app = await world.submit(1, requested_centimes=20_000_000)
    for reviewer, points in ((R1, 4), (R2, 2)):
        await world.assign(app, reviewer)
        await world.score(app, reviewer, points)
    await world.fund(app, 15_000_000)
    _, moments = await as_seen(store, app)
    kinds = [m.kind for m in moments]
    assert kinds == ["Submitted", "ReviewerAssigned", "Reviewed", "ReviewerAssigned", "Reviewed",
                     "Funded"]  # fmt: skip
    first, _ = await as_seen(store, app, upto=moments[2].notification_id)
    assert first is not None
    assert (first.review_count, first.raw_score, first.status) == (1, 8_000, "in_review")
    decided, _ = await as_seen(store, app, upto=moments[-1].notification_id)
    assert decided is not None
    assert decided.status == "funded"
    assert decided.remaining_centimes == 45_000_000
    default, _ = await as_seen(store, app)
    assert default is not None
    assert (default.remaining_centimes, default.raw_score, default.rank) == (60_000_000, 6_000, 1)
