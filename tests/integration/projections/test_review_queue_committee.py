"""The review queue as the committee pages read it: status and reviewer filters, file facts,
reviews with their scores and comments, amounts funded and paid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from projections import review_queue
from tests.integration.projections.conftest import MAD
from tests.integration.projections.settle import catch_up
from tests.unit.domain.builders import OFFICER, R1, R2, R3

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore
    from tests.integration.projections.scenario import World


async def test_a_reviewer_sees_only_assigned_files_without_a_conflict(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    await catch_up(pool, store)
    a1, a2, a3 = world.apps
    assert {e.application_id for e in await review_queue.queue(pool, reviewer_id=R1)} == {
        a1, a2, a3,
    }  # fmt: skip
    assert await review_queue.queue(pool, reviewer_id=R3) == []  # assigned to a3, conflicted
    assert await review_queue.file(pool, a3, reviewer_id=R3) is None
    assert await review_queue.file(pool, a3, reviewer_id=R1) is not None
    assert len(await review_queue.queue(pool)) == 3  # no reviewer: the whole queue


async def test_status_filter_and_file_facts_follow_the_decisions(
    pool: asyncpg.Pool, store: EventStore, world: World
) -> None:
    a1, a2, _ = world.apps
    await world.fund(a1, 2_000_000 * MAD)
    await world.do(a1, "sign_agreement", OFFICER, world.now())
    await world.disburse(a1, 500_000 * MAD)
    await catch_up(pool, store)
    assert [
        e.application_id for e in await review_queue.queue(pool, status="agreement_signed")
    ] == [a1]
    facts = await review_queue.file(pool, a1)
    assert facts is not None
    assert (facts["funded_centimes"], facts["disbursed_centimes"]) == (
        2_000_000 * MAD, 500_000 * MAD,
    )  # fmt: skip
    assert facts["jobs"] > 0
    assert facts["ice"]
    assert "contact" not in facts
    sole = await review_queue.file(pool, a2)
    assert sole is not None
    assert sole["applicant_kind"] == "sole_trader"
    reviews = {r["reviewer_id"]: r for r in await review_queue.reviewers(pool, a1)}
    assert reviews[R1]["scores"] == dict.fromkeys(reviews[R1]["scores"], 4)
    assert reviews[R2]["comment"] == "ok"
    assert reviews[R1]["weighted_score"] == 8_000
