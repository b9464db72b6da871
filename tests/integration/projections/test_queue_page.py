"""The queue's stored scores and line agree with projections.scoring; pages read them in order."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from projections import rebuild as rebuild_module
from projections import review_queue
from projections.queue_page import UnknownCursorError, queue_page
from projections.rebuild import rebuild
from projections.review_page import settle_queue
from projections.review_queue import queue, set_policy
from projections.scoring import (
    Candidate,
    Score,
    eligibility,
    fundable_line,
    normalised_scores,
    raw_scores,
)
from tests.e2e.api_support import catch_up
from tests.unit.domain.builders import R1

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore
    from tests.integration.projections.scenario import World

FIELDS = ("application_id", "status", "stage", "review_count", "raw_score", "normalised_score",
          "rank", "cumulative_requested_centimes", "above_line", "requested_centimes")  # fmt: skip


def view(entries: list) -> list[tuple]:
    return [tuple(getattr(e, f) for f in FIELDS) for e in entries]


async def reference(pool: asyncpg.Pool) -> dict[UUID, tuple[Any, ...]]:
    """Each file's (reviews, raw, normalised, eligibility, rank, cumulative, above) computed in
    Python by projections.scoring from the projection's raw rows."""
    files = await pool.fetch("SELECT application_id, envelope_id, status, requested_centimes"
                             " FROM review_files")  # fmt: skip
    scores = [Score(*r) for r in await pool.fetch(
        "SELECT application_id, reviewer_id, weighted_score FROM review_reviewers"
        " WHERE weighted_score IS NOT NULL AND NOT conflicted")]  # fmt: skip
    quorum, threshold = await pool.fetchrow(
        "SELECT quorum, threshold_hundredths FROM review_policy"
    )
    raw, normalised = raw_scores(scores), normalised_scores(scores)
    counts = Counter(s.application_id for s in scores)
    left = dict(await pool.fetch("SELECT envelope_id, remaining_centimes FROM review_envelopes"))
    judged, candidates = {}, defaultdict(list)
    for f in files:
        app = f["application_id"]
        judged[app] = (
            eligibility(counts[app], raw.get(app), quorum, threshold)
            if f["status"] == "in_review" else None
        )  # fmt: skip
        if judged[app] == "fundable":
            candidates[f["envelope_id"]].append(Candidate(app, raw[app], f["requested_centimes"]))
    lines: dict[UUID, tuple[int, int, bool]] = {}
    for envelope, ranked in candidates.items():
        lines.update(fundable_line(ranked, left.get(envelope, 0)))
    return {
        f["application_id"]: (
            counts[f["application_id"]], raw.get(f["application_id"]),
            normalised.get(f["application_id"]), judged[f["application_id"]],
            *lines.get(f["application_id"], (None, None, None)),
        )
        for f in files
    }  # fmt: skip


async def stored(pool: asyncpg.Pool) -> dict[UUID, tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT application_id, review_count, raw_score, normalised_score, eligibility, rank,"
        " cumulative_requested_centimes, above_line FROM review_files"
    )
    return {r[0]: tuple(r[1:]) for r in rows}


async def more_files(pool: asyncpg.Pool, count: int) -> None:
    """Extra files and scores straight into the tables, with ties and lone reviewers."""
    rng = random.Random(7)
    envelope = await pool.fetchval("SELECT envelope_id FROM review_envelopes LIMIT 1")
    reviewers = [uuid4() for _ in range(5)]
    for i in range(count):
        app = uuid4()
        status = rng.choice(["submitted", "in_review", "in_review", "funded", "withdrawn"])
        await pool.execute(
            "INSERT INTO review_files VALUES ($1, $2, NULL, $3, 'Co', $4, 'zagora', $5, $6,"
            " 'submitted', now() - make_interval(mins => $7))",
            app, envelope, f"File {i}", rng.choice(["tourism", "mining"]),
            rng.choice([100_000_00, 250_000_00, 1_000_000_00]), status, i,
        )  # fmt: skip
        if status != "submitted":
            for reviewer in rng.sample(reviewers, rng.randint(1, 3)):
                score = rng.choice([4000, 5000, 6000, 8000, 10000])
                await pool.execute(
                    "INSERT INTO review_reviewers VALUES ($1, $2, true, $3, $4, 1)",
                    app, reviewer, rng.random() < 0.1, score,
                )  # fmt: skip
    async with pool.acquire() as conn:
        await settle_queue(conn)  # rows written behind the projection's back: settle them


@pytest.mark.parametrize(("quorum", "threshold"), [(2, 5000), (1, 0), (3, 6500), (1, 10000)])
async def test_the_stored_scores_and_line_are_the_python_arithmetic(
    pool: asyncpg.Pool, store: EventStore, world: World, quorum: int, threshold: int
) -> None:
    await catch_up(pool, store)
    assert await stored(pool) == await reference(pool)  # as the live pages left them
    await more_files(pool, 80)
    await set_policy(pool, quorum, threshold)
    expected = await reference(pool)
    assert await stored(pool) == expected
    kinds = Counter(v[3] for v in expected.values())
    if (quorum, threshold) == (3, 6500):  # the draw holds every case the line distinguishes
        assert {"fundable", "below_quorum", "below_threshold"} <= set(kinds)
    assert all(v[4] is None for v in expected.values() if v[3] != "fundable")


@pytest.mark.parametrize("sort", ["score", "normalised", "date", "amount"])
async def test_the_sql_page_matches_the_python_queue(
    pool: asyncpg.Pool, store: EventStore, world: World, sort: str
) -> None:
    await catch_up(pool, store)
    await more_files(pool, 60)
    expected = await queue(pool, sort=sort)
    page, more = await queue_page(pool, sort=sort, limit=1000)
    assert not more
    # Python's sort is stable over an unordered scan: compare as sets, and the order of keys.
    assert sorted(view(page), key=str) == sorted(view(expected), key=str)
    key = {"score": "raw_score", "normalised": "normalised_score", "date": "submitted_at",
           "amount": "requested_centimes"}[sort]  # fmt: skip
    assert [getattr(e, key) for e in page] == [getattr(e, key) for e in expected]


async def test_pages_follow_each_other_and_filters_apply(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    await catch_up(pool, store)
    await more_files(pool, 25)
    seen, after = [], None
    while True:
        page, more = await queue_page(pool, sort="score", after=after, limit=4)
        seen += [e.application_id for e in page]
        if not more:
            break
        after = page[-1].application_id
    everything, _ = await queue_page(pool, sort="score", limit=1000)
    assert seen == [e.application_id for e in everything]
    in_review = await queue(pool, stage="in_review", sector="tourism")
    page, _ = await queue_page(pool, stage="in_review", sector="tourism", limit=1000)
    assert {e.application_id for e in page} == {e.application_id for e in in_review}
    last = everything[-1].application_id
    assert await queue_page(pool, after=last) == ([], False)
    with pytest.raises(UnknownCursorError):
        await queue_page(pool, after=uuid4())


async def test_a_score_that_comes_during_a_rebuild_is_settled_in_the_swapped_table(
    pool: asyncpg.Pool, store: EventStore, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await catch_up(pool, store)
    prepared = rebuild_module._prepare_swap
    first = next(iter(world.apps))

    async def then_a_score(pool: asyncpg.Pool, projection: Any) -> None:
        await prepared(pool, projection)  # the scratch tables settled, the swap not begun
        await world.score(first, R1, 1)  # R1 changes their mind: every score of R1 moves

    monkeypatch.setattr(rebuild_module, "_prepare_swap", then_a_score)
    await rebuild(pool, store, review_queue.PROJECTION)
    assert await stored(pool) == await reference(pool)


async def test_a_rebuild_with_nothing_new_at_the_swap_settles_once(
    pool: asyncpg.Pool, store: EventStore, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await catch_up(pool, store)
    settles: list[object] = []
    settle = review_queue.PROJECTION.finish
    assert settle is not None

    async def counted(conn: asyncpg.Connection) -> None:
        settles.append(conn)
        await settle(conn)

    projection = replace(review_queue.PROJECTION, finish=counted)
    await rebuild(pool, store, projection)
    assert len(settles) == 1  # before the swap; nothing came in since
    assert await stored(pool) == await reference(pool)
